"""The specialists' standard exam: banks per skill area, a class session's window, area scores."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pytest

from lms.assessment import attempts as svc
from lms.assessment import banks, quizzes
from lms.assessment.models import QuizKind
from lms.classes.enrollments import enroll
from lms.classes.models import Class, ClassSession, EnrollmentSource
from lms.constants import SkillArea
from lms.errors import Forbidden, Invalid
from lms.extensions import db
from tests.assessment.conftest import QUIZ_COURSE, correct_answers
from tests.factories import make_course, make_unit, make_user

AREAS = [SkillArea.safety, SkillArea.information_data, SkillArea.digital_government]


def standard_banks(trainer: Any) -> list[str]:
    codes = []
    for area in AREAS:
        bank = banks.create_bank(
            code=f"std-{area}",
            title=f"Chuẩn: {area}",
            skill_area=area,
            by=trainer,
            province=trainer.unit,
        )
        for n in range(4):
            banks.create_question(
                bank,
                {
                    "id": f"{area}-{n}",
                    "type": "true_false",
                    "skill_area": str(area),
                    "difficulty": "medium",
                    "text": f"Câu {n} về {area}?",
                    "answer": n % 2 == 0,
                },
                by=trainer,
            )
        codes.append(bank.code)
    return codes


@pytest.fixture
def exam_setup(db: Any) -> dict[str, Any]:
    province = make_unit(kind="province")
    trainer = make_user(roles=("trainer",), unit=province)
    course = make_course(
        **{**QUIZ_COURSE, "rule": {"lessons": 0, "quiz": None, "attendance": None}}
    )
    unit = make_unit(parent=province)
    klass = Class(
        code="CDS-2026-01", course_id=course.id, unit_id=unit.id, title="Lớp chuyên trách"
    )
    klass.trainers = [trainer]
    db.session.add(klass)
    db.session.flush()
    session = ClassSession(
        class_id=klass.id, date=date.today(), starts_at=time(8, 0), ends_at=time(9, 30), topic="Thi"
    )
    db.session.add(session)
    db.session.flush()
    codes = standard_banks(trainer)
    exam = quizzes.create_quiz(
        {
            "slug": "chuan-ky-nang-so",
            "title": "Đánh giá theo chuẩn kỹ năng số",
            "kind": "exam",
            "banks": codes,
            "pools": [{"skill_area": str(a), "count": 3} for a in AREAS],
            "time_limit_minutes": 45,
            "review": "never",
            "session_id": session.id,
        },
        by=trainer,
        province=province,
    )
    return {"trainer": trainer, "course": course, "klass": klass, "session": session, "exam": exam}


def test_exam_takes_its_window_and_course_from_the_session(exam_setup) -> None:
    exam = exam_setup["exam"]
    assert exam.kind == QuizKind.exam
    assert exam.course_id == exam_setup["course"].id
    assert exam.session_id == exam_setup["session"].id
    # 08:00-09:30 Vietnam time is 01:00-02:30 UTC.
    assert exam.opens_at == datetime.combine(date.today(), time(1, 0), tzinfo=exam.opens_at.tzinfo)
    assert exam.closes_at - exam.opens_at == timedelta(minutes=90)


def test_exam_is_for_the_learners_of_the_class(exam_setup) -> None:
    exam, course, klass = exam_setup["exam"], exam_setup["course"], exam_setup["klass"]
    outsider = make_user()
    enroll(outsider, course, by=None, source=EnrollmentSource.self)
    with pytest.raises(Forbidden):
        svc.start_attempt(exam, outsider, now=exam.opens_at + timedelta(minutes=1))
    member = make_user(target_group="dx_specialist")
    enroll(member, course, by=exam_setup["trainer"], source=EnrollmentSource.klass, klass=klass)
    late = exam.closes_at - timedelta(minutes=10)
    attempt, _ = svc.start_attempt(exam, member, now=late)
    assert len(attempt.items) == 9
    assert attempt.deadline == exam.closes_at  # the window ends before 45 minutes would


def test_exam_reports_a_score_per_skill_area(exam_setup) -> None:
    exam, course, klass = exam_setup["exam"], exam_setup["course"], exam_setup["klass"]
    member = make_user()
    enrollment = enroll(
        member, course, by=exam_setup["trainer"], source=EnrollmentSource.klass, klass=klass
    )
    now = exam.opens_at + timedelta(minutes=5)
    attempt, _ = svc.start_attempt(exam, member, now=now)
    answers = correct_answers(attempt)
    wrong_safety = [k for k in answers if k.startswith("safety")][:2]
    for key in wrong_safety:
        answers[key] = not answers[key]
    svc.save_responses(attempt, member, answers, now=now)
    svc.submit_attempt(attempt, member, now=now + timedelta(minutes=20))
    assert attempt.area_scores == {
        "digital_government": {"score": 3.0, "max": 3.0, "scaled": 1.0},
        "information_data": {"score": 3.0, "max": 3.0, "scaled": 1.0},
        "safety": {"score": 1.0, "max": 3.0, "scaled": round(1 / 3, 6)},
    }
    assert attempt.passed is True  # 7 of 9 is 77.8 %, above 70
    assert enrollment.quiz_passed is True


def test_binding_a_session_of_another_course_is_refused(exam_setup) -> None:
    other = make_course(**QUIZ_COURSE)
    with pytest.raises(Invalid) as caught:
        quizzes.create_quiz(
            {
                "slug": "sai-khoa",
                "title": "Sai khoá",
                "course": other.slug,
                "session_id": exam_setup["session"].id,
            },
            by=exam_setup["trainer"],
            province=exam_setup["trainer"].unit,
        )
    assert "session_id" in caught.value.errors
    assert db.session.scalar(db.select(db.func.count()).where(quizzes.Quiz.slug == "sai-khoa")) == 0


def test_trainer_binds_the_exam_on_its_page(client, exam_setup) -> None:
    trainer, exam, session = exam_setup["trainer"], exam_setup["exam"], exam_setup["session"]
    response = client.post(
        "/login", data={"login": trainer.email, "password": "correct horse battery"}
    )
    assert response.status_code == 302
    page = client.get(f"/quizzes/{exam.id}")
    assert 'id="quiz-settings"' in page.get_data(as_text=True)
    saved = client.post(
        f"/quizzes/{exam.id}",
        data={"opens_at": "2026-12-01T08:00", "closes_at": "2026-12-01T07:00", "session_id": ""},
    )
    assert saved.status_code == 200
    assert "closes_at" in saved.get_data(as_text=True)
    saved = client.post(
        f"/quizzes/{exam.id}", data={"opens_at": "", "closes_at": "", "session_id": str(session.id)}
    )
    assert saved.status_code == 302
    assert exam.session_id == session.id
    assert exam.closes_at - exam.opens_at == timedelta(minutes=90)
    saved = client.post(
        f"/quizzes/{exam.id}",
        data={"opens_at": "2026-12-01T08:00", "closes_at": "2026-12-01T10:00", "session_id": ""},
    )
    assert exam.session_id is None
    assert exam.opens_at == datetime(2026, 12, 1, 1, 0, tzinfo=exam.opens_at.tzinfo)
