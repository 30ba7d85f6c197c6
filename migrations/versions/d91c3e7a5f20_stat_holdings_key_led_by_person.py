"""statistics holdings: the unique key led by the person; the index it makes redundant, and
one no query used, dropped

A rebuild of the statistics builds this key from 3.4 million rows at 1,000,000
certificates: led by ``code`` (a handful of values) it took 6.5 s, and the unused
``(code, year, unit_id)`` index 4.5 s more; led by ``user_id`` the key takes 1.4 to 2.3 s.
The same columns are unique, so nothing allowed before is refused or the reverse; the
incremental path reads a person's holdings by ``user_id`` (and a deleted user's go by it),
a prefix of the key, so ``ix_stat_holdings_user_id`` goes. (Reordering the rollups' key
too was tried and left out: the province's indicator table took 155 ms instead of 80.)

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


def downgrade():
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
