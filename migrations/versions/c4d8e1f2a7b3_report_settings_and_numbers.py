"""Annual reports as documents: who heads and signs them, and their numbers

``report_settings`` holds per unit the header and signature block of its annual report
(Decree 30/2020/NĐ-CP); ``report_numbers`` the last number a unit gave a report in a year;
``stat_snapshots.number`` the number of the report a closed (submitted) year was sent as.

Revision ID: c4d8e1f2a7b3
Revises: f3a9c1d7b264
Create Date: 2026-12-06 08:45:00.000000

"""
from alembic import op
import sqlalchemy as sa

import lms.db

# revision identifiers, used by Alembic.
revision = 'c4d8e1f2a7b3'
down_revision = 'f3a9c1d7b264'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('report_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('parent_body', sa.String(length=200), nullable=False),
    sa.Column('issuer', sa.String(length=200), nullable=False),
    sa.Column('symbol', sa.String(length=30), nullable=False),
    sa.Column('place', sa.String(length=100), nullable=False),
    sa.Column('signer_authority', sa.String(length=200), nullable=False),
    sa.Column('signer_title', sa.String(length=100), nullable=False),
    sa.Column('signer_name', sa.String(length=100), nullable=False),
    sa.Column('recipients', sa.String(length=2000), nullable=False),
    sa.Column('updated_at', lms.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_report_settings_unit_id_units'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_report_settings_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_settings')),
    sa.UniqueConstraint('unit_id', name=op.f('uq_report_settings_unit_id'))
    )
    op.create_table('report_numbers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_report_numbers_unit_id_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_numbers')),
    sa.UniqueConstraint('unit_id', 'year', name=op.f('uq_report_numbers_unit_id_year'))
    )
    with op.batch_alter_table('stat_snapshots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('number', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('stat_snapshots', schema=None) as batch_op:
        batch_op.drop_column('number')
    op.drop_table('report_numbers')
    op.drop_table('report_settings')
