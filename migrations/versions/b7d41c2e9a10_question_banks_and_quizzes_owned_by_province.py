"""question banks and quizzes belong to a province (or are national)

Revision ID: b7d41c2e9a10
Revises: 83ed397cce90
Create Date: 2026-12-06 09:00:00.000000

Existing banks and quizzes came from course packages, the digital-skills standard or admins'
work before ownership existed: they stay national (NULL), which only admins edit; an admin
hands one to a province with ``PATCH ... {"province": "<code>"}``.
"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'b7d41c2e9a10'
down_revision = '83ed397cce90'
branch_labels = None
depends_on = None


def upgrade():
    for table in ('question_banks', 'quizzes'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('province_id', sa.Integer(), nullable=True))
            batch_op.create_index(batch_op.f(f'ix_{table}_province_id'), ['province_id'], unique=False)
            batch_op.create_foreign_key(
                batch_op.f(f'fk_{table}_province_id_units'), 'units', ['province_id'], ['id']
            )


def downgrade():
    for table in ('quizzes', 'question_banks'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'fk_{table}_province_id_units'), type_='foreignkey')
            batch_op.drop_index(batch_op.f(f'ix_{table}_province_id'))
            batch_op.drop_column('province_id')
