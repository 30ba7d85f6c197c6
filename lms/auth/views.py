"""Login, logout and sign-up pages, and the people page of officials (list and CSV import)."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from lms import ratelimit
from lms.auth import access, importer, services, sso
from lms.auth.login import SESSION_KEY
from lms.auth.models import Role, User
from lms.auth.permissions import current
from lms.auth.redirects import safe_next
from lms.constants import (
    IMPORT_COLUMN_LABELS,
    ROLE_LABELS,
    TARGET_GROUP_LABELS,
    TargetGroup,
    label,
)
from lms.errors import DomainError, Forbidden, Invalid, NotFound, TooManyRequests, Unauthorized
from lms.extensions import db
from lms.formatting import number
from lms.http import page_args
from lms.jobs.models import Job
from lms.messages import services as messages
from lms.org.services import get_unit
from lms.tabular import Unreadable

bp = Blueprint("auth_views", __name__)

#: Sign-ups allowed per remote address and minute: enough for a community team's table of
#: helpers signing up neighbours, too few for a script.
REGISTRATIONS_PER_MINUTE = 20


def _start_session(user: User) -> None:
    """Log ``user`` in on a fresh session (no fixation), keeping the chosen language."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    session[SESSION_KEY] = services.start_session(user)
    login_user(user)


