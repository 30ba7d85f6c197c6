"""xAPI statements for the LMS's own learning events.

Every event that changes an enrollment (registered, lesson experienced, lesson completed,
course completed) is also written to the LRS as a statement carrying the enrollment's
registration, with ADL vocabulary verbs, in the same transaction as the change. Other systems
reading the LRS (or the province's, if statements are forwarded) then see the LMS's learners
exactly as they see the MOOC platforms' ones.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask import current_app

from lms.db import utcnow
from lms.xapi import services as lrs

if TYPE_CHECKING:
    from lms.auth.models import User
    from lms.catalog.models import Course, Lesson
    from lms.classes.models import Enrollment

logger = logging.getLogger(__name__)

ADL = "http://adlnet.gov/expapi/verbs/"
VERB_REGISTERED = f"{ADL}registered"
VERB_LAUNCHED = f"{ADL}launched"
VERB_EXPERIENCED = f"{ADL}experienced"
VERB_COMPLETED = f"{ADL}completed"
VERB_ATTEMPTED = f"{ADL}attempted"
VERB_PASSED = f"{ADL}passed"
VERB_FAILED = f"{ADL}failed"

ACTIVITY_COURSE = "http://adlnet.gov/expapi/activities/course"
ACTIVITY_LESSON = "http://adlnet.gov/expapi/activities/lesson"

_VERB_NAMES = {
    VERB_REGISTERED: ("registered", "đã đăng ký"),
    VERB_LAUNCHED: ("launched", "đã mở"),
    VERB_EXPERIENCED: ("experienced", "đã xem"),
    VERB_COMPLETED: ("completed", "đã hoàn thành"),
    VERB_ATTEMPTED: ("attempted", "đã làm"),
    VERB_PASSED: ("passed", "đã đạt"),
    VERB_FAILED: ("failed", "chưa đạt"),
}


def base_url() -> str:
    return str(current_app.config.get("BASE_URL", "http://localhost")).rstrip("/")


def actor_for(user: User) -> dict[str, Any]:
    """The LMS's xAPI agent for ``user``: an account on this LMS, keyed by the user id."""
    return {
        "objectType": "Agent",
        "name": user.full_name,
        "account": {"homePage": base_url(), "name": str(user.id)},
    }


def verb(iri: str) -> dict[str, Any]:
    en, vi = _VERB_NAMES.get(iri, (iri.rsplit("/", 1)[-1], iri.rsplit("/", 1)[-1]))
    return {"id": iri, "display": {"en-US": en, "vi-VN": vi}}


def _names(vi: str, en: str | None) -> dict[str, str]:
    names = {"vi-VN": vi}
    if en:
        names["en-US"] = en
    return names


def course_activity(course: Course) -> dict[str, Any]:
    return {
        "objectType": "Activity",
        "id": course.activity_iri,
        "definition": {"type": ACTIVITY_COURSE, "name": _names(course.title, course.title_en)},
    }


def lesson_iri(course: Course, lesson: Lesson) -> str:
    return f"{course.activity_iri}/lessons/{lesson.slug}"


def lesson_activity(course: Course, lesson: Lesson) -> dict[str, Any]:
    return {
        "objectType": "Activity",
        "id": lesson_iri(course, lesson),
        "definition": {"type": ACTIVITY_LESSON, "name": _names(lesson.title, lesson.title_en)},
    }


def _context(enrollment: Enrollment, *, parent: Course | None = None) -> dict[str, Any]:
    context: dict[str, Any] = {"registration": enrollment.registration, "platform": "LMS 146"}
    context["language"] = "vi-VN"
    if parent is not None:
        context["contextActivities"] = {"parent": [course_activity(parent)]}
    return context


def _timestamp(at: datetime | None) -> str:
    return (at or utcnow()).isoformat()


def registered(enrollment: Enrollment, *, at: datetime | None = None) -> dict[str, Any]:
    return registered_for(
        enrollment.user,
        enrollment.course,
        registration=enrollment.registration,
        at=at or enrollment.enrolled_at,
    )


def registered_for(
    user: User, course: Course, *, registration: str, at: datetime | None = None
) -> dict[str, Any]:
    """The ``registered`` statement, from parts (bulk enrollments have no ORM rows)."""
    return {
        "actor": actor_for(user),
        "verb": verb(VERB_REGISTERED),
        "object": course_activity(course),
        "context": {"registration": registration, "platform": "LMS 146", "language": "vi-VN"},
        "timestamp": _timestamp(at),
    }


def lesson_experienced(
    enrollment: Enrollment, lesson: Lesson, *, at: datetime | None = None
) -> dict[str, Any]:
    return {
        "actor": actor_for(enrollment.user),
        "verb": verb(VERB_EXPERIENCED),
        "object": lesson_activity(enrollment.course, lesson),
        "context": _context(enrollment, parent=enrollment.course),
        "timestamp": _timestamp(at),
    }


def lesson_completed(
    enrollment: Enrollment, lesson: Lesson, *, at: datetime | None = None
) -> dict[str, Any]:
    return {
        "actor": actor_for(enrollment.user),
        "verb": verb(VERB_COMPLETED),
        "object": lesson_activity(enrollment.course, lesson),
        "result": {"completion": True},
        "context": _context(enrollment, parent=enrollment.course),
        "timestamp": _timestamp(at),
    }


def course_completed(enrollment: Enrollment, *, at: datetime | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {"completion": True}
    if enrollment.quiz_score is not None:
        result["success"] = bool(enrollment.quiz_passed)
        result["score"] = {"scaled": round(float(enrollment.quiz_score), 4)}
    return {
        "actor": actor_for(enrollment.user),
        "verb": verb(VERB_COMPLETED),
        "object": course_activity(enrollment.course),
        "result": result,
        "context": _context(enrollment),
        "timestamp": _timestamp(at or enrollment.completed_at),
    }


def emit(statement: dict[str, Any]) -> str:
    """Store ``statement`` in the LRS in the current transaction; return its id."""
    return str(lrs.record(statement))


def emit_many(batch: list[dict[str, Any]]) -> list[str]:
    """Store many statements in one go (bulk enrollments)."""
    if not batch:
        return []
    return [str(i) for i in lrs.record_many(batch)]
