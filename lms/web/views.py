"""The browser shell: home page and language switch."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lms.auth.redirects import local_part, safe_next
from lms.constants import TARGET_GROUP_LABELS, TargetGroup, label
from lms.extensions import db
from lms.web.nav import nav_items

bp = Blueprint("web", __name__)

#: Names of the roles as people read them.
ROLE_LABELS: dict[str, object] = {
    "admin": _l("Administrator"),
    "official": _l("Official"),
    "trainer": _l("Trainer"),
    "learner": _l("Learner"),
}


def role_label(code: object) -> str:
    return str(ROLE_LABELS.get(str(code), code))


@bp.app_context_processor
def _shell_globals() -> dict[str, object]:
    return {"role_label": role_label}


def _endpoint_url(endpoint: str) -> str | None:
    return url_for(endpoint) if endpoint in current_app.view_functions else None


@bp.get("/favicon.ico")
def favicon() -> ResponseReturnValue:
    """Browsers ask for /favicon.ico whatever the page says; send them the SVG icon."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.get("/")
def home() -> ResponseReturnValue:
    """A landing page for visitors; for a logged-in user, where to go by role."""
    cards = (
        [item for item in nav_items() if item.description] if current_user.is_authenticated else []
    )
    return render_template(
        "web/home.html",
        cards=cards,
        catalog_url=_endpoint_url("learner_views.catalog"),
        groups=[label(TARGET_GROUP_LABELS, g.value) for g in TargetGroup],
    )


@bp.post("/lang/<code>")
def set_language(code: str) -> ResponseReturnValue:
    """Remember the chosen language in the session (and on the account when logged in).

    A POST form (with its CSRF token), not a link: it changes the account, and a GET that
    changes state can be triggered by any page the person visits.
    """
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
        if current_user.is_authenticated:
            current_user.locale = code
            db.session.commit()
    target = safe_next(request.values.get("next")) or local_part(request.referrer, request.host)
    return redirect(target or url_for("web.home"))
