"""Ed25519 signing over canonical JSON, hashed identities, and private keys at rest.

Version 2 of the signed content is canonicalised by RFC 8785 (JSON Canonicalization Scheme,
the ``rfc8785`` package): a standard form any language has a library for. Version 1 used a
home-made form (``json.dumps(value, sort_keys=True, separators=(",", ":"),
ensure_ascii=False)``, whole numbers as integers), kept so its signatures still verify.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import os
import unicodedata
import uuid
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_RAW = serialization.Encoding.Raw
_KEY_ENCRYPTION_INFO = b"lms146 certificate signing key encryption v1"


class KeyDecryptionError(Exception):
    """The stored private key cannot be decrypted (SECRET_KEY changed since it was made)."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def number(value: float | int | None) -> float | int | None:
    """Write whole numbers as integers so every language serialises them alike."""
    if value is None:
        return None
    if float(value).is_integer():
        return int(value)
    return round(float(value), 4)


def canonical(value: Any) -> bytes:
    """Version 1's signed bytes: sorted-key compact JSON in UTF-8 (kept for old signatures)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def jcs(value: Any) -> bytes:
    """RFC 8785 canonical JSON: what version 2 signs."""
    return rfc8785.dumps(value)


def identity_hash(identity: str, salt: str) -> str:
    """Open Badges' hashed identity: ``sha256$`` + hex SHA-256 of the NFC text + the salt."""
    text = unicodedata.normalize("NFC", identity.strip()) + salt
    return "sha256$" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def new_salt() -> str:
    return os.urandom(16).hex()


def pseudonym(secret_key: str, user_id: int) -> str:
    """A stable ``urn:uuid:`` for a person that reveals nothing about who they are.

    Keyed by SECRET_KEY so it cannot be computed from a user id; a certificate keeps the
    value it was issued with.
    """
    digest = hmac.new(
        _derive(secret_key, b"lms146 credential subject v1"), str(user_id).encode(), "sha256"
    ).digest()
    return uuid.UUID(bytes=digest[:16], version=4).urn


def generate_key() -> tuple[bytes, bytes]:
    """A new Ed25519 pair as raw bytes: (private 32 bytes, public 32 bytes)."""
    private = Ed25519PrivateKey.generate()
    return (
        private.private_bytes(_RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption()),
        private.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw),
    )


def thumbprint(public_raw: bytes) -> str:
    """RFC 7638 JWK thumbprint: the key id, the same wherever it is computed."""
    members = {"crv": "Ed25519", "kty": "OKP", "x": b64url(public_raw)}
    return b64url(hashlib.sha256(canonical(members)).digest())


def public_jwk(public_raw: bytes, kid: str) -> dict[str, str]:
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": b64url(public_raw),
        "kid": kid,
        "use": "sig",
        "alg": "EdDSA",
    }


def generate_rsa() -> tuple[bytes, dict[str, str]]:
    """A new RSA-2048 key: (PKCS#8 DER private key, public JWK members ``kty``, ``n``, ``e``)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = private.public_key().public_numbers()

    def b64int(value: int) -> str:
        return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))

    der = private.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return der, {"kty": "RSA", "n": b64int(numbers.n), "e": b64int(numbers.e)}


def rsa_thumbprint(jwk: dict[str, str]) -> str:
    """RFC 7638 thumbprint of an RSA JWK (members ``e``, ``kty``, ``n``)."""
    members = {"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}
    return b64url(hashlib.sha256(canonical(members)).digest())


def rsa_private_key(der: bytes) -> rsa.RSAPrivateKey:
    key = serialization.load_der_private_key(der, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise TypeError("not an RSA key")
    return key


@functools.lru_cache(maxsize=8)
def private_key(private_raw: bytes) -> Ed25519PrivateKey:
    """The key object, made once per key (a bulk issue signs hundreds with one key, and
    loading it each time cost about as much as the signature)."""
    return Ed25519PrivateKey.from_private_bytes(private_raw)


def public_key(public_raw: bytes) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(public_raw)


def sign(private_raw: bytes, message: bytes) -> str:
    return b64url(private_key(private_raw).sign(message))


def verify(public_raw: bytes, message: bytes, signature: str) -> bool:
    try:
        public_key(public_raw).verify(b64url_decode(signature), message)
    except (InvalidSignature, ValueError):
        return False
    return True


@functools.lru_cache(maxsize=8)
def _derive(secret_key: str, info: bytes) -> bytes:
    """HKDF of SECRET_KEY, computed once per (key, purpose): every certificate's subject id
    derives the same key."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info)
    return hkdf.derive(secret_key.encode("utf-8"))


def _wrapping_key(secret_key: str) -> bytes:
    return _derive(secret_key, _KEY_ENCRYPTION_INFO)


def encrypt_private_key(private_raw: bytes, secret_key: str, kind: bytes = b"ed25519") -> bytes:
    """AES-256-GCM with a key derived (HKDF-SHA256) from SECRET_KEY: nonce || ciphertext."""
    nonce = os.urandom(12)
    return nonce + AESGCM(_wrapping_key(secret_key)).encrypt(nonce, private_raw, kind)


def decrypt_private_key(blob: bytes, secret_key: str, kind: bytes = b"ed25519") -> bytes:
    try:
        return AESGCM(_wrapping_key(secret_key)).decrypt(blob[:12], blob[12:], kind)
    except (InvalidTag, ValueError) as exc:
        raise KeyDecryptionError("the signing key was encrypted with another SECRET_KEY") from exc
