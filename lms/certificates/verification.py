"""Checking a certificate: by serial, by its signed credential (VC-JWT), or by its PDF.

Every check answers a :class:`Verdict`: ``valid`` and ``revoked`` (HTTP 200), ``unknown``
(404: no such serial) or ``invalid`` (422: a signature that does not match, a credential or a
PDF that differs from the record, something that is not a credential at all). Nothing is
written by a check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import jwt
from flask_babel import gettext as _

from lms.certificates import content, keys
from lms.certificates.models import Certificate, CertificateStatus
from lms.certificates.pdfs import base_url, is_known_pdf
from lms.certificates.queries import find_certificate
from lms.certificates.render import CREDENTIAL_MARKER, SERIAL_MARKER
from lms.certificates.services import local_date

_JWT = re.compile(rb"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
_PDF_SERIAL = re.compile(re.escape(SERIAL_MARKER).encode() + rb"([A-Z0-9-]{3,40})")
_PDF_JWT = re.compile(re.escape(CREDENTIAL_MARKER).encode() + rb"(" + _JWT.pattern + rb")")

#: HTTP status of each verdict.
#: The key id and thumbprint columns of the signing keys.
MAX_KEY_ID = 64
HTTP_STATUS = {"valid": 200, "revoked": 200, "unknown": 404, "invalid": 422}


@dataclass
class Verdict:
    status: str
    message: str
    serial: str | None = None
    certificate: Certificate | None = None
    checks: dict[str, bool] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def code(self) -> int:
        return HTTP_STATUS[self.status]

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "code": self.code,
            "status": self.status,
            "message": self.message,
            "serial": self.serial,
        }
        if self.checks:
            body["checks"] = self.checks
        if self.problems:
            body["problems"] = self.problems
        if self.certificate is not None:
            body["certificate"] = public_view(self.certificate)
        return body


def public_view(cert: Certificate) -> dict[str, Any]:
    """What anyone may see: the holder's name masked, no ids, no email."""
    revoked = cert.status == CertificateStatus.revoked
    return {
        "serial": cert.serial,
        "holder": content.mask_name(cert.holder_name),
        "course": cert.course_title,
        "course_en": cert.course_title_en,
        "hours": cert.hours,
        "score": content.signed_score(cert.score),
        "issued_on": local_date(cert.issued_at).isoformat(),
        "issuing_unit": cert.issuing_unit_name,
        "signer": {"name": cert.signer_name, "title": cert.signer_title},
        "status": cert.status.value,
        "revoked_on": local_date(cert.revoked_at).isoformat()
        if revoked and cert.revoked_at
        else None,
        "revoked_reason": cert.revoked_reason if revoked else None,
        "kid": cert.kid,
        "verify_url": content.verify_url(base_url(), cert.serial),
        "proof": content.proof(cert, base_url(), public=True),
    }


def _record_verdict(cert: Certificate, checks: dict[str, bool]) -> Verdict:
    """Valid or revoked, once the presented evidence matched the record."""
    checks["record_signature"] = content.signature_valid(cert, keys.find_public_key(cert.kid))
    if not checks["record_signature"]:
        return Verdict(
            "invalid",
            _("The stored record does not match its signature. Contact the issuing unit."),
            cert.serial,
            cert,
            checks,
            ["record"],
        )
    if cert.status == CertificateStatus.revoked:
        day = local_date(cert.revoked_at) if cert.revoked_at else None
        return Verdict(
            "revoked",
            _(
                "This certificate was revoked on %(day)s.",
                day=day.strftime("%d/%m/%Y") if day else "?",
            ),
            cert.serial,
            cert,
            checks,
        )
    return Verdict("valid", _("This certificate is genuine and valid."), cert.serial, cert, checks)


def verify_serial(serial: str) -> Verdict:
    cert = find_certificate(serial)
    if cert is None:
        return Verdict("unknown", _("No certificate has this serial number."), serial)
    return _record_verdict(cert, {})


