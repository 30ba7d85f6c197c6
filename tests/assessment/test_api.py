"""The assessment API: banks and questions, quizzes, attempts, bad input, analysis."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from lms.assessment.models import Attempt, Quiz, ReviewPolicy
from lms.auth.models import Role
from lms.db import utcnow
from lms.extensions import db
from tests.assessment.conftest import correct_answers, enrol
from tests.factories import make_user

QUESTION = {
    "id": "n01",
    "type": "single_choice",
    "skill_area": "safety",
    "difficulty": "easy",
    "text": "Mật khẩu mạnh là gì?",
    "explanation": "Dài và khó đoán.",
    "options": [
        {"id": "a", "text": "Dài, khó đoán", "correct": True},
        {"id": "b", "text": "123456"},
    ],
}


def assert_error(response: Any, status: int, *fields: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert body["code"] == status
    assert body["message"]
    for field in fields:
        assert field in body.get("errors", {}), body
    return body


# --- banks and questions -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("roles", "status"), [((Role.learner,), 403), ((Role.official,), 403), ((Role.trainer,), 200)]
)
def test_bank_list_is_for_trainers_and_admins(client, auth_headers, roles, status) -> None:
    user = make_user(roles=roles)
    assert client.get("/api/v1/question-banks", headers=auth_headers(user)).status_code == status


def test_bank_list_needs_login(client) -> None:
    assert_error(client.get("/api/v1/question-banks"), 401)


def test_bank_and_question_crud(client, auth_headers, trainer) -> None:
    headers = auth_headers(trainer)
    response = client.post(
        "/api/v1/question-banks",
        json={"code": "std-safety", "title": "An toàn số", "skill_area": "safety"},
        headers=headers,
    )
    assert response.status_code == 201
    bank = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/question-banks/{bank['id']}")
    assert_error(
        client.post(
            "/api/v1/question-banks", json={"code": "std-safety", "title": "x"}, headers=headers
        ),
        409,
        "code",
    )
    base = f"/api/v1/question-banks/{bank['id']}/questions"
    created = client.post(base, json=QUESTION, headers=headers)
    assert created.status_code == 201
    assert created.get_json()["version"] == 1
    assert_error(client.post(base, json=QUESTION, headers=headers), 409, "id")
    changed = {k: v for k, v in QUESTION.items() if k != "id"} | {"text": "Mật khẩu nào mạnh?"}
    updated = client.put(f"{base}/n01", json=changed, headers=headers)
    assert updated.status_code == 200
    assert updated.get_json()["version"] == 2
    listed = client.get(base, headers=headers).get_json()
    assert listed["total"] == 1
    assert listed["items"][0]["options"][0]["correct"] is True  # trainers see the key
    detail = client.get(f"/api/v1/question-banks/{bank['id']}", headers=headers).get_json()
    assert detail["question_count"] == 1
    assert client.delete(f"{base}/n01", headers=headers).status_code == 204
    assert client.get(f"{base}/n01", headers=headers).status_code == 404
    assert client.delete(f"/api/v1/question-banks/{bank['id']}", headers=headers).status_code == 204


def test_invalid_question_reports_field_paths(client, auth_headers, trainer) -> None:
    headers = auth_headers(trainer)
    bank = client.post(
        "/api/v1/question-banks", json={"code": "b-1", "title": "B"}, headers=headers
    ).get_json()
    base = f"/api/v1/question-banks/{bank['id']}/questions"
    bad = QUESTION | {"options": [{"id": "a", "text": "A"}, {"id": "a"}]}
    body = assert_error(
        client.post(base, json=bad, headers=headers), 422, "options", "options.1.id"
    )
    assert "options.1.text" in body["errors"]
    assert_error(
        client.post(base, json=QUESTION | {"colour": "red"}, headers=headers), 422, "colour"
    )
    assert_error(client.post(base, json=QUESTION | {"type": "essay"}, headers=headers), 422, "type")
    numeric = {
        "id": "n2",
        "type": "numeric",
        "skill_area": "safety",
        "text": "?",
        "answer": 1,
        "options": [],
    }
    assert_error(client.post(base, json=numeric, headers=headers), 422, "options")


# --- quizzes ---------------------------------------------------------------------------------


def test_course_quiz_describes_the_quiz_without_questions(
    client, auth_headers, quiz, course, learner, enrollment
) -> None:
    response = client.get(f"/api/v1/courses/{course.slug}/quiz", headers=auth_headers(learner))
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == quiz.id
    assert body["question_count"] == 7
    assert body["time_limit_minutes"] == 20
    assert body["attempts_left"] == 3
    assert body["open_attempt"] is None
    assert "questions" not in body
    assert client.get("/api/v1/courses/nope/quiz", headers=auth_headers(learner)).status_code == 404


def test_trainer_creates_an_exam_from_banks(client, auth_headers, trainer, quiz, course) -> None:
    headers = auth_headers(trainer)
    now = utcnow()
    response = client.post(
        "/api/v1/quizzes",
        json={
            "slug": "ky-thi-2026",
            "title": "Kỳ thi chuẩn kỹ năng số 2026",
            "kind": "exam",
            "course": course.slug,
            "banks": [course.slug],
            "pools": [{"skill_area": "online_public_services", "count": 3}],
            "question_count": 5,
            "time_limit_minutes": 45,
            "review": "after_close",
            "opens_at": now.isoformat(),
            "closes_at": (now + timedelta(days=7)).isoformat(),
        },
        headers=headers,
    )
    assert response.status_code == 201, response.get_json()
    exam = response.get_json()
    assert exam["kind"] == "exam"
    assert exam["banks"] == [course.slug]
    assert_error(
        client.post(
            "/api/v1/quizzes",
            json={"slug": "x-1", "title": "X", "banks": ["none"]},
            headers=headers,
        ),
        422,
        "banks",
    )
    assert_error(
        client.patch(
            f"/api/v1/quizzes/{exam['id']}",
            json={"closes_at": (now - timedelta(days=1)).isoformat()},
            headers=headers,
        ),
        422,
        "closes_at",
    )
    patched = client.patch(f"/api/v1/quizzes/{exam['id']}", json={"pass_mark": 80}, headers=headers)
    assert patched.status_code == 200, patched.get_json()
    assert patched.get_json()["pass_mark"] == 80
    listed = client.get("/api/v1/quizzes?kind=exam", headers=headers).get_json()
    assert [q["slug"] for q in listed["items"]] == ["ky-thi-2026"]


# --- attempts --------------------------------------------------------------------------------


def start(client: Any, headers: dict[str, str], quiz: Quiz) -> Any:
    return client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=headers)


def test_start_then_resume_returns_the_same_attempt(
    client, auth_headers, quiz, learner, enrollment
) -> None:
    headers = auth_headers(learner)
    first = start(client, headers, quiz)
    assert first.status_code == 201
    body = first.get_json()
    assert len(body["questions"]) == 7
    assert body["remaining_seconds"] == 20 * 60
    assert body["result"] is None
    again = start(client, headers, quiz)
    assert again.status_code == 200
    assert again.get_json()["id"] == body["id"]
    resumed = client.get(f"/api/v1/attempts/{body['id']}", headers=headers)
    assert resumed.get_json()["questions"] == body["questions"]


def test_not_enrolled_learner_cannot_start(client, auth_headers, quiz) -> None:
    assert_error(start(client, auth_headers(make_user()), quiz), 403)


def test_save_submit_and_review(client, auth_headers, quiz, learner, enrollment) -> None:
    headers = auth_headers(learner)
    attempt_id = start(client, headers, quiz).get_json()["id"]
    attempt = db.session.get(Attempt, attempt_id)
    answers = correct_answers(attempt)
    url = f"/api/v1/attempts/{attempt_id}"
    first_half = dict(list(answers.items())[:3])
    second_half = dict(list(answers.items())[3:])
    saved = client.put(f"{url}/responses", json={"responses": first_half}, headers=headers)
    assert saved.status_code == 200
    assert saved.get_json()["saved"] == sorted(first_half)
    client.put(f"{url}/responses", json={"responses": second_half}, headers=headers)
    resumed = client.get(url, headers=headers).get_json()
    assert {k for k, v in resumed["responses"].items() if v is not None} == set(answers)
    submitted = client.post(f"{url}/submit", headers=headers)
    assert submitted.status_code == 200
    result = submitted.get_json()["result"]
    assert result["score"] == result["max_score"] == 7
    assert result["passed"] is True
    assert {a["skill_area"] for a in result["skill_areas"]} == {
        "online_public_services",
        "safety",
        "information_data",
    }
    review = submitted.get_json()["review"]
    assert all(item["correct"] for item in review)
    assert review[0]["correct_response"] is not None
    again = client.post(f"{url}/submit", headers=headers)
    assert again.get_json()["result"] == result
    assert_error(
        client.put(f"{url}/responses", json={"responses": {"q-single": "b"}}, headers=headers), 409
    )


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"responses": {"nope": "a"}}, 422, "responses.nope"),
        ({"responses": {"q-single": ["a"]}}, 422, "responses.q-single"),
        ({"responses": {"q-multi": "a"}}, 422, "responses.q-multi"),
        ({"responses": {"q-tf": "maybe"}}, 422, "responses.q-tf"),
        ({"responses": {"q-num": {"v": 1}}}, 422, "responses.q-num"),
        ({"responses": {"q-match": ["a"]}}, 422, "responses.q-match"),
        ({"responses": {"q-order": ["a", "a", "b"]}}, 422, "responses.q-order"),
        ({"responses": ["q-single"]}, 422, "responses"),
        ({"answers": {}}, 422, "answers"),
        ({}, 422, "responses"),
    ],
)
def test_malformed_saves_are_refused_and_lose_nothing(
    client, auth_headers, quiz, learner, enrollment, payload, status, field
) -> None:
    headers = auth_headers(learner)
    attempt_id = start(client, headers, quiz).get_json()["id"]
    url = f"/api/v1/attempts/{attempt_id}"
    client.put(f"{url}/responses", json={"responses": {"q-single": "a"}}, headers=headers)
    assert_error(client.put(f"{url}/responses", json=payload, headers=headers), status, field)
    assert client.get(url, headers=headers).get_json()["responses"]["q-single"] == "a"


def test_non_json_body_is_a_400(client, auth_headers, quiz, learner, enrollment) -> None:
    headers = auth_headers(learner)
    attempt_id = start(client, headers, quiz).get_json()["id"]
    response = client.put(
        f"/api/v1/attempts/{attempt_id}/responses",
        data="not json",
        headers=headers | {"Content-Type": "text/plain"},
    )
    assert_error(response, 400)


def test_someone_elses_attempt_is_not_found(
    client, auth_headers, quiz, learner, enrollment
) -> None:
    attempt_id = start(client, auth_headers(learner), quiz).get_json()["id"]
    other = auth_headers(make_user())
    assert_error(client.get(f"/api/v1/attempts/{attempt_id}", headers=other), 404)
    assert_error(client.post(f"/api/v1/attempts/{attempt_id}/submit", headers=other), 404)
    assert_error(
        client.put(
            f"/api/v1/attempts/{attempt_id}/responses", json={"responses": {}}, headers=other
        ),
        404,
    )


def test_review_policies(client, auth_headers, quiz, learner, enrollment, trainer) -> None:
    headers = auth_headers(learner)
    quiz.review = ReviewPolicy.never
    attempt_id = start(client, headers, quiz).get_json()["id"]
    body = client.post(f"/api/v1/attempts/{attempt_id}/submit", headers=headers).get_json()
    assert body["review_available"] is False
    assert "review" not in body
    assert body["result"]["skill_areas"]  # scores per area are always shown
    staff = client.get(f"/api/v1/attempts/{attempt_id}", headers=auth_headers(trainer)).get_json()
    assert staff["review_available"] is True

    quiz.review = ReviewPolicy.after_close
    quiz.closes_at = utcnow() + timedelta(days=1)
    attempt_id = start(client, headers, quiz).get_json()["id"]
    body = client.post(f"/api/v1/attempts/{attempt_id}/submit", headers=headers).get_json()
    assert body["review_available"] is False
    quiz.closes_at = utcnow() - timedelta(minutes=1)
    db.session.flush()
    later = client.get(f"/api/v1/attempts/{attempt_id}", headers=headers).get_json()
    assert later["review_available"] is True
    assert later["review"]


def test_attempt_lists(
    client, auth_headers, quiz, learner, enrollment, trainer, course, ward
) -> None:
    start(client, auth_headers(learner), quiz)
    other = make_user(unit=ward)
    enrol(other, course)
    start(client, auth_headers(other), quiz)
    mine = client.get(f"/api/v1/quizzes/{quiz.id}/attempts", headers=auth_headers(learner))
    assert mine.get_json()["total"] == 1
    everyone = client.get(f"/api/v1/quizzes/{quiz.id}/attempts", headers=auth_headers(trainer))
    assert everyone.get_json()["total"] == 2


def test_analysis(client, auth_headers, quiz, course, trainer, learner) -> None:
    for n in range(6):
        user = make_user()
        enrol(user, course)
        headers = auth_headers(user)
        attempt_id = start(client, headers, quiz).get_json()["id"]
        answers = correct_answers(db.session.get(Attempt, attempt_id))
        # Learner n answers the first n questions right and the single-choice one wrong below 3.
        picked = dict(list(answers.items())[:n])
        if n < 3:
            picked["q-single"] = "b"
        client.put(
            f"/api/v1/attempts/{attempt_id}/responses", json={"responses": picked}, headers=headers
        )
        client.post(f"/api/v1/attempts/{attempt_id}/submit", headers=headers)
    assert_error(
        client.get(f"/api/v1/quizzes/{quiz.id}/analysis", headers=auth_headers(learner)), 403
    )
    body = client.get(f"/api/v1/quizzes/{quiz.id}/analysis", headers=auth_headers(trainer))
    data = body.get_json()
    assert data["summary"]["attempts"] == 6
    assert sum(b["count"] for b in data["histogram"]) == 6
    assert len(data["histogram"]) == 10
    single = next(q for q in data["questions"] if q["key"] == "q-single")
    assert single["answered_in"] == 6
    assert single["most_chosen_wrong"]["answer"] == "b"
    assert single["most_chosen_wrong"]["count"] == 3
    assert single["most_chosen_wrong"]["label"] == "dichvucong.com.vn"
    assert single["discrimination"] is not None
    assert -1 <= single["discrimination"] <= 1


def test_regrade_is_for_admins(client, auth_headers, quiz, learner, enrollment, admin) -> None:
    headers = auth_headers(learner)
    attempt_id = start(client, headers, quiz).get_json()["id"]
    client.post(f"/api/v1/attempts/{attempt_id}/submit", headers=headers)
    assert_error(client.post(f"/api/v1/attempts/{attempt_id}/regrade", headers=headers), 403)
    body = client.post(f"/api/v1/attempts/{attempt_id}/regrade", headers=auth_headers(admin))
    assert body.get_json()["changed"] is False


def test_every_endpoint_is_documented(client) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in (
        "/api/v1/question-banks",
        "/api/v1/question-banks/{bank_id}/questions/{key}",
        "/api/v1/quizzes/{quiz_id}/attempts",
        "/api/v1/quizzes/{quiz_id}/analysis",
        "/api/v1/courses/{slug}/quiz",
        "/api/v1/attempts/{attempt_id}/responses",
        "/api/v1/attempts/{attempt_id}/submit",
    ):
        assert path in spec["paths"], path


def test_quiz_description_grades_an_attempt_whose_time_ran_out(
    client, auth_headers, quiz, learner, enrollment
) -> None:
    from lms.assessment import attempts as svc

    attempt, _ = svc.start_attempt(quiz, learner, now=utcnow() - timedelta(hours=1))
    body = client.get(f"/api/v1/quizzes/{quiz.id}", headers=auth_headers(learner)).get_json()
    assert body["open_attempt"] is None
    assert body["attempts"][0]["status"] == "graded"
    assert body["attempts"][0]["expired"] is True
    db.session.refresh(attempt)
    assert attempt.expired