def _landing() -> str:
    if "learner_views.catalog" in current_app.view_functions:
        return url_for("learner_views.catalog")
    return url_for("web.home")


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    next_url = safe_next(request.values.get("next"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(next_url or url_for("web.home"))
    error, status = None, 200
    typed = ""
    if request.method == "POST":
        typed = request.form.get("login", "").strip()
        try:
            user = services.authenticate(
                typed, request.form.get("password", ""), address=request.remote_addr
            )
        except TooManyRequests as exc:
            error, status = exc.message, 429
        except Unauthorized as exc:
            error, status = exc.message, 200
        else:
            _start_session(user)
            db.session.commit()
            return redirect(next_url or url_for("web.home"))
    html = render_template(
        "auth/login.html", error=error, typed=typed, next=next_url, sso_providers=sso.providers()
    )
    response = current_app.make_response((html, status))
    if status == 429:
        response.headers["Retry-After"] = "60"
    return response


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    services.end_session(session.get(SESSION_KEY))
    db.session.commit()
    logout_user()
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("You have logged out."), "success")
    return redirect(url_for("web.home"))


@bp.route("/register", methods=["GET", "POST"])
def register() -> ResponseReturnValue:
    """Sign-up for citizens (journey 1): a learner in the target group ``citizen``."""
    next_url = safe_next(request.values.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or _landing())
    errors: dict[str, list[str]] = {}
    form = request.form
    status = 200
    if request.method == "POST":
        try:
            user = _register(form)
        except DomainError as exc:
            errors = exc.errors or {"_form": [exc.message]}
            status = exc.status_code
        else:
            sent = access.send_email_confirmation(user)
            _start_session(user)
            db.session.commit()
            sent = access.dispatch_confirmation() and sent
            flash(_("Welcome, %(name)s! Your account is ready.", name=user.full_name), "success")
            if sent:
                flash(_confirmation_sent(user), "success")
            return redirect(next_url or _landing())
    return render_template(
        "auth/register.html",
        errors=errors,
        form=form,
        next=next_url,
        communes=services.current_communes(),
    ), status


def _confirmation_sent(user: User) -> str:
    return _(
        "We have sent a link to %(email)s: open it to confirm that the address is yours.",
        email=user.email,
    )


def _register(form: Any) -> User:
    address = request.remote_addr or "-"
    if ratelimit.store().hit(f"register:addr:{address}", 60) > REGISTRATIONS_PER_MINUTE:
        raise TooManyRequests(_("Too many sign-ups from this address. Wait a minute."))
    errors: dict[str, list[str]] = {}
    password = form.get("password", "")
    if password != form.get("password2", ""):
        errors["password2"] = [_("The two passwords differ.")]
    problems = services.password_problems(password)
    if problems:
        errors["password"] = problems
    if not form.get("full_name", "").strip():
        errors["full_name"] = [_("Enter your full name.")]
    if not form.get("consent"):
        errors.update(services.consent_missing())
    unit = None
    if form.get("unit"):
        try:
            unit = get_unit(form["unit"])
        except NotFound:
            errors["unit"] = [_("Choose a current ward or commune.")]
    if errors:
        raise Invalid(_("Please correct the marked fields."), errors=errors)
    return services.register_citizen(
        login=form.get("login", ""),
        full_name=form["full_name"],
        password=password,
        unit=unit,
        consent=bool(form.get("consent")),
    )


@bp.get("/privacy")
def privacy() -> ResponseReturnValue:
    """The privacy notice a person agrees to at sign-up and at activation."""
    return render_template(
        "auth/privacy.html",
        version=services.PRIVACY_NOTICE_VERSION,
        retention_days=current_app.config["UNACTIVATED_RETENTION_DAYS"],
    )


@bp.route("/consent", methods=["GET", "POST"])
def consent() -> ResponseReturnValue:
    """Agreeing to the privacy notice, for someone signed in who has not (a first sign-in
    through single sign-on, or a new version of the notice)."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
    user = current()
    next_url = safe_next(request.values.get("next")) or _landing()
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        if request.form.get("consent"):
            services.record_consent(user)
            db.session.commit()
            return redirect(next_url)
        errors = services.consent_missing()
    return render_template("auth/consent.html", errors=errors, next=next_url, form=request.form), (
        422 if errors else 200
    )


# --- the people page of officials ----------------------------------------------------------


def _manager() -> User:
    user = current()
    if not user.has_role(Role.admin, Role.official):
        raise Forbidden(_("You do not have permission to do this."))
    return user


@bp.get("/users")
def users() -> ResponseReturnValue:
    """People in the official's area, searchable, with the CSV import form."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
    return _users_page(_manager())


def _users_page(
    actor: User, *, import_error: DomainError | None = None, status: int = 200
) -> ResponseReturnValue:
    q = request.args.get("q", "").strip()
    group = request.args.get("target_group") or None
    if group not in TargetGroup.__members__:
        group = None
    page, per_page = page_args(25)
    stmt = services.users_query(actor, q=q or None, target_group=group)
    total = db.session.scalar(
        db.select(db.func.count()).select_from(stmt.order_by(None).subquery())
    )
    people = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return render_template(
        "auth/users.html",
        people=people,
        q=q,
        group=group,
        groups=[(g.value, label(TARGET_GROUP_LABELS, g.value)) for g in TargetGroup],
        group_label=lambda code: label(TARGET_GROUP_LABELS, code),
        role_label=lambda code: label(ROLE_LABELS, str(code)),
        column_label=lambda code: label(IMPORT_COLUMN_LABELS, code),
        page=page,
        per_page=per_page,
        total=total or 0,
        import_error=import_error,
        import_lines=importer.errors_by_line(import_error) if import_error else [],
        columns=importer.COLUMNS,
    ), status


@bp.post("/users/import")
def users_import() -> ResponseReturnValue:
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
    actor = _manager()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        error = Invalid(_("Choose a CSV file to upload."))
        return _users_page(actor, import_error=error, status=422)
    class_code = request.form.get("class_code", "").strip() or None
    try:
        result = importer.import_users(
            upload.read(),
            by=actor,
            invite=request.form.get("invite") or None,
            class_code=class_code,
        )
    except (DomainError, Unreadable) as exc:
        db.session.rollback()
        return _users_page(actor, import_error=exc, status=exc.status_code)
    if isinstance(result, Job):
        flash(_("The import runs in the background (job %(id)s).", id=result.id), "success")
    else:
        db.session.commit()
        messages.dispatch()
        if class_code:
            flash(
                _(
                    "%(n)s people were imported and enrolled in class %(code)s.",
                    n=result,
                    code=class_code,
                ),
                "success",
            )
        else:
            flash(_("%(n)s people were imported.", n=number(result)), "success")
        if not request.form.get("invite"):
            flash(_("They have no password yet: give them a way in here."), "success")
            return redirect(url_for("access_views.people_access"))
    return redirect(url_for("auth_views.users"))
