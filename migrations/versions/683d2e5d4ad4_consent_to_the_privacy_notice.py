"""consent to the privacy notice

Revision ID: 683d2e5d4ad4
Revises: a190829049b3
Create Date: 2026-12-06 09:07:11.786074

"""
from alembic import op
import sqlalchemy as sa

import lms.db


# revision identifiers, used by Alembic.
revision = '683d2e5d4ad4'
down_revision = 'a190829049b3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consented_at', lms.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('consent_version', sa.String(length=20), nullable=True))



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('consent_version')
        batch_op.drop_column('consented_at')

