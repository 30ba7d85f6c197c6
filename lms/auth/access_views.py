"""Pages to get in: ``/activate`` (a code from an invitation), ``/forgot`` and ``/reset``
(a forgotten password), and the officials' invitations page ``/users/access``."""

from __future__ import annotations

from typing import cast

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lms.auth import access, handout, services
from lms.auth.models import CodeChannel, CodePurpose, Role, User
from lms.auth.permissions import can_manage_user, current
from lms.auth.views import _landing, _start_session
from lms.edge import row_id
from lms.errors import DomainError, Forbidden, Invalid, TooManyRequests
from lms.extensions import db
from lms.http import page_args
from lms.messages import services as messages

bp = Blueprint("access_views", __name__)


def _learning() -> str:
    """Where a person lands once they have a password: their courses (an invited person is
    enrolled already)."""
    if "learner_views.my_learning" in current_app.view_functions:
        return url_for("learner_views.my_learning")
    return _landing()


def _render(template: str, status: int = 200, **context: object) -> ResponseReturnValue:
    response = current_app.make_response((render_template(template, **context), status))
    if status == 429:
        response.headers["Retry-After"] = "60"
    return response


# --- activation ------------------------------------------------------------------------------


@bp.route("/activate", methods=["GET", "POST"])
def activate() -> ResponseReturnValue:
    """A person with a code from a slip, an SMS or an e-mail link chooses a password."""
    code = (request.values.get("code") or "").strip()
    errors: dict[str, list[str]] = {}
    status = 200
    person = None
    if request.method == "POST" and "password" in request.form:
        try:
            if request.form.get("password") != request.form.get("password2"):
                message = _("The two passwords differ.")
                raise Invalid(message, errors={"password2": [message]})
            holder = access.find_code(code, CodePurpose.activation)
            consent = bool(request.form.get("consent"))
            if holder is not None and services.needs_consent(holder.user) and not consent:
                raise Invalid(_("Invalid input."), errors=services.consent_missing())
            user = access.redeem(
                code,
                request.form.get("password", ""),
                purpose=CodePurpose.activation,
                address=request.remote_addr,
            )
            if consent:
                services.record_consent(user)
        except DomainError as exc:
            db.session.rollback()
            errors, status = exc.errors or {"code": [exc.message]}, exc.status_code
        else:
            _start_session(user)
            db.session.commit()
            flash(_("Welcome, %(name)s! Your password is set.", name=user.full_name), "success")
            return redirect(_learning())
    if code and "code" not in errors:
        try:
            person = access.check_code(code, CodePurpose.activation, address=request.remote_addr)
        except DomainError as exc:
            errors, status = exc.errors or {"code": [exc.message]}, exc.status_code
    return _render(
        "auth/activate.html",
        status,
        privacy_version=services.PRIVACY_NOTICE_VERSION,
        code=code,
        person=person.user if person else None,
        errors=errors,
    )


# --- forgotten passwords ---------------------------------------------------------------------


@bp.route("/forgot", methods=["GET", "POST"])
def forgot() -> ResponseReturnValue:
    """Ask for a reset link or code; the answer is the same whether or not the account exists."""
    typed = (request.form.get("login") or "").strip()
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            access.request_reset(typed, address=request.remote_addr)
        except TooManyRequests as exc:
            db.session.rollback()
            return _render("auth/forgot.html", 429, typed=typed, errors={"login": [exc.message]})
        except Invalid as exc:
            errors = exc.errors
        else:
            db.session.commit()
            messages.dispatch()
            flash(
                _(
                    "If an account uses %(login)s, we have sent it a link (e-mail) or a code "
                    "(SMS). It is valid for %(n)s minutes.",
                    login=typed,
                    n=current_app.config["RESET_TTL_MINUTES"],
                ),
                "success",
            )
            return redirect(url_for(".reset", login=typed))
    return _render("auth/forgot.html", 422 if errors else 200, typed=typed, errors=errors)


