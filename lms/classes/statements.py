"""xAPI statements of enrollments: registered, lesson experienced, lesson completed, course
completed.

Each carries the enrollment's registration and ADL verbs, and is recorded in the LRS
(:func:`lms.xapi.services.record`) in the same transaction as the change it tells of.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from lms.db import utcnow
from lms.statements import (
    VERB_COMPLETED,
    VERB_EXPERIENCED,
    VERB_REGISTERED,
    actor_for,
    course_activity,
    lesson_activity,
    verb,
)

if TYPE_CHECKING:
    from lms.auth.models import User
    from lms.catalog.models import Course, Lesson
    from lms.classes.models import Enrollment


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
