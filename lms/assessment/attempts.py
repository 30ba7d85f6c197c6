"""Attempts: start (or resume), save answers as the learner goes, submit, grade, regrade.

Concurrency rules, the same on PostgreSQL and SQLite:
- a start locks the learner's row (:func:`lms.locks.lock`) before it counts attempts, and one
  open attempt per learner and quiz is also a partial unique index; a second start returns it;
- a save first runs ``UPDATE attempts ... WHERE id = :id AND status = 'open'``: it takes the
  row lock, so a save and a submit never interleave, and a save after a submit changes nothing;
- grading claims the attempt with ``UPDATE ... SET status = 'graded' WHERE status = 'open'``:
  of two concurrent submits exactly one grades, the other returns the stored result.
On SQLite each claim first takes the write lock (:func:`lms.locks.hold_write_lock`): a
transaction that has read cannot start writing once another writer has committed.
Time comes in as ``now`` so tests travel in time instead of sleeping.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from flask_babel import gettext as _
from sqlalchemy import CursorResult, Select, bindparam, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from lms import locks
from lms.assessment import statements
from lms.assessment.drawing import build_items
from lms.assessment.grading import Result, grade
from lms.assessment.items import TYPES, AnswerError
from lms.assessment.models import (
    Attempt,
    AttemptResponse,
    AttemptStatus,
    Quiz,
)
from lms.assessment.versions import load_versions
from lms.auth import permissions
from lms.auth.models import Role, User
from lms.classes.cohorts import manageable_classes
from lms.classes.completion import record_quiz_result
from lms.classes.enrollments import enrollment_for
from lms.classes.models import ClassSession, Enrollment
from lms.db import utcnow
from lms.errors import Conflict, Forbidden, Invalid, NotFound
from lms.extensions import db
from lms.org.models import Unit

if TYPE_CHECKING:
    from lms.classes.models import Enrollment

logger = logging.getLogger(__name__)

#: Saves and submits this late are still taken as in time (the network is not instant).
GRACE = timedelta(seconds=10)

_responses = AttemptResponse.__table__
_attempts = Attempt.__table__


class AttemptClosed(Conflict):
    """The attempt was already submitted (or graded because its time ran out)."""


def _rowcount(statement: Any) -> int:
    """Rows a conditional UPDATE changed: the claim that makes saves and grading exclusive."""
    return int(cast(CursorResult[Any], db.session.execute(statement)).rowcount)


# --- reading -----------------------------------------------------------------------------


def get_attempt(attempt_id: int) -> Attempt:
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None:
        raise NotFound(_("Attempt not found."))
    return attempt


def _class_of(attempt: Attempt) -> Any:
    """The class the attempt counts for (through its enrollment), or None."""
    if attempt.enrollment_id is None:
        return None

    enrollment = db.session.get(Enrollment, attempt.enrollment_id)
    return enrollment.klass if enrollment is not None else None


def can_review(viewer: User, attempt: Attempt) -> bool:
    """Whether ``viewer`` may read ``attempt`` with its answers and the key: its learner, and
    staff who reach the learner (``lms.auth.permissions.can_follow_learner``)."""
    if viewer.id == attempt.user_id:
        return True
    return permissions.can_follow_learner(viewer, attempt.user, klass=_class_of(attempt))


def visible_attempts(quiz: Quiz, viewer: User) -> Select[Any]:
    """The attempts at ``quiz`` ``viewer`` may list: their own, and (trainers) those of
    learners they reach: in their own unit subtree, or members of a class they run that the
    attempt counts for (``class_reach``). The SQL twin of :func:`can_review`."""

    stmt = select(Attempt).where(Attempt.quiz_id == quiz.id).order_by(Attempt.id)
    if viewer.is_admin:
        return stmt
    if Role.trainer not in viewer.roles:
        return stmt.where(Attempt.user_id == viewer.id)
    learner_unit = aliased(Unit)
    learner = (
        select(User.id)
        .join(learner_unit, learner_unit.id == User.unit_id)
        .where(User.id == Attempt.user_id)
        .correlate(Attempt)
    )
    reached = learner.where(permissions.reach_filter(viewer, learner_unit.path)).exists()
    in_class = (
        learner.join(Enrollment, Enrollment.id == Attempt.enrollment_id)
        .where(
            permissions.class_reach_filter(
                viewer,
                db.session.scalars(manageable_classes(viewer)),
                Enrollment.class_id,
                learner_unit.path,
            )
        )
        .exists()
    )
    return stmt.where(or_(Attempt.user_id == viewer.id, reached, in_class))


def ensure_owner(attempt: Attempt, user: User, *, allow_staff: bool = False) -> None:
    if attempt.user_id == user.id or (allow_staff and can_review(user, attempt)):
        return
    raise NotFound(_("Attempt not found."))


def open_attempt(quiz: Quiz, user: User) -> Attempt | None:
    return db.session.scalar(
        select(Attempt).where(
            Attempt.quiz_id == quiz.id,
            Attempt.user_id == user.id,
            Attempt.status == AttemptStatus.open,
        )
    )


def attempts_used(quiz: Quiz, user: User) -> int:
    return int(
        db.session.scalar(
            select(func.count(Attempt.id)).where(
                Attempt.quiz_id == quiz.id, Attempt.user_id == user.id
            )
        )
        or 0
    )


def is_past_deadline(attempt: Attempt, now: datetime) -> bool:
    return attempt.deadline is not None and now > attempt.deadline + GRACE


def remaining_seconds(attempt: Attempt, now: datetime) -> int | None:
    if attempt.deadline is None:
        return None
    return max(0, int((attempt.deadline - now).total_seconds()))


def answers_of(attempt: Attempt) -> dict[str, Any]:
    rows = db.session.execute(
        select(AttemptResponse.key, AttemptResponse.answer).where(
            AttemptResponse.attempt_id == attempt.id
        )
    )
    return {row.key: row.answer for row in rows}


def refresh_if_expired(attempt: Attempt, *, now: datetime | None = None) -> Attempt:
    """Grade an open attempt whose time ran out (on any access, not only by the sweep)."""
    now = now or utcnow()
    if attempt.status == AttemptStatus.open and is_past_deadline(attempt, now):
        grade_attempt(attempt, now=now)
    return attempt


# --- starting ----------------------------------------------------------------------------


def _enrollment(quiz: Quiz, user: User) -> Enrollment | None:
    """The learner's enrollment the quiz counts for; Forbidden when they may not take it."""
    enrollment = None
    if quiz.course is not None:
        enrollment = enrollment_for(user, quiz.course)
        if enrollment is None:
            raise Forbidden(_("Enrol in the course before taking its quiz."))
    if quiz.session_id is not None:
        session = db.session.get(ClassSession, quiz.session_id)
        class_id = session.class_id if session is not None else None
        if enrollment is None or enrollment.class_id != class_id:
            raise Forbidden(_("This exam is for the learners of its class."))
    return enrollment


