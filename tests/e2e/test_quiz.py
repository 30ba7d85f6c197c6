"""A learner on a phone takes a quiz: answers, reloads mid-way, submits and sees the result."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from typing import Any

import pytest

from lms.extensions import db
from tests.assessment.conftest import QUIZ_COURSE, enrol, import_bank
from tests.factories import make_course, make_user

pytestmark = pytest.mark.e2e

PASSWORD = "mat-khau-146"


@pytest.fixture(scope="module")
def quiz_world(live_app: Any) -> dict[str, Any]:
    with live_app.app_context():
        course = make_course(f"e2e-quiz-{uuid.uuid4().hex[:6]}", **QUIZ_COURSE)
        with tempfile.TemporaryDirectory() as tmp:
            quiz = import_bank(course, Path(tmp))
        quiz.shuffle_questions = False  # the test answers in the bank's order
        email = f"hoa.{uuid.uuid4().hex[:6]}@example.vn"
        user = make_user(email, password=PASSWORD, full_name="Nguyễn Thị Hoa")
        enrol(user, course)
        db.session.commit()
        return {"quiz_id": quiz.id, "email": email}


def login(page: Any, live_server: str, email: str, target: str) -> None:
    page.goto(f"{live_server}/login?next={target}")
    page.fill("#login", email)
    page.fill("#password", PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(f"**{target}")


def wait_saved(page: Any) -> None:
    page.wait_for_selector('#quiz-save-state[data-state="saved"]')


def test_learner_takes_a_quiz_reloads_and_sees_the_result(
    page: Any, live_server: str, quiz_world: dict[str, Any]
) -> None:
    quiz_url = f"/quizzes/{quiz_world['quiz_id']}"
    login(page, live_server, quiz_world["email"], quiz_url)
    page.click("#start")
    page.wait_for_selector("#quiz-question[data-key]")
    assert page.locator("#quiz-timer").is_visible()
    assert page.locator(".qnav-item").count() == 7

    # Question 1, single choice: the official portal.
    page.get_by_label("dichvucong.gov.vn").check()
    wait_saved(page)
    page.click("#quiz-next")
    # Question 2, multiple choice: both safe actions.
    page.wait_for_selector('#quiz-question[data-type="multiple_choice"]')
    page.get_by_label("Kiểm tra tên miền").check()
    page.get_by_label("Giữ biên lai").check()
    wait_saved(page)
    page.click("#quiz-next")
    # Question 3, true/false.
    page.wait_for_selector('#quiz-question[data-type="true_false"]')
    page.locator('#quiz-question input[value="false"]').check()
    wait_saved(page)

    # The connection drops (the browser reloads): nothing answered is lost.
    page.reload()
    page.wait_for_selector("#quiz-question[data-key]")
    assert page.locator(".qnav-item.answered").count() == 3
    # The resumed attempt opens at the first question not answered (4), not at question 1.
    page.wait_for_selector('#quiz-question[data-type="fill_in"]')
    assert page.locator(".qnav-item").nth(3).get_attribute("aria-current") == "step"
    page.locator(".qnav-item").nth(0).click()
    assert page.get_by_label("dichvucong.gov.vn").is_checked()

    page.locator(".qnav-item").nth(3).click()
    page.wait_for_selector('#quiz-question[data-type="fill_in"]')
    page.fill("#quiz-question input.answer-text", "vneid-bi-mat")
    page.click("#quiz-next")
    page.wait_for_selector('#quiz-question[data-type="numeric"]')
    page.fill("#quiz-question input.answer-text", "60,5")
    wait_saved(page)

    page.click("#quiz-submit")
    dialog = page.locator("#quiz-confirm")
    dialog.wait_for(state="visible")
    assert "2" in page.locator("#quiz-confirm-text").inner_text()  # two still unanswered
    page.click("#quiz-confirm-ok")
    page.wait_for_selector("#verdict")
    assert page.locator("#score-percent").inner_text() == "71%"  # 5 of 7
    assert "Đạt" in page.locator("#verdict").inner_text()
    assert page.locator(".areas li").count() == 3
    assert page.locator(".review-item").count() == 7
    # The page fits a 360 px phone: nothing wider than the viewport.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360
