"""Progress and the completion rule: lessons, quiz results, attendance, completing.

The course's completion rule decides completion; every rule present must hold (all or N
lessons, the quiz passed at N percent, at least N percent of the class's sessions attended).
Completing sends ``lms.events.enrollment_completed`` (certificates listen), and every
learning event is also written to the LRS as an xAPI statement in the same transaction.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from lms import events
from lms.catalog.models import Course, Lesson
from lms.classes import statements
from lms.classes.models import (
    Attendance,
    ClassSession,
    Enrollment,
    EnrollmentStatus,
    LessonProgress,
)
from lms.db import utcnow
from lms.errors import Conflict, Invalid, NotFound
from lms.extensions import db
from lms.locks import lock
from lms.org.services import unit_of_user_on
from lms.periods import local_day
from lms.periods import today as local_today
from lms.xapi import services as lrs

if TYPE_CHECKING:
    from lms.auth.models import User

logger = logging.getLogger(__name__)

#: Scores are floats; a 0.7 stored as 0.69999 must still pass a 70 % rule.
EPSILON = 1e-6


def _ensure_live(enrollment: Enrollment) -> None:
    if enrollment.status == EnrollmentStatus.withdrawn:
        raise Conflict(_("This enrollment was withdrawn."))


def _start(enrollment: Enrollment, at: datetime) -> None:
    if enrollment.started_at is None:
        enrollment.started_at = at
    if enrollment.status == EnrollmentStatus.enrolled:
        enrollment.status = EnrollmentStatus.in_progress
    enrollment.last_activity_at = at


def open_lesson(enrollment: Enrollment, lesson: Lesson, *, at: datetime | None = None) -> bool:
    """Remember where the learner stopped; the first opening is an ``experienced`` statement.

    Returns whether this was the first time the lesson was opened.
    """
    lock(enrollment)
    _ensure_live(enrollment)
    if lesson.course_id != enrollment.course_id:
        raise Invalid(_("This lesson belongs to another course."))
    now = at or utcnow()
    enrollment.last_lesson_id = lesson.id
    _start(enrollment, now)
    row = _lesson_row(enrollment, lesson)
    first = row is None
    if first:
        db.session.add(
            LessonProgress(enrollment_id=enrollment.id, lesson_id=lesson.id, opened_at=now)
        )
        lrs.record(statements.lesson_experienced(enrollment, lesson, at=now))
    db.session.flush()
    return first


def _lesson_row(enrollment: Enrollment, lesson: Lesson) -> LessonProgress | None:
    return db.session.scalar(
        select(LessonProgress).where(
            LessonProgress.enrollment_id == enrollment.id, LessonProgress.lesson_id == lesson.id
        )
    )


def complete_lesson(
    enrollment: Enrollment, lesson: Lesson, *, at: datetime | None = None
) -> Enrollment:
    """Mark a lesson done (idempotent) and re-evaluate the course's completion rule."""
    lock(enrollment)
    _ensure_live(enrollment)
    if lesson.course_id != enrollment.course_id or not lesson.active:
        raise Invalid(_("This lesson is not part of the course."))
    now = at or utcnow()
    if _lesson_row(enrollment, lesson) is None:
        open_lesson(enrollment, lesson, at=now)
    row = _lesson_row(enrollment, lesson)
    if row is None:  # pragma: no cover - open_lesson just wrote it
        raise NotFound(_("Lesson progress not found."))
    _start(enrollment, now)
    enrollment.last_lesson_id = lesson.id
    if row.completed_at is None:
        row.completed_at = now
        db.session.flush()
        lrs.record(statements.lesson_completed(enrollment, lesson, at=now))
    refresh_progress(enrollment)
    evaluate_completion(enrollment, at=now)
    return enrollment


def record_quiz_result(
    enrollment: Enrollment, *, scaled: float, passed: bool, at: datetime | None = None
) -> Enrollment:
    """Keep the best quiz result and re-evaluate completion (called by assessment)."""
    _ensure_live(enrollment)
    if not 0.0 <= scaled <= 1.0:
        raise Invalid(_("A quiz score must be between 0 and 1."))
    now = at or utcnow()
    _start(enrollment, now)
    if enrollment.quiz_score is None or scaled > enrollment.quiz_score:
        enrollment.quiz_score = float(scaled)
    enrollment.quiz_passed = bool(enrollment.quiz_passed) or bool(passed)
    refresh_progress(enrollment)
    evaluate_completion(enrollment, at=now)
    return enrollment


