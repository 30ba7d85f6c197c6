"""statistics aggregates: unique keys led by the person (holdings) and by year and unit
(rollups); the indexes they make redundant, and one no query used, dropped

A rebuild of the statistics builds these keys from millions of rows: led by ``code`` (a
handful of values) the holdings' took 6 to 9 s of it, led by ``user_id`` under 2 s. The
same columns are unique, so nothing that was allowed is refused or the reverse; every query
of these tables finds its key's prefix among them (``user_id`` for a person's holdings;
``year, unit_id`` for a unit's figures).

Revision ID: d91c3e7a5f20
Revises: b7d41e0c9a25
Create Date: 2026-12-06 14:20:00

"""

from alembic import op

revision = "d91c3e7a5f20"
down_revision = "b7d41e0c9a25"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("stat_holdings") as batch_op:
        batch_op.drop_index("ix_stat_holdings_code_year_unit")
        batch_op.drop_index(batch_op.f("ix_stat_holdings_user_id"))
        batch_op.drop_constraint(
            batch_op.f("uq_stat_holdings_code_year_in_year_user_id"), type_="unique"
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_stat_holdings_user_id_code_year_in_year"),
            ["user_id", "code", "year", "in_year"],
        )
    with op.batch_alter_table("stat_rollups") as batch_op:
        batch_op.drop_index("ix_stat_rollups_year_unit")
        batch_op.drop_constraint(
            batch_op.f("uq_stat_rollups_code_year_in_year_unit_id_target_group_unassigned"),
            type_="unique",
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_stat_rollups_year_unit_id_code_in_year_target_group_unassigned"),
            ["year", "unit_id", "code", "in_year", "target_group", "unassigned"],
        )


def downgrade():
    with op.batch_alter_table("stat_rollups") as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_stat_rollups_year_unit_id_code_in_year_target_group_unassigned"),
            type_="unique",
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_stat_rollups_code_year_in_year_unit_id_target_group_unassigned"),
            ["code", "year", "in_year", "unit_id", "target_group", "unassigned"],
        )
        batch_op.create_index("ix_stat_rollups_year_unit", ["year", "unit_id"], unique=False)
    with op.batch_alter_table("stat_holdings") as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_stat_holdings_user_id_code_year_in_year"), type_="unique"
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_stat_holdings_code_year_in_year_user_id"),
            ["code", "year", "in_year", "user_id"],
        )
        batch_op.create_index(batch_op.f("ix_stat_holdings_user_id"), ["user_id"], unique=False)
        batch_op.create_index(
            "ix_stat_holdings_code_year_unit", ["code", "year", "unit_id"], unique=False
        )
