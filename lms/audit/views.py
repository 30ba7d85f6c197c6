"""The audit log page (``/audit``): filters, then the entries newest first."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import func, select

from lms.audit import queries
from lms.audit.constants import ACTION_LABELS, action_label, detail_label, target_label
from lms.auth.models import Role, User
from lms.auth.permissions import current, scope_filter, unit_in_scope
from lms.constants import TARGET_GROUP_LABELS, label
from lms.edge import INT32
from lms.extensions import db
from lms.formatting import vdate
from lms.http import page_args, whole_number
from lms.org.models import Unit
from lms.org.services import find_unit, in_tree_order

bp = Blueprint("audit_views", __name__)

PER_PAGE = 50
#: Units offered in the filter's list (the field takes any code of the area).
UNIT_CHOICES = 500


def _day(name: str, errors: dict[str, str]) -> date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = _("Not a valid date.")
        return None


def _filters(user: User) -> tuple[dict[str, Any], dict[str, str]]:
    """The filters of the query string; a bad one is shown on the form, not a 500."""
    errors: dict[str, str] = {}
    actor = request.args.get("actor", "")
    action = request.args.get("action", "")
    code = request.args.get("unit", "").strip()
    unit = find_unit(code) if code else None
    if code and (unit is None or not unit_in_scope(user, unit)):
        errors["unit"] = _("Unit %(code)s not found.", code=code)
        unit = None
    return {
        "actor_id": whole_number(actor, 0, 1, INT32[1]) or None,
        "action": action if action in ACTION_LABELS else None,
        "since": _day("from", errors),
        "until": _day("to", errors),
        "unit": unit,
    }, errors


def _units(user: User) -> list[Unit]:
    stmt = select(Unit).where(Unit.valid_to.is_(None)).order_by(Unit.path).limit(UNIT_CHOICES)
    return in_tree_order(db.session.scalars(stmt.where(scope_filter(user, Unit.path))))


@bp.get("/audit")
@login_required
def audit() -> ResponseReturnValue:
    user = current()
    queries.ensure_can_read(user)
    filters, errors = _filters(user)
    page, _per_page = page_args(PER_PAGE)
    stmt = queries.entries_query(user, **filters)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    entries = db.session.scalars(stmt.limit(PER_PAGE).offset((page - 1) * PER_PAGE))
    return render_template(
        "audit/audit.html",
        entries=list(entries),
        total=total or 0,
        page=page,
        pages=max(1, -(-(total or 0) // PER_PAGE)),
        args={k: v for k, v in request.args.items() if k != "page"},
        errors=errors,
        actors=queries.actors_in_view(user),
        actions=[(code, str(text)) for code, text in ACTION_LABELS.items()],
        units=_units(user),
        action_label=action_label,
        target_label=target_label,
        detail_lines=detail_lines,
        is_admin=user.has_role(Role.admin),
    )


def _text(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if value is None or value == "":
        return "—"
    if key == "default_target_group":
        return label(TARGET_GROUP_LABELS, str(value))
    if key == "on":
        try:
            return vdate(date.fromisoformat(str(value)))
        except ValueError:
            return str(value)
    if isinstance(value, dict):
        return "; ".join(f"{detail_label(k)}: {_text(k, v)}" for k, v in value.items())
    return str(value)


def detail_lines(entry: Any) -> list[tuple[str, list[str], bool]]:
    """The entry's details as (label, values, values are role codes), in the reader's
    language; the page names the roles (``role_label``)."""
    lines = []
    for key, value in entry.details.items():
        values = value if isinstance(value, list) else [value]
        roles = key.startswith("roles")
        lines.append((detail_label(key), [v if roles else _text(key, v) for v in values], roles))
    return lines
