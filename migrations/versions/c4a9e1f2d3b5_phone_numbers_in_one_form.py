"""phone numbers in one form: the stored numbers rewritten by the one phone rule

Revision ID: c4a9e1f2d3b5
Revises: c17d4b8c3f56
Create Date: 2026-12-06 08:40:00.000000

Earlier imports stored ``912346611`` (no leading zero), ``+84…`` or old 11-digit mobiles,
so their owners could not log in with the number they know. Each stored number is rewritten
by ``lms.auth.text.normalise_phone``, the rule every form, import and the API use. A number
whose one form already belongs to someone else is left as it was (two accounts cannot share
it; an operator merges them), and so is text that is no mobile number: both are printed.
"""
from alembic import op
import sqlalchemy as sa

from lms.auth.text import is_valid_phone, normalise_phone, search_text

# revision identifiers, used by Alembic.
revision = 'c4a9e1f2d3b5'
down_revision = 'c17d4b8c3f56'
branch_labels = None
depends_on = None

users = sa.table(
    'users',
    sa.column('id', sa.Integer),
    sa.column('phone', sa.String),
    sa.column('email', sa.String),
    sa.column('full_name', sa.String),
    sa.column('search_text', sa.String),
)


def upgrade():
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(users.c.id, users.c.phone, users.c.email, users.c.full_name)
        .where(users.c.phone.is_not(None))
        .order_by(users.c.id)
    ).all()
    taken = {row.phone for row in rows}
    for row in rows:
        new = normalise_phone(row.phone)
        if new == row.phone:
            continue
        if new in taken:
            print(f"users.phone: user {row.id} keeps {row.phone!r}; {new!r} belongs to another")
            continue
        if not is_valid_phone(new):
            print(f"users.phone: user {row.id} keeps {row.phone!r}, which is no mobile number")
            continue
        conn.execute(
            users.update()
            .where(users.c.id == row.id)
            .values(phone=new, search_text=search_text(row.full_name, row.email, new))
        )
        taken.discard(row.phone)
        taken.add(new)


def downgrade():
    pass  # the old spellings are gone; the one form is still a valid phone number