def active_lesson_ids(course_id: int) -> list[int]:
    return list(
        db.session.scalars(
            select(Lesson.id)
            .where(Lesson.course_id == course_id, Lesson.active.is_(True))
            .order_by(Lesson.position)
        )
    )


def completed_lesson_ids(enrollment: Enrollment) -> set[int]:
    return set(
        db.session.scalars(
            select(LessonProgress.lesson_id).where(
                LessonProgress.enrollment_id == enrollment.id,
                LessonProgress.completed_at.is_not(None),
            )
        )
    )


def attendance_rate(enrollment: Enrollment) -> float | None:
    """Share of the class's sessions attended; None outside a class with sessions."""
    if enrollment.class_id is None:
        return None
    sessions = db.session.scalar(
        select(func.count()).where(ClassSession.class_id == enrollment.class_id)
    )
    if not sessions:
        return None
    present = db.session.scalar(
        select(func.count())
        .select_from(Attendance)
        .join(ClassSession, ClassSession.id == Attendance.session_id)
        .where(
            Attendance.enrollment_id == enrollment.id,
            Attendance.present.is_(True),
            ClassSession.class_id == enrollment.class_id,
        )
    )
    return float(present or 0) / float(sessions)


def _rules(course: Course) -> dict[str, Any]:
    rule = dict(course.completion_rule or {})
    if not any(rule.get(k) is not None for k in ("lessons", "quiz", "attendance")):
        rule["lessons"] = "all"
    return rule


def refresh_progress(enrollment: Enrollment) -> None:
    """Recount lessons and attendance and recompute the 0-100 progress figure."""
    lesson_ids = active_lesson_ids(enrollment.course_id)
    done = completed_lesson_ids(enrollment) & set(lesson_ids)
    enrollment.lessons_done = len(done)
    enrollment.attendance_rate = attendance_rate(enrollment)
    if enrollment.status == EnrollmentStatus.completed:
        enrollment.progress = 100
        return
    rule = _rules(enrollment.course)
    parts: list[float] = []
    if rule.get("lessons") is not None:
        required = _lessons_required(rule, len(lesson_ids))
        parts.append(min(1.0, len(done) / required) if required else 1.0)
    if rule.get("quiz") is not None:
        score = enrollment.quiz_score or 0.0
        parts.append(min(1.0, score * 100 / rule["quiz"]) if score else 0.0)
    if rule.get("attendance") is not None and enrollment.attendance_rate is not None:
        parts.append(min(1.0, enrollment.attendance_rate * 100 / rule["attendance"]))
    value = int(100 * sum(parts) / len(parts)) if parts else 0
    # 100 means completed; a learner who has everything but is not completed sees 99.
    enrollment.progress = min(value, 99)


def _lessons_required(rule: dict[str, Any], active: int) -> int:
    wanted = rule.get("lessons")
    if wanted == "all" or wanted is None:
        return active
    return min(int(wanted), active)


def completion_status(enrollment: Enrollment) -> dict[str, Any]:
    """Each rule of the course with what is required, what the learner has, and whether met."""
    rule = _rules(enrollment.course)
    rules: list[dict[str, Any]] = []
    if rule.get("lessons") is not None:
        lesson_ids = active_lesson_ids(enrollment.course_id)
        done = len(completed_lesson_ids(enrollment) & set(lesson_ids))
        required = _lessons_required(rule, len(lesson_ids))
        rules.append(
            {"rule": "lessons", "required": required, "actual": done, "met": done >= required}
        )
    if rule.get("quiz") is not None:
        score = enrollment.quiz_score
        actual = round(score * 100, 1) if score is not None else None
        met = score is not None and score * 100 + EPSILON >= rule["quiz"]
        rules.append({"rule": "quiz", "required": rule["quiz"], "actual": actual, "met": met})
    if rule.get("attendance") is not None:
        rate = attendance_rate(enrollment)
        applies = rate is not None
        actual = round(rate * 100, 1) if rate is not None else None
        met = (not applies) or (rate is not None and rate * 100 + EPSILON >= rule["attendance"])
        rules.append(
            {
                "rule": "attendance",
                "required": rule["attendance"],
                "actual": actual,
                "met": met,
                "applies": applies,
            }
        )
    if rule.get("external"):
        # Content the LMS cannot see decides (cmi5 moveOn): met only once it said so.
        done = enrollment.status == EnrollmentStatus.completed
        rules.append(
            {"rule": "external", "required": rule["external"], "actual": done, "met": done}
        )
    return {"met": all(r["met"] for r in rules), "rules": rules}


