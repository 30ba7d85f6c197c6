"""LRS clients: HTTP Basic credentials, scopes and the authority they write under.

The secret is 256 random bits generated here, so a fast keyed hash (HMAC-SHA256 with a
per-client salt) protects it as well as a password hash would protect a password, at a
cost the LRS can pay on every request. Verified credentials are also kept for a short
while in process memory (``LMS_XAPI_AUTH_CACHE_SECONDS``, default 60), so a busy client
costs neither a query nor a hash per request; revoking or changing a client clears this
process's cache at once and the other processes' within that many seconds.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import secrets
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, text

from lms.db import utcnow
from lms.edge import ascii_digits
from lms.errors import Conflict, Invalid, NotFound
from lms.extensions import db
from lms.xapi.binding import Binding
from lms.xapi.constants import DEFAULT_SCOPES, Scope
from lms.xapi.models import LrsClient
from lms.xapi.sql import is_postgres
from lms.xapi.validation import XapiValidationError, agent_ifi, validate_agent_param

if TYPE_CHECKING:
    from lms.auth.models import User

logger = logging.getLogger(__name__)

_READ_ALL = {Scope.statements_read, Scope.all_read, Scope.all}


@dataclass(frozen=True, slots=True)
class ClientInfo:
    """What a request needs to know about its client; plain data, safe to cache."""

    id: int
    key: str
    name: str
    scopes: frozenset[str]
    authority: dict[str, Any]
    authority_ifi: str
    #: Set for credentials handed to a learner's browser (``lms.xapi.binding``).
    binding: Binding | None = None
    expires_at: datetime | None = None

    def has(self, *scopes: Scope) -> bool:
        return Scope.all in self.scopes or any(s in self.scopes for s in scopes)

    def can_read(self, *scopes: Scope) -> bool:
        """Reading: ``all/read`` grants every read."""
        return self.has(Scope.all_read, *scopes)

    @property
    def reads_all_statements(self) -> bool:
        return self.binding is None and bool(self.scopes & _READ_ALL)

    @property
    def sees_answer_keys(self) -> bool:
        """Interaction answer keys (``correctResponsesPattern``) are shown only to clients
        that may read every statement anyway: never to credentials a learner can hold."""
        return self.reads_all_statements


def _hash(salt: str, secret: str) -> str:
    return hmac.new(salt.encode(), secret.encode(), hashlib.sha256).hexdigest()


def _normalise_scopes(scopes: Iterable[str] | None) -> list[str]:
    values = list(scopes or [])
    if not values:
        return [str(s) for s in DEFAULT_SCOPES]
    known = {s.value for s in Scope}
    unknown = [s for s in values if s not in known]
    if unknown:
        raise Invalid(
            _("Unknown scope %(scope)s.", scope=unknown[0]),
            errors={"scopes": [_("Allowed: %(allowed)s.", allowed=", ".join(sorted(known)))]},
        )
    return sorted(set(values))


def _base_url() -> str:
    return str(current_app.config.get("BASE_URL", "http://localhost")).rstrip("/")


def _check_authority(
    authority: Mapping[str, Any], *, client_id: int | None = None
) -> dict[str, Any]:
    """A custom authority must be an Agent of its own.

    The bridge tells who wrote a statement by its authority, so a client may neither speak
    in the LMS's own name (accounts on ``LMS_BASE_URL``: the LMS and the people acting
    through it) nor borrow another client's authority (a source platform's, say).
    """
    try:
        agent = validate_agent_param(dict(authority), path="authority")
    except XapiValidationError as exc:
        raise Invalid(exc.message, errors={exc.path: [exc.message]}) from None
    if agent.get("objectType") == "Group":
        raise Invalid(
            _("The authority must be an Agent."), errors={"authority": [_("Must be an Agent.")]}
        )
    account = agent.get("account") or {}
    if str(account.get("homePage", "")).rstrip("/") in (_base_url(), f"{_base_url()}/xapi"):
        raise Invalid(
            _("This authority belongs to the LMS itself."),
            errors={"authority": [_("Choose an identifier outside the LMS's own accounts.")]},
        )
    ifi = agent_ifi(agent)
    lock_clients()
    # Bound clients always write under their own default authority: only the others can clash.
    others = select(LrsClient).where(LrsClient.id != (client_id or 0), LrsClient.binding.is_(None))
    for other in db.session.scalars(others):
        if agent_ifi(other.authority) == ifi:
            raise Conflict(
                _("Another LRS client already writes under this authority."),
                errors={"authority": [_("Already used by client %(id)s.", id=other.id)]},
            )
    return agent


#: Key of the PostgreSQL advisory lock that serialises choosing a custom authority.
_AUTHORITY_LOCK = 146_0001


def lock_clients() -> None:
    """Serialise check-then-write of custom authorities until the transaction ends: two
    administrators giving two clients one authority at once get one success, one 409.

    PostgreSQL: an advisory lock (cmi5 fetches creating clients never wait for it). SQLite:
    its write lock, which must come before anything the transaction reads."""
    if is_postgres():
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _AUTHORITY_LOCK})
    else:
        db.session.execute(text("UPDATE lrs_clients SET id = id WHERE 0 = 1"))


def default_authority(name: str, key: str) -> dict[str, Any]:
    """The client itself as an Agent identified by account (Data 2.4.9.s3.b2)."""
    return {
        "objectType": "Agent",
        "name": name,
        "account": {"homePage": f"{_base_url()}/xapi", "name": key},
    }


def create_client(
    name: str,
    *,
    scopes: Iterable[str] | None = None,
    authority: Mapping[str, Any] | None = None,
    by: User | None = None,
    binding: Binding | None = None,
    expires_at: datetime | None = None,
) -> tuple[LrsClient, str]:
    """Create a client; the clear secret is returned once and never stored.

    ``binding`` and ``expires_at`` make credentials for a learner's browser (a cmi5
    session): see :mod:`lms.xapi.binding`.
    """
    name = name.strip()
    if not name:
        raise Invalid(_("A client needs a name."), errors={"name": [_("Required.")]})
    key = secrets.token_hex(12)
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_hex(16)
    client = LrsClient(
        name=name[:200],
        key=key,
        secret_salt=salt,
        secret_hash=_hash(salt, secret),
        scopes=_normalise_scopes(scopes),
        authority=_check_authority(authority) if authority else default_authority(name, key),
        active=True,
        created_by_id=by.id if by is not None else None,
        expires_at=expires_at,
        binding=binding.to_json() if binding is not None else None,
    )
    db.session.add(client)
    db.session.flush()
    logger.info("Created LRS client %s (%s) scopes=%s", client.id, key, client.scopes)
    return client, secret


def shown(client: LrsClient) -> dict[str, Any]:
    """What the audit log keeps of a new client: never its secret."""
    return {"name": client.name, "scopes": list(client.scopes or [])}


def list_clients(*, include_revoked: bool = False) -> list[LrsClient]:
    query = select(LrsClient).order_by(LrsClient.id)
    if not include_revoked:
        query = query.where(LrsClient.revoked_at.is_(None))
    return list(db.session.scalars(query))


def get_client(client_id: int) -> LrsClient:
    client = db.session.get(LrsClient, client_id)
    if client is None:
        raise NotFound(_("LRS client not found."))
    return client


def find_client(key_or_id: str) -> LrsClient:
    """By key, or by numeric id (what the CLI accepts)."""
    client = db.session.scalar(select(LrsClient).where(LrsClient.key == key_or_id))
    if client is None and ascii_digits(key_or_id):
        client = db.session.get(LrsClient, int(key_or_id))
    if client is None:
        raise NotFound(_("LRS client not found."))
    return client


def update_client(
    client: LrsClient,
    *,
    name: str | None = None,
    scopes: Iterable[str] | None = None,
    authority: Mapping[str, Any] | None = None,
    active: bool | None = None,
) -> LrsClient:
    if name is not None:
        if not name.strip():
            raise Invalid(_("A client needs a name."), errors={"name": [_("Required.")]})
        client.name = name.strip()[:200]
    if scopes is not None:
        client.scopes = _normalise_scopes(scopes)
    if authority is not None:
        client.authority = _check_authority(authority, client_id=client.id)
    if active is not None:
        client.active = active
    db.session.flush()
    forget_credentials()
    logger.info("Updated LRS client %s", client.id)
    return client


def revoke_client(client: LrsClient) -> LrsClient:
    """Disable for good: revoked credentials never authenticate again."""
    client.active = False
    if client.revoked_at is None:
        client.revoked_at = utcnow()
    db.session.flush()
    forget_credentials()
    logger.info("Revoked LRS client %s (%s)", client.id, client.key)
    return client


# --- authentication ----------------------------------------------------------------------

_cache_lock = threading.Lock()
_CACHE_MAX = 4096


def _cache() -> dict[str, tuple[ClientInfo, float]]:
    cache: dict[str, tuple[ClientInfo, float]] = current_app.extensions.setdefault(
        "xapi_auth_cache", {}
    )
    return cache


def forget_credentials() -> None:
    with _cache_lock:
        _cache().clear()


def parse_basic(header: str | None) -> tuple[str, str] | None:
    """``Authorization: Basic base64(key:secret)`` -> (key, secret), or None."""
    if not header:
        return None
    scheme, _sep, value = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    key, colon, secret = decoded.partition(":")
    if not colon or "\x00" in decoded:
        return None  # no key has a NUL, and PostgreSQL refuses one in the lookup (a 500)
    return key, secret


def authenticate(header: str | None) -> ClientInfo | None:
    """The active client these Basic credentials belong to, or None."""
    credentials = parse_basic(header)
    if credentials is None or not credentials[0]:
        return None
    cache_key = hashlib.sha256(header.encode()).hexdigest()  # type: ignore[union-attr]
    now = time.monotonic()
    cached = _cache().get(cache_key)
    if cached is not None and cached[1] > now and not _expired(cached[0].expires_at):
        return cached[0]
    key, secret = credentials
    client = db.session.scalar(select(LrsClient).where(LrsClient.key == key))
    if client is None or not client.active or client.revoked_at is not None:
        return None
    if _expired(client.expires_at):
        return None
    if not hmac.compare_digest(_hash(client.secret_salt, secret), client.secret_hash):
        return None
    info = ClientInfo(
        id=client.id,
        key=client.key,
        name=client.name,
        scopes=frozenset(client.scopes or ()),
        authority=dict(client.authority),
        authority_ifi=agent_ifi(client.authority),
        binding=Binding.from_json(client.binding),
        expires_at=client.expires_at,
    )
    ttl = float(current_app.config.get("XAPI_AUTH_CACHE_SECONDS", 60))
    # Bound credentials end with their session, in every process at once: never cached.
    if ttl > 0 and info.binding is None:
        with _cache_lock:
            cache = _cache()
            if len(cache) >= _CACHE_MAX:
                cache.clear()
            cache[cache_key] = (info, now + ttl)
    return info


def _expired(expires_at: datetime | None) -> bool:
    return expires_at is not None and expires_at <= utcnow()


def end_bound_client(client_id: int) -> None:
    """Revoke bound credentials that just stored their closing statement (cmi5 ``terminated``)."""
    client = db.session.get(LrsClient, client_id)
    if client is not None and client.binding and client.revoked_at is None:
        revoke_client(client)


def to_dict(client: LrsClient, *, secret: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": client.id,
        "name": client.name,
        "key": client.key,
        "scopes": list(client.scopes or []),
        "authority": client.authority,
        "active": client.active,
        "created_at": client.created_at.isoformat() if client.created_at else None,
        "revoked_at": client.revoked_at.isoformat() if client.revoked_at else None,
        "expires_at": client.expires_at.isoformat() if client.expires_at else None,
        "binding": client.binding,
        "endpoint": endpoint(),
    }
    if secret is not None:
        out["secret"] = secret
    return out


def endpoint() -> str:
    return _base_url() + "/xapi/"
