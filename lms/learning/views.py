"""Browser pages and endpoints of the learning domain.

``/learning/imports``: results files (preview, per-cell errors, accept or reject whole).
``/learning/bridge``: the bridge's status and the statements held for review.
``/learning/clients``: LRS keys (the secret shown once) and the source platforms among them.
``/learning/cmi5/<slug>``: a cmi5 course's units with their launch buttons.
``/cmi5/...``: the fetch URL and the AU content (no CSRF: the AU, not a form, calls them).
``/profile/lms146.jsonld``: the xAPI profile.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from sqlalchemy import select

from lms import tabular
from lms.audit import services as audit
from lms.audit.constants import AuditAction
from lms.auth.models import Role
from lms.auth.permissions import current, require_role
from lms.catalog.models import Course
from lms.catalog.services import get_course
from lms.classes.enrollments import enrollment_for
from lms.constants import TARGET_GROUP_LABELS, TargetGroup, label
from lms.edge import INT32, row_id
from lms.errors import DomainError, Invalid
from lms.events import statements_stored
from lms.extensions import db
from lms.http import whole_number
from lms.learning import bridge, platforms, results, unmatched
from lms.learning import imports as uploads
from lms.learning.cmi5 import launch as cmi5_launch
from lms.learning.cmi5 import runtime as cmi5_runtime
from lms.learning.models import Cmi5Course, Cmi5File, UnmatchedReason
from lms.learning.profile import profile_document
from lms.learning.results import COLUMNS
from lms.xapi import clients as lrs_clients
from lms.xapi.constants import DEFAULT_SCOPES, Scope

bp = Blueprint("learning_views", __name__)


def _admin() -> Any:
    user = current()
    require_role(user, Role.admin)
    return user


# --- the xAPI profile --------------------------------------------------------------------------


@bp.get("/profile/lms146.jsonld")
def profile() -> ResponseReturnValue:
    response = Response(
        orjson.dumps(profile_document(), option=orjson.OPT_INDENT_2),
        mimetype="application/ld+json",
    )
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


# --- results files ------------------------------------------------------------------------------


def _imports_page(**context: Any) -> str:
    return render_template(
        "learning/imports.html",
        columns=COLUMNS,
        platforms=platforms.list_platforms(),
        recent=list(db.session.scalars(uploads.import_query().limit(20))),
        **context,
    )


@bp.get("/learning/imports")
@login_required
def imports() -> ResponseReturnValue:
    """Results files (``learning_views.imports`` is in the admin navigation)."""
    _admin()
    return _imports_page(errors={}, rows=[], record=None)


@bp.post("/learning/imports")
@login_required
def upload_imports() -> ResponseReturnValue:
    user = _admin()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Choose a CSV or XLSX file."), "error")
        return redirect(url_for(".imports"))
    platform_id = request.form.get("platform_id") or ""
    data = upload.read()
    try:
        record, _rows = uploads.preview(
            data,
            upload.filename,
            platform_id=whole_number(platform_id, 0, 1, INT32[1]) or None,
            provision=request.form.get("provision") == "1",
            by=user,
        )
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _imports_page(
            errors=exc.errors,
            message=exc.message,
            rows=_raw_rows(data, upload.filename),
            record=None,
        ), exc.status_code
    return redirect(url_for(".import_detail", import_id=record.id))


def _raw_rows(data: bytes, filename: str) -> list[dict[str, Any]]:
    """The file's rows as read, to show the cells an error points at."""
    try:
        return [{"n": r.n, **r.raw} for r in results.parse_rows(tabular.read_table(data, filename))]
    except DomainError:
        return []


@bp.get("/learning/imports/<int:import_id>")
@login_required
def import_detail(import_id: int) -> ResponseReturnValue:
    _admin()
    record = uploads.get_import(import_id)
    rows = uploads.rows_of(record) if record.status == "previewed" else []
    return _imports_page(errors={}, rows=[], record=record, preview=[r.to_dict() for r in rows])


@bp.post("/learning/imports/<int:import_id>/<any(accept, reject):decision>")
@login_required
def decide_import(import_id: int, decision: str) -> ResponseReturnValue:
    user = _admin()
    record = uploads.get_import(import_id)
    try:
        if decision == "accept":
            uploads.accept(record, by=user)
        else:
            uploads.reject(record, by=user)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(
            f"{exc.message} " + " ".join(f"{k}: {' '.join(v)}" for k, v in exc.errors.items()),
            "error",
        )
        return redirect(url_for(".import_detail", import_id=import_id))
    if decision == "accept":
        statements_stored.send(None, count=record.summary.get("statements", 0))
        flash(_("The results were accepted."), "success")
    else:
        flash(_("The file was rejected; nothing was imported."), "success")
    return redirect(url_for(".import_detail", import_id=import_id))


# --- bridge status -------------------------------------------------------------------------------


