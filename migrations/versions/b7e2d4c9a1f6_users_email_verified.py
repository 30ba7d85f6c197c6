"""users: when the account's e-mail was verified; only a verified e-mail is an identity

Revision ID: b7e2d4c9a1f6
Revises: a3c9e5f1d2b7
Create Date: 2026-12-06 20:05:00

An e-mail names a person's learning (the bridge matches xAPI ``mbox``/``mbox_sha1sum`` to it,
``/me/data.zip`` exports the statements about it) and links a single sign-on account to an
existing one. Until now nobody checked that the person owns it, so anyone could set an address
nobody used yet and receive what other platforms recorded about it.

Existing accounts count as verified: until now their e-mails were entered by officials'
imports, by staff or by a platform's statements, or accepted as they were; clearing them all
would cut every deployment's learners from their MOOC records at once. Only changes from now
on (a person's own sign-up or change of address) wait for a confirmation. Accounts without an
e-mail stay NULL.
"""

import sqlalchemy as sa
from alembic import op

import lms.db

revision = "b7e2d4c9a1f6"
down_revision = "a3c9e5f1d2b7"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("email_verified_at", lms.db.UTCDateTime(timezone=True)))
    users = sa.table(
        "users",
        sa.column("email", sa.String),
        sa.column("created_at", lms.db.UTCDateTime(timezone=True)),
        sa.column("email_verified_at", lms.db.UTCDateTime(timezone=True)),
    )
    op.execute(
        users.update()
        .where(users.c.email.is_not(None))
        .values(email_verified_at=users.c.created_at)
    )


def downgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("email_verified_at")
