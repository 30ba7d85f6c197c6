"""Jobs: when each was sent to the workers, how often it was sent again; index on status

A queued job whose message was lost (Redis restarted empty, or the web process died between
the commit and the send) is sent again after ``LMS_JOB_STALE_SECONDS``; the sweep looks up
queued jobs by status.

Revision ID: c4a9e2f7b813
Revises: e5b2c7d9a418
Create Date: 2026-12-06 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import lms.db

# revision identifiers, used by Alembic.
revision = 'c4a9e2f7b813'
down_revision = 'e5b2c7d9a418'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('enqueued_at', lms.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('requeues', sa.Integer(), server_default='0', nullable=False))
        batch_op.create_index(batch_op.f('ix_jobs_status'), ['status'], unique=False)


def downgrade():
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_jobs_status'))
        batch_op.drop_column('requeues')
        batch_op.drop_column('enqueued_at')
