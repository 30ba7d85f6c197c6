"""JSON API of the learning bridge under /api/v1 (administrators only).

Status and catch-up of the bridge, statements held for review, learner identities, source
platforms, course activity IRIs, results files from platforms without xAPI, and cmi5.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from lms.audit import services as audit
from lms.audit.constants import AuditAction
from lms.auth.models import Role, User
from lms.auth.permissions import auth_required, current
from lms.catalog.services import get_course
from lms.classes.enrollments import enrollment_for
from lms.edge import INT32
from lms.errors import BadRequest, Invalid, NotFound
from lms.events import statements_stored
from lms.extensions import db
from lms.http import (
    created,
    load,
    no_content,
    optional_json_body,
    paginate,
    query_args,
    whole_number,
)
from lms.learning import bridge, identities, imports, mappings, platforms, review, unmatched
from lms.learning.cmi5 import launch as cmi5_launch
from lms.learning.cmi5 import package as cmi5_package
from lms.learning.cmi5 import runtime as cmi5_runtime
from lms.learning.models import IdentityKind, IdentitySource, SourcePlatform
from lms.learning.schemas import (
    ActivityIrisOutSchema,
    ActivityIrisSchema,
    AuSchema,
    Cmi5ImportSchema,
    DismissSchema,
    IdentityCreateSchema,
    IdentityQuerySchema,
    IdentitySchema,
    ImportSchema,
    PlatformCreateSchema,
    PlatformSchema,
    PlatformUpdateSchema,
    ResolveResultSchema,
    ResolveSchema,
    RetryOutSchema,
    RetrySchema,
    RunResultSchema,
    RunSchema,
    StatusSchema,
    UnmatchedQuerySchema,
    UnmatchedSchema,
    WaiveSchema,
)
from lms.openapi import doc
from lms.tabular import UNREADABLE

bp = Blueprint("learning", __name__, url_prefix="/api/v1")

BRIDGE = ["bridge"]
CMI5 = ["cmi5"]


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise Invalid(_("User not found."), errors={"user_id": [_("No such user.")]})
    return user


def _stored() -> None:
    """After a commit that stored statements: let the bridge know, as the LRS does."""
    statements_stored.send(None, count=1)


# --- bridge -----------------------------------------------------------------------------------


@bp.get("/bridge/status")
@auth_required(Role.admin)
@doc(summary="How far behind the bridge is", tags=BRIDGE, response=StatusSchema)
def bridge_status() -> ResponseReturnValue:
    """Last stored and last processed ``seq``, pending count, lag of the oldest pending one."""
    return jsonify(bridge.status())


@bp.post("/bridge/run")
@auth_required(Role.admin)
@doc(
    summary="Process pending statements now",
    tags=BRIDGE,
    body=RunSchema,
    body_required=False,
    response=RunResultSchema,
)
def bridge_run() -> ResponseReturnValue:
    data = load(RunSchema(), optional_json_body())
    processed = bridge.process_pending(data["limit"])
    return jsonify({**bridge.status(), "processed": processed})


@bp.get("/bridge/unmatched")
@auth_required(Role.admin)
@doc(
    summary="Statements held for review",
    tags=BRIDGE,
    query=UnmatchedQuerySchema,
    response=UnmatchedSchema,
    paginated=True,
)
def list_unmatched() -> ResponseReturnValue:
    """Open ones by default (``resolved=false``); filter by ``reason``."""
    args = query_args(UnmatchedQuerySchema())
    query = unmatched.unmatched_query(resolved=args["resolved"], reason=args["reason"])
    return paginate(query, unmatched.to_dict)


@bp.post("/bridge/unmatched/<int:item_id>/resolve")
@auth_required(Role.admin)
@doc(
    summary="Link the statement's actor to a learner and apply it",
    tags=BRIDGE,
    body=ResolveSchema,
    response=ResolveResultSchema,
)
def resolve_unmatched(item_id: int) -> ResponseReturnValue:
    """Every open statement of the same actor is applied again; returns the counts."""
    data = load(ResolveSchema())
    row = unmatched.get_unmatched(item_id)
    outcome = review.resolve(row, _user(data["user_id"]), by=current())
    db.session.commit()
    return jsonify({**outcome, "item": unmatched.to_dict(row)})


@bp.post("/bridge/unmatched/retry")
@auth_required(Role.admin)
@doc(
    summary="Apply held statements again",
    tags=BRIDGE,
    body=RetrySchema,
    body_required=False,
    response=RetryOutSchema,
)
def retry_unmatched() -> ResponseReturnValue:
    """Oldest first, at most ``limit``; for example after a source platform was allowed more
    courses or units (``reason=platform_scope``, ``platform_id``)."""
    data = load(RetrySchema(), optional_json_body())
    by = current()
    # End the read of authentication: retrying takes the bridge's cursor lock first.
    db.session.commit()
    outcome = review.retry(
        by=by, platform_id=data["platform_id"], reason=data["reason"], limit=data["limit"]
    )
    db.session.commit()
    return jsonify(outcome)


@bp.post("/bridge/unmatched/<int:item_id>/dismiss")
@auth_required(Role.admin)
@doc(summary="Dismiss a held statement", tags=BRIDGE, body=DismissSchema, response=UnmatchedSchema)
def dismiss_unmatched(item_id: int) -> ResponseReturnValue:
    data = load(DismissSchema())
    row = review.dismiss(unmatched.get_unmatched(item_id), reason=data["reason"], by=current())
    db.session.commit()
    return jsonify(unmatched.to_dict(row))


# --- identities -------------------------------------------------------------------------------


@bp.get("/bridge/identities")
@auth_required(Role.admin)
@doc(
    summary="A learner's xAPI identities",
    tags=BRIDGE,
    query=IdentityQuerySchema,
    response=IdentitySchema,
    many=True,
)
def list_identities() -> ResponseReturnValue:
    """Including the implicit ones: the LMS account and the user's own email."""
    args = query_args(IdentityQuerySchema())
    return jsonify(identities.identities_of(_user(args["user_id"])))


