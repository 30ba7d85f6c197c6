"""jobs: heartbeat of a running job, so one whose worker died is run again

Revision ID: a3c9e5f1d2b7
Revises: d91c3e7a5f20
Create Date: 2026-12-06 14:30:00

"""

import sqlalchemy as sa
from alembic import op

import lms.db

revision = "a3c9e5f1d2b7"
down_revision = "d91c3e7a5f20"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("jobs") as batch_op:
        batch_op.add_column(sa.Column("heartbeat_at", lms.db.UTCDateTime(timezone=True)))


def downgrade():
    with op.batch_alter_table("jobs") as batch_op:
        batch_op.drop_column("heartbeat_at")
