"""No key while the learner may try again (attempt 1 of 3 used to show every answer)."""

from __future__ import annotations

from datetime import timedelta

from lms.assessment.models import ReviewPolicy
from lms.db import utcnow
from lms.extensions import db
from tests.assessment.test_api import start


def _submit(client, headers, quiz) -> dict:  # type: ignore[no-untyped-def]
    attempt_id = start(client, headers, quiz).get_json()["id"]
    return client.post(f"/api/v1/attempts/{attempt_id}/submit", headers=headers).get_json()


def test_a_failed_attempt_with_attempts_left_shows_which_not_what(
    client, auth_headers, quiz, learner, enrollment, trainer
) -> None:
    quiz.review = ReviewPolicy.after_submit
    quiz.max_attempts = 3
    db.session.flush()
    headers = auth_headers(learner)
    body = _submit(client, headers, quiz)  # nothing answered: failed
    assert body["result"]["passed"] is False
    assert body["review_available"] is True
    assert body["key_available"] is False
    assert body["review"]
    for row in body["review"]:
        assert set(row) == {"key", "score", "max_score", "correct"}
    # The trainer still sees the whole review with the key.
    staff = client.get(f"/api/v1/attempts/{body['id']}", headers=auth_headers(trainer)).get_json()
    assert staff["key_available"] is True
    assert all("correct_response" in row for row in staff["review"])


def test_the_result_page_hides_the_key_until_then(client, quiz, learner, enrollment) -> None:
    from lms.assessment import attempts as svc
    from tests.assessment.conftest import correct_answers
    from tests.assessment.test_views import login

    quiz.review = ReviewPolicy.after_submit
    quiz.max_attempts = 3
    attempt, _ = svc.start_attempt(quiz, learner)
    key = correct_answers(attempt)
    svc.submit_attempt(attempt, learner)
    db.session.flush()
    login(client, learner)
    page = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    assert "Đáp án đúng được hiển thị khi bạn đạt" in page
    assert "Đáp án đúng</dt>" not in page
    assert "Correct answer" not in page
    assert key


def test_the_key_comes_with_the_last_attempt(
    client, auth_headers, quiz, learner, enrollment
) -> None:
    quiz.review = ReviewPolicy.after_submit
    quiz.max_attempts = 2
    db.session.flush()
    headers = auth_headers(learner)
    first = _submit(client, headers, quiz)
    assert first["key_available"] is False
    last = _submit(client, headers, quiz)
    assert last["key_available"] is True
    assert all("correct_response" in row for row in last["review"])
    # ... and the first attempt's review now shows it too: nothing is left to protect.
    again = client.get(f"/api/v1/attempts/{first['id']}", headers=headers).get_json()
    assert again["key_available"] is True


def test_the_key_comes_when_the_quiz_closes(
    client, auth_headers, quiz, learner, enrollment
) -> None:
    quiz.review = ReviewPolicy.after_submit
    quiz.max_attempts = None
    quiz.closes_at = utcnow() + timedelta(days=1)
    db.session.flush()
    headers = auth_headers(learner)
    body = _submit(client, headers, quiz)
    assert body["key_available"] is False
    quiz.closes_at = utcnow() - timedelta(minutes=1)
    db.session.flush()
    later = client.get(f"/api/v1/attempts/{body['id']}", headers=headers).get_json()
    assert later["key_available"] is True