@bp.post("/bridge/identities")
@auth_required(Role.admin)
@doc(
    summary="Link an xAPI identity to a learner",
    tags=BRIDGE,
    body=IdentityCreateSchema,
    response=IdentitySchema,
    status=201,
    responses={409: "The identity belongs to someone else"},
)
def create_identity() -> ResponseReturnValue:
    data = load(IdentityCreateSchema())
    kind = IdentityKind(data["kind"])
    value = data["value"].strip()
    if kind in (IdentityKind.mbox, IdentityKind.mbox_sha1sum):
        value = value.lower()
    if kind == IdentityKind.mbox and not value.startswith("mailto:"):
        raise Invalid(_("Invalid input."), errors={"value": [_("An mbox starts with mailto:.")]})
    if kind == IdentityKind.account and "|" not in value:
        raise Invalid(_("Invalid input."), errors={"value": [_("Write <homePage>|<name>.")]})
    row = identities.link_identity(
        _user(data["user_id"]),
        identities.Ifi(kind, value),
        source=IdentitySource.linked,
        by=current(),
    )
    db.session.commit()
    body = {"id": row.id, "kind": str(row.kind), "value": row.value, "source": str(row.source)}
    return created(body | {"implicit": False, "platform_id": None}, url_for(".list_identities"))


@bp.delete("/bridge/identities/<int:identity_id>")
@auth_required(Role.admin)
@doc(summary="Unlink an identity", tags=BRIDGE, status=204)
def delete_identity(identity_id: int) -> ResponseReturnValue:
    identities.unlink_identity(identity_id)
    db.session.commit()
    return no_content()


# --- source platforms -------------------------------------------------------------------------


@bp.get("/source-platforms")
@auth_required(Role.admin)
@doc(summary="Source platforms", tags=BRIDGE, response=PlatformSchema, paginated=True)
def list_platforms() -> ResponseReturnValue:
    return paginate(select(SourcePlatform).order_by(SourcePlatform.id), platforms.to_dict)


@bp.post("/source-platforms")
@auth_required(Role.admin)
@doc(
    summary="Register an LRS client as a source platform",
    tags=BRIDGE,
    body=PlatformCreateSchema,
    response=PlatformSchema,
    status=201,
    responses={409: "The client is already a platform"},
)
def create_platform() -> ResponseReturnValue:
    data = load(PlatformCreateSchema())
    by = current()
    # End the read of authentication: the service takes SQLite's write lock before reading.
    db.session.commit()
    platform = platforms.register_platform(
        data["client_id"],
        name=data["name"],
        home_page=data["home_page"],
        courses=data["courses"],
        units=data["units"],
        provision_unknown=data["provision_unknown"],
        default_target_group=data["default_target_group"],
        by=by,
    )
    audit.record(AuditAction.source_platform_created, platform, actor=current(), details=data)
    db.session.commit()
    return created(platforms.to_dict(platform), url_for(".get_platform", platform_id=platform.id))


