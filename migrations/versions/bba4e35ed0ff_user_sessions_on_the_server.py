"""user sessions on the server: logout, a new password or a deactivation end them

Revision ID: bba4e35ed0ff
Revises: b7d41c2e9a10
Create Date: 2026-11-23 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import lms.db

# revision identifiers, used by Alembic.
revision = 'bba4e35ed0ff'
down_revision = 'b7d41c2e9a10'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('user_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', lms.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.Enum('logout', 'password', 'deactivated', name='sessionend', native_enum=False, length=20), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_user_sessions_token_hash'))
    )
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_sessions_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_sessions_user_id'))

    op.drop_table('user_sessions')
