"""Enrollments and progress: enrolling, lessons, quiz results, attendance, completion.

The course's completion rule decides completion; every rule present must hold (all or N
lessons, the quiz passed at N percent, at least N percent of the class's sessions attended).
Completing sends ``lms.events.enrollment_completed`` (certificates listen), and every
learning event is also written to the LRS as an xAPI statement in the same transaction.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload, selectinload

from lms import events
from lms.catalog.models import Course, Lesson
from lms.classes.models import (
    Attendance,
    Class,
    ClassSession,
    Enrollment,
    EnrollmentSource,
    EnrollmentStatus,
    LessonProgress,
)
from lms.db import new_uuid, utcnow
from lms.errors import Conflict, Forbidden, Invalid, NotFound
from lms.extensions import db
from lms.learning import statements
from lms.locks import lock, lock_rows

if TYPE_CHECKING:
    from lms.auth.models import User

logger = logging.getLogger(__name__)

#: Scores are floats; a 0.7 stored as 0.69999 must still pass a 70 % rule.
EPSILON = 1e-6


# --- reading ---------------------------------------------------------------------------------


def enrollment_for(user: User, course: Course) -> Enrollment | None:
    """The user's live (not withdrawn) enrollment in ``course``, if any."""
    return db.session.scalar(
        select(Enrollment).where(
            Enrollment.user_id == user.id,
            Enrollment.course_id == course.id,
            Enrollment.status != EnrollmentStatus.withdrawn,
        )
    )


def get_enrollment(enrollment_id: int) -> Enrollment:
    enrollment = db.session.get(Enrollment, enrollment_id)
    if enrollment is None:
        raise NotFound(_("Enrollment not found."))
    return enrollment


def live_count(klass: Class) -> int:
    return int(
        db.session.scalar(
            select(func.count()).where(
                Enrollment.class_id == klass.id, Enrollment.status != EnrollmentStatus.withdrawn
            )
        )
        or 0
    )


# --- enrolling -------------------------------------------------------------------------------


def check_class_open(klass: Class, *, adding: int = 1, on: date | None = None) -> None:
    """Refuse when the enrollment window is closed (409) or the class has no room (409)."""
    on = on or date.today()
    if not klass.enrol_window_open(on):
        raise Conflict(
            _("Enrollment in class %(code)s is closed.", code=klass.code),
            errors={"class": [_("The enrollment window is closed.")]},
        )
    if klass.capacity is not None and live_count(klass) + adding > klass.capacity:
        raise Conflict(
            _("Class %(code)s is full (%(n)s places).", code=klass.code, n=klass.capacity),
            errors={"class": [_("The class is full.")]},
        )


def lock_class(klass: Class) -> None:
    """Serialise enrollments into one class so two requests cannot take the last place.

    Locks are taken in one order everywhere: the class, then the people (:func:`lock_people`).
    """
    lock(klass)


def lock_people(users: list[User]) -> None:
    """Hold these people's enrollments (decided on: already enrolled, in which class)."""
    from lms.auth.models import User

    lock_rows(User, [user.id for user in users])


def enroll(
    user: User,
    course: Course,
    *,
    by: User | None,
    source: EnrollmentSource,
    klass: Class | None = None,
    at: datetime | None = None,
) -> Enrollment:
    """Enrol ``user`` in ``course`` (through ``klass`` when given).

    Self-enrollment needs an open course. A class enrollment checks the class's window and
    capacity. Someone already following the course on their own joins the class with their
    progress; someone already in it (or in another class of it) is refused with 409.
    """
    source = EnrollmentSource(source)
    if klass is not None and klass.course_id != course.id:
        raise Invalid(_("Class %(code)s does not run this course.", code=klass.code))
    if source == EnrollmentSource.self and klass is None and not course.open:
        raise Forbidden(
            _("This course is taken through a class or your unit; it is not open to everyone.")
        )
    if not user.active:
        raise Conflict(_("This account is disabled."))
    if klass is not None:
        lock_class(klass)
    lock_people([user])
    existing = enrollment_for(user, course)
    if existing is not None and (klass is None or existing.class_id is not None):
        raise Conflict(
            _("%(name)s is already enrolled in this course.", name=user.full_name),
            errors={"enrollment": [_("Already enrolled.")]},
        )
    if klass is not None:
        check_class_open(klass)
    if existing is not None:
        existing.class_id = klass.id if klass else None
        existing.klass = klass
        refresh_progress(existing)
        db.session.flush()
        logger.info("Moved enrollment %s into class %s", existing.id, klass and klass.id)
        return existing
    now = at or utcnow()
    enrollment = Enrollment(
        user=user,
        course=course,
        klass=klass,
        status=EnrollmentStatus.enrolled,
        source=source,
        enrolled_at=now,
        enrolled_by_id=by.id if by else None,
        progress=0,
        lessons_done=0,
    )
    try:
        with db.session.begin_nested():
            db.session.add(enrollment)
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict(
            _("%(name)s is already enrolled in this course.", name=user.full_name)
        ) from exc
    statements.emit(statements.registered(enrollment, at=now))
    logger.info(
        "Enrolled user %s in course %s (class %s, %s) by %s",
        user.id,
        course.id,
        klass.id if klass else None,
        source,
        by.id if by else None,
    )
    return enrollment


