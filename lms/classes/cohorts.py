"""Classes (cohorts): creating and changing them, sessions, attendance, rosters.

Admins manage every class; officials the classes organised by a unit of their subtree;
trainers the classes they are assigned to. Trainers create classes only in their own unit's
subtree, and everyone enrols and sees the contacts of people only within their reach
(``lms.auth.permissions``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, exists, false, func, or_, select
from sqlalchemy.orm import selectinload

from lms.auth import permissions
from lms.auth.models import Role, User
from lms.auth.services import find_user_by_login
from lms.catalog.models import Course
from lms.classes import completion
from lms.classes import enrollments as enrolling
from lms.classes.models import (
    Attendance,
    Class,
    ClassMode,
    ClassSession,
    Enrollment,
    EnrollmentStatus,
    class_trainers,
)
from lms.db import utcnow
from lms.errors import Conflict, Forbidden, Invalid, NotFound
from lms.extensions import db
from lms.locks import insert_unique, lock
from lms.org.models import Unit

logger = logging.getLogger(__name__)

CLASS_FIELDS = (
    "title", "mode", "starts_on", "ends_on", "place", "capacity", "enrol_opens_on",
    "enrol_closes_on",
)  # fmt: skip


# --- permissions -----------------------------------------------------------------------------
# The rules are lms.auth.permissions' (can_manage_class, unit_in_reach, person_in_reach); these
# helpers only look the class up and apply them.


def ensure_can_manage(user: User, klass: Class) -> None:
    """404 for people who cannot see the class at all, so codes do not leak."""
    permissions.ensure_can_manage_class(user, klass)


def manageable_classes(user: User) -> Select[Any]:
    """Every class ``user`` may manage, newest first."""
    stmt = select(Class).join(Unit, Unit.id == Class.unit_id)
    if user.is_admin:
        return stmt.order_by(Class.starts_on.desc().nulls_last(), Class.id.desc())
    clauses = []
    if Role.official in user.roles:
        clauses.append(permissions.scope_filter(user, Unit.path))
    if Role.trainer in user.roles:
        clauses.append(
            exists().where(
                class_trainers.c.class_id == Class.id, class_trainers.c.user_id == user.id
            )
        )
    stmt = stmt.where(or_(*clauses) if clauses else false())
    return stmt.order_by(Class.starts_on.desc().nulls_last(), Class.id.desc())


def list_classes(
    user: User,
    *,
    course: Course | None = None,
    unit: Unit | None = None,
    trainer_me: bool = False,
) -> Select[Any]:
    stmt = manageable_classes(user)
    if course is not None:
        stmt = stmt.where(Class.course_id == course.id)
    if unit is not None:
        stmt = stmt.where(Unit.path.startswith(unit.path, autoescape=True))
    if trainer_me:
        stmt = stmt.where(
            exists().where(
                class_trainers.c.class_id == Class.id, class_trainers.c.user_id == user.id
            )
        )
    return stmt


def get_class(code: str) -> Class:
    klass = db.session.scalar(select(Class).where(Class.code == code))
    if klass is None:
        raise NotFound(_("Class %(code)s not found.", code=code))
    return klass


def get_class_for(user: User, code: str) -> Class:
    klass = get_class(code)
    ensure_can_manage(user, klass)
    return klass


# --- creating and changing -------------------------------------------------------------------


def _trainers(
    ids: Iterable[int], *, by: User, unit: Unit, klass: Class | None = None
) -> list[User]:
    """The people named as trainers of a class organised by ``unit``: each one ``by`` may
    assign (``permissions.may_assign_trainer``), or teaching the class already; anyone else
    answers like an unknown id, so ids of other areas reveal nothing."""
    wanted = sorted(set(ids))
    found = list(db.session.scalars(select(User).where(User.id.in_(wanted)))) if wanted else []
    keep = {t.id for t in klass.trainers} if klass is not None else set()
    users = [
        u for u in found if u.id in keep or permissions.may_assign_trainer(by, u, unit, klass=klass)
    ]
    missing = set(wanted) - {u.id for u in users}
    errors: dict[str, list[str]] = {}
    if missing:
        errors["trainer_ids"] = [
            _("Unknown user(s): %(ids)s.", ids=", ".join(map(str, sorted(missing))))
        ]
    not_trainers = [u for u in users if not u.has_role(Role.trainer, Role.admin)]
    if not_trainers:
        errors.setdefault("trainer_ids", []).append(
            _(
                "Not a trainer: %(names)s.",
                names=", ".join(u.full_name for u in not_trainers),
            )
        )
    if errors:
        raise Invalid(_("Invalid input."), errors=errors)
    return users


#: Dates that must come in order, and what a person reads when they do not (the field
#: names are the API's, the words the form's).
DATE_PAIRS = (
    ("starts_on", "ends_on", _l("The class cannot end before it starts.")),
    ("enrol_opens_on", "enrol_closes_on", _l("Enrolment cannot close before it opens.")),
)


def _check_dates(values: Mapping[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    for first, last, message in DATE_PAIRS:
        a, b = values.get(first), values.get(last)
        if a is not None and b is not None and b < a:
            errors[last] = [str(message)]
    capacity = values.get("capacity")
    if capacity is not None and capacity < 1:
        errors["capacity"] = [_("Must be at least 1.")]
    if errors:
        raise Invalid(_("Invalid input."), errors=errors)


def create_class(
    *,
    code: str,
    course: Course,
    unit: Unit,
    by: User,
    trainer_ids: Iterable[int] = (),
    **fields: Any,
) -> Class:
    """Create a class in ``by``'s reach (a trainer: their own unit's subtree); a trainer who
    creates one teaches it."""
    if not permissions.unit_in_reach(by, unit):
        raise Forbidden(_("This unit is outside your area."))
    if db.session.scalar(select(Class.id).where(Class.code == code)) is not None:
        raise _code_used(code)
    _check_dates(fields)
    trainers = _trainers(trainer_ids, by=by, unit=unit)
    if Role.trainer in by.roles and not by.is_admin and all(t.id != by.id for t in trainers):
        trainers.append(by)
    klass = Class(
        code=code,
        course=course,
        unit=unit,
        title=fields.pop("title", None) or course.title,
        mode=ClassMode(fields.pop("mode", ClassMode.online)),
        created_by_id=by.id,
        **{k: v for k, v in fields.items() if k in CLASS_FIELDS},
    )
    klass.trainers = trainers
    with insert_unique(lambda: _code_used(code)):  # the same code created in parallel
        db.session.add(klass)
    logger.info("Created class %s (%s) for course %s by %s", klass.id, code, course.id, by.id)
    return klass


def _code_used(code: str) -> Conflict:
    return Conflict(
        _("Class code %(code)s is already used.", code=code),
        errors={"code": [_("Already used.")]},
    )


def update_class(klass: Class, changes: Mapping[str, Any], *, by: User) -> Class:
    ensure_can_manage(by, klass)
    values = {k: changes.get(k, getattr(klass, k)) for k in CLASS_FIELDS}
    _check_dates(values)
    if "capacity" in changes and changes["capacity"] is not None:
        enrolling.lock_class(klass)  # no enrollment slips in between the count and the change
        taken = enrolling.live_count(klass)
        if changes["capacity"] < taken:
            raise Conflict(
                _("%(n)s people are already enrolled; capacity cannot be lower.", n=taken),
                errors={"capacity": [_("Lower than the number enrolled.")]},
            )
    if "unit" in changes and changes["unit"] is not None:
        unit = changes["unit"]
        if not permissions.unit_in_reach(by, unit, klass=klass):
            raise Forbidden(_("This unit is outside your area."))
        klass.unit = unit
    for key in CLASS_FIELDS:
        if key in changes:
            value = changes[key]
            setattr(klass, key, ClassMode(value) if key == "mode" else value)
    if "trainer_ids" in changes:
        klass.trainers = _trainers(changes["trainer_ids"], by=by, unit=klass.unit, klass=klass)
    db.session.flush()
    logger.info("Updated class %s by %s", klass.id, by.id)
    return klass


# --- sessions and attendance -----------------------------------------------------------------


def add_session(
    klass: Class,
    *,
    on: date,
    by: User,
    starts_at: time | None = None,
    ends_at: time | None = None,
    topic: str = "",
    place: str | None = None,
) -> ClassSession:
    ensure_can_manage(by, klass)
    _check_session(starts_at, ends_at)
    session = ClassSession(
        date=on, starts_at=starts_at, ends_at=ends_at, topic=topic or "", place=place
    )
    klass.sessions.append(session)
    db.session.flush()
    _refresh_class(klass)
    logger.info("Added session %s to class %s by %s", session.id, klass.id, by.id)
    return session


def _check_session(starts_at: time | None, ends_at: time | None) -> None:
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        raise Invalid(_("Invalid input."), errors={"ends_at": [_("Must be after the start.")]})


def get_session(klass: Class, session_id: int) -> ClassSession:
    session = db.session.get(ClassSession, session_id)
    if session is None or session.class_id != klass.id:
        raise NotFound(_("Session not found."))
    return session


def update_session(session: ClassSession, changes: Mapping[str, Any], *, by: User) -> ClassSession:
    ensure_can_manage(by, session.klass)
    if "date" in changes:
        session.date = changes["date"]
    for key in ("starts_at", "ends_at", "topic", "place"):
        if key in changes:
            setattr(session, key, changes[key] if key != "topic" else (changes[key] or ""))
    _check_session(session.starts_at, session.ends_at)
    db.session.flush()
    return session


def delete_session(session: ClassSession, *, by: User) -> None:
    klass = session.klass
    ensure_can_manage(by, klass)
    enrolling.lock_class(klass)  # sessions and attendance of a class change one at a time
    if lock(session) is None:  # deleted by a parallel request
        raise NotFound(_("Session not found."))
    klass.sessions.remove(session)
    db.session.flush()
    _refresh_class(klass)
    logger.info("Deleted session %s of class %s by %s", session.id, klass.id, by.id)


def _refresh_class(klass: Class) -> None:
    """Sessions changed: attendance rates (and so completion) of the class change too."""
    for enrollment in db.session.scalars(
        select(Enrollment).where(
            Enrollment.class_id == klass.id, Enrollment.status != EnrollmentStatus.withdrawn
        )
    ):
        completion.evaluate_completion(enrollment)


def session_attendance(session: ClassSession) -> dict[int, Attendance]:
    """enrollment id -> attendance row, for the sheet."""
    rows = db.session.scalars(select(Attendance).where(Attendance.session_id == session.id))
    return {row.enrollment_id: row for row in rows}


def set_attendance(
    session: ClassSession, entries: Sequence[Mapping[str, Any]], *, by: User
) -> list[Attendance]:
    """Record who was there (all rows or none); re-evaluates each person's completion.

    ``entries``: ``{"user_id", "present", "note"}``; every user must be enrolled in the class.
    """
    klass = session.klass
    ensure_can_manage(by, klass)
    # One marking of a class at a time: a form sent twice at once must not insert twice.
    enrolling.lock_class(klass)
    enrollments = {
        e.user_id: e
        for e in db.session.scalars(
            select(Enrollment).where(
                Enrollment.class_id == klass.id, Enrollment.status != EnrollmentStatus.withdrawn
            )
        )
    }
    errors: dict[str, list[str]] = {}
    seen: set[int] = set()
    for n, entry in enumerate(entries, 1):
        user_id = entry["user_id"]
        if user_id not in enrollments:
            errors[f"rows.{n}.user_id"] = [_("This person is not enrolled in the class.")]
        elif user_id in seen:
            errors[f"rows.{n}.user_id"] = [_("Listed twice.")]
        seen.add(user_id)
    if errors:
        raise Invalid(_("Attendance not saved: some rows are wrong."), errors=errors)
    existing = session_attendance(session)
    now = utcnow()
    saved = []
    for entry in entries:
        enrollment = enrollments[entry["user_id"]]
        row = existing.get(enrollment.id)
        if row is None:
            row = Attendance(session_id=session.id, enrollment_id=enrollment.id)
            db.session.add(row)
        row.present = bool(entry["present"])
        row.note = (entry.get("note") or "").strip() or None
        row.marked_by_id = by.id
        row.marked_at = now
        saved.append(row)
    db.session.flush()
    for user_id in seen:
        enrollment = enrollments[user_id]
        completion.refresh_progress(enrollment)
        completion.evaluate_completion(enrollment)
    logger.info("Attendance of session %s: %s rows by %s", session.id, len(entries), by.id)
    return saved


# --- rosters ---------------------------------------------------------------------------------


@dataclass
class RosterRow:
    enrollment: Enrollment
    user: User
    sessions_present: int
    #: Whether the viewer may see the person's email and phone (they are within reach).
    show_contacts: bool = False


def roster(
    klass: Class, *, viewer: User | None = None, include_withdrawn: bool = True
) -> list[RosterRow]:
    """The class's people; ``show_contacts`` tells, per row, whether ``viewer`` may see the
    person's email and phone: someone who joined the class from outside the viewer's reach
    shows with name and progress only."""
    stmt = (
        select(Enrollment)
        .where(Enrollment.class_id == klass.id)
        .options(selectinload(Enrollment.user))
        .join(User, User.id == Enrollment.user_id)
        .order_by(User.sort_name, User.id)  # Vietnamese order (lms.collation)
    )
    if not include_withdrawn:
        stmt = stmt.where(Enrollment.status != EnrollmentStatus.withdrawn)
    enrollments = list(db.session.scalars(stmt))
    present = dict(
        db.session.execute(
            select(Attendance.enrollment_id, func.count())
            .join(ClassSession, ClassSession.id == Attendance.session_id)
            .where(ClassSession.class_id == klass.id, Attendance.present.is_(True))
            .group_by(Attendance.enrollment_id)
        ).all()
    )
    reaches = permissions.class_reach(viewer, klass) if viewer is not None else None
    return [
        RosterRow(
            e,
            e.user,
            int(present.get(e.id, 0)),
            show_contacts=reaches is not None and reaches(e.user),
        )
        for e in enrollments
    ]


def person_to_enrol(
    klass: Class, *, by: User, user_id: int | None = None, login: str | None = None
) -> User:
    """The person ``by`` names to enrol in ``klass``, by id or by email/phone.

    Someone outside ``by``'s reach answers exactly like someone who does not exist, so the
    form cannot be used to learn whether an email address or an id has an account.
    """
    person = db.session.get(User, user_id) if user_id else find_user_by_login(login or "")
    if person is None or not permissions.person_in_reach(by, person, klass=klass):
        raise NotFound(_("User not found."))
    return person


def class_summary(klass: Class) -> dict[str, int]:
    counts = dict(
        db.session.execute(
            select(Enrollment.status, func.count())
            .where(Enrollment.class_id == klass.id)
            .group_by(Enrollment.status)
        ).all()
    )
    live = sum(v for k, v in counts.items() if k != EnrollmentStatus.withdrawn)
    return {
        "enrolled": live,
        "completed": int(counts.get(EnrollmentStatus.completed, 0)),
        "withdrawn": int(counts.get(EnrollmentStatus.withdrawn, 0)),
        "places_left": (klass.capacity - live) if klass.capacity is not None else -1,
    }
