"""In a real browser at 360 px: the learner's certificates, and anyone checking one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lms.extensions import db

pytestmark = pytest.mark.e2e

PASSWORD = "mat-khau-146"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def cert_world(live_app: Any) -> dict[str, str]:
    from lms.certificates import pdfs, services
    from lms.classes.models import EnrollmentStatus
    from lms.org.models import UnitKind
    from tests.certificates.factories import CERTIFIED
    from tests.factories import make_course, make_enrollment, make_signer, make_unit, make_user

    with live_app.app_context():
        province = make_unit(
            "E2EC-P", kind=UnitKind.province, name="Thành phố Thử Nghiệm", serial_prefix="EC"
        )
        ward = make_unit("E2EC-W", kind=UnitKind.commune, name="Phường An Biên", parent=province)
        make_signer(province, name="Phạm Thị Lan", title="Giám đốc")
        admin = make_user(roles=("admin",), unit=province)
        holder = make_user(
            "hoa.e2ec@demo.lms.vn", unit=ward, full_name="Nguyễn Thị Hoa", password=PASSWORD
        )
        course = make_course(**{**CERTIFIED, "title": "Dịch vụ công trực tuyến cho người dân"})
        good = make_enrollment(holder, course, status=EnrollmentStatus.completed)
        cert, _ = services.issue_certificate(good)
        other = make_enrollment(
            make_user(unit=ward, full_name="Trần Văn Nam"), make_course(**CERTIFIED),
            status=EnrollmentStatus.completed,
        )  # fmt: skip
        revoked, _ = services.issue_certificate(other)
        services.revoke_certificate(revoked, by=admin, reason="Cấp nhầm.")
        token = pdfs.credential_token(cert)
        db.session.commit()
        return {
            "serial": cert.serial,
            "revoked": revoked.serial,
            "token": token,
            "email": holder.email or "",
        }


def test_anyone_checks_a_certificate_on_a_phone(
    page: Any, live_server: str, cert_world: dict[str, str]
) -> None:
    page.goto(f"{live_server}/verify/{cert_world['serial']}")
    verdict = page.locator(".verdict")
    assert verdict.get_attribute("data-status") == "valid"
    assert "Chứng nhận hợp lệ" in verdict.inner_text()
    assert "Nguyễn T** H**" in verdict.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "verify-360.png"), full_page=True)

    page.goto(f"{live_server}/verify/{cert_world['revoked']}")
    assert page.locator(".verdict").get_attribute("data-status") == "revoked"
    assert "Đã thu hồi" in page.locator(".verdict").inner_text()

    page.goto(f"{live_server}/verify")
    head, body, sig = cert_world["token"].split(".")
    page.fill("#credential", f"{head}.{body[:-1]}{'A' if body[-1] != 'A' else 'B'}.{sig}")
    page.locator("form[enctype] button[type=submit]").click()
    page.wait_for_selector(".verdict")
    assert page.locator(".verdict").get_attribute("data-status") == "invalid"


def test_learner_downloads_her_certificate(
    page: Any, live_server: str, cert_world: dict[str, str]
) -> None:
    page.goto(f"{live_server}/login?next=/certificates")
    page.fill("#login", cert_world["email"])
    page.fill("#password", PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url("**/certificates")
    card = page.locator(f'article.cert-card[data-serial="{cert_world["serial"]}"]')
    assert "Dịch vụ công trực tuyến cho người dân" in card.inner_text()
    assert card.locator("img.cert-qr").evaluate("img => img.naturalWidth") > 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "my-certificates-360.png"), full_page=True)
    with page.expect_download() as download:
        card.locator("a[download]").click()
    path = download.value.path()
    with open(path, "rb") as fh:
        assert fh.read(5) == b"%PDF-"


def test_other_systems_post_a_credential_without_a_session(
    live_server: str, cert_world: dict[str, str]
) -> None:
    """The check is public: no cookie, no CSRF token, no bearer token (CSRF is on here)."""
    import json
    import urllib.request

    request = urllib.request.Request(
        f"{live_server}/api/v1/certificates/verify",
        data=json.dumps({"credential": cert_world["token"]}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        body = json.loads(response.read())
    assert body["status"] == "valid"
    with urllib.request.urlopen(f"{live_server}/.well-known/lms-keys.json", timeout=10) as keys:
        assert json.loads(keys.read())["keys"]
