"""Users, passwords, sessions and API tokens."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, Request, current_app, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from lms.auth.models import ApiToken, User
from lms.db import utcnow
from lms.errors import Unauthorized
from lms.extensions import db, login_manager

logger = logging.getLogger(__name__)

_HASHERS: dict[bool, PasswordHasher] = {
    False: PasswordHasher(),
    # Tests hash thousands of passwords; the cheap parameters keep the suite fast.
    True: PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1),
}


def _hasher() -> PasswordHasher:
    return _HASHERS[bool(current_app.config.get("PASSWORD_HASH_FAST"))]


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def check_password(user: User, password: str) -> bool:
    if not user.password_hash:
        return False
    try:
        return _hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, *, name: str | None = None) -> tuple[str, ApiToken]:
    """Create a bearer token; the clear token is returned once and never stored."""
    token = secrets.token_urlsafe(32)
    ttl = timedelta(hours=current_app.config["API_TOKEN_TTL_HOURS"])
    row = ApiToken(user=user, token_hash=token_digest(token), name=name, expires_at=utcnow() + ttl)
    db.session.add(row)
    db.session.flush()
    logger.info("Created API token %s for user %s", row.id, user.id)
    return token, row


def find_token(token: str) -> ApiToken | None:
    """Return the live token row for ``token``, or None if unknown, expired or revoked."""
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(token)))
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    return row


def revoke_token(row: ApiToken) -> None:
    row.revoked_at = utcnow()
    logger.info("Revoked API token %s of user %s", row.id, row.user_id)


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def load_user(user_id: str) -> User | None:
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active else None


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


def _unauthorized() -> Response:
    """API callers get a 401 JSON error; people in a browser go to the login page."""
    if request.path.startswith("/api/"):
        raise Unauthorized(_("Authentication required."))
    return redirect(url_for("auth_views.login", next=request.full_path))
