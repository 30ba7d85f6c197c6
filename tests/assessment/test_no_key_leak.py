"""The answer key never reaches a learner before the review policy allows it.

The test walks the JSON of every learner-facing endpoint (and the HTML of the learner's pages)
through a whole attempt, with a review policy that keeps the key hidden, and looks for key
fields and for the secret texts of the bank (explanations, accepted answers, numbers).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from lms.assessment.models import ReviewPolicy
from lms.db import utcnow

KEY_FIELDS = {
    "correct",
    "correct_response",
    "correct_responses",
    "correctResponsesPattern",
    "explanation",
    "explanation_en",
    "tolerance",
    "answers",
    "pairs",
    "definition",
    "review",
}
SECRETS = ("GIẢI-THÍCH-BÍ-MẬT", "VNeID-BÍ-MẬT", "60.5", "61.0", "60,5")


def walk(value: Any, path: str = "") -> list[str]:
    """Every path at which a key field appears (``key`` is allowed only as a question id)."""
    found = []
    if isinstance(value, dict):
        for name, child in value.items():
            if name in KEY_FIELDS:
                found.append(f"{path}.{name}")
            if name == "key" and not isinstance(child, str):
                found.append(f"{path}.key")
            found += walk(child, f"{path}.{name}")
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += walk(child, f"{path}.{index}")
    return found


def check(response: Any) -> Any:
    assert response.status_code < 400, response.get_data(as_text=True)
    text = response.get_data(as_text=True)
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} leaked by {response.request.path}"
    if response.is_json:
        body = response.get_json()
        assert walk(body) == [], response.request.path
        return body
    return text


def test_no_learner_response_holds_the_key(client, auth_headers, quiz, course, learner, enrollment):
    quiz.review = ReviewPolicy.after_close
    quiz.closes_at = utcnow() + timedelta(days=3)
    headers = auth_headers(learner)
    check(client.get(f"/api/v1/courses/{course.slug}/quiz", headers=headers))
    check(client.get(f"/api/v1/quizzes/{quiz.id}", headers=headers))
    started = check(client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=headers))
    attempt_id = started["id"]
    url = f"/api/v1/attempts/{attempt_id}"
    # The ordering question is never shown in its correct order, nor the matching in pairs.
    order = next(q for q in started["questions"] if q["type"] == "ordering")
    assert [i["text"] for i in order["items"]] != ["Chọn thủ tục", "Điền tờ khai", "Nộp hồ sơ"]
    check(client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=headers))
    check(client.get(url, headers=headers))
    check(
        client.put(
            f"{url}/responses",
            json={"responses": {"q-single": "b", "q-fill": "sai", "q-num": 1}},
            headers=headers,
        )
    )
    check(client.get(f"/api/v1/quizzes/{quiz.id}/attempts", headers=headers))
    submitted = check(client.post(f"{url}/submit", headers=headers))
    assert submitted["result"]["passed"] is False
    assert submitted["review_available"] is False
    check(client.post(f"{url}/submit", headers=headers))
    check(client.get(url, headers=headers))
    check(client.get(f"/api/v1/quizzes/{quiz.id}", headers=headers))
    check(client.get(f"/api/v1/quizzes/{quiz.id}/attempts", headers=headers))


def test_no_learner_page_holds_the_key(app, client, quiz, learner, enrollment) -> None:
    quiz.review = ReviewPolicy.never
    logged_in = client.post(
        "/login", data={"login": learner.email, "password": "correct horse battery"}
    )
    assert logged_in.status_code == 302
    quiz_page = check(client.get(f"/quizzes/{quiz.id}"))
    assert 'id="start"' in quiz_page
    started = client.post(f"/quizzes/{quiz.id}/start")
    assert started.status_code == 302
    attempt_page = started.headers["Location"]
    page = check(client.get(attempt_page))
    assert 'id="quiz-app"' in page
    attempt_id = int(attempt_page.rstrip("/").rsplit("/", 1)[-1])
    check(client.post(f"/api/v1/attempts/{attempt_id}/submit"))
    result = check(client.get(attempt_page))
    assert 'id="verdict"' in result
    assert 'class="card review"' not in result
