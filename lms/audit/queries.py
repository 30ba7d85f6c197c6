"""Reading the audit log back, within the reader's area.

Who reads what: administrators every entry; officials the entries whose unit (the unit of
the thing acted on) lies in their subtree. An entry about something without a unit (an LRS
client, a source platform, a dismissed statement) is for administrators only. Reading needs
the roles and reach of ``lms.auth``, so it sits above it, while recording
(:mod:`lms.audit.services`) sits below every domain that records.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from flask_babel import get_timezone
from flask_babel import gettext as _
from sqlalchemy import Select, false, func, select

from lms.audit.models import AuditEntry
from lms.auth import permissions
from lms.auth.models import Role, User
from lms.collation import sorted_people
from lms.errors import Forbidden
from lms.extensions import db
from lms.org.models import Unit
from lms.org.services import subtree_ids


def ensure_can_read(actor: User) -> None:
    if not actor.has_role(Role.admin, Role.official):
        raise Forbidden(_("You do not have permission to do this."))


def _utc_start(day: date) -> datetime:
    """Midnight at the start of ``day`` in the province's zone (``BABEL_DEFAULT_TIMEZONE``)."""
    return datetime.combine(day, time(0, 0), get_timezone())


def entries_query(
    actor: User,
    *,
    actor_id: int | None = None,
    action: str | None = None,
    since: date | None = None,
    until: date | None = None,
    unit: Unit | None = None,
) -> Select[Any]:
    """The entries ``actor`` may read, newest first; ``since``/``until`` are local days."""
    ensure_can_read(actor)
    stmt = select(AuditEntry)
    if not actor.is_admin:
        if actor.unit is None:
            stmt = stmt.where(false())
        else:
            stmt = stmt.where(AuditEntry.unit_id.in_(subtree_ids(actor.unit)))
    if unit is not None:
        permissions.ensure_unit_in_scope(actor, unit)
        stmt = stmt.where(AuditEntry.unit_id.in_(subtree_ids(unit)))
    if actor_id is not None:
        stmt = stmt.where(AuditEntry.actor_id == actor_id)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if since is not None:
        stmt = stmt.where(AuditEntry.at >= _utc_start(since))
    if until is not None:
        stmt = stmt.where(AuditEntry.at < _utc_start(until + timedelta(days=1)))
    return stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


def actors_in_view(actor: User) -> list[tuple[int, str]]:
    """The people who appear as actors in what ``actor`` may read, for the filter."""
    visible = entries_query(actor).order_by(None).subquery()
    rows = db.session.execute(
        select(visible.c.actor_id, func.max(visible.c.actor_name))
        .where(visible.c.actor_id.is_not(None))
        .group_by(visible.c.actor_id)
    )
    # The order of a Vietnamese list of people (lms.collation), not code points.
    return sorted_people(((int(i), str(name or i)) for i, name in rows), key=lambda row: row[1])
