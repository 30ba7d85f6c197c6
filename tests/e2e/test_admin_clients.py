"""Journey 2's first step: the province's admin makes a key for the MOOC platform on a page
(it took two API calls), copies the secret with one click, and the key works at /xapi."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from lms.auth.models import Role
from lms.extensions import db
from tests.factories import make_user

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def admin(live_app: Any) -> dict[str, str]:
    with live_app.app_context():
        make_user(
            "admin.clients@example.vn",
            roles=(Role.admin,),
            full_name="Quản trị",
            password="mat-khau-quan-tri",
        )
        db.session.commit()
    return {"login": "admin.clients@example.vn", "password": "mat-khau-quan-tri"}


def test_admin_creates_a_key_and_copies_the_secret_in_one_click(
    page: Any, live_server: str, admin: dict[str, str]
) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server}/login")
    page.fill("#login", admin["login"])
    page.fill("#password", admin["password"])
    page.locator("form button[type=submit]").click()
    page.wait_for_url(f"{live_server}/")
    page.get_by_role("link", name="Ứng dụng kết nối LRS").first.click()
    page.fill("#new-client-name", "Nền tảng MOOC quốc gia")
    page.locator("#new-client button[type=submit]").click()
    secret = page.locator("#new-secret-value").inner_text()
    key = page.locator("#new-key").inner_text()
    assert len(secret) > 30

    page.get_by_role("button", name="Sao chép mã bí mật").click()
    page.wait_for_function("document.getElementById('copy-status').textContent.length > 0")
    assert page.evaluate("navigator.clipboard.readText()") == secret
    assert page.locator("#copy-status").inner_text() == "Đã sao chép"

    token = base64.b64encode(f"{key}:{secret}".encode()).decode()
    about = page.request.get(
        f"{live_server}/xapi/statements",
        headers={"Authorization": f"Basic {token}", "X-Experience-API-Version": "1.0.3"},
    )
    assert about.status == 200
    # Shown once: the list page does not show it again.
    page.goto(f"{live_server}/learning/clients")
    assert secret not in page.content()