@bp.get("/source-platforms/<int:platform_id>")
@auth_required(Role.admin)
@doc(summary="A source platform", tags=BRIDGE, response=PlatformSchema)
def get_platform(platform_id: int) -> ResponseReturnValue:
    return jsonify(platforms.to_dict(platforms.get_platform(platform_id)))


@bp.patch("/source-platforms/<int:platform_id>")
@auth_required(Role.admin)
@doc(
    summary="Change a source platform",
    tags=BRIDGE,
    body=PlatformUpdateSchema,
    response=PlatformSchema,
)
def update_platform(platform_id: int) -> ResponseReturnValue:
    data = load(PlatformUpdateSchema())
    platform = platforms.update_platform(platforms.get_platform(platform_id), data)
    audit.record(AuditAction.source_platform_changed, platform, actor=current(), details=data)
    db.session.commit()
    return jsonify(platforms.to_dict(platform))


@bp.delete("/source-platforms/<int:platform_id>")
@auth_required(Role.admin)
@doc(summary="Stop treating an LRS client as a source platform", tags=BRIDGE, status=204)
def delete_platform(platform_id: int) -> ResponseReturnValue:
    platform = platforms.get_platform(platform_id)
    audit.record(AuditAction.source_platform_deleted, platform, actor=current())
    platforms.delete_platform(platform)
    db.session.commit()
    return no_content()


# --- course activity IRIs ---------------------------------------------------------------------


@bp.put("/courses/<slug>/activity-iris")
@auth_required(Role.admin)
@doc(
    summary="Set the course's activity IRIs on other platforms",
    tags=BRIDGE,
    body=ActivityIrisSchema,
    response=ActivityIrisOutSchema,
)
def put_activity_iris(slug: str) -> ResponseReturnValue:
    """Statements about these IRIs count toward the course. A package re-import resets them."""
    data = load(ActivityIrisSchema())
    course = mappings.set_external_iris(get_course(slug), data["iris"], by=current())
    db.session.commit()
    return jsonify(ActivityIrisOutSchema().dump(course))


# --- results files ----------------------------------------------------------------------------


def _flag(value: str | None) -> bool | None:
    if value is None or value == "":
        return None
    return value.strip().lower() in {"1", "true", "yes", "on"}


