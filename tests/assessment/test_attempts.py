"""Attempts through the services: start/resume, saves, submit, time limit, regrade, re-import."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from lms.assessment import attempts as svc
from lms.assessment.attempts import AttemptClosed
from lms.assessment.models import (
    AttemptResponse,
    AttemptStatus,
    Question,
    QuestionVersion,
)
from lms.assessment.statements import ADL, quiz_iri
from lms.db import utcnow
from lms.errors import Conflict, Forbidden, Invalid
from lms.extensions import db
from lms.xapi.models import Statement
from tests.assessment.conftest import BANK_YAML, QUIZ_COURSE, correct_answers, enrol, import_bank
from tests.factories import make_course, make_user


def graded_statements(quiz: Any) -> list[tuple[str | None, bool]]:
    """(registration, success) of every ``passed``/``failed`` the LRS holds for ``quiz``: one
    per grading, so a second grading of the same attempt would show twice."""
    rows = db.session.scalars(
        db.select(Statement)
        .where(
            Statement.object_activity_id == quiz_iri(quiz),
            Statement.verb_id.in_([f"{ADL}passed", f"{ADL}failed"]),
        )
        .order_by(Statement.seq)
    )
    return [(row.registration, row.statement["result"]["success"]) for row in rows]


def test_start_draws_every_question_and_records_the_seed(quiz, learner, enrollment) -> None:
    attempt, created = svc.start_attempt(quiz, learner)
    assert created
    assert attempt.status == AttemptStatus.open
    assert attempt.enrollment_id == enrollment.id
    assert attempt.registration == enrollment.registration
    assert sorted(attempt.keys) == sorted(
        ["q-single", "q-multi", "q-tf", "q-fill", "q-num", "q-match", "q-order"]
    )
    assert attempt.deadline == attempt.started_at + timedelta(minutes=20)
    # The recorded seed reproduces the draw and every shuffle.
    assert svc.build_items(quiz, attempt.seed) == attempt.items
    rows = db.session.scalars(
        db.select(AttemptResponse).where(AttemptResponse.attempt_id == attempt.id)
    ).all()
    assert len(rows) == 7


def test_starting_again_resumes_the_open_attempt(quiz, learner, enrollment) -> None:
    first, _ = svc.start_attempt(quiz, learner)
    second, created = svc.start_attempt(quiz, learner)
    assert not created
    assert second.id == first.id


def test_start_needs_an_enrollment(quiz, learner) -> None:
    with pytest.raises(Forbidden):
        svc.start_attempt(quiz, learner)


def test_saves_merge_and_keep_earlier_answers(quiz, learner, enrollment) -> None:
    attempt, _ = svc.start_attempt(quiz, learner)
    svc.save_responses(attempt, learner, {"q-single": "a", "q-tf": False})
    svc.save_responses(attempt, learner, {"q-fill": "vneid-bi-mat"})
    svc.save_responses(attempt, learner, {"q-single": "b"})
    answers = svc.answers_of(attempt)
    assert answers["q-single"] == "b"
    assert answers["q-tf"] is False
    assert answers["q-fill"] == "vneid-bi-mat"
    assert answers["q-num"] is None


def test_bad_answers_are_refused_with_their_key_and_nothing_is_saved(
    quiz, learner, enrollment
) -> None:
    attempt, _ = svc.start_attempt(quiz, learner)
    svc.save_responses(attempt, learner, {"q-single": "a"})
    with pytest.raises(Invalid) as caught:
        svc.save_responses(
            attempt,
            learner,
            {"q-single": "c", "q-multi": "a", "q-num": "nhiều", "nope": "a", "q-order": ["x"]},
        )
    assert set(caught.value.errors) == {
        "responses.q-multi",
        "responses.q-num",
        "responses.nope",
        "responses.q-order",
    }
    assert svc.answers_of(attempt)["q-single"] == "a"  # the valid one in that batch was not saved


def test_empty_answers_clear_a_response(quiz, learner, enrollment) -> None:
    attempt, _ = svc.start_attempt(quiz, learner)
    svc.save_responses(attempt, learner, {"q-multi": ["a"], "q-fill": "x"})
    svc.save_responses(attempt, learner, {"q-multi": [], "q-fill": ""})
    answers = svc.answers_of(attempt)
    assert answers["q-multi"] is None
    assert answers["q-fill"] is None


def test_submit_grades_every_type_and_feeds_the_enrollment(quiz, learner, enrollment) -> None:
    attempt, _ = svc.start_attempt(quiz, learner)
    answers = correct_answers(attempt)
    answers["q-fill"] = "vneid-bi-mat"  # diacritics and case ignored
    answers["q-num"] = "61,0"  # at the tolerance bound, with a decimal comma
    answers["q-multi"] = ["a"]  # partial credit: half
    svc.save_responses(attempt, learner, answers)
    svc.submit_attempt(attempt, learner)
    assert attempt.status == AttemptStatus.graded
    assert attempt.score == 6.5
    assert attempt.max_score == 7
    assert attempt.scaled == pytest.approx(6.5 / 7, abs=1e-6)
    assert attempt.passed is True
    assert attempt.area_scores["safety"] == {"score": 1.5, "max": 2.0, "scaled": 0.75}
    assert attempt.area_scores["online_public_services"]["scaled"] == 1.0
    assert enrollment.quiz_score == pytest.approx(attempt.scaled)
    assert enrollment.quiz_passed is True
    assert graded_statements(quiz) == [(attempt.registration, True)]
    rows = {
        r.key: r
        for r in db.session.scalars(
            db.select(AttemptResponse).where(AttemptResponse.attempt_id == attempt.id)
        )
    }
    assert rows["q-multi"].score == 0.5
    assert rows["q-multi"].correct is False
    assert rows["q-num"].correct is True


def test_unanswered_attempt_scores_zero_and_fails(quiz, learner, enrollment) -> None:
    attempt, _ = svc.start_attempt(quiz, learner)
    svc.submit_attempt(attempt, learner)
    assert attempt.score == 0
    assert attempt.passed is False
    assert enrollment.quiz_passed is False


def test_second_submit_returns_the_same_result_without_grading_again(
    quiz, learner, enrollment
) -> None:
    attempt, _ = svc.start_attempt(quiz, learner)
    svc.save_responses(attempt, learner, {"q-single": "a"})
    svc.submit_attempt(attempt, learner)
    first = (attempt.score, attempt.submitted_at)
    svc.submit_attempt(attempt, learner, now=utcnow() + timedelta(minutes=5))
    assert (attempt.score, attempt.submitted_at) == first
    assert len(graded_statements(quiz)) == 1


def test_answers_after_submit_are_refused(quiz, learner, enrollment) -> None:
    attempt, _ = svc.start_attempt(quiz, learner)
    svc.save_responses(attempt, learner, {"q-single": "a"})
    svc.submit_attempt(attempt, learner)
    with pytest.raises(AttemptClosed):
        svc.save_responses(attempt, learner, {"q-single": "b"})
    assert svc.answers_of(attempt)["q-single"] == "a"


def test_another_learner_cannot_touch_the_attempt(quiz, learner, enrollment) -> None:
    attempt, _ = svc.start_attempt(quiz, learner)
    other = make_user()
    with pytest.raises(svc.NotFound):
        svc.save_responses(attempt, other, {"q-single": "a"})
    with pytest.raises(svc.NotFound):
        svc.submit_attempt(attempt, other)


# --- time ----------------------------------------------------------------------------------


def test_save_within_the_grace_period_is_accepted(quiz, learner, enrollment) -> None:
    now = utcnow()
    attempt, _ = svc.start_attempt(quiz, learner, now=now)
    svc.save_responses(
        attempt, learner, {"q-single": "a"}, now=attempt.deadline + timedelta(seconds=5)
    )
    assert attempt.status == AttemptStatus.open


def test_late_save_grades_the_attempt_with_what_was_saved(quiz, learner, enrollment) -> None:
    now = utcnow()
    attempt, _ = svc.start_attempt(quiz, learner, now=now)
    svc.save_responses(attempt, learner, {"q-single": "a"}, now=now + timedelta(minutes=10))
    late = now + timedelta(minutes=21)
    with pytest.raises(AttemptClosed, match="Hết giờ"):
        svc.save_responses(attempt, learner, {"q-tf": False}, now=late)
    assert attempt.status == AttemptStatus.graded
    assert attempt.expired is True
    assert attempt.submitted_at == attempt.deadline
    assert attempt.score == 1.0  # q-single only; the late q-tf was not taken
    assert len(graded_statements(quiz)) == 1


def test_submit_after_the_limit_is_graded_as_expired(quiz, learner, enrollment) -> None:
    now = utcnow()
    attempt, _ = svc.start_attempt(quiz, learner, now=now)
    svc.submit_attempt(attempt, learner, now=now + timedelta(hours=1))
    assert attempt.expired is True
    assert attempt.submitted_at == attempt.deadline


def test_sweep_grades_only_expired_attempts(quiz, course, learner, enrollment) -> None:
    now = utcnow()
    old, _ = svc.start_attempt(quiz, learner, now=now - timedelta(minutes=30))
    other = make_user()
    enrol(other, course)
    fresh, _ = svc.start_attempt(quiz, other, now=now - timedelta(minutes=5))
    assert svc.grade_expired_attempts(now=now) == 1
    assert old.status == AttemptStatus.graded
    assert old.expired
    assert fresh.status == AttemptStatus.open
    assert svc.grade_expired_attempts(now=now) == 0


def test_expired_open_attempt_is_graded_on_next_access(quiz, learner, enrollment) -> None:
    now = utcnow()
    attempt, _ = svc.start_attempt(quiz, learner, now=now)
    svc.refresh_if_expired(attempt, now=now + timedelta(minutes=19))
    assert attempt.status == AttemptStatus.open
    svc.refresh_if_expired(attempt, now=now + timedelta(minutes=25))
    assert attempt.status == AttemptStatus.graded
    # Starting again gives a new attempt, not the expired one.
    again, created = svc.start_attempt(quiz, learner, now=now + timedelta(minutes=26))
    assert created
    assert again.number == 2


def test_max_attempts(quiz, learner, enrollment) -> None:
    for _ in range(3):
        attempt, _ = svc.start_attempt(quiz, learner)
        svc.submit_attempt(attempt, learner)
    with pytest.raises(Conflict, match="hết 3 lượt"):
        svc.start_attempt(quiz, learner)


def test_window_is_enforced_and_closing_caps_the_deadline(quiz, learner, enrollment) -> None:
    now = utcnow()
    quiz.opens_at = now + timedelta(hours=1)
    quiz.closes_at = now + timedelta(hours=1, minutes=10)
    with pytest.raises(Conflict, match="chưa đến giờ mở"):
        svc.start_attempt(quiz, learner, now=now)
    start = now + timedelta(hours=1, minutes=5)
    attempt, _ = svc.start_attempt(quiz, learner, now=start)
    assert attempt.deadline == quiz.closes_at
    late_comer = make_user()
    enrol(late_comer, quiz.course)
    with pytest.raises(Conflict, match="đã đóng"):
        svc.start_attempt(quiz, late_comer, now=now + timedelta(hours=2))


# --- regrade and re-import -------------------------------------------------------------------


def test_regrade_gives_the_same_result(quiz, learner, enrollment) -> None:
    attempt, _ = svc.start_attempt(quiz, learner)
    svc.save_responses(attempt, learner, {"q-multi": ["a", "c"], "q-single": "a"})
    svc.submit_attempt(attempt, learner)
    result, changed = svc.regrade(attempt)
    assert not changed
    assert result.score == attempt.score
    attempt.score = 0  # tampered
    _, changed = svc.regrade(attempt, apply=True)
    assert changed
    assert attempt.score == result.score


def test_reimport_keeps_old_attempts_grading_the_same(
    quiz, course, learner, enrollment, tmp_path: Path
) -> None:
    attempt, _ = svc.start_attempt(quiz, learner)
    svc.save_responses(attempt, learner, {"q-single": "a", "q-tf": False})
    # The author changes the key of q-single and drops q-tf.
    changed = BANK_YAML.replace(
        "{id: a, text: dichvucong.gov.vn, correct: true}\n      - {id: b, text: dichvucong.com.vn}",
        "{id: a, text: dichvucong.gov.vn}\n      - {id: b, text: dichvucong.com.vn, correct: true}",
    )
    start = changed.index("  - id: q-tf")
    end = changed.index("  - id: q-fill")
    changed = changed[:start] + changed[end:]
    changed = changed.replace("questions: 7", "questions: 6")
    (tmp_path / "v2").mkdir()
    import_bank(course, tmp_path / "v2", changed)
    single = db.session.scalar(db.select(Question).where(Question.key == "q-single"))
    tf = db.session.scalar(db.select(Question).where(Question.key == "q-tf"))
    assert single.version == 2
    assert tf.active is False
    assert (
        db.session.scalar(
            db.select(db.func.count()).where(QuestionVersion.question_id == single.id)
        )
        == 2
    )
    svc.submit_attempt(attempt, learner)
    assert attempt.score == 2.0  # graded against the versions it drew
    _, differs = svc.regrade(attempt)
    assert not differs
    again, _ = svc.start_attempt(quiz, learner)
    assert "q-tf" not in again.keys
    assert len(again.keys) == 6


def test_reimport_without_changes_adds_no_version(quiz, course, tmp_path: Path) -> None:
    (tmp_path / "again").mkdir()
    import_bank(course, tmp_path / "again")
    assert db.session.scalar(db.select(db.func.max(Question.version))) == 1


def test_pools_draw_per_skill_area(course, learner, tmp_path: Path) -> None:
    text = BANK_YAML.replace(
        "  questions: 7\n",
        "  questions: 4\n  pools:\n"
        "    - {skill_area: safety, count: 2}\n    - {difficulty: hard, count: 1}\n",
    )
    quiz = import_bank(course, tmp_path, text)
    for seed in range(20):
        items = svc.build_items(quiz, seed)
        keys = [i["key"] for i in items]
        assert len(keys) == 4
        assert {"q-multi", "q-tf"} <= set(keys)  # the two safety questions
        assert {"q-num", "q-match"} & set(keys)  # at least one hard
        assert svc.build_items(quiz, seed) == items


def test_course_without_quiz_section_deactivates_its_quiz(quiz, course, tmp_path: Path) -> None:
    text = BANK_YAML[BANK_YAML.index("questions:\n  - id") :]
    (tmp_path / "noquiz").mkdir()
    import_bank(course, tmp_path / "noquiz", text)
    assert quiz.active is False


def test_other_course_of_the_same_keys_is_independent(quiz, tmp_path: Path) -> None:
    other = make_course(**QUIZ_COURSE)
    (tmp_path / "o").mkdir()
    second = import_bank(other, tmp_path / "o")
    assert second.id != quiz.id
    assert db.session.scalar(db.select(db.func.count(Question.id))) == 14