def check_window(quiz: Quiz, now: datetime) -> None:
    if not quiz.active:
        raise Conflict(_("This quiz is no longer available."))
    if quiz.opens_at is not None and now < quiz.opens_at:
        raise Conflict(_("This quiz has not opened yet."))
    if quiz.closes_at is not None and now >= quiz.closes_at:
        raise Conflict(_("This quiz is closed."))


def start_attempt(quiz: Quiz, user: User, *, now: datetime | None = None) -> tuple[Attempt, bool]:
    """Start an attempt, or return the open one (``created`` False) to resume it."""
    now = now or utcnow()
    locks.lock(user)
    current = open_attempt(quiz, user)
    if current is not None:
        refresh_if_expired(current, now=now)
        if current.status == AttemptStatus.open:
            return current, False
    check_window(quiz, now)
    enrollment = _enrollment(quiz, user)
    used = attempts_used(quiz, user)
    if quiz.max_attempts is not None and used >= quiz.max_attempts:
        raise Conflict(_("You have used all %(n)s attempts at this quiz.", n=quiz.max_attempts))
    seed = secrets.randbits(31)
    items = build_items(quiz, seed)
    if not items:
        raise Conflict(_("This quiz has no questions yet."))
    deadline = None
    if quiz.time_limit_minutes:
        deadline = now + timedelta(minutes=quiz.time_limit_minutes)
    if quiz.closes_at is not None:
        deadline = min(deadline or quiz.closes_at, quiz.closes_at)
    attempt = Attempt(
        quiz_id=quiz.id,
        user_id=user.id,
        enrollment_id=enrollment.id if enrollment is not None else None,
        registration=enrollment.registration if enrollment is not None else None,
        number=used + 1,
        status=AttemptStatus.open,
        seed=seed,
        items=items,
        started_at=now,
        deadline=deadline,
    )
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
            db.session.flush()
            db.session.execute(
                _responses.insert(),
                [
                    {
                        "attempt_id": attempt.id,
                        "key": item["key"],
                        "question_id": item["question_id"],
                        "answer": None,
                    }
                    for item in items
                ],
            )
    except IntegrityError:
        # A second device started at the same moment: use the attempt it created.
        existing = open_attempt(quiz, user)
        if existing is None:
            raise Conflict(_("The attempt could not be started; try again.")) from None
        return existing, False
    statements.record_attempted(attempt, user, quiz)
    logger.info(
        "Started attempt %s (quiz %s, user %s, seed %s)", attempt.id, quiz.id, user.id, seed
    )
    return attempt, True