@bp.post("/bridge/imports")
@auth_required(Role.admin)
@doc(
    summary="Upload completion results (CSV or XLSX)",
    tags=BRIDGE,
    content_type="multipart/form-data",
    response=ImportSchema,
    status=201,
    responses={
        400: UNREADABLE,
        422: "Row errors: `errors` maps rows.<n>.<column> to messages; nothing written",
    },
)
def upload_results() -> ResponseReturnValue:
    """Form fields ``file``, optional ``platform_id`` and ``provision``. A valid file is kept
    as ``previewed`` (201) and writes nothing until ``POST …/accept``; ``?dry_run=true``, from
    when the upload accepted at once, answers the same preview with 200."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise BadRequest(_("Send the file in the form field 'file'."))
    raw_platform = request.form.get("platform_id") or None
    platform_id = whole_number(raw_platform, 0, 1, INT32[1]) if raw_platform else None
    if platform_id == 0:
        raise Invalid(_("Invalid input."), errors={"platform_id": [_("Must be a whole number.")]})
    dry_run = bool(_flag(request.args.get("dry_run")))
    record, rows = imports.preview(
        upload.read(),
        upload.filename,
        platform_id=platform_id,
        provision=_flag(request.form.get("provision")),
        by=current(),
    )
    db.session.commit()
    body = imports.to_dict(record, rows)
    if dry_run:
        return jsonify(body)
    return created(body, url_for(".get_results", import_id=record.id))


@bp.get("/bridge/imports")
@auth_required(Role.admin)
@doc(summary="Uploaded results files", tags=BRIDGE, response=ImportSchema, paginated=True)
def list_results() -> ResponseReturnValue:
    return paginate(imports.import_query(), imports.to_dict)


@bp.get("/bridge/imports/<int:import_id>")
@auth_required(Role.admin)
@doc(summary="An uploaded results file", tags=BRIDGE, response=ImportSchema)
def get_results(import_id: int) -> ResponseReturnValue:
    return jsonify(imports.to_dict(imports.get_import(import_id)))


@bp.post("/bridge/imports/<int:import_id>/accept")
@auth_required(Role.admin)
@doc(summary="Accept a previewed results file", tags=BRIDGE, response=ImportSchema)
def accept_results(import_id: int) -> ResponseReturnValue:
    record = imports.accept(imports.get_import(import_id), by=current())
    db.session.commit()
    _stored()
    return jsonify(imports.to_dict(record))


@bp.post("/bridge/imports/<int:import_id>/reject")
@auth_required(Role.admin)
@doc(summary="Reject a previewed results file", tags=BRIDGE, response=ImportSchema)
def reject_results(import_id: int) -> ResponseReturnValue:
    record = imports.reject(imports.get_import(import_id), by=current())
    db.session.commit()
    return jsonify(imports.to_dict(record))


# --- cmi5 ---------------------------------------------------------------------------------------


@bp.post("/cmi5/import")
@auth_required(Role.admin)
@doc(
    summary="Import a cmi5 course (cmi5.xml or a zip)",
    tags=CMI5,
    content_type="multipart/form-data",
    response=Cmi5ImportSchema,
    status=201,
    responses={
        409: "The slug is taken by another course",
        422: "The course structure has errors: `errors` maps file:line to messages",
    },
)
def import_cmi5() -> ResponseReturnValue:
    """Form fields ``file`` and optional ``slug``, ``target_groups`` (repeatable), ``open``,
    ``certificate``, ``hours``. Re-importing the same course id updates it."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise BadRequest(_("Send cmi5.xml or a .zip in the form field 'file'."))
    hours = request.form.get("hours") or "1"
    try:
        hours_value = float(hours)
    except ValueError:
        raise Invalid(_("Invalid input."), errors={"hours": [_("Must be a number.")]}) from None
    result = cmi5_package.import_cmi5(
        upload.read(),
        upload.filename,
        slug=request.form.get("slug") or None,
        target_groups=request.form.getlist("target_groups") or None,
        open_=_flag(request.form.get("open")) is not False,
        certificate=_flag(request.form.get("certificate")) is not False,
        hours=hours_value,
        by=current(),
    )
    db.session.commit()
    response = jsonify(Cmi5ImportSchema().dump(result))
    response.status_code = 201 if result["status"] == "created" else 200
    return response


@bp.get("/cmi5/courses/<slug>/aus")
@auth_required()
@doc(
    summary="The AUs of a cmi5 course, with your progress", tags=CMI5, response=AuSchema, many=True
)
def list_aus(slug: str) -> ResponseReturnValue:
    course = get_course(slug)
    enrollment = enrollment_for(current(), course)
    items = cmi5_runtime.progress(course, enrollment)
    if not items:
        raise NotFound(_("This course has no cmi5 units."))
    return jsonify([_au(item) for item in items])


def _au(item: dict[str, Any]) -> dict[str, Any]:
    au, state = item["au"], item["state"]
    return {
        **AuSchema(only=AU_FIELDS).dump(au),
        "satisfied": item["satisfied"],
        "completed": bool(state and state.completed_at),
        "passed": bool(state and state.passed_at),
        "waived": bool(state and state.waived_at),
    }


AU_FIELDS = (
    "id", "title", "title_en", "activity_id", "publisher_id", "move_on", "mastery_score",
    "launch_method",
)  # fmt: skip


@bp.post("/cmi5/aus/<int:au_id>/waive")
@auth_required(Role.admin)
@doc(
    summary="Waive an AU for a learner",
    tags=CMI5,
    body=WaiveSchema,
    status=201,
    produces={
        "application/json": {
            "type": "object",
            "properties": {"statement_id": {"type": "string", "format": "uuid"}},
        }
    },
)
def waive_au(au_id: int) -> ResponseReturnValue:
    """Writes ``waived`` (with the reason) and the ``satisfied`` statements it leads to."""
    data = load(WaiveSchema())
    au = cmi5_launch.get_au(au_id)
    statement_id = cmi5_runtime.waive(
        au, _user(data["user_id"]), reason=data["reason"], by=current()
    )
    db.session.commit()
    response = jsonify({"statement_id": statement_id})
    response.status_code = 201
    return response