#: Why a statement is held, in words (the codes stay in the API).
REASONS = {
    UnmatchedReason.unknown_learner: _l("Unknown learner"),
    UnmatchedReason.group_actor: _l("A group, not one learner"),
    UnmatchedReason.account_disabled: _l("Account disabled"),
    UnmatchedReason.provisioning_failed: _l("The learner could not be created"),
    UnmatchedReason.cmi5_session: _l("Outside its cmi5 session"),
    UnmatchedReason.platform_scope: _l("Outside what the platform may report"),
    UnmatchedReason.error: _l("Error"),
}


@bp.get("/learning/bridge")
@login_required
def bridge_page() -> ResponseReturnValue:
    _admin()
    held = list(db.session.scalars(unmatched.unmatched_query(resolved=False).limit(100)))
    return render_template(
        "learning/bridge.html", status=bridge.status(), held=held, reasons=REASONS
    )


# --- LRS clients and source platforms (admins) ---------------------------------------------------

#: What each xAPI scope lets a client do, in words (the code stays beside it: engineers type it).
SCOPE_LABELS = {
    Scope.statements_write: _l("Send statements"),
    Scope.statements_read_mine: _l("Read the statements it sent"),
    Scope.statements_read: _l("Read every statement"),
    Scope.state: _l("Keep state documents"),
    Scope.profile: _l("Keep activity and agent profiles"),
    Scope.define: _l("Define activities"),
    Scope.all_read: _l("Read everything"),
    Scope.all: _l("Everything"),
}


def _clients_page(*, secret: str | None = None, created: Any = None, status: int = 200) -> Any:
    """Clients the administrators made (a cmi5 session's credentials are not listed)."""
    made = [c for c in lrs_clients.list_clients(include_revoked=True) if not c.binding]
    registered = {p.client_id: p for p in platforms.list_platforms()}
    response = Response(
        render_template(
            "learning/clients.html",
            clients=made,
            platforms=registered,
            scopes=SCOPE_LABELS,
            default_scopes={str(s) for s in DEFAULT_SCOPES},
            courses=list(db.session.scalars(select(Course).order_by(Course.slug))),
            groups=[(g.value, label(TARGET_GROUP_LABELS, g.value)) for g in TargetGroup],
            secret=secret,
            created=created,
            endpoint=lrs_clients.endpoint(),
        ),
        status=status,
    )
    # The page may hold a secret shown once: never kept by a cache or the back button.
    response.headers["Cache-Control"] = "no-store"
    return response


def _write_first() -> None:
    """End the transaction that loading the user read in, then take the clients' lock
    before reading anything else (SQLite: a write must not start from an older snapshot)."""
    db.session.commit()
    lrs_clients.lock_clients()


def _refused(exc: DomainError) -> ResponseReturnValue:
    db.session.rollback()
    details = " ".join(" ".join(str(m) for m in v) for v in exc.errors.values())
    flash(f"{exc.message} {details}".strip(), "error")
    return redirect(url_for(".clients"))


def _codes(text: str) -> list[str]:
    """Unit codes typed one per line or separated by commas or spaces."""
    return [c for c in re.split(r"[\s,;]+", text) if c]


@bp.get("/learning/clients")
@login_required
def clients() -> ResponseReturnValue:
    """LRS keys and the source platforms among them (in the admin navigation)."""
    _admin()
    return _clients_page()


@bp.post("/learning/clients")
@login_required
def create_client() -> ResponseReturnValue:
    """The secret is on this response only: it is stored hashed and cannot be shown again."""
    user = _admin()
    try:
        _write_first()
        client, secret = lrs_clients.create_client(
            request.form.get("name", ""), scopes=request.form.getlist("scopes"), by=user
        )
        audit.record(
            AuditAction.lrs_client_created, client, actor=user, details=lrs_clients.shown(client)
        )
        db.session.commit()
    except DomainError as exc:
        return _refused(exc)
    return _clients_page(secret=secret, created=client, status=201)


@bp.post("/learning/clients/<int:client_id>")
@login_required
def change_client(client_id: int) -> ResponseReturnValue:
    user = _admin()
    try:
        _write_first()
        name, scopes = request.form.get("name", ""), request.form.getlist("scopes")
        if not scopes:
            raise Invalid(_("Choose at least one permission."))
        client = lrs_clients.get_client(client_id)
        client = lrs_clients.update_client(client, name=name, scopes=scopes)
        details = {"name": name, "scopes": scopes}
        audit.record(AuditAction.lrs_client_changed, client, actor=user, details=details)
        db.session.commit()
    except DomainError as exc:
        return _refused(exc)
    flash(_("The LRS client %(name)s was saved.", name=client.name), "success")
    return redirect(url_for(".clients"))


@bp.post("/learning/clients/<int:client_id>/revoke")
@login_required
def revoke_client(client_id: int) -> ResponseReturnValue:
    """Its key stops working at once; what it sent stays."""
    user = _admin()
    try:
        client = lrs_clients.revoke_client(lrs_clients.get_client(client_id))
        audit.record(AuditAction.lrs_client_revoked, client, actor=user)
        db.session.commit()
    except DomainError as exc:
        return _refused(exc)
    flash(_("The key of %(name)s no longer works.", name=client.name), "success")
    return redirect(url_for(".clients"))