def evaluate_completion(enrollment: Enrollment, *, at: datetime | None = None) -> bool:
    """Complete the enrollment if its course's rule now holds; True when it is completed.

    Completion is sticky: a later, lower quiz result does not undo it.
    """
    if enrollment.status == EnrollmentStatus.completed:
        return True
    if enrollment.status == EnrollmentStatus.withdrawn:
        return False
    refresh_progress(enrollment)
    if not completion_status(enrollment)["met"]:
        return False
    _complete(enrollment, at=at or utcnow())
    return True


def unit_at(user: User, at: datetime) -> int | None:
    """The person's unit at ``at``: an event dated before a move or a merger (a completion
    reported late by a platform) is counted where the person was then."""
    day = local_day(at)
    if day >= local_today():
        return user.unit_id
    # No membership recorded that far back: where they are now is the best we know.
    return unit_of_user_on(user, day) or user.unit_id


def _mark_completed(enrollment: Enrollment, at: datetime) -> None:
    enrollment.status = EnrollmentStatus.completed
    enrollment.completed_at = at
    enrollment.completed_unit_id = unit_at(enrollment.user, at)
    enrollment.completed_target_group = enrollment.user.target_group
    enrollment.failed_at = None
    if enrollment.started_at is None:
        enrollment.started_at = at
    enrollment.progress = 100
    enrollment.last_activity_at = at


def _complete(enrollment: Enrollment, *, at: datetime) -> None:
    _mark_completed(enrollment, at)
    db.session.flush()
    lrs.record(statements.course_completed(enrollment, at=at))
    logger.info("Enrollment %s completed", enrollment.id)
    events.enrollment_completed.send(enrollment)


def complete_many(completions: list[tuple[Enrollment, datetime]]) -> list[Enrollment]:
    """Complete many live enrollments at once (the bridge's batch): what
    :func:`complete_enrollment` does for each, with one flush, one batch of ``completed``
    statements and one ``enrollments_completed`` event, so a certificate batch follows.

    Enrollments already completed are left as they are; returns those completed now.
    """
    done: list[Enrollment] = []
    for enrollment, at in completions:
        _ensure_live(enrollment)
        if enrollment.status == EnrollmentStatus.completed:
            continue
        _mark_completed(enrollment, at)
        done.append(enrollment)
    if not done:
        return done
    db.session.flush()
    lrs.record_many([statements.course_completed(e, at=e.completed_at) for e in done])
    logger.info("Completed %s enrollments", len(done))
    events.enrollments_completed.send(None, enrollments=done)
    return done


def complete_enrollment(
    enrollment: Enrollment, *, at: datetime | None = None, by: User | None = None
) -> Enrollment:
    """Complete regardless of the rule: a completion reported by another platform (xAPI)."""
    _ensure_live(enrollment)
    if enrollment.status != EnrollmentStatus.completed:
        _complete(enrollment, at=at or utcnow())
        logger.info("Enrollment %s completed by %s", enrollment.id, by.id if by else "system")
    return enrollment


def reopen_enrollment(enrollment: Enrollment, *, by: User | None = None) -> Enrollment:
    """Undo a completion (its evidence was voided); sends ``enrollment_reopened``."""
    if enrollment.status != EnrollmentStatus.completed:
        return enrollment
    enrollment.status = EnrollmentStatus.in_progress
    enrollment.completed_at = None
    enrollment.completed_unit_id = None
    enrollment.completed_target_group = None
    refresh_progress(enrollment)
    db.session.flush()
    logger.info("Enrollment %s reopened by %s", enrollment.id, by.id if by else "system")
    events.enrollment_reopened.send(enrollment)
    return enrollment


def refresh_course(course: Course) -> int:
    """Recompute progress of the course's open enrollments (its lessons changed)."""
    count = 0
    stmt = select(Enrollment).where(
        Enrollment.course_id == course.id,
        Enrollment.status.in_([EnrollmentStatus.enrolled, EnrollmentStatus.in_progress]),
    )
    for enrollment in db.session.scalars(stmt):
        refresh_progress(enrollment)
        count += 1
    db.session.flush()
    return count


def on_course_imported(course: Course, **kwargs: Any) -> None:
    """Receiver of ``course_imported``: lessons changed, so open enrollments recount."""
    if kwargs.get("lessons_changed") and not kwargs.get("created"):
        refresh_course(course)


def lesson_states(enrollment: Enrollment) -> dict[int, str]:
    """lesson id -> "done" | "opened" for the course outline."""
    rows = db.session.execute(
        select(LessonProgress.lesson_id, LessonProgress.completed_at).where(
            LessonProgress.enrollment_id == enrollment.id
        )
    )
    return {row.lesson_id: "done" if row.completed_at else "opened" for row in rows}
