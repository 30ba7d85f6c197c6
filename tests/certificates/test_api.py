"""The JSON API: listing, PDFs, credentials, verification, revocation, issuing; permissions."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from pypdf import PdfReader

from lms.certificates import pdfs, services
from lms.certificates.models import Certificate
from lms.classes.models import EnrollmentStatus
from tests.certificates.conftest import HOLDER_NAME, World
from tests.factories import make_enrollment, make_user

Headers = Callable[[object], dict[str, str]]


@pytest.fixture
def cert(world: World) -> Certificate:
    return services.issue_certificate(world.enrollment, by=world.trainer)[0]


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("holder", 200),
        ("trainer", 200),
        ("official_hp", 200),
        ("admin", 200),
        ("official_qt", 404),
        ("other_trainer", 404),
        ("stranger", 404),
    ],
)
def test_pdf_permissions(
    client: FlaskClient, auth_headers: Headers, world: World, cert: Certificate, who: str,
    status: int,
) -> None:  # fmt: skip
    response = client.get(
        f"/api/v1/certificates/{cert.serial}.pdf", headers=auth_headers(getattr(world, who))
    )
    assert response.status_code == status
    if status == 200:
        assert response.mimetype == "application/pdf"
        text = PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
        assert HOLDER_NAME in text
    else:
        assert response.json["code"] == 404


def test_pdf_needs_login(client: FlaskClient, cert: Certificate) -> None:
    response = client.get(f"/api/v1/certificates/{cert.serial}.pdf")
    assert response.status_code == 401
    assert response.json["message"]


def test_list_is_scoped(
    client: FlaskClient, auth_headers: Headers, world: World, cert: Certificate
) -> None:
    qt_person = make_user(unit=world.units["QT-DONGHOI"])
    enrollment = make_enrollment(qt_person, world.course, status=EnrollmentStatus.completed)
    qt_cert, _ = services.issue_certificate(enrollment)

    def serials(user: object, query: str = "") -> list[str]:
        response = client.get(f"/api/v1/certificates{query}", headers=auth_headers(user))
        assert response.status_code == 200
        return [item["serial"] for item in response.json["items"]]

    assert sorted(serials(world.admin)) == sorted([cert.serial, qt_cert.serial])
    assert serials(world.official_hp) == [cert.serial]
    assert serials(world.official_qt) == [qt_cert.serial]
    assert serials(world.holder) == [cert.serial]
    assert serials(qt_person) == [qt_cert.serial]
    assert serials(world.trainer) == [cert.serial]
    assert serials(world.other_trainer) == []
    assert serials(world.admin, "?unit=QT") == [qt_cert.serial]
    assert serials(world.admin, f"?course={world.course.slug}&status=valid") != []
    assert serials(world.admin, "?status=revoked") == []
    assert serials(world.admin, f"?user={world.holder.id}") == [cert.serial]
    assert serials(world.admin, f"?year={cert.year + 1}") == []


def test_list_rejects_bad_filters(client: FlaskClient, auth_headers: Headers, world: World) -> None:
    response = client.get("/api/v1/certificates?status=lost", headers=auth_headers(world.admin))
    assert response.status_code == 422
    assert "status" in response.json["errors"]
    response = client.get("/api/v1/certificates?colour=red", headers=auth_headers(world.admin))
    assert response.status_code == 422


def test_get_one(
    client: FlaskClient, auth_headers: Headers, world: World, cert: Certificate
) -> None:
    body = client.get(
        f"/api/v1/certificates/{cert.serial}", headers=auth_headers(world.holder)
    ).json
    assert body["serial"] == cert.serial
    assert body["holder"]["name"] == HOLDER_NAME
    assert body["holder"]["unit"] == "HP-HONGBANG"
    assert body["issuing_unit"]["code"] == "HP-SKHCN"
    assert body["links"]["verify"].endswith(f"/verify/{cert.serial}")
    missing = client.get("/api/v1/certificates/HP-2000-000001", headers=auth_headers(world.admin))
    assert missing.status_code == 404


def test_verify_by_serial_is_public(client: FlaskClient, cert: Certificate) -> None:
    body = client.get(f"/api/v1/certificates/{cert.serial}/verify").json
    assert body["status"] == "valid"
    assert body["certificate"]["holder"] == "Nguyễn T** H** H**"
    assert "signature" not in body["certificate"]
    unknown = client.get("/api/v1/certificates/HP-2000-000001/verify")
    assert unknown.status_code == 404
    assert unknown.json["status"] == "unknown"


def test_revoke(
    client: FlaskClient, auth_headers: Headers, world: World, cert: Certificate
) -> None:
    url = f"/api/v1/certificates/{cert.serial}/revoke"
    denied = client.post(url, json={"reason": "Sai."}, headers=auth_headers(world.official_qt))
    assert denied.status_code == 404
    denied = client.post(url, json={"reason": "Sai tên."}, headers=auth_headers(world.trainer))
    assert denied.status_code == 403
    bad = client.post(url, json={}, headers=auth_headers(world.official_hp))
    assert bad.status_code == 422
    assert "reason" in bad.json["errors"]
    ok = client.post(url, json={"reason": "Cấp nhầm."}, headers=auth_headers(world.official_hp))
    assert ok.status_code == 200
    assert ok.json["status"] == "revoked"
    again = client.post(url, json={"reason": "Lần nữa."}, headers=auth_headers(world.admin))
    assert again.status_code == 409
    assert again.json["message"]
    body = client.get(f"/api/v1/certificates/{cert.serial}/verify").json
    assert body["status"] == "revoked"
    assert body["certificate"]["revoked_reason"] == "Cấp nhầm."
    assert body["certificate"]["revoked_on"]


def test_manual_issue(client: FlaskClient, auth_headers: Headers, world: World) -> None:
    enrollment = make_enrollment(
        make_user(unit=world.units["HP-HONGBANG"]), world.course, klass=world.klass,
        quiz_score=0.5,
    )  # fmt: skip
    url = f"/api/v1/enrollments/{enrollment.id}/certificate"
    shown = client.get(url, headers=auth_headers(world.trainer)).json
    assert shown["certificate"] is None
    assert shown["completion"]["met"] is False
    refused = client.post(url, json={}, headers=auth_headers(world.trainer))
    assert refused.status_code == 422
    assert "override_reason" in refused.json["errors"]
    assert services.certificate_for_enrollment(enrollment.id) is None
    forbidden = client.post(url, json={"override_reason": "x"}, headers=auth_headers(world.holder))
    assert forbidden.status_code == 403
    typo = client.post(url, json={"reason": "x"}, headers=auth_headers(world.trainer))
    assert typo.status_code == 422
    created = client.post(
        url, json={"override_reason": "Đi công tác nửa ngày."}, headers=auth_headers(world.trainer)
    )
    assert created.status_code == 201
    assert created.json["override_reason"] == "Đi công tác nửa ngày."
    assert created.headers["Location"].endswith(created.json["serial"])
    again = client.post(url, json={}, headers=auth_headers(world.trainer))
    assert (again.status_code, again.json["serial"]) == (200, created.json["serial"])
    # The body may be left out, but one that is there must be JSON: never taken for no body.
    assert client.post(url, headers=auth_headers(world.trainer)).status_code == 200
    for junk in ("A~;", "{"):
        refused = client.post(url, data=junk, content_type="application/json",
                              headers=auth_headers(world.trainer))  # fmt: skip
        assert refused.status_code == 400, junk
    as_text = client.post(url, data="A~;", content_type="text/plain",
                          headers=auth_headers(world.trainer))  # fmt: skip
    assert as_text.status_code == 400
    assert client.post("/api/v1/enrollments/999999/certificate", json={},
                       headers=auth_headers(world.admin)).status_code == 404  # fmt: skip


def test_bulk_issue_for_a_class(client: FlaskClient, auth_headers: Headers, world: World) -> None:
    behind = make_enrollment(
        make_user(unit=world.units["HP-HONGBANG"]), world.course, klass=world.klass,
        quiz_score=None,
    )  # fmt: skip
    url = f"/api/v1/classes/{world.klass.code}/certificates"
    # Another trainer does not see the class at all: 404, as for a class that does not exist.
    assert client.post(url, json={}, headers=auth_headers(world.other_trainer)).status_code == 404
    body = client.post(url, json={}, headers=auth_headers(world.trainer)).json
    assert [r["enrollment_id"] for r in body["issued"]] == [world.enrollment.id]
    assert [(r["enrollment_id"], r["reason"]) for r in body["skipped"]] == [
        (behind.id, "rule_not_met")
    ]
    overview = client.get(url, headers=auth_headers(world.trainer)).json
    assert overview["total"] == 2
    bad = client.post(url, json={"override_reasons": {"abc": "x"}},
                      headers=auth_headers(world.trainer))  # fmt: skip
    assert bad.status_code == 422
    assert client.post("/api/v1/classes/NOPE/certificates", json={},
                       headers=auth_headers(world.admin)).status_code == 404  # fmt: skip


def test_credential_and_upload_verification(
    client: FlaskClient, auth_headers: Headers, world: World, cert: Certificate
) -> None:
    response = client.get(
        f"/api/v1/certificates/{cert.serial}/credential", headers=auth_headers(world.holder)
    )
    assert response.status_code == 200
    token = response.json["jwt"]
    assert response.json["credential"]["type"][1] == "OpenBadgeCredential"
    raw = client.get(
        f"/api/v1/certificates/{cert.serial}/credential",
        headers=auth_headers(world.holder) | {"Accept": "application/vc+jwt"},
    )
    assert raw.mimetype == "application/vc+jwt"
    assert raw.get_data(as_text=True) == token

    ok = client.post("/api/v1/certificates/verify", json={"credential": token})
    assert (ok.status_code, ok.json["status"]) == (200, "valid")
    head, body, sig = token.split(".")
    tampered = f"{head}.{body[:-2]}{'A' if body[-2] != 'A' else 'B'}{body[-1]}.{sig}"
    bad = client.post("/api/v1/certificates/verify", json={"credential": tampered})
    assert (bad.status_code, bad.json["status"]) == (422, "invalid")
    missing = client.post("/api/v1/certificates/verify", json={})
    assert missing.status_code == 422

    pdf = client.get(
        f"/api/v1/certificates/{cert.serial}.pdf", headers=auth_headers(world.holder)
    ).data
    upload = client.post(
        "/api/v1/certificates/verify",
        data={"file": (io.BytesIO(pdf), "cert.pdf")},
        content_type="multipart/form-data",
    )
    assert (upload.status_code, upload.json["status"]) == (200, "valid")
    changed = pdf.replace(b"ReportLab", b"ReportLaB", 1)
    upload = client.post(
        "/api/v1/certificates/verify",
        data={"file": (io.BytesIO(changed), "cert.pdf")},
        content_type="multipart/form-data",
    )
    assert (upload.status_code, upload.json["status"]) == (422, "invalid")


def test_jwks_is_published(client: FlaskClient, cert: Certificate) -> None:
    response = client.get("/.well-known/lms-keys.json")
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert [k["kid"] for k in response.json["keys"]] == [cert.kid]
    key = response.json["keys"][0]
    assert (key["kty"], key["crv"], key["alg"]) == ("OKP", "Ed25519", "EdDSA")


def test_issuer_profile(client: FlaskClient, cert: Certificate) -> None:
    body = client.get("/issuers/HP-SKHCN").json
    assert body["type"] == ["Profile"]
    assert body["name"] == "Sở Khoa học và Công nghệ Hải Phòng"
    assert client.get("/issuers/NOPE").status_code == 404


def test_openapi_documents_the_endpoints(client: FlaskClient) -> None:
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in (
        "/api/v1/certificates",
        "/api/v1/certificates/{serial}.pdf",
        "/api/v1/certificates/{serial}/verify",
        "/api/v1/certificates/verify",
        "/api/v1/certificates/{serial}/revoke",
        "/api/v1/enrollments/{enrollment_id}/certificate",
        "/api/v1/classes/{code}/certificates",
    ):
        assert path in paths


def test_pdf_cache_is_reused(world: World, cert: Certificate) -> None:
    first = pdfs.certificate_pdf(cert)
    assert pdfs.certificate_pdf(cert) is not first
    assert pdfs.certificate_pdf(cert) == first


def _unsigned(header: str) -> str:
    """A JWT-shaped credential whose header is this JSON text (the signature is junk)."""
    encode = lambda text: base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()  # noqa: E731
    return f"{encode(header)}.{encode('{}')}.c2ln"


@pytest.mark.parametrize(
    "header",
    [
        '{"alg": "RS256", "kid": "did:web:x#\\u0000"}',
        '{"alg": "EdDSA", "kid": "\\u0000"}',
        '{"alg": "RS256", "kid": "did:web:x#\\ud800"}',
        '{"alg": "EdDSA", "kid": "\\ud800"}',
        '{"alg": "EdDSA", "kid": "' + "k" * 5000 + '"}',
    ],
    ids=["rs256-nul", "eddsa-nul", "rs256-surrogate", "eddsa-surrogate", "eddsa-long"],
)
def test_a_key_id_no_key_can_have_is_an_invalid_credential_not_a_500(
    client: FlaskClient, header: str
) -> None:
    """The key id comes from the credential's header, decoded from base64 after the edge saw
    the request: a NUL (PostgreSQL refuses it) or an unpaired surrogate (not encodable) went
    into the key lookup and answered anyone 500."""
    token = _unsigned(header)
    for response in (
        client.post("/api/v1/certificates/verify", json={"credential": token}),
        client.post("/verify", data={"credential": token}),
    ):
        assert response.status_code == 422, response.status_code
    answer = client.post("/api/v1/certificates/verify", json={"credential": token}).json
    assert answer["status"] == "invalid"
    assert answer["problems"] == ["signature"]
