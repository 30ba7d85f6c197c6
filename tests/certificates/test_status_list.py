"""Revocation seen from outside: the W3C Bitstring Status List and the revoked PDF."""

from __future__ import annotations

import base64
import gzip
import io
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import jwt
import pytest
from flask.testing import FlaskClient
from pypdf import PdfReader

from lms.certificates import services
from lms.certificates.models import Certificate
from lms.classes.models import EnrollmentStatus
from lms.extensions import db
from tests.certificates.conftest import World
from tests.factories import make_enrollment, make_user

Headers = Callable[[object], dict[str, str]]


@pytest.fixture
def cert(world: World) -> Certificate:
    return services.issue_certificate(world.enrollment, by=world.trainer)[0]


def _credential(client: FlaskClient, headers: dict[str, str], serial: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/certificates/{serial}/credential", headers=headers)
    assert response.status_code == 200
    return response.json["credential"]


def _read_list(client: FlaskClient, url: str) -> dict[str, Any]:
    """What a verifier does: fetch the list, check its JWS with the published key, decode."""
    response = client.get(urlsplit(url).path)
    assert response.status_code == 200
    assert response.mimetype == "application/vc+jwt"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    token = response.get_data(as_text=True)
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256"
    # The kid is a URL: the issuer's key set, the key named by the fragment.
    jwks = jwt.PyJWKSet.from_dict(client.get(urlsplit(header["kid"]).path).json)
    key = next(k for k in jwks.keys if k.key_id == header["kid"])
    return jwt.decode(token, key.key, algorithms=["RS256"])


def _bit(encoded: str, index: int) -> bool:
    assert encoded[0] == "u"  # multibase base64url, no padding
    raw = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert len(raw) * 8 >= 131_072
    return bool(raw[index // 8] & (0x80 >> (index % 8)))


def test_revoking_sets_the_bit_a_verifier_reads(
    client: FlaskClient, auth_headers: Headers, world: World, cert: Certificate
) -> None:
    other = make_enrollment(make_user(unit=world.units["HP-HONGBANG"]), world.course,
                            klass=world.klass, status=EnrollmentStatus.completed)  # fmt: skip
    second = services.issue_certificate(other, by=world.trainer)[0]
    db.session.commit()
    status = _credential(client, auth_headers(world.holder), cert.serial)["credentialStatus"]
    assert status["type"] == "BitstringStatusListEntry"
    assert status["statusPurpose"] == "revocation"
    assert status["statusListIndex"] == str(cert.status_index)
    assert status["id"] == f"{status['statusListCredential']}#{cert.status_index}"
    assert second.status_list_id == cert.status_list_id
    assert second.status_index != cert.status_index

    listed = _read_list(client, status["statusListCredential"])
    assert listed["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert listed["id"] == status["statusListCredential"]
    assert listed["issuer"].endswith("/issuers/HP-SKHCN")
    subject = listed["credentialSubject"]
    assert subject["type"] == "BitstringStatusList"
    assert subject["statusPurpose"] == "revocation"
    assert not _bit(subject["encodedList"], cert.status_index)

    response = client.post(
        f"/api/v1/certificates/{cert.serial}/revoke",
        json={"reason": "Cấp nhầm người."},
        headers=auth_headers(world.official_hp),
    )
    assert response.status_code == 200
    after = _read_list(client, status["statusListCredential"])["credentialSubject"]
    assert _bit(after["encodedList"], cert.status_index)
    assert not _bit(after["encodedList"], second.status_index)


def test_each_issuer_has_its_own_list(world: World, cert: Certificate) -> None:
    qt_person = make_user(unit=world.units["QT-DONGHOI"])
    online = make_enrollment(qt_person, world.course, status=EnrollmentStatus.completed)
    qt_cert = services.issue_certificate(online)[0]
    assert qt_cert.status_list_id != cert.status_list_id
    assert qt_cert.status_index == 0


def test_the_list_answers_json_when_asked_and_404_when_unknown(
    client: FlaskClient, cert: Certificate
) -> None:
    db.session.commit()
    body = client.get(
        f"/credentials/status/{cert.status_list_id}", headers={"Accept": "application/json"}
    ).json
    assert body["credential"]["credentialSubject"]["encodedList"].startswith("u")
    assert body["jwt"].count(".") == 2
    assert client.get("/credentials/status/999999").status_code == 404


def test_a_revoked_certificate_pdf_carries_the_mark_and_date(
    client: FlaskClient, auth_headers: Headers, world: World, cert: Certificate
) -> None:
    db.session.commit()
    url = f"/api/v1/certificates/{cert.serial}.pdf"
    original = client.get(url, headers=auth_headers(world.holder)).data
    assert "REVOKED" not in PdfReader(io.BytesIO(original)).pages[0].extract_text()
    services.revoke_certificate(cert, by=world.admin, reason="Cấp nhầm người.")
    day = services.local_date(cert.revoked_at).strftime("%d/%m/%Y")  # type: ignore[arg-type]
    db.session.commit()
    revoked = client.get(url, headers=auth_headers(world.holder)).data
    text = PdfReader(io.BytesIO(revoked)).pages[0].extract_text()
    assert "ĐÃ THU HỒI / REVOKED" in text
    assert day in text
    # The original stays in the archive: uploaded, it is recognised, and it says "revoked".
    for pdf in (original, revoked):
        check = client.post(
            "/api/v1/certificates/verify", data={"file": (io.BytesIO(pdf), "c.pdf")}
        )
        assert check.status_code == 200
        assert check.json["status"] == "revoked"