def _platform_form() -> dict[str, Any]:
    return {
        "name": request.form.get("name", "").strip(),
        "home_page": request.form.get("home_page", "").strip(),
        "courses": request.form.getlist("courses"),
        "units": _codes(request.form.get("units", "")),
        "provision_unknown": request.form.get("provision_unknown") == "1",
        "default_target_group": request.form.get("default_target_group") or None,
    }


@bp.post("/learning/platforms")
@login_required
def register_platform() -> ResponseReturnValue:
    user = _admin()
    client_id = request.form.get("client_id", "")
    data = _platform_form()
    try:
        db.session.commit()  # the service takes SQLite's write lock before reading
        platform = platforms.register_platform(row_id(client_id) or 0, **data, by=user)
        details = {"client_id": platform.client_id, **data}
        audit.record(AuditAction.source_platform_created, platform, actor=user, details=details)
        db.session.commit()
    except DomainError as exc:
        return _refused(exc)
    flash(_("%(name)s is now a source platform.", name=platform.name), "success")
    return redirect(url_for(".clients"))


@bp.post("/learning/platforms/<int:platform_id>")
@login_required
def change_platform(platform_id: int) -> ResponseReturnValue:
    user = _admin()
    data = _platform_form() | {"active": request.form.get("active") == "1"}
    try:
        platform = platforms.update_platform(platforms.get_platform(platform_id), data)
        audit.record(AuditAction.source_platform_changed, platform, actor=user, details=data)
        db.session.commit()
    except DomainError as exc:
        return _refused(exc)
    flash(_("The source platform %(name)s was saved.", name=platform.name), "success")
    return redirect(url_for(".clients"))


# --- cmi5: the learner's page ---------------------------------------------------------------------


@bp.get("/learning/cmi5/<slug>")
@login_required
def cmi5_course(slug: str) -> ResponseReturnValue:
    course = get_course(slug)
    if db.session.scalar(select(Cmi5Course.id).where(Cmi5Course.course_id == course.id)) is None:
        abort(404)
    enrollment = enrollment_for(current(), course)
    satisfied = enrollment is not None and cmi5_runtime.course_satisfied(
        course, enrollment.registration
    )
    return render_template(
        "learning/cmi5_course.html",
        course=course,
        enrollment=enrollment,
        items=cmi5_runtime.progress(course, enrollment),
        satisfied=satisfied,
    )


@bp.post("/learning/cmi5/aus/<int:au_id>/launch")
@login_required
def cmi5_launch_au(au_id: int) -> ResponseReturnValue:
    user = current()
    au = cmi5_launch.get_au(au_id)
    course_slug = cmi5_course_slug(au.course_id)
    try:
        cmi5_launch.ensure_launchable(au, user)
        root = request.url_root.rstrip("/")
        url, _session = cmi5_launch.launch(
            au,
            user,
            endpoint=f"{root}/xapi/",
            fetch_base=f"{root}/cmi5/fetch",
            content_base=f"{root}/cmi5/content/{au.course_id}",
            return_url=url_for(".cmi5_course", slug=course_slug, _external=True),
        )
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for(".cmi5_course", slug=course_slug))
    statements_stored.send(None, count=1)
    return redirect(url)


def cmi5_course_slug(course_id: int) -> str:
    course = db.session.get(Course, course_id)
    if course is None:
        abort(404)
    return course.slug


# --- cmi5: called by the AU -----------------------------------------------------------------------


def _cors(response: Response) -> Response:
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Methods"] = "POST, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = "Content-Type"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/cmi5/fetch/<token>", methods=["POST", "OPTIONS"])
def cmi5_fetch(token: str) -> ResponseReturnValue:
    """cmi5 8.2: 200 with the auth-token once; 200 with error-code/error-text after that."""
    if request.method == "OPTIONS":
        return _cors(Response(status=204))
    body = cmi5_launch.fetch(token)
    db.session.commit()
    return _cors(Response(orjson.dumps(body), status=200, mimetype="application/json"))


@bp.get("/cmi5/content/<int:course_id>/<path:path>")
def cmi5_content(course_id: int, path: str) -> ResponseReturnValue:
    """An AU's files, in a sandbox: AU scripts get an opaque origin, not the LMS session."""
    item = db.session.scalar(
        select(Cmi5File).where(Cmi5File.course_id == course_id, Cmi5File.path == path)
    )
    if item is None:
        abort(404)
    response = Response(item.data, mimetype=item.content_type.split(";")[0])
    if ";" in item.content_type:
        response.headers["Content-Type"] = item.content_type
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = (
        "sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads"
    )
    response.headers["Cache-Control"] = "public, max-age=300"
    response.set_etag(item.sha256)
    return response.make_conditional(request)
