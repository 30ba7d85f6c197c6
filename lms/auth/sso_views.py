"""Signing in through an identity provider, and the admins' page of providers' status."""

from __future__ import annotations

from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import OAuthError
from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from joserfc.errors import JoseError

from lms.auth import services, sso
from lms.auth.access_views import _learning
from lms.auth.models import Role
from lms.auth.permissions import current
from lms.auth.redirects import safe_next
from lms.auth.views import _start_session
from lms.errors import DomainError, Forbidden
from lms.extensions import db

bp = Blueprint("sso_views", __name__)

_NEXT = "lms_sso_next"


def _callback_url(name: str) -> str:
    return f"{current_app.config['BASE_URL']}{url_for('.callback', name=name)}"


@bp.get("/sso/<name>/login")
def start(name: str) -> ResponseReturnValue:
    """Off to the provider, with a fresh state, nonce and PKCE verifier kept in the session."""
    provider = sso.get_provider(name)
    session[_NEXT] = safe_next(request.args.get("next")) or ""
    try:
        return sso.client(current_app._get_current_object(), provider).authorize_redirect(  # type: ignore[attr-defined]
            _callback_url(name)
        )
    except (OAuthError, requests.RequestException, ValueError) as exc:
        current_app.logger.warning("SSO %s unreachable: %s", name, exc)
        return _failed(_("The sign-in provider cannot be reached. Try again later."), 502)


@bp.get("/sso/<name>/callback")
def callback(name: str) -> ResponseReturnValue:
    """Back from the provider: the code is exchanged and the ID token checked, then signed in."""
    provider = sso.get_provider(name)
    oauth = sso.client(current_app._get_current_object(), provider)  # type: ignore[attr-defined]
    try:
        token = oauth.authorize_access_token()
    except (
        AuthlibBaseError,
        JoseError,
        OAuthError,
        requests.RequestException,
        ValueError,
        KeyError,
    ) as exc:
        # A wrong or replayed state, a bad code, an ID token whose signature, issuer, audience,
        # expiry or nonce does not check out (Authlib's claim errors, joserfc's signature
        # errors: neither is an OAuthError): no sign-in, and the reason in the log.
        current_app.logger.warning("SSO %s refused: %r", name, exc)
        return _failed(
            _("Signing in through %(name)s did not work. Try again.", name=provider.label), 400
        )
    claims: dict[str, Any] = dict(token.get("userinfo") or {})
    if not claims:
        return _failed(
            _("Signing in through %(name)s did not work. Try again.", name=provider.label), 400
        )
    if oauth.load_server_metadata().get("userinfo_endpoint"):
        try:
            extra = dict(oauth.userinfo(token=token))
        except (OAuthError, requests.RequestException, ValueError):
            extra = {}
        if extra.get("sub") == claims.get("sub"):
            claims = {**extra, **claims}
    try:
        user = sso.sign_in(provider, claims)
    except DomainError as exc:
        db.session.rollback()
        return _failed(exc.message, exc.status_code)
    next_url = session.pop(_NEXT, "") or None
    _start_session(user)
    db.session.commit()
    if services.needs_consent(user):  # a first sign-in: the privacy notice first
        return redirect(url_for("auth_views.consent", next=next_url or _learning()))
    return redirect(next_url or _learning())


def _failed(message: str, status: int) -> ResponseReturnValue:
    html = render_template(
        "auth/login.html", error=message, typed="", next=None, sso_providers=sso.providers()
    )
    return current_app.make_response((html, status))


@bp.get("/sso")
def providers_status() -> ResponseReturnValue:
    """Admins: each provider, whether its discovery document answers, and who signs in by it."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
    if not current().has_role(Role.admin):
        raise Forbidden(_("You do not have permission to do this."))
    counts = sso.linked_counts()
    rows = []
    for provider in sso.providers():
        try:
            reply = requests.get(provider.metadata_url, timeout=5)
            reply.raise_for_status()
            metadata = reply.json()
            problem = None
            if metadata.get("issuer") != provider.issuer:
                problem = _("The provider calls itself %(issuer)s.", issuer=metadata.get("issuer"))
        except (requests.RequestException, ValueError) as exc:
            metadata, problem = {}, str(exc)
        rows.append(
            {
                "provider": provider,
                "ok": problem is None,
                "problem": problem,
                "metadata": metadata,
                "linked": counts.get(provider.name, (0, None)),
                "callback": _callback_url(provider.name),
            }
        )
    return render_template("auth/sso.html", rows=rows)
