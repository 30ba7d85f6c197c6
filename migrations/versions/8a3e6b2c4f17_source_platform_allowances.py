"""who may move the figures: source platform allowances, ignored-by-rule counts

Source platforms get the courses and the units (subtrees) they may move, as two association
tables. Existing platforms get none (an allowance is explicit, never "everything"): their
statements are held for review (reason ``platform_scope``) until an administrator lists what
they may report, then ``flask bridge retry-held`` (or ``POST /api/v1/bridge/unmatched/retry``)
applies them. The bridge counts the statements it ignores by rule, per source and per run.

Revision ID: 8a3e6b2c4f17
Revises: 5d1f0c7a9e42
Create Date: 2026-12-01 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import lms.db

# revision identifiers, used by Alembic.
revision = '8a3e6b2c4f17'
down_revision = '5d1f0c7a9e42'
branch_labels = None
depends_on = None


def _json() -> sa.types.TypeEngine:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql')


def upgrade():
    op.create_table('source_platform_courses',
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_source_platform_courses_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['platform_id'], ['source_platforms.id'], name=op.f('fk_source_platform_courses_platform_id_source_platforms'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('platform_id', 'course_id', name=op.f('pk_source_platform_courses'))
    )
    with op.batch_alter_table('source_platform_courses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_source_platform_courses_course_id'), ['course_id'], unique=False)

    op.create_table('source_platform_units',
    sa.Column('platform_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['platform_id'], ['source_platforms.id'], name=op.f('fk_source_platform_units_platform_id_source_platforms'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_source_platform_units_unit_id_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('platform_id', 'unit_id', name=op.f('pk_source_platform_units'))
    )
    with op.batch_alter_table('source_platform_units', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_source_platform_units_unit_id'), ['unit_id'], unique=False)

    op.create_table('bridge_ignored_sources',
    sa.Column('authority_hash', sa.String(length=64), nullable=False),
    sa.Column('authority_ifi', sa.Text(), nullable=False),
    sa.Column('authority', _json(), nullable=False),
    sa.Column('statements', sa.BigInteger(), nullable=False),
    sa.Column('last_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('last_stored', lms.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('authority_hash', name=op.f('pk_bridge_ignored_sources'))
    )

    with op.batch_alter_table('bridge_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ignored_by_rule', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('bridge_runs', schema=None) as batch_op:
        batch_op.drop_column('ignored_by_rule')

    op.drop_table('bridge_ignored_sources')
    with op.batch_alter_table('source_platform_units', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_source_platform_units_unit_id'))

    op.drop_table('source_platform_units')
    with op.batch_alter_table('source_platform_courses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_source_platform_courses_course_id'))

    op.drop_table('source_platform_courses')
