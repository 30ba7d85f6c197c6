"""users.sort_name: people listed in Vietnamese alphabetical order

Lists of people page in the database, which orders names by code points ("Đỗ" after "Vũ").
Each user gets the text form of the Vietnamese sort key of their name
(``lms.collation.vi_name_sort_string``: given name, then the whole name), which the database
orders correctly under any collation. Existing rows are filled in Python, in batches.

Revision ID: f3a9c1d7b264
Revises: c4a9e1f0b2d6
Create Date: 2026-12-06 09:00:00.000000

"""

from alembic import op
import sqlalchemy as sa

from lms.collation import vi_name_sort_string

# revision identifiers, used by Alembic.
revision = 'f3a9c1d7b264'
down_revision = 'c4a9e1f0b2d6'
branch_labels = None
depends_on = None

BATCH = 2000


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sort_name', sa.String(length=255), nullable=False, server_default=''))
    connection = op.get_bind()
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('full_name', sa.String),
                     sa.column('sort_name', sa.String))
    last = 0
    while True:
        rows = connection.execute(
            sa.select(users.c.id, users.c.full_name).where(users.c.id > last)
            .order_by(users.c.id).limit(BATCH)
        ).all()
        if not rows:
            break
        connection.execute(
            users.update().where(users.c.id == sa.bindparam('uid')).values(sort_name=sa.bindparam('key')),
            [{'uid': uid, 'key': vi_name_sort_string(name)} for uid, name in rows],
        )
        last = rows[-1][0]
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('sort_name', server_default=None)
        batch_op.create_index(batch_op.f('ix_users_sort_name'), ['sort_name'], unique=False)


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_sort_name'))
        batch_op.drop_column('sort_name')
