"""One next step, the same on the course page, "My learning" and the quiz result (JOURNEYS 1).

Once every lesson was done the main button reopened the last lesson, an exam in progress
appeared nowhere, and passing gave no link to the certificate.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from lms.assessment import attempts as svc
from lms.assessment.models import QuizKind
from lms.classes import completion
from lms.db import utcnow
from lms.extensions import db
from tests.assessment.conftest import correct_answers, enrol, import_bank
from tests.assessment.test_views import login
from tests.factories import make_course, make_signer


@pytest.fixture
def course(db: Any) -> Any:
    """Two lessons and a quiz of 70 %, with a certificate."""
    return make_course(lessons=2, rule={"lessons": None, "quiz": 70, "attendance": None})


@pytest.fixture
def quiz(course: Any, tmp_path: Path) -> Any:
    return import_bank(course, tmp_path)


def _primary(html: str, element_id: str) -> tuple[str, str]:
    """(data-step, href) of the element with ``element_id``: the page's main action."""
    tag = re.search(rf'<a [^>]*id="{element_id}"[^>]*>', html)
    assert tag, html
    step = re.search(r'data-step="([^"]+)"', tag.group(0))
    href = re.search(r'href="([^"]+)"', tag.group(0))
    assert step
    assert href
    return step.group(1), href.group(1)


def _page(client: Any, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_lessons_first_then_the_quiz_is_the_main_action(client, course, quiz, learner) -> None:
    enrollment = enrol(learner, course)
    db.session.flush()
    login(client, learner)
    html = _page(client, f"/courses/{course.slug}")
    assert _primary(html, "next-step")[0] == "lesson"
    assert 'data-step="quiz"' in html  # offered, secondary
    for lesson in course.lessons:
        completion.complete_lesson(enrollment, lesson)
    db.session.flush()
    html = _page(client, f"/courses/{course.slug}")
    step, href = _primary(html, "next-step")
    assert (step, href) == ("quiz", f"/quizzes/{quiz.id}")
    assert 'data-step="review"' in html  # reading again is secondary
    assert ">Làm bài kiểm tra<" in html


def test_an_exam_in_progress_comes_first_everywhere(client, course, quiz, learner) -> None:
    enrol(learner, course)
    attempt, _ = svc.start_attempt(quiz, learner)
    db.session.flush()
    login(client, learner)
    course_page = _page(client, f"/courses/{course.slug}")
    assert _primary(course_page, "next-step") == ("attempt", f"/attempts/{attempt.id}")
    mine = _page(client, "/my-learning")
    assert _primary(mine, "resume") == ("attempt", f"/attempts/{attempt.id}")


def test_passing_leads_to_the_certificate(client, course, quiz, learner) -> None:
    make_signer()  # certificates are issued where a signer is configured
    enrollment = enrol(learner, course)
    for lesson in course.lessons:
        completion.complete_lesson(enrollment, lesson)
    attempt, _ = svc.start_attempt(quiz, learner)
    svc.save_responses(attempt, learner, correct_answers(attempt))
    svc.submit_attempt(attempt, learner)
    db.session.flush()
    assert attempt.passed
    login(client, learner)
    result = _page(client, f"/attempts/{attempt.id}")
    step, href = _primary(result, "next-step")
    assert step == "certificate"
    assert href.startswith("/certificates#cert-")
    serial = href.removeprefix("/certificates#cert-")
    assert f'id="cert-{serial}"' in _page(client, "/certificates")
    assert _primary(_page(client, f"/courses/{course.slug}"), "next-step")[0] == "certificate"
    mine = _page(client, "/my-learning")
    assert f'href="/certificates#cert-{serial}"' in mine


def test_an_exam_in_its_window_comes_before_the_lessons(client, course, quiz, learner) -> None:
    """The yearly exam is taken in its window; its course's lessons only prepare for it (the
    specialist of journey 5 was sent to lesson 1 during the window)."""
    enrol(learner, course)
    quiz.kind = QuizKind.exam
    quiz.opens_at = utcnow() + timedelta(days=1)
    db.session.flush()
    login(client, learner)
    assert _primary(_page(client, f"/courses/{course.slug}"), "next-step")[0] == "lesson"
    quiz.opens_at = utcnow() - timedelta(hours=1)
    quiz.closes_at = utcnow() + timedelta(hours=1)
    db.session.flush()
    assert _primary(_page(client, "/my-learning"), "resume") == ("quiz", f"/quizzes/{quiz.id}")
