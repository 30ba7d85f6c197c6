"""The browser shell: home page and language switch."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from lms.extensions import db

bp = Blueprint("web", __name__)


@bp.get("/")
def home() -> ResponseReturnValue:
    return render_template("web/home.html")


@bp.route("/lang/<code>", methods=["GET", "POST"])
def set_language(code: str) -> ResponseReturnValue:
    """Remember the chosen language in the session (and on the account when logged in)."""
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
        if current_user.is_authenticated:
            current_user.locale = code
            db.session.commit()
    target = request.args.get("next") or request.referrer or url_for("web.home")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("web.home")
    return redirect(target)
