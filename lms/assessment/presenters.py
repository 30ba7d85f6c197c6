"""The JSON shapes of quizzes and attempts, for learners and for trainers.

The learner's shapes are built only from each type's ``public_view``; the key (``correct``,
``correct_response``, ``explanation``) is added by :func:`review_items` only when the review
policy allows it. ``tests/assessment/test_no_key_leak.py`` walks every learner-facing
response to hold this.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from lms.assessment.attempts import (
    answers_of,
    attempts_used,
    can_review,
    load_versions,
    open_attempt,
    refresh_if_expired,
    remaining_seconds,
)
from lms.assessment.items import TYPES
from lms.assessment.items.base import pick
from lms.assessment.models import Attempt, AttemptResponse, AttemptStatus, Quiz, ReviewPolicy
from lms.auth.models import User
from lms.constants import SKILL_AREA_LABELS, label
from lms.db import utcnow
from lms.extensions import db


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def quiz_settings(quiz: Quiz) -> dict[str, Any]:
    """What anyone may know about a quiz before taking it (no questions, no key)."""
    return {
        "id": quiz.id,
        "slug": quiz.slug,
        "title": quiz.title,
        "title_en": quiz.title_en,
        "kind": str(quiz.kind),
        "course": quiz.course.slug if quiz.course is not None else None,
        "question_count": quiz.question_count,
        "pools": quiz.pools or [],
        "time_limit_minutes": quiz.time_limit_minutes,
        "max_attempts": quiz.max_attempts,
        "pass_mark": quiz.pass_mark,
        "review_policy": str(quiz.review),
        "opens_at": _iso(quiz.opens_at),
        "closes_at": _iso(quiz.closes_at),
        "session_id": quiz.session_id,
        "active": quiz.active,
    }


def quiz_for_staff(quiz: Quiz) -> dict[str, Any]:
    return quiz_settings(quiz) | {
        "is_course_quiz": quiz.is_course_quiz,
        "shuffle_questions": quiz.shuffle_questions,
        "shuffle_options": quiz.shuffle_options,
        "banks": [b.code for b in quiz.banks],
        "province": quiz.province.code if quiz.province is not None else None,
    }


def quiz_for_learner(quiz: Quiz, user: User, *, now: datetime | None = None) -> dict[str, Any]:
    """The quiz page's data: settings, and this learner's attempts so far.

    An open attempt whose time ran out is graded here first (the caller commits), so the page
    never offers to resume an attempt that is over.
    """
    now = now or utcnow()
    current = open_attempt(quiz, user)
    if current is not None:
        refresh_if_expired(current, now=now)
        if current.status != AttemptStatus.open:
            current = None
    used = attempts_used(quiz, user)
    rows = db.session.scalars(
        select(Attempt)
        .where(Attempt.quiz_id == quiz.id, Attempt.user_id == user.id)
        .order_by(Attempt.number)
    ).all()
    best = max((a.scaled for a in rows if a.scaled is not None), default=None)
    return quiz_settings(quiz) | {
        "attempts_used": used,
        "attempts_left": None if quiz.max_attempts is None else max(0, quiz.max_attempts - used),
        "open_attempt": current.id if current is not None else None,
        "best_scaled": best,
        "passed": any(a.passed for a in rows),
        "is_open_now": quiz.active
        and (quiz.opens_at is None or quiz.opens_at <= now)
        and (quiz.closes_at is None or now < quiz.closes_at),
        "attempts": [attempt_summary(a) for a in rows],
    }


def attempt_summary(attempt: Attempt) -> dict[str, Any]:
    return {
        "id": attempt.id,
        "number": attempt.number,
        "status": str(attempt.status),
        "started_at": _iso(attempt.started_at),
        "submitted_at": _iso(attempt.submitted_at),
        "expired": attempt.expired,
        "score": attempt.score,
        "max_score": attempt.max_score,
        "scaled": attempt.scaled,
        "passed": attempt.passed,
    }


def review_allowed(attempt: Attempt, viewer: User, *, now: datetime | None = None) -> bool:
    if attempt.status != AttemptStatus.graded:
        return False
    if viewer.id != attempt.user_id and can_review(viewer, attempt):
        return True
    policy = attempt.quiz.review
    if policy == ReviewPolicy.after_submit:
        return True
    if policy == ReviewPolicy.after_close:
        closes = attempt.quiz.closes_at
        return closes is not None and (now or utcnow()) >= closes
    return False


def key_allowed(attempt: Attempt, viewer: User, *, now: datetime | None = None) -> bool:
    """Whether the review may show the correct answers, not only which ones were right.

    A learner who may try again would otherwise read the key after attempt 1 of 3 and
    copy it into attempt 2 (Moodle's "right answer" review option works the same way): the
    key is shown once the attempt passed, no attempt is left, or the quiz has closed.
    """
    if not review_allowed(attempt, viewer, now=now):
        return False
    if viewer.id != attempt.user_id:
        return True
    quiz = attempt.quiz
    if attempt.passed:
        return True
    if quiz.max_attempts is not None and attempts_used(quiz, viewer) >= quiz.max_attempts:
        return True
    return quiz.closes_at is not None and (now or utcnow()) >= quiz.closes_at


def _areas(attempt: Attempt) -> list[dict[str, Any]]:
    return [
        {
            "skill_area": area,
            "label": label(SKILL_AREA_LABELS, area),
            "score": values["score"],
            "max_score": values["max"],
            "scaled": values["scaled"],
        }
        for area, values in sorted((attempt.area_scores or {}).items())
    ]


def result_view(attempt: Attempt) -> dict[str, Any] | None:
    if attempt.status != AttemptStatus.graded:
        return None
    return {
        "score": attempt.score,
        "max_score": attempt.max_score,
        "scaled": attempt.scaled,
        "percent": round((attempt.scaled or 0) * 100, 1),
        "passed": attempt.passed,
        "pass_mark": attempt.quiz.pass_mark,
        "expired": attempt.expired,
        "submitted_at": _iso(attempt.submitted_at),
        "skill_areas": _areas(attempt),
    }


def questions_view(attempt: Attempt, lang: str) -> list[dict[str, Any]]:
    versions = load_versions(attempt.items)
    out = []
    for number, item in enumerate(attempt.items, start=1):
        version = versions[item["version_id"]]
        content = version.content
        item_type = TYPES[version.type]
        out.append(
            {
                "key": item["key"],
                "number": number,
                "type": version.type,
                "text": pick(content["text"], content.get("text_en"), lang),
                "skill_area": content.get("skill_area"),
                "difficulty": content.get("difficulty"),
                "points": content.get("points", 1.0),
            }
            | item_type.public_view(version.definition, item.get("presentation") or {}, lang)
        )
    return out


def review_items(attempt: Attempt, lang: str, *, with_key: bool = True) -> list[dict[str, Any]]:
    """Per question: the credit and, when ``with_key``, the correct answer and explanation."""
    versions = load_versions(attempt.items)
    rows = {
        r.key: r
        for r in db.session.scalars(
            select(AttemptResponse).where(AttemptResponse.attempt_id == attempt.id)
        )
    }
    out = []
    for item in attempt.items:
        version = versions[item["version_id"]]
        content = version.content
        row = rows.get(item["key"])
        entry: dict[str, Any] = {
            "key": item["key"],
            "score": row.score if row else 0.0,
            "max_score": row.max_score if row else content.get("points", 1.0),
            "correct": bool(row.correct) if row else False,
        }
        if with_key:
            # The explanation usually gives the answer away: it goes with the key.
            entry["explanation"] = (
                pick(content.get("explanation") or "", content.get("explanation_en"), lang) or None
            )
            entry |= TYPES[version.type].key_view(version.definition, lang)
        out.append(entry)
    return out


def attempt_view(
    attempt: Attempt, viewer: User, *, lang: str = "vi", now: datetime | None = None
) -> dict[str, Any]:
    """Everything the quiz page needs to show (or resume) an attempt."""
    now = now or utcnow()
    quiz = attempt.quiz
    body: dict[str, Any] = {
        "id": attempt.id,
        "quiz": {
            "id": quiz.id,
            "title": quiz.title_for(lang),
            "kind": str(quiz.kind),
            "pass_mark": quiz.pass_mark,
            "review_policy": str(quiz.review),
            "course": quiz.course.slug if quiz.course is not None else None,
        },
        "number": attempt.number,
        "status": str(attempt.status),
        "started_at": _iso(attempt.started_at),
        "deadline": _iso(attempt.deadline),
        "server_time": _iso(now),
        "remaining_seconds": remaining_seconds(attempt, now)
        if attempt.status == AttemptStatus.open
        else None,
        "last_saved_at": _iso(attempt.last_saved_at),
        "questions": questions_view(attempt, lang),
        "responses": answers_of(attempt),
        "result": result_view(attempt),
        "review_available": False,
        "key_available": False,
    }
    if review_allowed(attempt, viewer, now=now):
        body["review_available"] = True
        body["key_available"] = key_allowed(attempt, viewer, now=now)
        body["review"] = review_items(attempt, lang, with_key=body["key_available"])
    return body
