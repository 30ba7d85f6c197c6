"""Demo data of the assessment domain (``flask seed demo``, after catalog and classes).

- Every starter course's quiz exists already: the course import created it from questions.yaml.
- The banks of the digital-skills standard (one per skill area) are imported and added to the
  specialists' yearly exam, whose window is opened around today and bound to a class session of
  that course when the classes demo made one.
- A few citizens of the online public services course have taken its quiz, with answers of
  varied quality, so the trainer's item analysis has something to show.
Idempotent: a second run changes nothing.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select

from lms.assessment import attempts, standard
from lms.assessment.items import get_type
from lms.assessment.models import Attempt, Quiz, QuizBank, QuizKind
from lms.auth.models import User
from lms.catalog.models import Course
from lms.classes.models import Class, ClassSession, Enrollment, EnrollmentStatus
from lms.db import utcnow
from lms.extensions import db

EXAM_COURSE = "chuan-ky-nang-so-cho-can-bo-chuyen-trach"
DEMO_QUIZ_COURSE = "dich-vu-cong-truc-tuyen"
#: The named demo accounts take their quizzes themselves in the journeys; leave them alone.
NAMED = tuple(
    f"{name}@demo.lms.vn"
    for name in ("admin", "official", "trainer", "learner", "specialist", "teacher")
)
DEMO_ATTEMPTS = 16
SEED = 146


def seed() -> list[str]:
    lines = _course_quizzes()
    lines += _standard_exam()
    lines += _demo_attempts()
    db.session.flush()
    return lines


def _course_quizzes() -> list[str]:
    count = db.session.scalar(
        select(func.count(Quiz.id)).where(Quiz.is_course_quiz.is_(True), Quiz.active.is_(True))
    )
    return [f"assessment: {count} course quizzes (from the course packages' questions.yaml)"]


def _exam() -> Quiz | None:
    course = db.session.scalar(select(Course).where(Course.slug == EXAM_COURSE))
    if course is None:
        return None
    return db.session.scalar(
        select(Quiz).where(Quiz.course_id == course.id, Quiz.is_course_quiz.is_(True))
    )


def _standard_exam() -> list[str]:
    banks = standard.import_standard()
    exam = _exam()
    if exam is None:
        return [f"assessment: {len(banks)} standard banks; no specialists' course, so no exam"]
    exam.kind = QuizKind.exam
    linked = set(db.session.scalars(select(QuizBank.bank_id).where(QuizBank.quiz_id == exam.id)))
    for bank in banks:
        if bank.id not in linked:
            db.session.add(QuizBank(quiz_id=exam.id, bank_id=bank.id))
    today = utcnow().date()
    if exam.opens_at is None or exam.closes_at is None or exam.closes_at < utcnow():
        exam.opens_at = datetime.combine(today - timedelta(days=1), time(0, 0), UTC)
        exam.closes_at = datetime.combine(today + timedelta(days=30), time(16, 59), UTC)
    where = ""
    session = _specialists_session(exam)
    if session is not None and exam.session_id is None:
        exam.session_id = session.id
        where = f", bound to session {session.id} of class {session.klass.code}"
    return [
        f"assessment: standard exam '{exam.title}' open {exam.opens_at:%Y-%m-%d} to "
        f"{exam.closes_at:%Y-%m-%d}{where}; {len(banks)} standard banks added to it"
    ]


def _specialists_session(exam: Quiz) -> Any:
    """A session of a class of the specialists' course, if the classes demo created one."""
    return db.session.scalar(
        select(ClassSession)
        .join(Class, Class.id == ClassSession.class_id)
        .where(Class.course_id == exam.course_id)
        .order_by(ClassSession.date.desc())
        .limit(1)
    )


def _demo_attempts() -> list[str]:
    course = db.session.scalar(select(Course).where(Course.slug == DEMO_QUIZ_COURSE))
    if course is None:
        return []
    quiz = db.session.scalar(
        select(Quiz).where(Quiz.course_id == course.id, Quiz.is_course_quiz.is_(True))
    )
    if quiz is None:
        return []
    done = db.session.scalar(select(func.count(Attempt.id)).where(Attempt.quiz_id == quiz.id))
    if done:
        return [f"assessment: {done} demo attempts at '{quiz.title}' already there"]
    learners = db.session.scalars(
        select(User)
        .join(Enrollment, Enrollment.user_id == User.id)
        .where(
            Enrollment.course_id == course.id,
            Enrollment.status != EnrollmentStatus.withdrawn,
            func.coalesce(User.email, "").not_in(NAMED),
        )
        .order_by(User.id)
        .limit(DEMO_ATTEMPTS)
    ).all()
    rng = random.Random(SEED)
    start = utcnow() - timedelta(days=3)
    for n, user in enumerate(learners):
        ability = 0.35 + 0.6 * n / max(1, len(learners) - 1)
        now = start + timedelta(hours=n * 3)
        attempt, _ = attempts.start_attempt(quiz, user, now=now)
        attempts.save_responses(attempt, user, _answers(attempt, ability, rng), now=now)
        attempts.submit_attempt(attempt, user, now=now + timedelta(minutes=rng.randint(4, 12)))
    return [f"assessment: {len(learners)} demo attempts at '{quiz.title}' for item analysis"]


def _answers(attempt: Attempt, ability: float, rng: random.Random) -> dict[str, Any]:
    """Right with probability ``ability`` (less on hard questions), otherwise a wrong answer."""
    versions = attempts.load_versions(attempt.items)
    out: dict[str, Any] = {}
    for item in attempt.items:
        version = versions[item["version_id"]]
        item_type = get_type(version.type)
        key = item_type.key_view(version.definition, "vi")["correct_response"]
        hard = version.content.get("difficulty") == "hard"
        if rng.random() < ability - (0.2 if hard else 0):
            out[item["key"]] = _shape(version.type, key)
        else:
            out[item["key"]] = _wrong(version.type, version.definition, key, rng)
    return {k: v for k, v in out.items() if v is not None}


def _shape(type_key: str, key: Any) -> Any:
    if type_key == "fill_in":
        return key[0]
    if type_key == "numeric":
        return key
    return key


def _wrong(type_key: str, definition: Any, key: Any, rng: random.Random) -> Any:
    if type_key == "single_choice":
        wrong = [o["id"] for o in definition["options"] if o["id"] != key]
        return rng.choice(wrong[:2])  # wrong answers cluster on a plausible distractor
    if type_key == "multiple_choice":
        ids = [o["id"] for o in definition["options"]]
        return sorted(set(key[:1]) | {rng.choice(ids)})
    if type_key == "true_false":
        return not key
    if type_key == "fill_in":
        return "không nhớ"
    if type_key == "numeric":
        return "0"
    if type_key == "ordering":
        return list(reversed(key))
    if type_key == "matching":
        lefts, rights = list(key), list(key.values())
        return dict(zip(lefts, rights[1:] + rights[:1], strict=True))
    return None
