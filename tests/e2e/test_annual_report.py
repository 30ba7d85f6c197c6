"""A ward's official submits last year's report in the browser; the city's official sees it,
late (last year's deadline has passed), and downloads the city's report compiling it."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

import pytest

from lms.auth.models import Role
from lms.extensions import db
from lms.org import services as org
from tests.factories import make_user

pytestmark = pytest.mark.e2e

YEAR = date.today().year - 1
PASSWORD = "mat-khau-146"


@pytest.fixture(scope="module")
def report_world(live_app: Any) -> dict[str, str]:
    from lms.stats.demo import create_plan

    with live_app.app_context():
        start = date(YEAR - 1, 1, 1)
        city = org.create_unit(
            code="E2R-P",
            name="Thành phố Thử Nghiệm",
            kind="province",
            report_day=10,
            valid_from=start,
            by=None,
        )
        org.create_unit(code="E2R-X", name="Phường Hòa Bình", kind="commune", parent=city, by=None)
        org.create_unit(code="E2R-Y", name="Phường An Lạc", kind="commune", parent=city, by=None)
        create_plan(city)
        ward = org.get_unit("E2R-X")
        make_user("ward.e2r@demo.lms.vn", roles=(Role.official,), unit=ward, password=PASSWORD)
        make_user("city.e2r@demo.lms.vn", roles=(Role.official,), unit=city, password=PASSWORD)
        db.session.commit()
    return {"ward": "ward.e2r@demo.lms.vn", "city": "city.e2r@demo.lms.vn"}


def login(page: Any, live_server: str, email: str, next_url: str) -> None:
    page.goto(f"{live_server}/login?next={quote(next_url)}")
    page.fill("#login", email)
    page.fill("#password", PASSWORD)
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.wait_for_url(f"**{next_url.split('?')[0]}**")


def test_a_ward_submits_and_the_city_sees_it_late(
    page: Any, live_server: str, report_world: dict[str, str]
) -> None:
    login(page, live_server, report_world["ward"], f"/reports?unit=E2R-X&year={YEAR}")
    state = page.locator("section.report-state")
    assert state.get_attribute("data-state") == "draft"
    confirm = page.locator('input[name="confirm"]')
    assert confirm.get_attribute("required") is not None  # the browser asks first
    confirm.check()
    page.get_by_role("button", name=f"Gửi báo cáo năm {YEAR}").click()
    page.wait_for_load_state()
    assert page.locator("section.report-state").get_attribute("data-state") == "submitted"
    assert "Số: 01/BC-E2RX" in page.locator("section.report-state").inner_text()
    assert page.locator('input[name="confirm"]').count() == 0

    page.goto(f"{live_server}/logout")
    page.context.clear_cookies()
    login(page, live_server, report_world["city"], f"/reports?unit=E2R-P&year={YEAR}")
    row = page.locator('table.submissions tr[data-unit="E2R-X"]')
    assert row.get_attribute("data-status") == "late"
    assert "Số: 01/BC-E2RX" in row.inner_text()
    assert "Gửi muộn" in row.inner_text()
    other = page.locator('table.submissions tr[data-unit="E2R-Y"]')
    assert other.get_attribute("data-status") == "overdue"
    assert "Phường An Lạc" in page.locator(".missing").inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name="Báo cáo (PDF)").click()
    assert download.value.suggested_filename == f"bao-cao-E2R-P-{YEAR}-du-thao.pdf"
