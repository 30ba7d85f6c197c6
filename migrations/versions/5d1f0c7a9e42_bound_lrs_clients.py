"""bound LRS clients: expires_at and binding (cmi5 session credentials)

A client handed to a learner's browser (cmi5's fetch URL) is bound to one learner,
registration and activity, and expires with its session (``lms.xapi.binding``). Existing
clients are unbound and never expire.

Revision ID: 5d1f0c7a9e42
Revises: 3f6c0a9d2b71
Create Date: 2026-12-01 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import lms.db

# revision identifiers, used by Alembic.
revision = '5d1f0c7a9e42'
down_revision = '3f6c0a9d2b71'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('lrs_clients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', lms.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('binding', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True))


def downgrade():
    with op.batch_alter_table('lrs_clients', schema=None) as batch_op:
        batch_op.drop_column('binding')
        batch_op.drop_column('expires_at')
