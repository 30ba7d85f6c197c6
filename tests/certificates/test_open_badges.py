"""Open Badges 3.0 by the book: RS256 VC-JWT, a kid that resolves, a hashed holder.

The credential is checked with PyJWT, a third-party JOSE library, which fetches the key from
the URL in the JWT's ``kid`` over HTTP from a running server; its fields are asserted one by
one against the Open Badges 3.0 specification (sections 8.x of the data model).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import jwt
import pytest
from flask.testing import FlaskClient

from lms.auth.models import Role
from lms.certificates import content, crypto, pdfs, services, verification
from lms.certificates.models import Certificate
from lms.classes.models import EnrollmentStatus
from lms.extensions import db
from lms.org.models import UnitKind
from tests.certificates.conftest import HOLDER_NAME, World
from tests.certificates.factories import CERTIFIED
from tests.factories import (
    make_class,
    make_course,
    make_enrollment,
    make_signer,
    make_unit,
    make_user,
)
from tests.races import LiveApi, fresh

Headers = Callable[[object], dict[str, str]]

#: Profile's properties in Open Badges 3.0 (1EdTech, "Profile" data class), and JSON-LD's.
PROFILE_PROPERTIES = {
    "@context", "id", "type", "name", "url", "phone", "description", "endorsement",
    "endorsementJwt", "image", "email", "address", "otherIdentifier", "official", "parentOrg",
    "familyName", "givenName", "additionalName", "patronymicName", "honorificPrefix",
    "honorificSuffix", "familyNamePrefix", "dateOfBirth",
}  # fmt: skip
IDENTIFIER_TYPES = {
    "name", "sourcedId", "systemId", "productId", "userName", "accountId", "emailAddress",
    "nationalIdentityNumber", "isbn", "issuerId", "identifier", "studentId",
}  # fmt: skip


@pytest.fixture
def cert(world: World) -> Certificate:
    return services.issue_certificate(world.enrollment, by=world.trainer)[0]


def _is_uri(value: Any) -> bool:
    return isinstance(value, str) and re.match(r"^[a-z][a-z0-9+.-]*:", value) is not None


def _thumbprint(jwk: dict[str, str]) -> str:
    """RFC 7638, written out here rather than taken from the code under test."""
    members = json.dumps({"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"))
    return crypto.b64url(hashlib.sha256(members.encode()).digest())


def test_credential_has_the_open_badges_fields(
    client: FlaskClient, auth_headers: Headers, world: World, cert: Certificate
) -> None:
    db.session.commit()
    body = client.get(
        f"/api/v1/certificates/{cert.serial}/credential", headers=auth_headers(world.holder)
    ).json
    vc, token = body["credential"], body["jwt"]
    # AchievementCredential / OpenBadgeCredential (OB 3.0 §B.1.1)
    assert vc["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert re.match(r"https://purl\.imsglobal\.org/spec/ob/v3p0/context-3\.0\.\d+\.json$",
                    vc["@context"][1])  # fmt: skip
    assert {"VerifiableCredential", "OpenBadgeCredential"} <= set(vc["type"])
    assert _is_uri(vc["id"])
    assert isinstance(vc["name"], str)
    assert vc["name"]
    datetime.fromisoformat(vc["validFrom"])
    assert vc["credentialSchema"][0]["type"] == "1EdTechJsonSchemaValidator2019"
    # Profile (issuer)
    issuer = vc["issuer"]
    assert _is_uri(issuer["id"])
    assert "Profile" in issuer["type"]
    assert set(issuer) <= PROFILE_PROPERTIES
    # AchievementSubject with an id and a hashed IdentityObject (§B.1.2, §B.1.9)
    subject = vc["credentialSubject"]
    assert subject["id"] == cert.subject_id
    assert _is_uri(subject["id"])
    assert "AchievementSubject" in subject["type"]
    (identity,) = subject["identifier"]
    assert identity["type"] == "IdentityObject"
    assert identity["hashed"] is True
    assert identity["identityType"] in IDENTIFIER_TYPES
    salted = (HOLDER_NAME + identity["salt"]).encode()
    assert identity["identityHash"] == "sha256$" + hashlib.sha256(salted).hexdigest()
    achievement = subject["achievement"]
    assert _is_uri(achievement["id"])
    assert "Achievement" in achievement["type"]
    assert achievement["name"]
    assert achievement["description"]
    assert achievement["criteria"]["narrative"]
    assert "khoá" not in json.dumps(vc, ensure_ascii=False)  # one spelling: the catalog's
    # The plain name is nowhere in what travels.
    assert HOLDER_NAME not in json.dumps(vc, ensure_ascii=False)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert HOLDER_NAME not in json.dumps(claims, ensure_ascii=False)
    # VC-JWT claims (OB 3.0 §8.2.4.2)
    assert claims["iss"] == issuer["id"]
    assert claims["jti"] == vc["id"]
    assert claims["sub"] == subject["id"]
    assert claims["nbf"] == int(datetime.fromisoformat(vc["validFrom"]).timestamp())
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "RS256", "kid": header["kid"], "typ": "JWT"}


def test_issuer_profile_has_only_open_badges_properties(
    client: FlaskClient, cert: Certificate
) -> None:
    db.session.commit()
    profile = client.get("/issuers/HP-SKHCN").json
    assert set(profile) <= PROFILE_PROPERTIES
    assert "publicKeys" not in profile
    assert profile["type"] == ["Profile"]
    assert profile["parentOrg"]["name"] == "Thành phố Hải Phòng"
    assert profile["parentOrg"]["id"].endswith("/issuers/HP")


def test_a_credential_signed_with_another_issuers_key_is_refused(
    world: World, cert: Certificate
) -> None:
    from lms.certificates import keys

    qt_key = keys.issuer_key(f"unit-{world.units['QT'].id}")
    kid = content.issuer_kid(pdfs.base_url(), "QT", qt_key.thumbprint)
    token = content.sign_vc(
        content.credential(cert, pdfs.base_url()), qt_key, kid=kid, not_before=cert.issued_at
    )
    verdict = verification.verify_credential(token)
    assert verdict.status == "invalid"
    assert "issuer_key" in verdict.problems


def test_pyjwt_verifies_the_credential_with_the_key_its_kid_resolves_to(
    live_api: LiveApi,
) -> None:
    with live_api.data() as data:
        province = make_unit(fresh("P"), kind=UnitKind.province, serial_prefix="OB")
        make_signer(province)
        course = make_course(**CERTIFIED)
        course.slug = fresh("khoa")
        course.activity_iri = f"https://lms146.vn/xapi/activities/course/{course.slug}"
        klass = make_class(course, province)
        klass.code = fresh("LOP")
        admin = make_user(f"{fresh('admin')}@example.vn", roles=(Role.admin,), unit=province)
        enrollment = make_enrollment(
            make_user(f"{fresh('hv')}@example.vn", unit=province),
            course,
            klass=klass,
            status=EnrollmentStatus.completed,
        )
        serial = services.issue_certificate(enrollment)[0].serial
        data.session.flush()
        admin_id, province_code = admin.id, province.code
    reply = live_api.request(
        "GET", f"/api/v1/certificates/{serial}/credential", token=live_api.token(admin_id)
    )
    assert reply.status == 200
    token = reply.json["jwt"]
    kid = jwt.get_unverified_header(token)["kid"]
    jwks_url, thumbprint = kid.split("#")
    assert jwks_url == f"{live_api.url}/issuers/{province_code}/jwks.json"

    signing_key = jwt.PyJWKClient(jwks_url, cache_keys=False).get_signing_key_from_jwt(token)
    claims = jwt.decode(token, signing_key.key, algorithms=["RS256"])
    assert claims["credentialSubject"]["achievement"]["humanCode"] == serial
    assert _thumbprint(signing_key._jwk_data) == thumbprint
    assert signing_key.key_type == "RSA"
    assert urlsplit(claims["credentialStatus"]["statusListCredential"]).path.startswith(
        "/credentials/status/"
    )
    # One changed byte and the same library refuses it.
    head, payload, signature = token.split(".")
    raw = bytearray(crypto.b64url_decode(payload))
    raw[raw.index(serial.encode()) + len(serial) - 1] ^= 0x01
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(f"{head}.{crypto.b64url(bytes(raw))}.{signature}", signing_key.key,
                   algorithms=["RS256"])  # fmt: skip
