"""``GET /api/v1/audit``: the audit log, for administrators and officials."""

from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue

from lms.audit import queries
from lms.audit.schemas import AuditEntrySchema, AuditQuerySchema
from lms.auth.models import Role
from lms.auth.permissions import auth_required, current
from lms.errors import Invalid, NotFound
from lms.http import paginate, query_args
from lms.openapi import doc
from lms.org.services import get_unit

bp = Blueprint("audit", __name__, url_prefix="/api/v1")


@bp.get("/audit")
@auth_required(Role.admin, Role.official)
@doc(
    summary="The audit log: privileged acts, newest first",
    tags=["audit"],
    query=AuditQuerySchema,
    response=AuditEntrySchema,
    paginated=True,
)
def list_entries() -> ResponseReturnValue:
    """Who did what, when, from where and why. Administrators read every entry; officials
    the entries about their unit's subtree. Entries cannot be changed or deleted."""
    args = query_args(AuditQuerySchema())
    unit = None
    if args.get("unit"):
        try:
            unit = get_unit(args["unit"])
        except NotFound as exc:
            raise Invalid(exc.message, errors={"unit": [exc.message]}) from exc
    stmt = queries.entries_query(
        current(),
        actor_id=args.get("actor"),
        action=args.get("action"),
        since=args.get("date_from"),
        until=args.get("date_to"),
        unit=unit,
    )
    return paginate(stmt, AuditEntrySchema().dump)
