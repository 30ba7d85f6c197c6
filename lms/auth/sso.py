"""Single sign-on with OpenID Connect: provinces' identity providers, VNeID-style logins.

Providers are settings (``LMS_OIDC_PROVIDERS``), each with its issuer, client and which claims
carry the e-mail, phone, name and unit code. Authlib runs the authorization-code flow with
PKCE (S256), ``state`` and ``nonce``, and verifies the ID token's signature (the provider's
JWKS) and claims (issuer, audience, expiry, nonce); this module decides who the person is:

1. an account already linked to that provider's subject;
2. else an account whose e-mail or phone the provider says it has **verified** (phones through
   the one phone rule), which is then linked;
3. else, where the provider allows it, a new learner with no password (an SSO-only account).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lms import events
from lms.auth.models import Role, SsoIdentity, User
from lms.auth.services import create_user
from lms.auth.text import is_valid_email, is_valid_phone, normalise_email, normalise_phone
from lms.db import utcnow
from lms.errors import Conflict, Forbidden, NotFound, Unauthorized
from lms.extensions import db
from lms.org.models import Unit

logger = logging.getLogger(__name__)

DEFAULT_SCOPES = "openid email phone profile"


@dataclass(frozen=True)
class Provider:
    name: str
    label: str
    issuer: str
    client_id: str
    client_secret: str
    scopes: str
    email_claim: str
    phone_claim: str
    name_claim: str
    unit_claim: str | None
    #: Create a learner when nobody matches (else the person is told to ask their official).
    create: bool
    #: Take the e-mail and phone as verified even without ``email_verified`` claims (for a
    #: government provider that verified them at enrolment but does not say so).
    trust_contacts: bool

    @property
    def metadata_url(self) -> str:
        return self.issuer.rstrip("/") + "/.well-known/openid-configuration"


def providers() -> list[Provider]:
    return [
        Provider(
            name=str(p["name"]),
            label=str(p.get("label") or p["name"]),
            issuer=str(p["issuer"]),
            client_id=str(p["client_id"]),
            client_secret=str(p.get("client_secret") or ""),
            scopes=str(p.get("scopes") or DEFAULT_SCOPES),
            email_claim=str(p.get("email_claim") or "email"),
            phone_claim=str(p.get("phone_claim") or "phone_number"),
            name_claim=str(p.get("name_claim") or "name"),
            unit_claim=p.get("unit_claim") or None,
            create=bool(p.get("create", True)),
            trust_contacts=bool(p.get("trust_contacts", False)),
        )
        for p in current_app.config.get("OIDC_PROVIDERS") or []
    ]


def get_provider(name: str) -> Provider:
    for provider in providers():
        if provider.name == name:
            return provider
    raise NotFound(_("No such sign-in provider."))


def client(app: Flask, provider: Provider) -> Any:
    """The Authlib client of ``provider``; rebuilt when the settings change."""
    key = repr(app.config.get("OIDC_PROVIDERS"))
    cached = app.extensions.get("lms_oauth")
    if cached is None or cached[0] != key:
        oauth = OAuth()
        oauth.init_app(app)
        for p in providers():
            oauth.register(
                name=p.name,
                client_id=p.client_id,
                client_secret=p.client_secret,
                server_metadata_url=p.metadata_url,
                client_kwargs={"scope": p.scopes, "code_challenge_method": "S256"},
            )
        cached = (key, oauth)
        app.extensions["lms_oauth"] = cached
    return cached[1].create_client(provider.name)


# --- who the person is ---------------------------------------------------------------------------


def _verified(claims: dict[str, Any], flag: str, provider: Provider) -> bool:
    return provider.trust_contacts or claims.get(flag) in (True, "true", "True", 1)


def contacts(provider: Provider, claims: dict[str, Any]) -> tuple[str | None, str | None]:
    """The verified e-mail and phone in ``claims``, in the stored forms (or None)."""
    email = normalise_email(str(claims.get(provider.email_claim) or "")) or None
    if email and not (is_valid_email(email) and _verified(claims, "email_verified", provider)):
        email = None
    phone = normalise_phone(str(claims.get(provider.phone_claim) or "")) or None
    if phone and not (
        is_valid_phone(phone) and _verified(claims, "phone_number_verified", provider)
    ):
        phone = None
    return email, phone


def sign_in(provider: Provider, claims: dict[str, Any]) -> User:
    """The user these verified ID-token claims belong to; links or creates as needed."""
    subject = str(claims.get("sub") or "")
    if not subject:
        raise Unauthorized(_("The sign-in provider did not say who you are."))
    identity = db.session.scalar(
        select(SsoIdentity).where(
            SsoIdentity.provider == provider.name, SsoIdentity.subject == subject
        )
    )
    user = identity.user if identity is not None else _match_or_create(provider, claims)
    if not user.active:
        raise Unauthorized(_("This account is disabled."))
    if identity is None:
        identity = _link(provider, subject, user)
    _vouch_for_email(provider, claims, user)
    identity.last_login_at = user.last_login_at = utcnow()
    logger.info("User %s signed in through %s", user.id, provider.name)
    return user


def _vouch_for_email(provider: Provider, claims: dict[str, Any], user: User) -> None:
    """The provider verified that its person, who is ``user``, owns the address: when it is the
    account's own unconfirmed e-mail, it is confirmed now."""
    email, _phone = contacts(provider, claims)
    if email and email == user.email and user.email_verified_at is None:
        user.email_verified_at = utcnow()
        db.session.flush()
        events.email_identity_changed.send(user)
        logger.info("User %s: e-mail verified by %s", user.id, provider.name)


