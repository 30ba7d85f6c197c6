"""Signed statements (Data 2.6): a JWS attachment whose payload is the statement itself.

The LRS checks that the signature is well formed, not that the signer is trusted
(2.6.s5, and the note after it): a JWS (compact serialisation; in 1.0.x also the JSON
serialisation, which xAPI 2.0 no longer allows), an RS256/384/512 algorithm, a payload that
is the received statement (by the statement comparison rules), and, when the header carries
an X.509 chain (``x5c``), a signature that verifies with its first certificate. Anything
else is a 400.

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


def verify_signatures(
    stmt: Mapping[str, Any], blobs: Mapping[str, Blob], *, where: str, v2: bool = False
) -> None:
    """Raise BadRequest unless every signature attachment of ``stmt`` is well formed.

    ``v2``: the request is xAPI 2.0, where the JWS must be in compact serialisation (Data 2.6:
    1.0.3's SHOULD* became a requirement); 1.0.x also takes the JWS JSON serialisation
    (RFC 7515 7.2), which 1.0.3 strongly discourages but allows.
    """
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
        _verify(stmt, blob.data, where, v2)


def _b64url(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


#: One signature of a JWS: protected header (base64url, may be ""), unprotected header, value.
_Signature = tuple[str, dict[str, Any], str]


def _verify(stmt: Mapping[str, Any], token_bytes: bytes, where: str, v2: bool) -> None:
    malformed = f"{where}: the signature is not a JWS in compact serialisation" + (
        "." if v2 else " (nor in JWS JSON serialisation)."
    )
    try:
        token = token_bytes.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise BadRequest(malformed) from None
    if token.startswith("{"):
        if v2:
            raise BadRequest(
                f"{where}: the signature is a JWS in JSON serialisation; xAPI 2.0 requires the "
                "compact serialisation (header.payload.signature)."
            )
        payload_b64, signatures = _json_serialisation(token, malformed)
    else:
        segments = token.split(".")
        if len(segments) != 3:
            raise BadRequest(malformed)
        payload_b64 = segments[1]
        signatures = [(segments[0], {}, segments[2])]
    try:
        payload = _b64url(payload_b64)
        checks = [
            (protected, _header(protected, unprotected), _b64url(value))
            for protected, unprotected, value in signatures
        ]
    except (ValueError, binascii.Error, XapiValidationError):
        raise BadRequest(malformed) from None
    for protected, header, signature in checks:
        algorithm = header.get("alg")
        if algorithm not in _HASHES:
            raise BadRequest(
                f"{where}: the signature uses algorithm {algorithm!r}; use RS256, RS384 or RS512."
            )
        key = _certificate_key(header.get("x5c"), where)
        if key is None:
            continue
        signing_input = f"{protected}.{payload_b64}".encode("ascii")
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


def _json_serialisation(token: str, malformed: str) -> tuple[str, list[_Signature]]:
    """Payload and signatures of a JWS in general or flattened JSON serialisation."""
    try:
        jws = parse_json(token)
    except XapiValidationError:
        raise BadRequest(malformed) from None
    if not isinstance(jws, dict) or not isinstance(jws.get("payload"), str):
        raise BadRequest(malformed)
    entries = jws.get("signatures", [jws])
    if not isinstance(entries, list) or not entries:
        raise BadRequest(malformed)
    signatures: list[_Signature] = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise BadRequest(malformed)
        protected = entry.get("protected", "")
        unprotected = entry.get("header", {})
        value = entry.get("signature")
        if not (
            isinstance(protected, str) and isinstance(unprotected, dict) and isinstance(value, str)
        ):
            raise BadRequest(malformed)
        signatures.append((protected, unprotected, value))
    return jws["payload"], signatures


def _header(protected: str, unprotected: dict[str, Any]) -> dict[str, Any]:
    """The JOSE header: the protected part (base64url JSON) and the unprotected one joined."""
    header = dict(unprotected)
    if protected:
        decoded = parse_json(_b64url(protected))
        if not isinstance(decoded, dict):
            raise ValueError("the protected header is not a JSON object")
        header.update(decoded)
    return header


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
