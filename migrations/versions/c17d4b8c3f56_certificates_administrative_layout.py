"""Certificates in the administrative layout: signer authority, letterhead, date of birth

``users.birth_date`` (optional) is printed on certificates when known, via the snapshot
``certificates.holder_birth_date``; templates gain the signer's authority line ("KT. GIÁM
ĐỐC") and the letterhead as printed (governing and issuing body).

Revision ID: c17d4b8c3f56
Revises: c4d8e1f2a7b3
Create Date: 2026-12-06 09:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'c17d4b8c3f56'
down_revision = 'c4d8e1f2a7b3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('birth_date', sa.Date(), nullable=True))
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signer_authority', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('holder_birth_date', sa.Date(), nullable=True))
    with op.batch_alter_table('certificate_templates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signer_authority', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('governing_body', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('issuing_body', sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table('certificate_templates', schema=None) as batch_op:
        batch_op.drop_column('issuing_body')
        batch_op.drop_column('governing_body')
        batch_op.drop_column('signer_authority')
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_column('holder_birth_date')
        batch_op.drop_column('signer_authority')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('birth_date')
