"""The signing keys: the active one, rotation, and the published key set (JWKS).

Private keys live in the database, encrypted with a key derived from ``SECRET_KEY``: every
web worker and host sees the same keys without shared files, ``make run`` needs no setup (the
first certificate creates the first key), and a database dump alone does not leak them. If
``SECRET_KEY`` changes, the old private keys can no longer sign; the next signature then
retires them and creates a new key, and everything signed before keeps verifying with the
published public keys.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import current_app, g
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from lms.certificates import crypto
from lms.certificates.models import IssuerKey, SigningKey
from lms.db import utcnow
from lms.extensions import db

logger = logging.getLogger(__name__)

_CACHE = "lms_certificates_signing_key"


@dataclass(frozen=True)
class ActiveKey:
    kid: str
    private_raw: bytes
    public_raw: bytes


def _secret() -> str:
    return str(current_app.config["SECRET_KEY"])


def create_key() -> SigningKey:
    g.pop(_CACHE, None)
    private_raw, public_raw = crypto.generate_key()
    row = SigningKey(
        kid=crypto.thumbprint(public_raw),
        public_key=crypto.b64url(public_raw),
        private_key_enc=crypto.encrypt_private_key(private_raw, _secret()),
    )
    db.session.add(row)
    db.session.flush()
    logger.info("Created certificate signing key %s", row.kid)
    return row


def rotate_key() -> SigningKey:
    """Retire every current key and start signing with a new one; old keys keep verifying."""
    now = utcnow()
    for row in db.session.scalars(select(SigningKey).where(SigningKey.retired_at.is_(None))):
        row.retired_at = now
        logger.info("Retired certificate signing key %s", row.kid)
    return create_key()


def active_key() -> ActiveKey:
    """The key that signs now, created on first use (and replaced if it cannot be decrypted).

    Kept for the rest of the request (or CLI command): a bulk issue reads and decrypts it once.
    A key created just now is not kept: its row may yet be rolled back.
    """
    cached: ActiveKey | None = g.get(_CACHE)
    if cached is not None:
        return cached
    row = db.session.scalar(
        select(SigningKey)
        .where(SigningKey.retired_at.is_(None))
        .order_by(SigningKey.created_at.desc(), SigningKey.id.desc())
        .limit(1)
    )
    fresh = row is None
    if row is None:
        row = create_key()
    try:
        private_raw = crypto.decrypt_private_key(row.private_key_enc, _secret())
    except crypto.KeyDecryptionError:
        logger.warning("Signing key %s was made under another SECRET_KEY; rotating", row.kid)
        row, fresh = rotate_key(), True
        private_raw = crypto.decrypt_private_key(row.private_key_enc, _secret())
    key = ActiveKey(row.kid, private_raw, crypto.b64url_decode(row.public_key))
    if not fresh:
        g.setdefault(_CACHE, key)
    return key


def find_public_key(kid: str) -> bytes | None:
    row = db.session.scalar(select(SigningKey).where(SigningKey.kid == kid))
    return crypto.b64url_decode(row.public_key) if row is not None else None


def all_keys() -> list[SigningKey]:
    return list(db.session.scalars(select(SigningKey).order_by(SigningKey.created_at.desc())))


def jwks() -> dict[str, Any]:
    """Every public key ever used, newest first; retired ones still verify old certificates."""
    keys = []
    for row in all_keys():
        jwk: dict[str, Any] = crypto.public_jwk(crypto.b64url_decode(row.public_key), row.kid)
        # Not a registered JWK member; JWK readers ignore it, people read it.
        jwk["status"] = "retired" if row.retired_at is not None else "active"
        keys.append(jwk)
    return {"keys": keys}


# --- issuers' RSA keys (Open Badges credentials and status lists) ------------------------------

_ISSUER_CACHE = "lms_certificates_issuer_keys"
_RSA = b"rsa-pkcs8"


@dataclass(frozen=True)
class IssuerSigningKey:
    issuer: str
    thumbprint: str
    private_der: bytes
    public_jwk: dict[str, str]


def _insert_generation(issuer: str, generation: int) -> None:
    """Insert ``issuer``'s key number ``generation`` unless someone just did."""
    der, jwk = crypto.generate_rsa()
    table = IssuerKey.__table__
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(table)
        .values(
            issuer=issuer,
            generation=generation,
            thumbprint=crypto.rsa_thumbprint(jwk),
            public_jwk=jwk,
            private_key_enc=crypto.encrypt_private_key(der, _secret(), _RSA),
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=[table.c.issuer, table.c.generation])
    )
    db.session.execute(stmt)


def _newest(issuer: str) -> IssuerKey | None:
    return db.session.scalar(
        select(IssuerKey)
        .where(IssuerKey.issuer == issuer)
        .order_by(IssuerKey.generation.desc())
        .limit(1)
    )


def rotate_issuer_key(issuer: str) -> IssuerKey:
    """Start signing ``issuer``'s credentials with a new key; the old ones stay published."""
    g.pop(_ISSUER_CACHE, None)
    current = db.session.scalar(
        select(func.max(IssuerKey.generation)).where(IssuerKey.issuer == issuer)
    )
    _insert_generation(issuer, (current or 0) + 1)
    row = _newest(issuer)
    if row is None:  # pragma: no cover - the insert above or a parallel one made it
        raise RuntimeError("issuer key missing after insert")
    logger.info("Created issuer key %s for %s", row.thumbprint, issuer)
    return row


def issuer_key(issuer: str) -> IssuerSigningKey:
    """The RSA key that signs for ``issuer`` now, created on first use."""
    cache: dict[str, IssuerSigningKey] = g.setdefault(_ISSUER_CACHE, {})
    if issuer in cache:
        return cache[issuer]
    row = _newest(issuer)
    if row is None:
        _insert_generation(issuer, 1)
        row = _newest(issuer)
        if row is None:  # pragma: no cover
            raise RuntimeError("issuer key missing after insert")
    try:
        der = crypto.decrypt_private_key(row.private_key_enc, _secret(), _RSA)
    except crypto.KeyDecryptionError:
        logger.warning("Issuer key %s was made under another SECRET_KEY; rotating", row.thumbprint)
        row = rotate_issuer_key(issuer)
        der = crypto.decrypt_private_key(row.private_key_enc, _secret(), _RSA)
    key = IssuerSigningKey(issuer, row.thumbprint, der, dict(row.public_jwk))
    cache[issuer] = key
    return key


def find_issuer_key(thumbprint: str) -> IssuerKey | None:
    return db.session.scalar(select(IssuerKey).where(IssuerKey.thumbprint == thumbprint))


def issuer_keys(issuer: str) -> list[IssuerKey]:
    return list(
        db.session.scalars(
            select(IssuerKey)
            .where(IssuerKey.issuer == issuer)
            .order_by(IssuerKey.generation.desc())
        )
    )