def live_user_ids(course: Course, user_ids: list[int]) -> dict[int, int | None]:
    """user id -> class id (or None) of those already following ``course``."""
    out: dict[int, int | None] = {}
    for start in range(0, len(user_ids), 500):
        chunk = user_ids[start : start + 500]
        rows = db.session.execute(
            select(Enrollment.user_id, Enrollment.class_id).where(
                Enrollment.course_id == course.id,
                Enrollment.user_id.in_(chunk),
                Enrollment.status != EnrollmentStatus.withdrawn,
            )
        )
        out.update({row.user_id: row.class_id for row in rows})
    return out


def bulk_enroll(
    course: Course,
    users: list[User],
    *,
    source: EnrollmentSource,
    by: User | None,
    klass: Class | None = None,
    at: datetime | None = None,
) -> int:
    """Enrol many people at once (CSV imports, assigned enrollment); returns how many.

    People already following the course are skipped. One multi-row INSERT and one batch of
    statements instead of a round trip per person: a 5,000-row import stays within seconds.
    Callers lock the class (:func:`lock_class`) and check its window and capacity first.
    """
    lock_people(users)
    already = live_user_ids(course, [u.id for u in users])
    now = at or utcnow()
    rows: list[dict[str, Any]] = []
    batch: list[dict[str, Any]] = []
    seen: set[int] = set()
    for user in users:
        if user.id in already or user.id in seen:
            continue
        seen.add(user.id)
        registration = new_uuid()
        rows.append(
            {
                "user_id": user.id,
                "course_id": course.id,
                "class_id": klass.id if klass else None,
                "status": EnrollmentStatus.enrolled,
                "source": EnrollmentSource(source),
                "registration": registration,
                "enrolled_at": now,
                "enrolled_by_id": by.id if by else None,
                "progress": 0,
                "lessons_done": 0,
            }
        )
        batch.append(statements.registered_for(user, course, registration=registration, at=now))
    if not rows:
        return 0
    try:
        with db.session.begin_nested():
            db.session.execute(insert(Enrollment), rows)
    except IntegrityError as exc:
        raise Conflict(_("Someone was enrolled at the same time; try again.")) from exc
    statements.emit_many(batch)
    logger.info(
        "Enrolled %s people in course %s (class %s, %s) by %s",
        len(rows),
        course.id,
        klass.id if klass else None,
        source,
        by.id if by else None,
    )
    return len(rows)


def withdraw(enrollment: Enrollment, *, by: User | None, at: datetime | None = None) -> Enrollment:
    lock(enrollment)
    if enrollment.status == EnrollmentStatus.withdrawn:
        raise Conflict(_("This enrollment is already withdrawn."))
    if enrollment.status == EnrollmentStatus.completed:
        raise Conflict(_("A completed course cannot be withdrawn from."))
    enrollment.status = EnrollmentStatus.withdrawn
    enrollment.withdrawn_at = at or utcnow()
    db.session.flush()
    logger.info("Withdrew enrollment %s by %s", enrollment.id, by.id if by else None)
    return enrollment


# --- progress --------------------------------------------------------------------------------


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
        statements.emit(statements.lesson_experienced(enrollment, lesson, at=now))
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
        statements.emit(statements.lesson_completed(enrollment, lesson, at=now))
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


def _complete(enrollment: Enrollment, *, at: datetime) -> None:
    enrollment.status = EnrollmentStatus.completed
    enrollment.completed_at = at
    enrollment.failed_at = None
    if enrollment.started_at is None:
        enrollment.started_at = at
    enrollment.progress = 100
    enrollment.last_activity_at = at
    db.session.flush()
    statements.emit(statements.course_completed(enrollment, at=at))
    logger.info("Enrollment %s completed", enrollment.id)
    events.enrollment_completed.send(enrollment)


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
    refresh_progress(enrollment)
    db.session.flush()
    logger.info("Enrollment %s reopened by %s", enrollment.id, by.id if by else "system")
    events.enrollment_reopened.send(enrollment)
    return enrollment


def mark_failed(enrollment: Enrollment, *, at: datetime | None = None) -> Enrollment:
    """The learner can no longer meet the rule (no quiz attempts left, class closed)."""
    _ensure_live(enrollment)
    if enrollment.status != EnrollmentStatus.completed:
        enrollment.status = EnrollmentStatus.failed
        enrollment.failed_at = at or utcnow()
        db.session.flush()
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


def my_enrollments(user: User, *, include_withdrawn: bool = False) -> Any:
    """The learner's enrollments, most recently active first, with what lists show."""
    stmt = (
        select(Enrollment)
        .where(Enrollment.user_id == user.id)
        .options(
            lazyload(Enrollment.user),
            selectinload(Enrollment.klass),
            selectinload(Enrollment.last_lesson).load_only(
                Lesson.slug, Lesson.title, Lesson.title_en
            ),
        )
    )
    if not include_withdrawn:
        stmt = stmt.where(Enrollment.status != EnrollmentStatus.withdrawn)
    return stmt.order_by(
        Enrollment.last_activity_at.desc().nulls_last(), Enrollment.enrolled_at.desc()
    )
