"""Flask-Login wiring: who the request is, from the session cookie or a bearer token.

The service layer (:mod:`lms.auth.services`) never reads the request; this module is where
the request meets it. A browser session is a row on the server (``UserSession``) whose id
sits in the signed cookie under :data:`SESSION_KEY`; an API program sends
``Authorization: Bearer <token>`` on ``/api/v1``.
"""

from __future__ import annotations

from flask import Flask, Request, g, redirect, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from lms.auth.models import User
from lms.auth.services import find_session, find_token
from lms.edge import ascii_digits
from lms.errors import Unauthorized
from lms.extensions import login_manager

#: The key of the server-side session id in the signed session cookie.
SESSION_KEY = "lms_sid"


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def load_user(user_id: str) -> User | None:
    """The user of a cookie session, only while the session it names is open on the server."""
    if not ascii_digits(user_id):
        return None
    row = find_session(session.get(SESSION_KEY))
    if row is None or row.user_id != int(user_id) or not row.user.active:
        return None
    return row.user


def load_user_from_request(request: Request) -> User | None:
    """Authenticate ``Authorization: Bearer`` on ``/api/v1``; nothing else uses it."""
    if not request.path.startswith("/api/"):
        return None
    token = bearer_token(request)
    if token is None:
        return None
    row = find_token(token)
    if row is None or not row.user.active:
        return None
    return row.user


def init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.request_loader(load_user_from_request)
    login_manager.login_view = "auth_views.login"
    login_manager.session_protection = "strong"
    login_manager.unauthorized_handler(_unauthorized)
    app.before_request(_forget_cached_user)


def _forget_cached_user() -> None:
    """Load the user afresh for every request.

    Flask-Login caches the user on ``g``, which lives as long as the application context;
    when one context spans several requests (a script or a test holding it open), the
    second request would otherwise see the first one's user, even after a logout or a
    revoked token.
    """
    g.pop("_login_user", None)
    if request.path.startswith("/api/") and bearer_token(request) is not None:
        # A bearer call is its token and nothing else. Left to Flask-Login, a session cookie
        # sent along (a browser that visited a page holds one with its CSRF token) fails the
        # "strong" session protection first, and the token was never looked at: 401.
        login_manager._update_request_context_with_user(load_user_from_request(request))


def _unauthorized() -> Response:
    """API callers get a 401 JSON error; people in a browser go to the login page."""
    if request.path.startswith("/api/"):
        raise Unauthorized(_("Authentication required."))
    return redirect(url_for("auth_views.login", next=request.full_path))
