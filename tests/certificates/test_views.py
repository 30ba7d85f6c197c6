"""Browser pages: the public verification page, my certificates, the trainer's class page."""

from __future__ import annotations

import io

import flask_babel
import pytest
from flask.testing import FlaskClient

from lms.certificates import pdfs, services
from lms.certificates.models import Certificate
from tests.certificates.conftest import HOLDER_NAME, World
from tests.factories import make_enrollment, make_user

PASSWORD = "correct horse battery"


def login(client: FlaskClient, user: object) -> None:
    response = client.post("/login", data={"login": user.email, "password": PASSWORD})  # type: ignore[attr-defined]
    assert response.status_code == 302


@pytest.fixture
def cert(world: World) -> Certificate:
    return services.issue_certificate(world.enrollment, by=world.trainer)[0]


def test_public_verification_page_needs_no_login(client: FlaskClient, cert: Certificate) -> None:
    response = client.get(f"/verify/{cert.serial}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'data-status="valid"' in page
    assert "Nguyễn T** H** H**" in page
    assert HOLDER_NAME not in page
    assert cert.course_title in page
    assert "Sở Khoa học và Công nghệ Hải Phòng" in page


def test_verification_page_shows_revocation_with_its_date(
    client: FlaskClient, world: World, cert: Certificate
) -> None:
    services.revoke_certificate(cert, by=world.admin, reason="Cấp nhầm.")
    page = client.get(f"/verify/{cert.serial}").get_data(as_text=True)
    assert 'data-status="revoked"' in page
    assert services.local_date(cert.revoked_at).strftime("%d/%m/%Y") in page


def test_unknown_serial_page_is_404(client: FlaskClient, db: object) -> None:
    response = client.get("/verify/HP-2000-000001")
    assert response.status_code == 404
    assert 'data-status="unknown"' in response.get_data(as_text=True)


def test_pasted_credential_is_checked(client: FlaskClient, cert: Certificate) -> None:
    token = pdfs.credential_token(cert)
    ok = client.post("/verify", data={"credential": token})
    assert ok.status_code == 200
    assert 'data-status="valid"' in ok.get_data(as_text=True)
    head, body, sig = token.split(".")
    bad = client.post("/verify", data={"credential": f"{head}.{body}x.{sig}"})
    assert bad.status_code == 422
    assert 'data-status="invalid"' in bad.get_data(as_text=True)
    # Inside the red "not genuine" box, no green "valid" badge for the register's record.
    assert "badge-valid" not in bad.get_data(as_text=True)
    assert "badge-valid" in ok.get_data(as_text=True)
    empty = client.post("/verify", data={})
    assert empty.status_code == 422


def test_uploaded_pdf_is_checked(client: FlaskClient, cert: Certificate) -> None:
    pdf = pdfs.certificate_pdf(cert)
    ok = client.post(
        "/verify", data={"file": (io.BytesIO(pdf), "c.pdf")}, content_type="multipart/form-data"
    )
    assert 'data-status="valid"' in ok.get_data(as_text=True)


def test_serial_form_redirects_to_the_page(client: FlaskClient, db: object) -> None:
    response = client.get("/verify?serial=hp-2026-000001")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/verify/HP-2026-000001")
    assert client.get("/verify").status_code == 200


def test_qr_svg_is_public(client: FlaskClient, cert: Certificate) -> None:
    response = client.get(f"/certificates/{cert.serial}/qr.svg")
    assert response.mimetype == "image/svg+xml"
    assert response.get_data(as_text=True).startswith("<svg")


def test_my_certificates_page(client: FlaskClient, world: World, cert: Certificate) -> None:
    assert client.get("/certificates").status_code == 302
    login(client, world.holder)
    page = client.get("/certificates").get_data(as_text=True)
    assert cert.serial in page
    assert f"/api/v1/certificates/{cert.serial}.pdf" in page
    assert f"/verify/{cert.serial}" in page
    assert f"/certificates/{cert.serial}/qr.svg" in page


def test_my_certificates_page_when_empty(client: FlaskClient, world: World) -> None:
    login(client, world.stranger)
    assert client.get("/certificates").status_code == 200


@pytest.mark.parametrize("bogus", ["99999999999", "abc", "-1"])
def test_a_bogus_enrollment_id_on_the_class_page_issues_nothing(
    client: FlaskClient, world: World, bogus: str
) -> None:
    login(client, world.trainer)
    url = f"/certificates/classes/{world.klass.code}"
    response = client.post(url, data={"enrollment_id": bogus}, follow_redirects=True)
    assert response.status_code == 200
    assert services.certificate_for_enrollment(world.enrollment.id) is None


def test_trainer_class_page_issues_with_a_reason(client: FlaskClient, world: World) -> None:
    behind = make_enrollment(
        make_user(unit=world.units["HP-HONGBANG"], full_name="Võ Văn Dũng"), world.course,
        klass=world.klass, quiz_score=0.4,
    )  # fmt: skip
    login(client, world.trainer)
    url = f"/certificates/classes/{world.klass.code}"
    page = client.get(url).get_data(as_text=True)
    assert "Võ Văn Dũng" in page
    assert client.post(url, data={}).status_code == 302
    assert services.certificate_for_enrollment(world.enrollment.id) is not None
    assert services.certificate_for_enrollment(behind.id) is None
    client.post(url, data={"enrollment_id": behind.id})
    assert services.certificate_for_enrollment(behind.id) is None
    client.post(url, data={"enrollment_id": behind.id, "override_reason": "Công tác."})
    assert services.certificate_for_enrollment(behind.id).override_reason == "Công tác."
    # The reason is kept and shown afterwards, beside the certificate.
    assert "Công tác." in client.get(url).get_data(as_text=True)


def test_class_page_is_not_for_other_trainers(client: FlaskClient, world: World) -> None:
    login(client, world.other_trainer)
    # As for an unknown code: class codes of others do not leak.
    assert client.get(f"/certificates/classes/{world.klass.code}").status_code == 404


def test_pages_are_vietnamese_first(client: FlaskClient, cert: Certificate) -> None:
    page = client.get(f"/verify/{cert.serial}").get_data(as_text=True)
    assert "Chứng nhận hợp lệ" in page
    assert "Kiểm tra chứng nhận" in page
    client.post("/lang/en")
    # The db fixture's app context outlives requests, and Flask-Babel caches the catalog
    # in it; a real request starts with a fresh one.
    flask_babel.refresh()
    page = client.get(f"/verify/{cert.serial}").get_data(as_text=True)
    assert "Valid certificate" in page
