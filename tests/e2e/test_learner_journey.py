"""Journey 1 on a 360 px phone: find a course typed without diacritics, enrol, read, complete."""

from __future__ import annotations

from typing import Any

import pytest

from lms.extensions import db
from tests.catalog.helpers import GOOD
from tests.factories import make_user

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def learner(live_app: Any) -> dict[str, str]:
    from lms.catalog.importer import import_path

    with live_app.app_context():
        import_path(GOOD)
        make_user(
            "hoa.e2e@example.vn",
            full_name="Nguyễn Thị Hoa",
            password="mat-khau-cua-hoa",
            target_group="citizen",
        )
        db.session.commit()
    return {"login": "hoa.e2e@example.vn", "password": "mat-khau-cua-hoa"}


def _fits_the_screen(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def _progress(page: Any) -> str:
    return str(page.locator(".progress[role=progressbar]").first.get_attribute("aria-valuenow"))


def test_learner_finds_enrols_reads_and_completes_a_course(
    page: Any, live_server: str, learner: dict[str, str]
) -> None:
    page.goto(f"{live_server}/login?next=/courses")
    page.fill("#login", learner["login"])
    page.fill("#password", learner["password"])
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/courses")

    page.fill("#q", "ky nang so")
    page.locator("form[role=search] button[type=submit]").click()
    page.wait_for_url("**/courses?q=ky+nang+so**")
    results = page.locator(".course-card h2 a")
    assert results.count() == 1
    assert results.first.inner_text() == "Kỹ năng số cơ bản"
    assert _fits_the_screen(page)
    results.first.click()

    page.wait_for_url("**/courses/ky-nang-so-co-ban")
    assert _fits_the_screen(page)
    page.locator("#enroll").click()
    page.wait_for_url("**/lessons/dien-thoai-thong-minh")
    assert page.locator(".lesson-body strong").inner_text() == "tra cứu"
    assert page.locator(".lesson-body img").get_attribute("src") == (
        "/courses/ky-nang-so-co-ban/assets/man-hinh.png"
    )
    assert _fits_the_screen(page)
    page.locator("#mark-complete").click()
    page.wait_for_url("**/lessons/tim-kiem-thong-tin")

    page.goto(f"{live_server}/my-learning")
    assert _progress(page) == "33"
    page.locator("#resume").click()
    page.wait_for_url("**/lessons/tim-kiem-thong-tin")
    page.locator("#mark-complete").click()
    page.wait_for_url("**/lessons/an-toan-tren-mang")
    page.goto(f"{live_server}/courses/ky-nang-so-co-ban")
    assert _progress(page) == "66"
    page.locator("#next-step").click()
    page.wait_for_url("**/lessons/an-toan-tren-mang")
    page.locator("#mark-complete").click()

    page.wait_for_url("**/courses/ky-nang-so-co-ban")
    page.locator(".flash-success").wait_for()
    assert _progress(page) == "100"
    assert page.locator(".lesson-item.done").count() == 3
    page.goto(f"{live_server}/my-learning")
    assert _progress(page) == "100"
    assert _fits_the_screen(page)
