"""An official opens the dashboard, reads the indicator cards and drills down to a commune."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from lms.auth.models import Role
from lms.extensions import db
from lms.org import services as org
from lms.org.models import Headcount
from tests.factories import make_user

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def dashboard_world(live_app: Any) -> dict[str, str]:
    from lms.stats.demo import create_plan
    from tests.factories import make_course
    from tests.stats.conftest import issue

    year = date.today().year
    with live_app.app_context():
        province = org.create_unit(
            code="E2E-P", name="Tỉnh Thử Nghiệm", kind="province", report_day=15, by=None
        )
        commune = org.create_unit(
            code="E2E-X", name="Xã Hòa Bình", kind="commune", parent=province, by=None
        )
        db.session.add(Headcount(unit_id=commune.id, target_group="official", year=year, count=4))
        course = make_course(
            "e2e-cb", title="Khoá e2e-cb", lessons=0, hours=8, indicators=["officials_trained"]
        )
        for _ in range(3):
            person = make_user(unit=commune, target_group="official")
            issue(
                person,
                course,
                date(year, 1, 2),
                unit=commune,
                target_group="official",
                issuing=commune,
            )
        create_plan(province)
        make_user(
            "lan.e2e@demo.lms.vn",
            roles=(Role.official,),
            unit=province,
            password="mat-khau-146",
            full_name="Trần Thị Lan",
        )
        db.session.commit()
    return {"email": "lan.e2e@demo.lms.vn", "password": "mat-khau-146"}


def test_official_reads_the_dashboard_and_drills_down(
    page: Any, live_server: str, dashboard_world: dict[str, str]
) -> None:
    page.goto(f"{live_server}/login?next=/dashboard")
    page.fill("#login", dashboard_world["email"])
    page.fill("#password", dashboard_world["password"])
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.wait_for_url("**/dashboard**")
    card = page.locator('article.indicator[data-code="officials_trained"]')
    card.wait_for()
    assert "75,0%" in card.inner_text()  # 3 of 4 officials, in Vietnamese format
    assert page.locator(".progress").first.is_visible()
    behind = page.locator('table.behind-table tr[data-unit="E2E-X"]')
    assert "75,0%" in behind.inner_text()  # the ward against the targets
    behind.get_by_role("link", name="Xã Hòa Bình").click()
    page.wait_for_url("**unit=E2E-X**")
    assert "Xã Hòa Bình" in page.locator(".crumbs").inner_text()
    # fits a phone: nothing wider than the viewport
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360
