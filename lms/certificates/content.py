"""What a certificate states, in the two signed forms it travels in.

1. ``signed_content``: the JSON the certificate row's Ed25519 signature covers, in the
   layout of the certificate's ``content_version`` (2: RFC 8785, the holder as a salted
   hash; 1: the home-made form with the holder's name, for certificates signed before).
2. ``credential``: the same facts as an Open Badges 3.0 ``OpenBadgeCredential`` secured as a
   VC-JWT (JOSE header ``alg: EdDSA``, ``kid`` = the key's thumbprint, ``jwk`` = the public
   key; the payload is the credential itself plus ``iss``, ``jti`` and ``nbf``), which wallets
   and other systems check offline against ``/.well-known/lms-keys.json``.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import jwt

from lms.certificates import crypto, statuslist
from lms.certificates.constants import OB_CONTEXTS, SCORE_PLACES
from lms.certificates.render import format_hours, format_percent

if TYPE_CHECKING:
    from lms.certificates.keys import ActiveKey, IssuerSigningKey
    from lms.certificates.models import Certificate


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def signed_score(score: float | None) -> float | None:
    """The score as signed and shown: 0..1, rounded half-even to 4 decimal places."""
    if score is None:
        return None
    return round(min(1.0, max(0.0, float(score))), SCORE_PLACES)


def holder_identity(cert: Certificate) -> str:
    """The holder's name as a salted hash (version 2): proves the name to whoever has the salt."""
    return crypto.identity_hash(cert.holder_name, cert.holder_salt or "")


def _content_v1(cert: Certificate) -> dict[str, Any]:
    return {
        "v": 1,
        "serial": cert.serial,
        "holder": {"id": cert.user_id, "name": cert.holder_name},
        "course": {
            "slug": cert.course_slug,
            "title": cert.course_title,
            "hours": crypto.number(cert.hours),
        },
        "score": crypto.number(cert.score),
        "issued_at": iso(cert.issued_at),
        "issuer": {"name": cert.issuing_unit_name},
        "signer": {"name": cert.signer_name, "title": cert.signer_title},
        "indicators": sorted(cert.indicators or []),
    }


def _content_v2(cert: Certificate) -> dict[str, Any]:
    return {
        "v": 2,
        "serial": cert.serial,
        "holder": {"id": cert.subject_id, "identity": holder_identity(cert)},
        "course": {
            "slug": cert.course_slug,
            "title": cert.course_title,
            "hours": float(cert.hours),
        },
        "score": signed_score(cert.score),
        "issued_at": iso(cert.issued_at),
        "issuer": {"name": cert.issuing_unit_name},
        "signer": {
            "name": cert.signer_name,
            "title": cert.signer_title,
            # "KT. GIÁM ĐỐC": on whose behalf the signer signs is part of what is attested.
            "authority": cert.signer_authority,
        },
        "indicators": sorted(cert.indicators or []),
    }


def signed_content(cert: Certificate) -> dict[str, Any]:
    """The facts the certificate's signature covers; status and revocation are not among them
    (a revocation is a later fact, published in the status list and checked online)."""
    return _content_v1(cert) if cert.content_version == 1 else _content_v2(cert)


def signed_bytes(cert: Certificate) -> bytes:
    content = signed_content(cert)
    return crypto.canonical(content) if cert.content_version == 1 else crypto.jcs(content)


def public_content(cert: Certificate) -> dict[str, Any] | None:
    """The signed content when it holds no personal data (version 2), for anyone to check."""
    return signed_content(cert) if cert.content_version != 1 else None


def proof(cert: Certificate, base_url: str, *, public: bool) -> dict[str, Any]:
    """What a reader needs to check the record signature without asking this system to.

    ``payload`` is the signed content itself; for version 1 it holds the holder's name and user
    id, so the public check leaves it out (``null``) and only those who may see the certificate
    get it.
    """
    v1 = cert.content_version == 1
    return {
        "version": cert.content_version,
        "canonicalization": "lms146-v1" if v1 else "RFC 8785",
        "algorithm": "Ed25519",
        "kid": cert.kid,
        "keys": f"{base_url.rstrip('/')}/.well-known/lms-keys.json",
        "signature": cert.signature,
        "payload": public_content(cert) if public else signed_content(cert),
    }


