"""Journeys 3 and 8 in a browser: a class of 12 imported, its activation sheet printed, one
person activating with a code and completing a lesson; another following an invitation e-mail
from a real SMTP server; a learner resetting a forgotten password by SMS code through a real
HTTP gateway; an official signing in through a real OpenID provider; a citizen registering
with consent, downloading her data and asking for deletion."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from lms.auth.models import Role, User
from lms.catalog.models import Course
from lms.classes.models import Class
from lms.extensions import db
from lms.org.models import Unit
from tests.factories import enrol, make_class, make_course, make_unit, make_user
from tests.messages.servers import sms_gateway, smtp_server, text_of
from tests.oidc.server import oidc_provider, provider_setting

pytestmark = pytest.mark.e2e

CODE = "E2E-TSCD-01"
NAMES = [
    "Trần Văn Bảy", "Nguyễn Thị Lan", "Lê Văn Hùng", "Phạm Thị Mai", "Hoàng Văn Nam",
    "Vũ Thị Hoa", "Đặng Văn Long", "Bùi Thị Thu", "Đỗ Văn Tài", "Hồ Thị Hằng",
    "Ngô Văn Sơn", "Dương Thị Yến",
]  # fmt: skip
#: Twelve members of the commune's community tech team, phones typed as people type them.
TEAM = "Họ và tên;Số điện thoại;Email\n" + "".join(
    f"{name};{'+84 ' if i % 3 == 0 else '0'}9{i:02d} 146 {i:03d};"
    f"{'nam.e2e@example.vn' if name == 'Hoàng Văn Nam' else ''}\n"
    for i, name in enumerate(NAMES, start=10)
)
NEW_PASSWORD = "mat khau cua toi"


@pytest.fixture(scope="module")
def commune(live_app: Any) -> dict[str, Any]:
    with live_app.app_context():
        unit = make_unit("E2E-XA-TS", name="Xã Thử Sức")
        course = make_course(
            "e2e-to-cong-nghe", lessons=2, open=False, title="Tổ công nghệ số: việc của tổ"
        )
        make_user("tuan.tsc.e2e@example.vn", roles=(Role.official,), unit=unit,
                  full_name="Anh Tuấn", password="mat-khau-cua-tuan")  # fmt: skip
        make_class(course, code=CODE, unit=unit, title="Tổ công nghệ số cộng đồng", capacity=20)
        make_user("hoa.vaolop.e2e@example.vn", phone="0977146146", unit=unit, full_name="Bà Hoa",
                  password="mat-khau-cu")  # fmt: skip
        db.session.commit()
    return {"login": "tuan.tsc.e2e@example.vn", "password": "mat-khau-cua-tuan"}


def _log_in(page: Any, url: str, login: str, password: str, next_path: str = "/") -> None:
    page.goto(f"{url}/login?next={next_path}")
    page.fill("#login", login)
    page.fill("#password", password)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(f"**{next_path}")


def test_an_official_prints_the_sheet_and_a_member_activates_and_learns(
    browser: Any, page: Any, live_server: str, commune: dict[str, Any]
) -> None:
    page.set_viewport_size({"width": 800, "height": 1000})
    _log_in(page, live_server, commune["login"], commune["password"], f"/classes/{CODE}")
    page.locator("#import-link").click()
    page.set_input_files(
        "#import-file", {"name": "to.csv", "mimeType": "text/csv", "buffer": TEAM.encode()}
    )
    page.locator("#preview-button").click()
    page.locator("#apply-button").wait_for(state="visible")
    assert page.locator("#preview-table tbody tr").count() == 12
    page.locator("#apply-button").click()
    page.wait_for_url(f"**/classes/{CODE}?*")  # with the import's counts in the query
    assert page.locator("table.roster tbody tr").count() == 12
    assert "12 người của lớp chưa có mật khẩu" in page.locator("#access").inner_text()
    with page.expect_download() as download:
        page.locator("#print-sheet").click()
    pdf = PdfReader(io.BytesIO(Path(download.value.path()).read_bytes()))
    text = "".join(p.extract_text() for p in pdf.pages)
    slips = dict(re.findall(r"(\S+ \S+ \S+)\s*Xã Thử Sức\s*Mã kích hoạt: ([A-Z2-9]{5}-[A-Z2-9]{5})",
                            text))  # fmt: skip
    assert set(slips) == set(NAMES)

    # Chú Bảy, on his phone, with his slip.
    phone = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN").new_page()
    phone.goto(f"{live_server}/login")
    phone.get_by_role("link", name="Tôi có mã kích hoạt").click()
    phone.fill("#code", slips["Trần Văn Bảy"].lower().replace("-", " "))
    phone.get_by_role("button", name="Kiểm tra mã").click()
    assert "Chào Trần Văn Bảy" in phone.locator("main").inner_text()
    phone.fill("#password", NEW_PASSWORD)
    phone.fill("#password2", NEW_PASSWORD)
    phone.locator("#consent").check()
    phone.get_by_role("button", name="Đặt mật khẩu").click()
    phone.wait_for_url("**/my-learning")
    phone.locator("#resume").click()
    phone.locator("#mark-complete").click()
    phone.goto(f"{live_server}/my-learning")
    assert "Số bài đã học: 1" in phone.locator(".enrollment").inner_text()
    phone.context.close()

    # The invitations page shows who has activated.
    page.goto(f"{live_server}/users/access?state=all")
    row = page.locator("tr", has_text="Trần Văn Bảy")
    assert row.get_attribute("data-state") == "activated"
    assert page.locator('tr[data-state="invited"]').count() == 11


def test_an_invitation_email_is_followed_to_a_password(
    browser: Any, page: Any, live_server: str, live_app: Any, commune: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    with smtp_server(live_app, monkeypatch) as mailbox:
        _log_in(page, live_server, commune["login"], commune["password"], f"/classes/{CODE}")
        page.get_by_role("button", name="Gửi qua email").click()
        page.locator(".flash-success").wait_for()
        (received,) = mailbox.received
    assert received["To"] == "nam.e2e@example.vn"
    link = re.search(r"https?://\S+/activate\?code=\S+", text_of(received))
    assert link is not None
    path = link.group(0).split("/activate", 1)[1]
    other = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN").new_page()
    other.goto(f"{live_server}/activate{path}")
    assert "Chào Hoàng Văn Nam" in other.locator("main").inner_text()
    other.fill("#password", NEW_PASSWORD)
    other.fill("#password2", NEW_PASSWORD)
    other.locator("#consent").check()
    other.get_by_role("button", name="Đặt mật khẩu").click()
    other.wait_for_url("**/my-learning")
    other.context.close()


def test_a_learner_resets_a_forgotten_password_by_sms(
    page: Any, live_server: str, live_app: Any, commune: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    with sms_gateway(live_app, monkeypatch) as gateway:
        page.goto(f"{live_server}/login")
        page.get_by_role("link", name="Quên mật khẩu?").click()
        page.fill("#login", "0977 146 146")
        page.get_by_role("button", name="Gửi mã cho tôi").click()
        page.wait_for_url("**/reset?login=*")
        (request,) = gateway.requests
    assert request["json"]["Phone"] == "84977146146"
    code = re.search(r"\b(\d{6})\b", request["json"]["Content"])
    assert code is not None
    assert page.locator("#login").input_value() == "0977 146 146"
    page.fill("#code", code.group(1))
    page.fill("#password", NEW_PASSWORD)
    page.fill("#password2", NEW_PASSWORD)
    page.get_by_role("button", name="Đặt mật khẩu").click()
    page.wait_for_url("**/my-learning")
    page.locator("form[action$='/logout'] button").click()
    _log_in(page, live_server, "0977146146", NEW_PASSWORD)


def test_an_official_signs_in_with_the_provinces_single_sign_on(
    page: Any, live_server: str, live_app: Any, commune: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    accounts = {
        "lan.so": {"email": "lan.e2e@so.gov.vn", "email_verified": True, "name": "Chị Lan"},
    }
    with live_app.app_context():
        unit = db.session.scalar(select(Unit).where(Unit.code == "E2E-XA-TS"))
        course = db.session.scalar(select(Course).where(Course.slug == "e2e-to-cong-nghe"))
        klass = db.session.scalar(select(Class).where(Class.code == CODE))
        tuan = db.session.scalar(select(User).where(User.email == "tuan.tsc.e2e@example.vn"))
        lan = make_user("lan.e2e@so.gov.vn", unit=unit, full_name="Chị Lan", password=None)
        enrol(lan, course, klass=klass, by=tuan)
        db.session.commit()
    with oidc_provider(f"{live_server}/sso/tinh/callback", accounts) as issuer:
        monkeypatch.setitem(live_app.config, "BASE_URL", live_server)
        monkeypatch.setitem(live_app.config, "OIDC_PROVIDERS", [provider_setting(issuer)])
        page.goto(f"{live_server}/login")
        page.get_by_role("link", name="Đăng nhập một lần của Tỉnh").click()
        page.wait_for_url(f"{issuer}/**")
        page.fill("input[name=login]", "lan.so")
        page.fill("input[name=password]", "mat-khau-o-tinh")
        page.locator("button[type=submit]").click()
        page.wait_for_url(f"{live_server}/consent?**")  # her first sign-in: the notice first
        page.locator("#consent").check()
        page.get_by_role("button", name="Vào khoá học của tôi").click()
        page.wait_for_url(f"{live_server}/my-learning")
    assert "Tổ công nghệ số: việc của tổ" in page.locator("main").inner_text()


def test_a_citizen_registers_consents_downloads_her_data_and_asks_for_deletion(
    page: Any, live_server: str, commune: dict[str, Any]
) -> None:
    page.goto(f"{live_server}/register")
    page.fill("#login", "0912 146 777")
    page.fill("#full_name", "Bà Sáu Riêng Tư")
    page.fill("#password", "mat-khau-ba-sau")
    page.fill("#password2", "mat-khau-ba-sau")
    page.locator("form button[type=submit]").click()
    assert page.locator("#consent-error").is_visible()  # not without agreeing
    with page.context.expect_page() as notice:
        page.get_by_role("link", name="Đọc thông báo về quyền riêng tư").click()
    assert "Nghị định 13/2023/NĐ-CP" in notice.value.locator("main").inner_text()
    notice.value.close()
    page.fill("#password", "mat-khau-ba-sau")
    page.fill("#password2", "mat-khau-ba-sau")
    page.locator("#consent").check()
    page.locator("form button[type=submit]").click()
    page.get_by_text("Chào mừng Bà Sáu Riêng Tư!").wait_for()

    page.goto(f"{live_server}/me/data")
    with page.expect_download() as download:
        page.locator("#download-data").click()
    archive = zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes()))
    profile = json.loads(archive.read("profile.json"))
    assert (profile["full_name"], profile["phone"]) == ("Bà Sáu Riêng Tư", "0912146777")
    assert profile["privacy_notice_version"]

    page.fill("#reason", "Tôi không dùng nữa.")
    page.locator("#ask-deletion").click()
    page.locator(".flash-success").first.wait_for()
    assert "Bạn đã đề nghị xoá" in page.locator("#deletion").inner_text()
