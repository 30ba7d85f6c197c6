"""Where a person was when they enrolled and when they completed

``enrollments.enrolled_unit_id``, ``completed_unit_id`` and ``completed_target_group`` keep the
person's unit and target group at the time of each event, as certificates already do at
issue, so completions of past years stay where the people were when they moved or their
unit merged.

Backfill: a completion that has a certificate takes the certificate's snapshot (the holder's
unit and group at issue, the best record of the time); every other row takes the person's
current unit and group, the only thing known.

Revision ID: c4a9e1f0b2d6
Revises: c17c3a7b2e45
Create Date: 2026-12-06 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'c4a9e1f0b2d6'
down_revision = 'c17c3a7b2e45'
branch_labels = None
depends_on = None

GROUPS = (
    'leader', 'official', 'dx_specialist', 'community_tech', 'citizen', 'expert', 'teacher',
    'student', 'enterprise_staff',
)


def upgrade():
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('enrolled_unit_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('completed_unit_id', sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                'completed_target_group',
                sa.Enum(*GROUPS, name='targetgroup', native_enum=False, length=30),
                nullable=True,
            )
        )
        batch_op.create_foreign_key(
            'fk_enrollments_enrolled_unit_id_units', 'units', ['enrolled_unit_id'], ['id']
        )
        batch_op.create_foreign_key(
            'fk_enrollments_completed_unit_id_units', 'units', ['completed_unit_id'], ['id']
        )
    op.execute(
        "UPDATE enrollments SET enrolled_unit_id = "
        "(SELECT users.unit_id FROM users WHERE users.id = enrollments.user_id)"
    )
    op.execute(
        "UPDATE enrollments SET "
        "completed_unit_id = (SELECT users.unit_id FROM users WHERE users.id = enrollments.user_id), "
        "completed_target_group = "
        "(SELECT users.target_group FROM users WHERE users.id = enrollments.user_id) "
        "WHERE completed_at IS NOT NULL"
    )
    op.execute(
        "UPDATE enrollments SET "
        "completed_unit_id = (SELECT c.holder_unit_id FROM certificates c "
        "WHERE c.enrollment_id = enrollments.id), "
        "completed_target_group = (SELECT c.holder_target_group FROM certificates c "
        "WHERE c.enrollment_id = enrollments.id) "
        "WHERE completed_at IS NOT NULL AND EXISTS "
        "(SELECT 1 FROM certificates c WHERE c.enrollment_id = enrollments.id)"
    )


def downgrade():
    with op.batch_alter_table('enrollments', schema=None) as batch_op:
        batch_op.drop_constraint('fk_enrollments_completed_unit_id_units', type_='foreignkey')
        batch_op.drop_constraint('fk_enrollments_enrolled_unit_id_units', type_='foreignkey')
        batch_op.drop_column('completed_target_group')
        batch_op.drop_column('completed_unit_id')
        batch_op.drop_column('enrolled_unit_id')