def sign_certificate(cert: Certificate, key: ActiveKey) -> None:
    cert.kid = key.kid
    cert.signature = crypto.sign(key.private_raw, signed_bytes(cert))


def signature_valid(cert: Certificate, public_raw: bytes | None) -> bool:
    if public_raw is None:
        return False
    return crypto.verify(public_raw, signed_bytes(cert), cert.signature)


def mask_name(name: str) -> str:
    """``Nguyễn Thị Hoa`` -> ``Nguyễn T** H**``: enough to recognise, too little to harvest."""
    words = unicodedata.normalize("NFC", name).split()
    if not words:
        return ""
    return " ".join([words[0], *(f"{w[0]}**" for w in words[1:])])


def verify_url(base_url: str, serial: str) -> str:
    return f"{base_url.rstrip('/')}/verify/{serial}"


def issuer_id(base_url: str, unit_code: str | None) -> str:
    return f"{base_url.rstrip('/')}/issuers/{unit_code or 'lms'}"


def issuer_jwks_url(base_url: str, unit_code: str | None) -> str:
    """The issuer's key set; a credential's ``kid`` is this URL with ``#<thumbprint>``."""
    return f"{issuer_id(base_url, unit_code)}/jwks.json"


def issuer_kid(base_url: str, unit_code: str | None, thumbprint: str) -> str:
    return f"{issuer_jwks_url(base_url, unit_code)}#{thumbprint}"


def unit_code_of(cert: Certificate) -> str | None:
    return cert.issuing_unit.code if cert.issuing_unit is not None else None


def issuer_of(cert: Certificate) -> str:
    """Whose RSA key signs the credential: the issuing unit (``unit-<id>``) or ``lms``."""
    return statuslist.issuer_key(cert.issuing_unit)


#: Open Badges 3.0's JSON schema of an ``OpenBadgeCredential``, named so validators find it.
OB_SCHEMA = {
    "id": "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json",
    "type": "1EdTechJsonSchemaValidator2019",
}


def identity_object(cert: Certificate) -> dict[str, Any]:
    """The holder's name as Open Badges hashes it: whoever knows the name and salt can check."""
    return {
        "type": "IdentityObject",
        "identityHash": holder_identity(cert),
        "identityType": "name",
        "hashed": True,
        "salt": cert.holder_salt or "",
    }


def credential(cert: Certificate, base_url: str) -> dict[str, Any]:
    """The OpenBadgeCredential (OB 3.0, VC Data Model 2.0) for ``cert``."""
    hours = format_hours(cert.hours)
    description = f"Hoàn thành khóa học «{cert.course_title}» ({hours} giờ)."
    if cert.score is not None:
        description += f" Kết quả: {format_percent(cert.score)}."  # as the PDF states it
    body: dict[str, Any] = {
        "@context": list(OB_CONTEXTS),
        "id": verify_url(base_url, cert.serial),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {
            "id": issuer_id(base_url, unit_code_of(cert)),
            "type": ["Profile"],
            "name": cert.issuing_unit_name or "LMS 146",
            "url": base_url,
        },
        "validFrom": iso(cert.issued_at),
        "name": cert.course_title,
        "description": description,
        "credentialSubject": {
            "id": cert.subject_id,
            "type": ["AchievementSubject"],
            "identifier": [identity_object(cert)],
            "achievement": {
                "id": f"{base_url.rstrip('/')}/courses/{cert.course_slug}",
                "type": ["Achievement"],
                "achievementType": "Certificate",
                "name": cert.course_title,
                "description": description,
                "criteria": {
                    "narrative": "Hoàn thành các bài học và điều kiện hoàn thành của khóa học "
                    "(bài kiểm tra, chuyên cần) theo quy định của khóa học."
                },
                "humanCode": cert.serial,
                "inLanguage": "vi",
            },
        },
        "credentialSchema": [OB_SCHEMA],
    }
    status = statuslist.entry(cert, base_url)
    if status is not None:
        body["credentialStatus"] = status
    return body