# --- saving ------------------------------------------------------------------------------


def validate_responses(
    items: Sequence[Mapping[str, Any]], responses: Mapping[str, Any]
) -> dict[str, Any]:
    """Normalise every answer; 422 naming ``responses.<key>`` for each one that is wrong."""
    by_key = {item["key"]: item for item in items}
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    versions = load_versions([by_key[k] for k in responses if k in by_key])
    for key, answer in responses.items():
        field = f"responses.{key}"
        item = by_key.get(key)
        if item is None:
            errors[field] = [_("This question is not part of the attempt.")]
            continue
        if answer is None or answer == "" or answer == [] or answer == {}:
            clean[key] = None
            continue
        version = versions[item["version_id"]]
        try:
            clean[key] = TYPES[version.type].validate_answer(version.definition, answer)
        except AnswerError as exc:
            errors[field] = [_(exc.message, **exc.params)]
    if errors:
        raise Invalid(_("Some answers were not saved."), errors=errors)
    return clean


def _closed() -> AttemptClosed:
    return AttemptClosed(_("This attempt has been submitted; its answers can no longer change."))


def save_answers(
    attempt_id: int, user: User, responses: Mapping[str, Any], *, now: datetime | None = None
) -> tuple[dict[str, Any], int | None]:
    """Merge ``responses`` into an attempt's saved answers (the others stay as they were).

    The hot path of a quiz (every answer a learner gives), so it is two statements: the claim
    ``UPDATE attempts ... WHERE status = 'open' RETURNING items, deadline`` (which also takes
    the row lock that keeps a submit from interleaving) and one UPDATE of the answers. Returns
    the normalised answers and the seconds left. Raises :class:`AttemptClosed` after a submit
    or when time ran out; in the latter case the attempt has just been graded, and the caller
    must commit before answering.
    """
    now = now or utcnow()
    locks.hold_write_lock()
    row = db.session.execute(
        update(_attempts)
        .where(
            _attempts.c.id == attempt_id,
            _attempts.c.user_id == user.id,
            _attempts.c.status == AttemptStatus.open.value,
        )
        .values(last_saved_at=now)
        .returning(_attempts.c["items"], _attempts.c.deadline)
    ).one_or_none()
    if row is None:  # not found, someone else's, or no longer open: say which
        attempt = get_attempt(attempt_id)
        ensure_owner(attempt, user)
        raise _closed()
    items, deadline = row
    if deadline is not None and now > deadline + GRACE:
        grade_attempt(get_attempt(attempt_id), now=now)
        raise AttemptClosed(
            _("Time is up: the attempt was graded with the answers saved before the limit.")
        )
    clean = validate_responses(items, responses)
    if clean:
        db.session.execute(
            update(_responses)
            .where(
                _responses.c.attempt_id == bindparam("b_attempt"),
                _responses.c.key == bindparam("b_key"),
            )
            .values(answer=bindparam("b_answer"), saved_at=bindparam("b_at")),
            [
                {"b_attempt": attempt_id, "b_key": k, "b_answer": v, "b_at": now}
                for k, v in clean.items()
            ],
        )
    left = None if deadline is None else max(0, int((deadline - now).total_seconds()))
    return clean, left


def save_responses(
    attempt: Attempt, user: User, responses: Mapping[str, Any], *, now: datetime | None = None
) -> dict[str, Any]:
    """:func:`save_answers` for a loaded attempt (kept in step with what was written)."""
    ensure_owner(attempt, user)
    clean, _left = save_answers(attempt.id, user, responses, now=now)
    db.session.expire(attempt, ["last_saved_at"])
    return clean


# --- grading -----------------------------------------------------------------------------


