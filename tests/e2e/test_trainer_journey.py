"""Journeys 3 and 4: a trainer uploads people (a typo, fixed, applied) and marks attendance."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from lms.auth.models import Role
from lms.extensions import db
from tests.factories import enrol, make_class, make_course, make_unit, make_user

pytestmark = pytest.mark.e2e

CODE = "E2E-LD-01"
BAD = (
    "email,phone,full_name,unit_code,target_group\n"
    "an.e2e@example.vn,,Nguyễn Văn An,E2E-SO,leader\n"
    "binh.e2e@example,,Lê Thị Bình,E2E-SO,leader\n"
    "cuong.e2e@example.vn,,Trần Văn Cường,E2E-SAI,leader\n"
)
GOOD = BAD.replace("binh.e2e@example,", "binh.e2e@example.vn,").replace("E2E-SAI", "E2E-SO")


@pytest.fixture(scope="module")
def trainer(live_app: Any) -> dict[str, Any]:
    with live_app.app_context():
        unit = make_unit("E2E-SO", name="Sở Thử Nghiệm", kind="agency")
        course = make_course("e2e-lanh-dao", lessons=2, open=False, title="Lãnh đạo số")
        mai = make_user(
            "mai.e2e@example.vn",
            roles=(Role.trainer,),
            full_name="Đỗ Thị Mai",
            password="mat-khau-cua-mai",
        )
        klass = make_class(
            course, code=CODE, unit=unit, trainers=[mai], title="Lớp lãnh đạo sở", capacity=10
        )
        klass.sessions[:] = []
        from lms.classes.models import ClassSession

        klass.sessions.append(ClassSession(date=date(2026, 3, 2), topic="Ngày 1"))
        first = make_user("dung.e2e@example.vn", full_name="Phạm Văn Dũng", password=None)
        enrol(first, course, klass=klass, by=mai)
        db.session.commit()
        session_id = klass.sessions[0].id
    return {"login": "mai.e2e@example.vn", "password": "mat-khau-cua-mai", "session": session_id}


def test_trainer_imports_people_with_a_preview_and_marks_attendance(
    page: Any, live_server: str, trainer: dict[str, Any]
) -> None:
    page.set_viewport_size({"width": 800, "height": 1000})  # a tablet in the room
    page.goto(f"{live_server}/login?next=/trainer/classes")
    page.fill("#login", trainer["login"])
    page.fill("#password", trainer["password"])
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/trainer/classes")
    page.get_by_role("link", name="Lớp lãnh đạo sở").click()
    page.wait_for_url(f"**/classes/{CODE}")
    page.locator("#import-link").click()
    page.wait_for_url(f"**/classes/{CODE}/import")

    page.set_input_files(
        "#import-file", {"name": "ds.csv", "mimeType": "text/csv", "buffer": BAD.encode()}
    )
    page.locator("#preview-button").click()
    page.locator(".flash-error").wait_for()
    bad_cells = page.locator("td.cell-error")
    assert bad_cells.count() == 2
    assert page.locator('tr[data-row="3"] td[data-field="email"]').get_attribute("class") == (
        "cell-error"
    )
    assert (
        "binh.e2e@example" in page.locator('tr[data-row="3"] td[data-field="email"]').inner_text()
    )
    assert page.locator('tr[data-row="4"] td[data-field="unit_code"].cell-error').count() == 1
    assert page.locator('tr[data-row="2"] td.cell-error').count() == 0
    assert not page.locator("#apply-button").is_visible()

    page.set_input_files(
        "#import-file", {"name": "ds.csv", "mimeType": "text/csv", "buffer": GOOD.encode()}
    )
    page.locator("#preview-button").click()
    page.locator("#apply-button").wait_for(state="visible")
    assert page.locator("td.cell-error").count() == 0
    assert page.locator("#preview-table tbody tr").count() == 3
    page.locator("#apply-button").click()
    page.wait_for_url(f"**/classes/{CODE}?imported=3&skipped=0")
    # The class page says what the file did.
    assert "3" in page.locator("#import-done").inner_text()
    roster = page.locator("table.roster tbody tr")
    assert roster.count() == 4
    assert "Lê Thị Bình" in page.locator("table.roster").inner_text()

    page.goto(f"{live_server}/classes/{CODE}/sessions/{trainer['session']}/attendance")
    assert page.locator("#present-count").inner_text() == "0 / 4"
    page.locator("label.toggle", has_text="Lê Thị Bình").click()
    page.locator("label.toggle", has_text="Nguyễn Văn An").click()
    assert page.locator("#present-count").inner_text() == "2 / 4"
    page.locator(".person", has_text="Trần Văn Cường").locator("input.note").fill("Đi công tác")
    page.locator("#save-attendance").click()
    page.locator(".flash-success").wait_for()
    assert "2 / 4" in page.locator(".flash-success").inner_text()
    assert page.locator("input[name=present]:checked").count() == 2
    note = page.locator(".person", has_text="Trần Văn Cường").locator("input.note")
    assert note.input_value() == "Đi công tác"
