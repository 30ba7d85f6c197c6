"""Enrolments: who follows which course, through which class; enrolling and withdrawing.

Enrolling checks the course is open (self-enrolment) or the class's window and capacity,
under the class's lock and the people's (:func:`lock_class`, :func:`lock_people`), and writes
the ``registered`` statement to the LRS in the same transaction. Progress and completion are
:mod:`lms.classes.completion`'s.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload, selectinload

from lms import periods
from lms.auth.models import User
from lms.bulk_insert import insert_objects
from lms.catalog.models import Course, Lesson
from lms.classes import statements
from lms.classes.completion import refresh_progress, unit_at
from lms.classes.models import Class, Enrollment, EnrollmentSource, EnrollmentStatus
from lms.db import new_uuid, utcnow
from lms.errors import Conflict, Forbidden, Invalid, NotFound
from lms.extensions import db
from lms.locks import lock, lock_rows
from lms.xapi import services as lrs

logger = logging.getLogger(__name__)


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


# --- enrolling -------------------------------------------------------------------------------


def check_class_open(klass: Class, *, adding: int = 1, on: date | None = None) -> None:
    """Refuse when the enrollment window is closed (409) or the class has no room (409)."""
    on = on or periods.today()  # the window closes at the province's midnight
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
        enrolled_unit_id=unit_at(user, now),
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
    lrs.record(statements.registered(enrollment, at=now))
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
                "enrolled_unit_id": unit_at(user, now),
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
    lrs.record_many(batch)
    logger.info(
        "Enrolled %s people in course %s (class %s, %s) by %s",
        len(rows),
        course.id,
        klass.id if klass else None,
        source,
        by.id if by else None,
    )
    return len(rows)


def enroll_new(
    pairs: list[tuple[User, Course, datetime]], *, source: EnrollmentSource
) -> list[Enrollment]:
    """Enrol people in courses they do not follow, without a class (the bridge's batch).

    The caller knows none of ``pairs`` has a live enrollment and holds the people (new
    learners, or :func:`lock_people`). The rows are written together
    (:func:`lms.bulk_insert.insert_objects`) and stay in the session as objects for the work
    that follows; one batch of ``registered`` statements.
    """
    rows = [
        Enrollment(
            # Ids, not objects: both are in the session, and reading them back costs no query;
            # assigning objects makes the flush walk their relationships for every row.
            user_id=user.id,
            course_id=course.id,
            status=EnrollmentStatus.enrolled,
            source=EnrollmentSource(source),
            registration=new_uuid(),
            enrolled_at=at,
            enrolled_unit_id=unit_at(user, at),
            progress=0,
            lessons_done=0,
        )
        for user, course, at in pairs
    ]
    if not rows:
        return rows
    insert_objects(rows)  # one COPY on PostgreSQL rather than the unit of work's INSERTs
    lrs.record_many(
        [
            statements.registered_for(user, course, registration=e.registration, at=at)
            for e, (user, course, at) in zip(rows, pairs, strict=True)
        ]
    )
    logger.info("Enrolled %s people (%s)", len(rows), source)
    return rows


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