def sign_vc(body: dict[str, Any], key: IssuerSigningKey, *, kid: str, not_before: datetime) -> str:
    """Secure a credential as a VC-JWT the way Open Badges 3.0 says: RS256, ``kid`` a URL that
    resolves to the key, the credential as the payload plus ``iss``, ``jti``, ``nbf`` and
    ``sub`` (RSASSA-PKCS1-v1_5 is deterministic: same input, same token)."""
    issuer = body["issuer"]
    claims = {
        **body,
        "iss": issuer["id"] if isinstance(issuer, dict) else issuer,
        "jti": body["id"],
        "nbf": int(not_before.timestamp()),
    }
    subject = body.get("credentialSubject", {}).get("id")
    if subject:
        claims["sub"] = subject
    return jwt.encode(
        claims,
        crypto.rsa_private_key(key.private_der),
        algorithm="RS256",
        headers={"kid": kid, "typ": "JWT"},
    )


def credential_jwt(cert: Certificate, key: IssuerSigningKey, base_url: str) -> str:
    kid = issuer_kid(base_url, unit_code_of(cert), key.thumbprint)
    return sign_vc(credential(cert, base_url), key, kid=kid, not_before=cert.issued_at)


def legacy_decode(token: str, public_raw: bytes) -> dict[str, Any]:
    """Credentials signed before RS256 (EdDSA with the record key, still in old PDFs)."""
    return jwt.decode(
        token,
        crypto.public_key(public_raw),
        algorithms=["EdDSA"],
        options={"verify_aud": False, "verify_nbf": False, "verify_exp": False},
    )


def rsa_decode(token: str, jwk: dict[str, str]) -> dict[str, Any]:
    """Check an RS256 VC-JWT with the issuer key ``jwk``; raises ``jwt.InvalidTokenError``."""
    public = jwt.PyJWK({**jwk, "alg": "RS256"}).key
    return jwt.decode(
        token,
        public,
        algorithms=["RS256"],
        options={"verify_aud": False, "verify_nbf": False, "verify_exp": False},
    )


def serial_of_credential(claims: dict[str, Any]) -> str | None:
    """The serial is the last segment of the credential's id (its verification URL)."""
    ident = claims.get("jti") or claims.get("id")
    if not isinstance(ident, str) or "/verify/" not in ident:
        return None
    return ident.rsplit("/verify/", 1)[1] or None


def credential_mismatches(claims: dict[str, Any], cert: Certificate) -> list[str]:
    """Fields where a validly signed credential disagrees with the stored record."""
    problems = []
    subject = claims.get("credentialSubject") or {}
    identifiers = subject.get("identifier") or [{}]
    checks: dict[str, tuple[Any, Any]] = {
        "name": (claims.get("name"), cert.course_title),
        "validFrom": (claims.get("validFrom"), iso(cert.issued_at)),
        "issuer.name": (
            (claims.get("issuer") or {}).get("name"),
            cert.issuing_unit_name or "LMS 146",
        ),
        "credentialSubject.identifier": (
            identifiers[0].get("identityHash"),
            holder_identity(cert) if identifiers[0].get("hashed") else cert.holder_name,
        ),
        "credentialSubject.achievement.humanCode": (
            (subject.get("achievement") or {}).get("humanCode"),
            cert.serial,
        ),
    }
    if "id" in subject:
        checks["credentialSubject.id"] = (subject["id"], cert.subject_id)
    for field, (given, stored) in checks.items():
        if given != stored:
            problems.append(field)
    return problems