def verify_credential(token: str) -> Verdict:
    """Check a VC-JWT: its signature with our published key, then its content with the record."""
    token = (token or "").strip()
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        return Verdict("invalid", _("This is not a signed credential (a JWT was expected)."))
    kid = header.get("kid")
    signer: str | None = None  # the issuer whose key signed, for RS256
    claims: dict[str, Any] | None = None
    try:
        if header.get("alg") == "RS256" and isinstance(kid, str) and "#" in kid:
            thumbprint = kid.rsplit("#", 1)[1]
            row = keys.find_issuer_key(thumbprint) if _plausible_key_id(thumbprint) else None
            if row is not None:
                signer = row.issuer
                claims = content.rsa_decode(token, row.public_jwk)
        elif header.get("alg") == "EdDSA" and isinstance(kid, str) and _plausible_key_id(kid):
            # Credentials signed with the record key before RS256 (old PDFs carry them).
            public = keys.find_public_key(kid)
            if public is not None:
                claims = content.legacy_decode(token, public)
        if claims is None:
            return Verdict(
                "invalid",
                _("The credential was not signed with a key this system published."),
                checks={"signature": False},
                problems=["signature"],
            )
    except jwt.InvalidTokenError:
        return Verdict(
            "invalid",
            _("The signature does not match: the credential was changed after it was issued."),
            checks={"signature": False},
            problems=["signature"],
        )
    serial = content.serial_of_credential(claims)
    if serial is None:
        return Verdict(
            "invalid", _("The credential names no certificate."), checks={"signature": True}
        )
    cert = find_certificate(serial)
    if cert is None:
        return Verdict("unknown", _("No certificate has this serial number."), serial)
    problems = content.credential_mismatches(claims, cert)
    if signer is not None and signer != content.issuer_of(cert):
        problems.append("issuer_key")  # another issuer's key vouching for this certificate
    checks = {"signature": True, "matches_record": not problems}
    if problems:
        return Verdict(
            "invalid",
            _("The credential differs from the issued certificate."),
            serial,
            cert,
            checks,
            problems,
        )
    return _record_verdict(cert, checks)


def _plausible_key_id(kid: str) -> bool:
    """Whether ``kid`` could name one of our keys: printable ASCII that fits the key columns
    (``String(64)``), as every key id and thumbprint we publish.

    It is read from the credential, after the request passed the edge, and goes into a key
    lookup: a NUL (PostgreSQL refuses it) or an unpaired surrogate (not encodable) failed
    that query with a 500 for anyone who posted it.
    """
    return len(kid) <= MAX_KEY_ID and kid.isascii() and kid.isprintable()


def verify_pdf(pdf: bytes) -> Verdict:
    """Check an uploaded PDF: it must be, byte for byte, a rendering this system served."""
    found = _PDF_SERIAL.search(pdf)
    if found is None:
        return Verdict("invalid", _("This PDF is not a certificate issued by this system."))
    serial = found.group(1).decode("ascii")
    cert = find_certificate(serial)
    if cert is None:
        return Verdict("unknown", _("No certificate has this serial number."), serial)
    checks = {"file_matches": is_known_pdf(cert, pdf)}
    token = _PDF_JWT.search(pdf)
    if token is not None:
        inner = verify_credential(token.group(1).decode("ascii"))
        checks["signature"] = inner.checks.get("signature", False)
    if not checks["file_matches"] or not checks.get("signature", True):
        return Verdict(
            "invalid",
            _("This PDF differs from the certificate that was issued: it was altered."),
            serial,
            cert,
            checks,
            ["file"],
        )
    return _record_verdict(cert, checks)


def verify_upload(data: bytes) -> Verdict:
    """A PDF, or a text file holding the credential JWT."""
    if data.lstrip()[:5] == b"%PDF-":
        return verify_pdf(data)
    try:
        text = data.decode("ascii").strip()
    except UnicodeDecodeError:
        return Verdict("invalid", _("Upload a certificate PDF or its credential (JWT)."))
    return verify_credential(text)