def submit_attempt(attempt: Attempt, user: User, *, now: datetime | None = None) -> Attempt:
    """Submit and grade; a second submit returns the same result without grading again."""
    ensure_owner(attempt, user)
    if attempt.status == AttemptStatus.graded:
        return attempt
    return grade_attempt(attempt, now=now)


def compute(attempt: Attempt) -> Result:
    """The result of ``attempt`` from its drawn versions and saved answers (no writes)."""
    versions = load_versions(attempt.items)
    return grade(attempt.items, versions, answers_of(attempt), pass_mark=attempt.quiz.pass_mark)


def grade_attempt(attempt: Attempt, *, now: datetime | None = None) -> Attempt:
    """Close and grade an open attempt exactly once, then tell the enrollment and the LRS."""
    now = now or utcnow()
    expired = is_past_deadline(attempt, now)
    submitted_at = attempt.deadline if expired and attempt.deadline is not None else now
    locks.hold_write_lock()
    claimed = _rowcount(
        update(_attempts)
        .where(_attempts.c.id == attempt.id, _attempts.c.status == AttemptStatus.open.value)
        .values(status=AttemptStatus.graded.value, submitted_at=submitted_at, expired=expired)
    )
    if claimed != 1:
        db.session.refresh(attempt)  # graded by a concurrent request: keep its result
        return attempt
    result = compute(attempt)
    _store(attempt, result)
    attempt.status = AttemptStatus.graded
    attempt.submitted_at = submitted_at
    attempt.expired = expired
    db.session.flush()
    if attempt.enrollment_id is not None:
        enrollment = db.session.get(Enrollment, attempt.enrollment_id)
        if enrollment is not None:
            record_quiz_result(
                enrollment, scaled=result.scaled, passed=result.passed, at=submitted_at
            )
    statements.record_graded(attempt, result, answers_of(attempt))
    logger.info(
        "Graded attempt %s: %s/%s passed=%s expired=%s",
        attempt.id,
        result.score,
        result.max_score,
        result.passed,
        expired,
    )
    return attempt


def _store(attempt: Attempt, result: Result) -> None:
    attempt.score = result.score
    attempt.max_score = result.max_score
    attempt.scaled = result.scaled
    attempt.passed = result.passed
    attempt.area_scores = result.areas
    db.session.execute(
        update(_responses)
        .where(
            _responses.c.attempt_id == bindparam("b_attempt"),
            _responses.c.key == bindparam("b_key"),
        )
        .values(
            score=bindparam("b_score"),
            max_score=bindparam("b_max"),
            correct=bindparam("b_correct"),
        ),
        [
            {
                "b_attempt": attempt.id,
                "b_key": item.key,
                "b_score": item.score,
                "b_max": item.max_score,
                "b_correct": item.correct,
            }
            for item in result.items
        ],
    )


def regrade(attempt: Attempt, *, apply: bool = False) -> tuple[Result, bool]:
    """Grade a graded attempt again; returns the result and whether it differs from the stored one.

    Grading is a pure function of immutable versions and saved answers, so a difference means
    the data was altered; ``apply`` stores the new result.
    """
    if attempt.status != AttemptStatus.graded:
        raise Conflict(_("Only a graded attempt can be regraded."))
    result = compute(attempt)
    changed = not (
        result.score == attempt.score
        and result.max_score == attempt.max_score
        and result.passed == attempt.passed
        and result.areas == (attempt.area_scores or {})
    )
    if changed and apply:
        _store(attempt, result)
        db.session.flush()
        logger.info("Regraded attempt %s: now %s/%s", attempt.id, result.score, result.max_score)
    return result, changed


def grade_expired_attempts(*, now: datetime | None = None, limit: int = 500) -> int:
    """Grade open attempts whose time ran out; returns how many. Run by the CLI sweep."""
    now = now or utcnow()
    ids = list(
        db.session.scalars(
            select(Attempt.id)
            .where(
                Attempt.status == AttemptStatus.open,
                Attempt.deadline.is_not(None),
                Attempt.deadline < now - GRACE,
            )
            .order_by(Attempt.deadline)
            .limit(limit)
        )
    )
    graded = 0
    for attempt_id in ids:
        attempt = db.session.get(Attempt, attempt_id)
        if attempt is not None and attempt.status == AttemptStatus.open:
            before = attempt.status
            grade_attempt(attempt, now=now)
            graded += int(before == AttemptStatus.open and attempt.expired)
    return graded
