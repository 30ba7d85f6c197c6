"""Certificates: version of the signed content, the holder's salted hash and subject id

Certificates signed before keep ``content_version`` 1 (the home-made canonical form with the
holder's name) and verify by that rule; new ones are signed as version 2 (RFC 8785, the holder
as ``sha256$`` of name + salt, a pseudonymous ``credentialSubject.id``).

Revision ID: c17a1e5f0b21
Revises: c4a9e2f7b813
Create Date: 2026-12-06 08:50:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'c17a1e5f0b21'
down_revision = 'c4a9e2f7b813'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('content_version', sa.Integer(), server_default='1', nullable=False)
        )
        batch_op.add_column(sa.Column('holder_salt', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('subject_id', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_column('subject_id')
        batch_op.drop_column('holder_salt')
        batch_op.drop_column('content_version')
