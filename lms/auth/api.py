"""JSON API of the auth domain under /api/v1: tokens, the current user, users and imports."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.exceptions import UnsupportedMediaType

from lms.auth import access, importer, permissions, services
from lms.auth.login import bearer_token
from lms.auth.models import Role
from lms.auth.permissions import auth_required, current
from lms.auth.schemas import (
    ApiTokenRequestSchema,
    ApiTokenSchema,
    InvitationCreateSchema,
    InvitationSchema,
    UserCreateSchema,
    UserImportQuerySchema,
    UserImportResultSchema,
    UserQuerySchema,
    UserSchema,
    UserUpdateSchema,
    dump_user,
)
from lms.errors import BadRequest, Invalid, NotFound
from lms.extensions import db
from lms.http import created, load, no_content, paginate, query_args
from lms.jobs.models import Job
from lms.jobs.schemas import JobSchema
from lms.messages import services as messages
from lms.openapi import doc
from lms.org.models import Unit
from lms.org.services import get_unit
from lms.tabular import UNREADABLE

bp = Blueprint("auth", __name__, url_prefix="/api/v1")

MANAGERS = (Role.admin, Role.official)


@bp.after_request
def _retry_after(response: Response) -> Response:
    """Tell a locked-out client when to try again (the failure window is one minute)."""
    if response.status_code == 429:
        response.headers.setdefault("Retry-After", "60")
    return response


@bp.post("/auth/tokens")
@doc(
    summary="Get an API token with an email (or phone) and password",
    tags=["auth"],
    body=ApiTokenRequestSchema,
    response=ApiTokenSchema,
    status=201,
    public=True,
    responses={401: "Wrong login or password", 429: "Too many failed logins; wait a minute"},
)
def create_token() -> ResponseReturnValue:
    """Send the token as ``Authorization: Bearer <token>``; it expires at ``expires_at``."""
    data = load(ApiTokenRequestSchema())
    user = services.authenticate(
        data["email"] or data["login"], data["password"], address=request.remote_addr
    )
    token, row = services.create_token(user, name=data["name"])
    db.session.commit()
    body = ApiTokenSchema().dump({"token": token, "expires_at": row.expires_at})
    return created(body, url_for("auth.revoke_current_token"))


create_token._csrf_exempt = True  # type: ignore[attr-defined]


@bp.delete("/auth/tokens/current")
@auth_required()
@doc(summary="Revoke the bearer token of this request", tags=["auth"], status=204)
def revoke_current_token() -> ResponseReturnValue:
    token = bearer_token(request)
    row = services.find_token(token) if token else None
    if row is None:
        raise BadRequest(_("This request was not made with a bearer token."))
    services.revoke_token(row)
    db.session.commit()
    return no_content()


@bp.get("/me")
@auth_required()
@doc(summary="The authenticated user", tags=["auth"], response=UserSchema)
def me() -> ResponseReturnValue:
    return jsonify(dump_user(current()))


@bp.get("/users")
@auth_required(*MANAGERS)
@doc(
    summary="People you manage (officials: their unit's subtree)",
    description="In Vietnamese alphabetical order of the given name, then the whole name.",
    tags=["users"],
    query=UserQuerySchema,
    response=UserSchema,
    paginated=True,
)
def list_users() -> ResponseReturnValue:
    args = query_args(UserQuerySchema())
    stmt = services.users_query(
        current(),
        unit=_unit(args.get("unit"), "unit"),
        target_group=args.get("target_group"),
        role=args.get("role"),
        q=args.get("q"),
    )
    return paginate(stmt, dump_user)


@bp.post("/users")
@auth_required(*MANAGERS)
@doc(
    summary="Create a user",
    tags=["users"],
    body=UserCreateSchema,
    response=UserSchema,
    status=201,
    responses={409: "Email or phone number already used"},
)
def create_user() -> ResponseReturnValue:
    data = load(UserCreateSchema())
    user = services.create_user(
        email=data["email"],
        phone=data["phone"],
        full_name=data["full_name"],
        unit=_unit(data["unit_code"]),
        target_group=data["target_group"],
        roles=data["roles"],
        password=data["password"],
        locale=data["locale"],
        active=data["active"],
        birth_date=data["birth_date"],
        by=current(),
    )
    db.session.commit()
    return created(dump_user(user), url_for("auth.get_user", user_id=user.id))


@bp.get("/users/<int:user_id>")
@auth_required()
@doc(
    summary="One user (yourself, or someone you manage)",
    tags=["users"],
    response=UserSchema,
    responses={404: "No such user in your area"},
)
def get_user(user_id: int) -> ResponseReturnValue:
    return jsonify(dump_user(services.get_user(user_id, actor=current())))


@bp.patch("/users/<int:user_id>")
@auth_required()
@doc(
    summary="Change a user (yourself: name, date of birth, contacts and language only)",
    tags=["users"],
    body=UserUpdateSchema,
    response=UserSchema,
    responses={404: "No such user in your area", 409: "Email or phone number already used"},
)
def update_user(user_id: int) -> ResponseReturnValue:
    actor = current()
    user = services.get_user(user_id, actor=actor)
    changes = load(UserUpdateSchema())
    if "unit_code" in changes:
        changes["unit"] = _unit(changes.pop("unit_code"))
    services.update_user(user, changes, by=actor)
    if user.id == actor.id and "email" in changes:
        access.send_email_confirmation(user)  # a new address of one's own waits for it
    db.session.commit()
    access.dispatch_confirmation()
    return jsonify(dump_user(user))


@bp.post("/users/<int:user_id>/invitation")
@auth_required(*MANAGERS)
@doc(
    summary="Give someone you manage a one-time activation code (e-mail, SMS or sheet)",
    tags=["users"],
    body=InvitationCreateSchema,
    response=InvitationSchema,
    status=201,
    responses={
        404: "No such user in your area",
        409: "Already activated, or the account is disabled",
        422: "No e-mail address or phone number for that channel",
    },
)
def invite_user(user_id: int) -> ResponseReturnValue:
    """Replaces the person's earlier codes. E-mail and SMS are sent in the background; their
    state is ``message_status`` here and on the invitations page."""
    actor = current()
    user = services.get_user(user_id, actor=actor)
    permissions.ensure_can_manage_user(actor, user)
    data = load(InvitationCreateSchema())
    issued = access.issue_invitation(user, data["channel"], by=actor)
    db.session.commit()
    messages.dispatch()
    if issued.message is not None:
        db.session.refresh(issued.message)
    body = InvitationSchema().dump(
        {
            "user_id": user.id,
            "channel": data["channel"],
            "expires_at": issued.row.expires_at,
            "code": issued.code if data["channel"] == "sheet" else None,
            "message_status": issued.message.status.value if issued.message else None,
        }
    )
    return created(body, url_for("auth.get_user", user_id=user.id))


@bp.post("/users/import")
@auth_required(*MANAGERS)
@doc(
    summary="Import users from CSV, all or nothing",
    tags=["users"],
    content_type="text/csv",
    query=UserImportQuerySchema,
    response=UserImportResultSchema,
    status=201,
    responses={
        202: "Over 500 rows: accepted as a background job (see /api/v1/jobs/{id})",
        400: UNREADABLE,
        415: "Neither text/csv nor multipart/form-data",
        422: "Errors per cell as rows.<line>.<column>; nothing was imported",
    },
)
def import_users() -> ResponseReturnValue:
    """Columns: ``email, phone, full_name, unit_code, target_group, roles`` (UTF-8, header
    first; roles separated by ``;`` or ``|``). Send the file as the body (``text/csv``) or
    as the field ``file`` of a ``multipart/form-data`` form. ``?dry_run=true`` checks the
    file and answers 200 with the rows it would create, writing nothing. ``?invite=email``
    or ``?invite=sms`` sends every new person an activation link or code."""
    args = query_args(UserImportQuerySchema())
    result = importer.import_users(
        _csv_body(), by=current(), dry_run=args["dry_run"], invite=args.get("invite")
    )
    if args["dry_run"]:  # nothing was written; the import lock goes with the request's transaction
        return jsonify({"dry_run": True, "created": 0, "rows": result})
    if isinstance(result, Job):
        response = jsonify(JobSchema().dump(result))
        response.status_code = 202
        response.headers["Location"] = url_for("jobs.get_job", job_id=result.id)
        return response
    db.session.commit()
    messages.dispatch()
    return created({"created": result, "rows": result}, url_for("auth.list_users"))


def _csv_body() -> bytes:
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise Invalid(
                _('Attach the CSV file as the form field "file".'),
                errors={"file": [_("Missing data for required field.")]},
            )
        return upload.read()
    if request.mimetype in {"text/csv", "application/csv", "text/plain"}:
        return request.get_data()
    raise UnsupportedMediaType(
        _('Send the CSV file as text/csv, or as the field "file" of multipart/form-data.')
    )


def _unit(code: str | None, field: str = "unit_code") -> Unit | None:
    """The unit of ``code``; an unknown code is a field error (422), not a missing page."""
    if not code:
        return None
    try:
        return get_unit(code)
    except NotFound as exc:
        raise Invalid(_("Invalid input."), errors={field: [exc.message]}) from exc