def _match_or_create(provider: Provider, claims: dict[str, Any]) -> User:
    email, phone = contacts(provider, claims)
    by_email = db.session.scalar(select(User).where(User.email == email)) if email else None
    by_phone = db.session.scalar(select(User).where(User.phone == phone)) if phone else None
    if by_email is not None and by_phone is not None and by_email.id != by_phone.id:
        raise Conflict(
            _("Your e-mail and your phone number belong to two accounts here. Ask an official.")
        )
    if by_email is not None and not by_email.email_verified and by_phone is None:
        # Whoever typed the address here never showed it is theirs: linking would hand the
        # provider's person an account someone else may hold the password of (pre-account
        # hijacking). Say so without naming the account.
        raise Conflict(
            _(
                "An account here uses your e-mail address but has not confirmed it, so it "
                "cannot be linked to this sign-in. If it is yours, log in with its password "
                "and confirm the address; otherwise ask your unit's official."
            )
        )
    found = by_email or by_phone
    if found is not None:
        return found
    if not provider.create:
        raise Forbidden(_("There is no account for you yet. Ask your unit's official."))
    if not (email or phone):
        raise Forbidden(_("The sign-in provider gave no verified e-mail or phone number."))
    name = " ".join(str(claims.get(provider.name_claim) or "").split()) or email or phone or ""
    return create_user(
        email=email,
        phone=phone,
        full_name=name[:200],
        unit=_unit(provider, claims),
        target_group=None,
        roles=[Role.learner],
        by=None,
    )


def _unit(provider: Provider, claims: dict[str, Any]) -> Unit | None:
    code = str(claims.get(provider.unit_claim) or "").strip() if provider.unit_claim else ""
    if not code:
        return None
    unit = db.session.scalar(select(Unit).where(Unit.code == code))
    return unit if unit is not None and unit.is_current() else None


def _link(provider: Provider, subject: str, user: User) -> SsoIdentity:
    """Link ``subject`` to ``user``; the same callback twice at once links once."""
    try:
        with db.session.begin_nested():
            identity = SsoIdentity(provider=provider.name, subject=subject, user_id=user.id)
            db.session.add(identity)
    except IntegrityError:
        identity = db.session.scalars(
            select(SsoIdentity).where(
                SsoIdentity.provider == provider.name, SsoIdentity.subject == subject
            )
        ).one()
    logger.info("Linked %s:%s to user %s", provider.name, subject, identity.user_id)
    return identity


def linked_counts() -> dict[str, tuple[int, Any]]:
    """Per provider: linked accounts and the last sign-in, for the admin page."""
    rows = db.session.execute(
        select(
            SsoIdentity.provider, db.func.count(), db.func.max(SsoIdentity.last_login_at)
        ).group_by(SsoIdentity.provider)
    ).all()
    return {name: (int(count), last) for name, count, last in rows}