@bp.route("/reset", methods=["GET", "POST"])
def reset() -> ResponseReturnValue:
    """Type the SMS code (with the phone number) or follow the e-mail link, then a password."""
    code = (request.values.get("code") or "").strip()
    login = (request.values.get("login") or "").strip()
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        try:
            if request.form.get("password") != request.form.get("password2"):
                message = _("The two passwords differ.")
                raise Invalid(message, errors={"password2": [message]})
            short = len(access.canonical(code)) <= access.RESET_CODE_DIGITS
            user = access.redeem(
                code,
                request.form.get("password", ""),
                purpose=CodePurpose.reset,
                login=login if short else None,
                address=request.remote_addr,
            )
        except DomainError as exc:
            db.session.commit()  # keeps the count of wrong codes, nothing else was written
            errors, status = exc.errors or {"code": [exc.message]}, exc.status_code
        else:
            _start_session(user)
            db.session.commit()
            flash(_("Your new password is set."), "success")
            return redirect(_learning())
    link = len(code) > 2 * access.SHEET_CODE_LENGTH
    return _render("auth/reset.html", status, code=code, login=login, link=link, errors=errors)


# --- confirming an e-mail address ------------------------------------------------------------


@bp.route("/confirm-email", methods=["GET", "POST"])
def confirm_email() -> ResponseReturnValue:
    """The link of a confirmation message: a button (a mail scanner that fetches the link
    confirms nothing), then the address counts as the person's."""
    code = (request.values.get("code") or "").strip()
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        try:
            access.confirm_email(code, address=request.remote_addr)
        except DomainError as exc:
            db.session.rollback()
            errors, status = exc.errors or {"code": [exc.message]}, exc.status_code
        else:
            db.session.commit()
            flash(_("Thank you: your e-mail address is confirmed."), "success")
            if current_user.is_authenticated:
                return redirect(url_for("privacy_views.my_data"))
            return redirect(url_for("auth_views.login"))
    return _render("auth/confirm_email.html", status, code=code, errors=errors)


@bp.post("/me/email/confirmation")
def resend_confirmation() -> ResponseReturnValue:
    """Send the signed-in person a new link to confirm their e-mail address."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
    user = current()
    if user.email_verified or not user.email:
        flash(_("Your e-mail address is confirmed already."), "success")
    elif access.send_email_confirmation(user):
        db.session.commit()
        if not access.dispatch_confirmation():
            flash(_("The link could not be sent right now. Try again shortly."), "error")
            return redirect(url_for("privacy_views.my_data"))
        flash(
            _(
                "We have sent a link to %(email)s: open it to confirm that the address is yours.",
                email=user.email,
            ),
            "success",
        )
    else:
        db.session.rollback()
        flash(_("Too many requests. Try again in an hour."), "error")
    return redirect(url_for("privacy_views.my_data"))


# --- the invitations page --------------------------------------------------------------------

STATES = ("pending", "activated", "all")


def _manager() -> User:
    user = current()
    if not user.has_role(Role.admin, Role.official):
        raise Forbidden(_("You do not have permission to do this."))
    return user


@bp.get("/users/access")
def people_access() -> ResponseReturnValue:
    """Who has activated their account and who has not; invite them or print their codes."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
    actor = _manager()
    state = request.args.get("state") if request.args.get("state") in STATES else "pending"
    q = (request.args.get("q") or "").strip()
    stmt = services.users_query(actor, q=q or None)
    if state == "pending":
        stmt = stmt.where(~access.has_way_in(), User.active.is_(True))
    elif state == "activated":
        stmt = stmt.where(access.has_way_in())
    page, per_page = page_args(100)
    total = db.session.scalar(
        db.select(db.func.count()).select_from(stmt.order_by(None).subquery())
    )
    people = cast(
        "list[User]", list(db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)))
    )
    return render_template(
        "auth/access.html",
        rows=access.access_of(people),
        state=state,
        q=q,
        page=page,
        per_page=per_page,
        total=total or 0,
        local_time=access.local_time,
    )


@bp.post("/users/access")
def invite() -> ResponseReturnValue:
    """Invite the chosen people by e-mail or SMS, or print their activation sheet."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
    actor = _manager()
    channel = request.form.get("channel", "")
    if channel not in CodeChannel.__members__:
        flash(_("Choose how the people get their code."), "error")
        return redirect(url_for(".people_access"))
    ids = [i for v in request.form.getlist("user") if (i := row_id(v)) is not None][:2000]
    people = list(
        db.session.scalars(select(User).where(User.id.in_(ids)).order_by(User.sort_name, User.id))
    )
    # Someone outside the official's reach is skipped as if not chosen: no hint they exist.
    people = [p for p in people if can_manage_user(actor, p)]
    return handout.send_invitations(
        people,
        channel,
        by=actor,
        back=url_for(".people_access"),
        title=_("Activation codes"),
        fmt=request.form.get("format", "pdf"),
    )
