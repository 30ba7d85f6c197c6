"""A person logs in through the real login page on a phone-sized screen and switches language."""

from __future__ import annotations

from typing import Any

import pytest

from lms.auth.models import Role
from lms.extensions import db
from tests.factories import make_user

pytestmark = pytest.mark.e2e


@pytest.fixture
def official(live_app: Any) -> str:
    with live_app.app_context():
        user = make_user(
            "tuan.e2e@example.vn", roles=(Role.official,), full_name="Trần Minh Tuấn", phone=None
        )
        email = user.email
        db.session.commit()
    return str(email)


def _fits_the_screen(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_login_then_switch_language_on_a_360px_screen(
    page: Any, live_server: str, official: str
) -> None:
    page.goto(f"{live_server}/login")
    assert page.viewport_size["width"] == 360
    page.get_by_role("heading", name="Đăng nhập").wait_for()
    assert _fits_the_screen(page)
    page.get_by_label("Email hoặc số điện thoại").fill(official)
    page.get_by_label("Mật khẩu").fill("correct horse battery")
    page.locator("form button[type=submit]").click()
    page.get_by_role("heading", name="Xin chào, Trần Minh Tuấn").wait_for()
    # The heading is in the DOM before the stylesheet and the deferred script have loaded.
    page.wait_for_load_state("load")
    assert page.url == f"{live_server}/"
    assert page.locator("html").get_attribute("lang") == "vi"
    assert page.get_by_text("Bạn muốn làm gì?").is_visible()
    assert _fits_the_screen(page)

    menu = page.locator(".menu-toggle")
    assert menu.is_visible()
    assert not page.locator("#mainnav").is_visible()
    menu.click()
    assert page.locator("#mainnav").get_by_role("link", name="Người dùng").is_visible()
    assert menu.get_attribute("aria-expanded") == "true"

    for path in ("/users", "/api/docs", "/register"):
        page.goto(f"{live_server}{path}")
        assert _fits_the_screen(page), path
    page.goto(f"{live_server}/")

    page.get_by_role("button", name="English").click()
    page.get_by_role("heading", name="Hello, Trần Minh Tuấn").wait_for()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_text("Where to go").is_visible()
    assert page.get_by_role("button", name="Log out").is_visible()
    assert _fits_the_screen(page)

    page.get_by_role("button", name="Tiếng Việt").click()
    page.get_by_role("heading", name="Xin chào, Trần Minh Tuấn").wait_for()
    page.get_by_role("button", name="Đăng xuất").click()
    page.get_by_text("Bạn đã đăng xuất.").wait_for()
    assert page.get_by_role("link", name="Đăng ký").first.is_visible()


def test_citizen_registers_with_a_phone_number_on_a_360px_screen(
    page: Any, live_server: str, live_app: Any
) -> None:
    from tests.factories import make_unit

    with live_app.app_context():
        province = make_unit("E2E-HP", kind="province", name="Thành phố Hải Phòng (e2e)")
        make_unit("E2E-HONGBANG", parent=province, name="Phường Hồng Bàng (e2e)")
        db.session.commit()
    page.goto(f"{live_server}/")
    page.get_by_role("link", name="Đăng ký miễn phí").click()
    page.get_by_role("heading", name="Tạo tài khoản").wait_for()
    assert _fits_the_screen(page)
    page.get_by_label("Số điện thoại hoặc email").fill("0912 146 146")
    page.get_by_label("Họ và tên").fill("Nguyễn Thị Hoa")
    page.get_by_label("Phường, xã nơi bạn sống").select_option("E2E-HONGBANG")
    page.get_by_label("Mật khẩu", exact=True).fill("hoa-mat-khau")
    page.get_by_label("Nhập lại mật khẩu").fill("hoa-mat-khau")
    page.locator("#consent").check()
    page.locator("form button[type=submit]").click()
    page.get_by_text("Chào mừng Nguyễn Thị Hoa!").wait_for()
    assert page.get_by_role("button", name="Đăng xuất").is_visible()
