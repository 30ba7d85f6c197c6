"""Login and logout pages."""

from flask import Blueprint

bp = Blueprint("auth_views", __name__)


@bp.get("/login")
def login() -> str:
    return "login"
