"""bridge partitions: gaps and runs per partition, handovers of cursors

Revision ID: b7d41e0c9a25
Revises: 8e2da792d34d
Create Date: 2026-12-06 11:40:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import lms.db

revision = "b7d41e0c9a25"
down_revision = "8e2da792d34d"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("bridge_gaps") as batch_op:
        batch_op.add_column(sa.Column("partition", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("bridge_runs") as batch_op:
        batch_op.add_column(sa.Column("partition", sa.Integer(), server_default="0", nullable=False))
    op.create_table(
        "bridge_handovers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partitions", sa.Integer(), nullable=False),
        sa.Column(
            "cursors", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("upto", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", lms.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bridge_handovers")),
    )


def downgrade():
    op.drop_table("bridge_handovers")
    with op.batch_alter_table("bridge_runs") as batch_op:
        batch_op.drop_column("partition")
    with op.batch_alter_table("bridge_gaps") as batch_op:
        batch_op.drop_column("partition")
