"""Signed statements (Data 2.6): a JWS attachment whose payload is the statement itself.

The LRS checks that the signature is well formed, not that the signer is trusted
(2.6.s5, and the note after it): compact serialisation, an RS256/384/512 algorithm, a
payload that is the received statement (by the statement comparison rules), and, when
the header carries an X.509 chain (``x5c``), a signature that verifies with its first
certificate. Anything else is a 400.

The RSA check is done with ``cryptography`` directly rather than PyJWT's ``decode``: PyJWT
warns about keys under 2048 bits (the spec's own example uses 1024), and silencing a
warning per request is not thread-safe. Checking the signature catches mistakes; it is
not a security decision (2.6.s5 note), so short keys are accepted.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from lms.errors import BadRequest
from lms.xapi.attachments import media_type
from lms.xapi.comparison import same_statement, without_signature
from lms.xapi.constants import SIGNATURE_USAGE
from lms.xapi.statements import Blob
from lms.xapi.validation import XapiValidationError, parse_json

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "RS256": hashes.SHA256,
    "RS384": hashes.SHA384,
    "RS512": hashes.SHA512,
}


def verify_signatures(stmt: Mapping[str, Any], blobs: Mapping[str, Blob], *, where: str) -> None:
    """Raise BadRequest unless every signature attachment of ``stmt`` is well formed."""
    for attachment in stmt.get("attachments") or ():
        if attachment.get("usageType") != SIGNATURE_USAGE:
            continue
        if media_type(attachment.get("contentType")) != "application/octet-stream":
            raise BadRequest(
                f"{where}: a signature attachment must have contentType application/octet-stream."
            )
        blob = blobs.get(attachment["sha2"].lower())
        if blob is None:
            raise BadRequest(
                f"{where}: the signature attachment's data must be sent with the statement "
                "(multipart/mixed) so that the LRS can check it."
            )
        _verify(stmt, blob.data, where)


def _b64url(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _verify(stmt: Mapping[str, Any], token_bytes: bytes, where: str) -> None:
    not_compact = f"{where}: the signature is not a JWS in compact serialisation."
    try:
        token = token_bytes.decode("ascii").strip()
        header_b64, payload_b64, signature_b64 = token.split(".")
        header = parse_json(_b64url(header_b64))
        payload = _b64url(payload_b64)
        signature = _b64url(signature_b64)
    except (UnicodeDecodeError, ValueError, binascii.Error, XapiValidationError):
        raise BadRequest(not_compact) from None
    if not isinstance(header, dict):
        raise BadRequest(not_compact)
    algorithm = header.get("alg")
    if algorithm not in _HASHES:
        raise BadRequest(
            f"{where}: the signature uses algorithm {algorithm!r}; use RS256, RS384 or RS512."
        )
    key = _certificate_key(header.get("x5c"), where)
    if key is not None:
        signing_input = f"{header_b64}.{payload_b64}".encode("ascii")
        try:
            key.verify(signature, signing_input, padding.PKCS1v15(), _HASHES[algorithm]())
        except InvalidSignature:
            raise BadRequest(
                f"{where}: the signature does not verify with the x5c certificate."
            ) from None
    try:
        signed = parse_json(payload)
    except XapiValidationError as exc:
        raise BadRequest(f"{where}: the signature's payload {exc.message}.") from None
    if not isinstance(signed, dict):
        raise BadRequest(f"{where}: the signature's payload is not a statement object.")
    if not same_statement(without_signature(signed), without_signature(dict(stmt))):
        raise BadRequest(
            f"{where}: the signed statement (the JWS payload) differs from the statement sent."
        )


def _certificate_key(chain: Any, where: str) -> RSAPublicKey | None:
    if chain is None:
        return None
    if not isinstance(chain, list) or not chain or not isinstance(chain[0], str):
        raise BadRequest(f"{where}: the JWS header's x5c must be a list of certificates.")
    try:
        certificate = x509.load_der_x509_certificate(base64.b64decode(chain[0], validate=True))
    except (ValueError, binascii.Error):
        raise BadRequest(f"{where}: the JWS header's x5c certificate cannot be read.") from None
    key = certificate.public_key()
    if not isinstance(key, RSAPublicKey):
        raise BadRequest(f"{where}: the x5c certificate does not hold an RSA key.")
    return key
