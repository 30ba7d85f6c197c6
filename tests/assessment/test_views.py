"""The assessment pages render for the people who use them."""

from __future__ import annotations

from typing import Any

from lms.assessment import attempts as svc
from lms.assessment.models import Question, QuestionBank
from lms.extensions import db
from tests.assessment.conftest import correct_answers, enrol
from tests.factories import make_user


def login(client: Any, user: Any) -> None:
    response = client.post(
        "/login", data={"login": user.email, "password": "correct horse battery"}
    )
    assert response.status_code == 302


def test_trainer_pages(client, trainer, quiz, course) -> None:
    for n in range(3):
        user = make_user()
        enrol(user, course)
        attempt, _ = svc.start_attempt(quiz, user)
        answers = correct_answers(attempt)
        svc.save_responses(attempt, user, dict(list(answers.items())[: n * 3]))
        svc.submit_attempt(attempt, user)
    login(client, trainer)
    page = client.get("/question-banks")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert course.slug in text
    assert "/analysis" in text
    bank = db.session.scalar(db.select(QuestionBank).where(QuestionBank.course_id == course.id))
    detail = client.get(f"/question-banks/{bank.id}?edit=q-single")
    assert detail.status_code == 200
    assert "dichvucong.gov.vn" in detail.get_data(as_text=True)
    analysis = client.get(f"/quizzes/{quiz.id}/analysis")
    assert analysis.status_code == 200
    html = analysis.get_data(as_text=True)
    assert '<svg class="histogram"' in html
    assert html.count('class="bar"') == 10


def test_trainer_adds_a_question_as_yaml_and_sees_errors_with_lines(client, trainer) -> None:
    login(client, trainer)
    created = client.post(
        "/question-banks", data={"code": "std-safety", "title": "An toàn", "skill_area": "safety"}
    )
    assert created.status_code == 302
    bank = db.session.scalar(db.select(QuestionBank).where(QuestionBank.code == "std-safety"))
    bad = "id: s1\ntype: true_false\nskill_area: safety\ntext: Đúng không?\nanswer: maybe\n"
    page = client.post(f"/question-banks/{bank.id}", data={"yaml": bad})
    assert page.status_code == 200
    assert "5: &#39;answer&#39; must be true or false." in page.get_data(as_text=True)
    good = bad.replace("maybe", "true")
    assert client.post(f"/question-banks/{bank.id}", data={"yaml": good}).status_code == 302
    question = db.session.scalar(db.select(Question).where(Question.bank_id == bank.id))
    assert question.key == "s1"
    changed = good.replace("Đúng không?", "Có đúng không?")
    client.post(f"/question-banks/{bank.id}", data={"yaml": changed})
    assert question.version == 2
    client.post(f"/question-banks/{bank.id}", data={"action": "delete", "key": "s1"})
    assert db.session.scalar(db.select(Question).where(Question.bank_id == bank.id)) is None


def test_a_question_yaml_built_to_exhaust_the_server_is_refused_with_its_line(
    client, trainer
) -> None:
    """A trainer's form goes through the YAML loader: nine levels of ten aliases are 10^9
    values to build (memory ran out), and 5,000 nested lists were a RecursionError (500)."""
    login(client, trainer)
    client.post("/question-banks", data={"code": "std-x", "title": "X", "skill_area": "safety"})
    bank = db.session.scalar(db.select(QuestionBank).where(QuestionBank.code == "std-x"))
    laughs = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"] + [
        f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)
    ]
    for source, message in (
        ("\n".join(laughs), "Dòng 2: YAML error: aliases (*name) are not allowed"),
        ("id: s1\ntext: " + "[" * 5000 + "]" * 5000, "Dòng 2: YAML error: nested deeper than 64"),
    ):
        page = client.post(f"/question-banks/{bank.id}", data={"yaml": source})
        assert page.status_code == 200
        assert message in page.get_data(as_text=True)


def test_learners_do_not_see_trainer_pages(client, learner) -> None:
    login(client, learner)
    assert client.get("/question-banks").status_code == 403


def test_result_page_shows_review_and_skill_areas(client, quiz, learner, enrollment) -> None:
    attempt, _ = svc.start_attempt(quiz, learner)
    answers = correct_answers(attempt)
    answers["q-single"] = "b"
    svc.save_responses(attempt, learner, answers)
    svc.submit_attempt(attempt, learner)
    login(client, learner)
    html = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    assert 'id="verdict"' in html
    assert "GIẢI-THÍCH-BÍ-MẬT-1" in html  # review after submit shows explanations
    assert "dichvucong.com.vn" in html  # the learner's wrong answer, in words
    assert "Dịch vụ công trực tuyến" in html  # a skill area, in Vietnamese
    assert client.get(f"/courses/{quiz.course.slug}/quiz").status_code == 302


def test_result_page_writes_points_with_a_decimal_comma(client, quiz, learner, enrollment) -> None:
    """Half a point (a partly right multiple choice) reads 0,5 in Vietnamese, not 0.5."""
    import re

    attempt, _ = svc.start_attempt(quiz, learner)
    answers = correct_answers(attempt)
    answers["q-multi"] = answers["q-multi"][:1]  # one of the two right options: half a point
    svc.save_responses(attempt, learner, answers)
    svc.submit_attempt(attempt, learner)
    login(client, learner)
    html = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "(6,5 / 7 điểm;" in text
    assert "· 0,5/1" in text
    assert "6.5" not in text
    assert "0.5/" not in text
