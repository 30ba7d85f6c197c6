"""Banks and quizzes belong to a province (or are national); attempts are read by those who
reach the learner.

The attack of issue 11: trainers of any province read every attempt (responses and key) of
any quiz, and edited every question bank.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from lms.assessment import banks, quizzes
from lms.assessment.models import Attempt, QuestionBank
from lms.auth.models import Role, User
from lms.extensions import db
from tests.assessment.conftest import correct_answers
from tests.catalog.helpers import login
from tests.factories import make_class, make_unit, make_user

Headers = Callable[[User], dict[str, str]]

QUESTION = {
    "id": "q1",
    "type": "true_false",
    "skill_area": "safety",
    "text": "Mật khẩu nên dài ít nhất 12 ký tự.",
    "answer": True,
}


@pytest.fixture
def other_trainer(db: object) -> User:
    """A trainer of another province."""
    province = make_unit(kind="province", name="Tỉnh Khác")
    return make_user(roles=(Role.trainer,), unit=make_unit(parent=province))


@pytest.fixture
def own_bank(trainer: User) -> QuestionBank:
    bank = banks.create_bank(code="tinh-thu", title="Ngân hàng tỉnh", by=trainer,
                             province=trainer.unit)  # fmt: skip
    banks.create_question(bank, dict(QUESTION), by=trainer)
    return bank


def _graded_attempt(client: FlaskClient, auth_headers: Headers, learner: User, quiz: Any) -> int:
    headers = auth_headers(learner)
    attempt_id = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=headers).get_json()[
        "id"
    ]
    answers = correct_answers(db.session.get(Attempt, attempt_id))
    client.put(
        f"/api/v1/attempts/{attempt_id}/responses", json={"responses": answers}, headers=headers
    )
    client.post(f"/api/v1/attempts/{attempt_id}/submit", headers=headers)
    return int(attempt_id)


def test_a_trainer_of_another_province_reads_no_attempt_and_no_key(
    client: FlaskClient,
    auth_headers: Headers,
    quiz: Any,
    learner: User,
    enrollment: Any,
    trainer: User,
    other_trainer: User,
) -> None:
    quiz.review = "never"
    attempt_id = _graded_attempt(client, auth_headers, learner, quiz)
    stranger = auth_headers(other_trainer)
    assert client.get(f"/api/v1/attempts/{attempt_id}", headers=stranger).status_code == 404
    listed = client.get(f"/api/v1/quizzes/{quiz.id}/attempts", headers=stranger).get_json()
    assert listed["total"] == 0
    # The learner's own trainer (same province) reads it, the key included.
    own = client.get(f"/api/v1/attempts/{attempt_id}", headers=auth_headers(trainer)).get_json()
    assert own["review_available"] is True
    assert all("correct_response" in item for item in own["review"])
    listed = client.get(f"/api/v1/quizzes/{quiz.id}/attempts", headers=auth_headers(trainer))
    assert listed.get_json()["total"] == 1
    login(client, other_trainer)
    assert client.get(f"/attempts/{attempt_id}").status_code == 404


def test_another_provinces_bank_is_unknown_to_a_trainer(
    client: FlaskClient, auth_headers: Headers, own_bank: QuestionBank, other_trainer: User
) -> None:
    headers = auth_headers(other_trainer)
    base = f"/api/v1/question-banks/{own_bank.id}"
    assert client.get(base, headers=headers).status_code == 404
    assert client.get(f"{base}/questions/q1", headers=headers).status_code == 404
    assert client.patch(base, json={"title": "Chiếm"}, headers=headers).status_code == 404
    assert client.delete(f"{base}/questions/q1", headers=headers).status_code == 404
    listed = client.get("/api/v1/question-banks?per_page=100", headers=headers).get_json()
    assert own_bank.code not in {b["code"] for b in listed["items"]}
    login(client, other_trainer)
    assert client.get(f"/question-banks/{own_bank.id}").status_code == 404
    assert own_bank.code not in client.get("/question-banks").get_data(as_text=True)
    db.session.refresh(own_bank)
    assert own_bank.title == "Ngân hàng tỉnh"


def test_national_banks_are_read_by_trainers_and_changed_by_admins_only(
    client: FlaskClient, auth_headers: Headers, quiz: Any, trainer: User, admin: User
) -> None:
    national = quiz.banks[0]
    assert national.province is None
    base = f"/api/v1/question-banks/{national.id}"
    headers = auth_headers(trainer)
    assert client.get(base, headers=headers).status_code == 200
    refused = client.patch(base, json={"title": "Sửa"}, headers=headers)
    assert refused.status_code == 403
    assert refused.get_json()["message"] == (
        "Chỉ quản trị viên mới được sửa ngân hàng câu hỏi và bài kiểm tra dùng chung toàn quốc."
    )
    content = {k: v for k, v in QUESTION.items() if k != "id"}
    replaced = client.put(f"{base}/questions/q-single", json=content, headers=headers)
    assert replaced.status_code == 403
    assert client.patch(base, json={"title": "Sửa"}, headers=auth_headers(admin)).status_code == 200


def test_a_new_bank_belongs_to_its_trainers_province(
    client: FlaskClient, auth_headers: Headers, trainer: User, other_trainer: User, admin: User
) -> None:
    created = client.post(
        "/api/v1/question-banks",
        json={"code": "cua-tinh", "title": "Của tỉnh"},
        headers=auth_headers(trainer),
    )
    assert created.status_code == 201
    assert created.get_json()["province"] == trainer.unit.code
    national = client.post(
        "/api/v1/question-banks",
        json={"code": "toan-quoc", "title": "Toàn quốc", "province": None},
        headers=auth_headers(trainer),
    )
    assert national.status_code == 403
    elsewhere = client.post(
        "/api/v1/question-banks",
        json={"code": "tinh-khac", "title": "Tỉnh khác", "province": trainer.unit.code},
        headers=auth_headers(other_trainer),
    )
    assert elsewhere.status_code == 403
    by_admin = client.post(
        "/api/v1/question-banks",
        json={"code": "toan-quoc", "title": "Toàn quốc"},
        headers=auth_headers(admin),
    )
    assert by_admin.status_code == 201
    assert by_admin.get_json()["province"] is None


def test_an_admin_hands_a_national_bank_to_a_province(
    client: FlaskClient, auth_headers: Headers, quiz: Any, trainer: User, admin: User
) -> None:
    national = quiz.banks[0]
    province = trainer.unit.code
    handed = client.patch(
        f"/api/v1/question-banks/{national.id}",
        json={"province": province},
        headers=auth_headers(admin),
    )
    assert handed.status_code == 200
    assert handed.get_json()["province"] == province
    renamed = client.patch(
        f"/api/v1/question-banks/{national.id}",
        json={"title": "Ngân hàng của tỉnh"},
        headers=auth_headers(trainer),
    )
    assert renamed.status_code == 200
    unknown = client.patch(
        f"/api/v1/question-banks/{national.id}",
        json={"province": "KHONG-CO"},
        headers=auth_headers(admin),
    )
    assert unknown.status_code == 422
    assert "province" in unknown.get_json()["errors"]


def test_a_provinces_quiz_is_visible_but_not_theirs_to_change(
    client: FlaskClient,
    auth_headers: Headers,
    own_bank: QuestionBank,
    trainer: User,
    other_trainer: User,
) -> None:
    quiz = quizzes.create_quiz(
        {"slug": "kiem-tra-tinh", "title": "Kiểm tra của tỉnh", "banks": [own_bank.code]},
        by=trainer,
        province=trainer.unit,
    )
    headers = auth_headers(other_trainer)
    seen = client.get(f"/api/v1/quizzes/{quiz.id}", headers=headers)
    assert seen.status_code == 200
    assert "banks" not in seen.get_json()  # the staff side is not theirs
    changed = client.patch(f"/api/v1/quizzes/{quiz.id}", json={"title": "X"}, headers=headers)
    assert changed.status_code == 403
    assert changed.get_json()["message"] == (
        "Ngân hàng câu hỏi hoặc bài kiểm tra này thuộc tỉnh, thành phố khác."
    )
    analysed = client.get(f"/api/v1/quizzes/{quiz.id}/analysis", headers=headers)
    assert analysed.status_code == 403
    # Drawing from a bank one cannot read is as refused as drawing from a missing one.
    borrowed = client.post(
        "/api/v1/quizzes",
        json={"slug": "muon", "title": "Mượn", "banks": [own_bank.code]},
        headers=headers,
    )
    assert borrowed.status_code == 422
    assert borrowed.get_json()["errors"]["banks"] == [f"Ngân hàng không tồn tại: {own_bank.code}."]


def test_an_exam_binds_only_to_sessions_of_classes_one_runs(
    client: FlaskClient,
    auth_headers: Headers,
    course: Any,
    quiz: Any,
    trainer: User,
    other_trainer: User,
) -> None:
    klass = make_class(course, unit=trainer.unit, trainers=[trainer], sessions=1)
    session_id = klass.sessions[0].id
    body = {"slug": "thi", "title": "Thi", "course": course.slug, "session_id": session_id}
    theirs = client.post("/api/v1/quizzes", json=body, headers=auth_headers(other_trainer))
    assert theirs.status_code == 422
    assert theirs.get_json()["errors"] == {"session_id": ["Buổi học không tồn tại."]}
    own = client.post("/api/v1/quizzes", json=body, headers=auth_headers(trainer))
    assert own.status_code == 201
