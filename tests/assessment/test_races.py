"""Banks, questions and quizzes written by parallel identical requests: one of each."""

from __future__ import annotations

from sqlalchemy import func, select

from lms.assessment.models import Question, QuestionBank, QuestionVersion, Quiz
from lms.auth.models import Role
from tests.factories import make_user
from tests.races import PARALLEL, LiveApi, fresh, one_winner, outcome

QUESTION = {
    "id": "n01",
    "type": "single_choice",
    "skill_area": "safety",
    "difficulty": "easy",
    "text": "Mật khẩu mạnh là gì?",
    "options": [
        {"id": "a", "text": "Dài, khó đoán", "correct": True},
        {"id": "b", "text": "123456"},
    ],
}


def admin_token(live: LiveApi) -> str:
    with live.data():
        admin_id = make_user(f"{fresh('admin')}@example.vn", roles=(Role.admin,)).id
    return live.token(admin_id)


def count(live: LiveApi, *where: object) -> int:
    with live.data() as db:
        return int(db.session.scalar(select(func.count()).where(*where)) or 0)


def test_parallel_bank_and_question_writes_make_one_of_each(live_api: LiveApi) -> None:
    token = admin_token(live_api)
    code = fresh("bank")
    replies = live_api.race(
        "POST", "/api/v1/question-banks", token=token, json={"code": code, "title": "An toàn"}
    )
    won = one_winner(replies, won=201, lost=409)
    assert count(live_api, QuestionBank.code == code) == 1
    bank_id = won.json["id"]
    base = f"/api/v1/question-banks/{bank_id}/questions"
    replies = live_api.race("POST", base, token=token, json=QUESTION)
    one_winner(replies, won=201, lost=409)
    assert count(live_api, Question.bank_id == bank_id) == 1
    changed = {k: v for k, v in QUESTION.items() if k != "id"} | {"text": "Mật khẩu nào mạnh?"}
    replies = live_api.race("PUT", f"{base}/n01", token=token, json=changed)
    assert outcome(replies) == {200: PARALLEL}, replies
    assert {r.json["version"] for r in replies} == {2}
    with live_api.data() as db:
        question_id = db.session.scalar(select(Question.id).where(Question.bank_id == bank_id))
    assert count(live_api, QuestionVersion.question_id == question_id) == 2


def test_parallel_quiz_creations_create_one(live_api: LiveApi) -> None:
    token = admin_token(live_api)
    slug = fresh("ky-thi")
    replies = live_api.race(
        "POST", "/api/v1/quizzes", token=token, json={"slug": slug, "title": "Kỳ thi"}
    )
    one_winner(replies, won=201, lost=409)
    assert count(live_api, Quiz.slug == slug) == 1
