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
from sqlalchemy import select

from lms.certificates import crypto
from lms.certificates.models import SigningKey
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
