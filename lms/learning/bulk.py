"""The bridge's fast path: a run of MOOC statements applied with the round trips paid once.

Most of what MOOC platforms send is a learner's ``completed`` on a course whose rule is
lessons only, often for a learner the LMS does not know yet. One at a time, each costs about
a hundred round trips (provisioning, enrolling, completing, the certificate, its statistics,
three statements of the LMS's own). Here a run of them costs a fixed number: the learners are
looked up and provisioned together, the enrollments read and created together, the evidence
and completions written together, and the certificates, their statistics and the LMS's
statements follow as batches (``lms.events.enrollments_completed``).

The rules are the one-at-a-time path's (:func:`lms.learning.bridge_apply.handle`), and a learner
goes through it whole (every statement of theirs in the run, in stored order) whenever
anything about them is not the plain case: a result or score, a course with a quiz or
attendance rule, a statement to hold for review, an account to check. The run is applied
in a savepoint; if it fails, its statements go through the one-at-a-time path instead, each
in its own savepoint, so one bad statement is held for review and never blocks the bridge.
A deadlock or a lock timeout with another partition's batch is nobody's fault: the whole
batch rolls back and is tried again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from lms.auth.models import User
from lms.catalog.models import Course
from lms.classes import enrollments
from lms.classes.models import Enrollment, EnrollmentSource, EnrollmentStatus
from lms.extensions import db
from lms.learning import bulk_ids, effects, identities
from lms.learning.identities import Ifi
from lms.org import services as org
from lms.xapi import services as lrs
from lms.xapi.services import StoredStatement

if TYPE_CHECKING:
    from lms.learning.bridge_apply import Route
    from lms.learning.bridge_batch import Batch

logger = logging.getLogger(__name__)

Slow = Callable[[StoredStatement, "Route"], str]
When = Callable[[StoredStatement], datetime]


@dataclass
class Learner:
    """One actor's statements in the run, and whether the fast path may take them."""

    items: list[tuple[StoredStatement, Route]] = field(default_factory=list)
    fast: bool = True
    user: User | None = None


def apply(
    run: list[tuple[StoredStatement, Route]], batch: Batch, *, slow: Slow, when: When
) -> None:
    """Apply a run of ``mooc`` statements; learners outside the plain case go to ``slow``."""
    learners = _learners(run, batch)
    fast = {ifi: learner for ifi, learner in learners.items() if learner.fast}
    done = 0
    if fast:
        try:
            with (
                db.session.begin_nested(),
                bulk_ids.taken_ahead(),
                lrs.recorded_together(),
                org.memberships_kept(),
            ):
                done = _apply_fast(fast, batch, when)
        except OperationalError:
            raise  # a deadlock or lock timeout: the batch is tried again whole
        except Exception:
            logger.exception("Bridge fast path failed; applying the run one statement at a time")
            for learner in fast.values():
                learner.fast = False
            done = 0
    batch.applied += done
    for learner in learners.values():
        if not learner.fast:
            for item, routed in learner.items:
                slow(item, routed)


def _learners(run: list[tuple[StoredStatement, Route]], batch: Batch) -> dict[Any, Learner]:
    """Group the run by actor and mark who must take the one-at-a-time path."""
    learners: dict[Any, Learner] = {}
    for n, (item, routed) in enumerate(run):
        actor = item.statement.get("actor") or {}
        ifi = identities.ifi_of(actor) if actor.get("objectType") != "Group" else None
        learner = learners.setdefault(ifi if ifi is not None else ("?", n), Learner())
        learner.items.append((item, routed))
        if ifi is None or not _plain(routed, batch):
            learner.fast = False
    return learners


def _plain(routed: Route, batch: Batch) -> bool:
    """A ``completed`` without a result, on a course its writer may report, whose rule it meets."""
    facts, target, allowance = routed.facts, routed.target, routed.allowance
    if facts is None or target is None:
        return False
    if not facts.completion or facts.success is not None or facts.scaled is not None:
        return False
    if allowance is not None and not allowance.allows_course(target.course_id):
        return False
    course = batch.course(target.course_id)
    return course is not None and effects.lessons_only(course)


def _apply_fast(learners: dict[Any, Learner], batch: Batch, when: When) -> int:
    """Provision, enrol, complete: every learner given is in the plain case (checked here for
    what needs the database: who they are, their unit, their account)."""
    users = identities.find_users(ifi for ifi in learners if isinstance(ifi, Ifi))
    plans: list[tuple[dict[str, Any], Ifi, Any, Any]] = []
    planned: list[Learner] = []
    for ifi, learner in learners.items():
        user = users.get(ifi)
        allowances = [r.allowance for _i, r in learner.items if r.allowance is not None]
        if user is not None:
            if not user.active or not all(a.allows_user(user) for a in allowances):
                learner.fast = False
            learner.user = user
            continue
        first, routed = learner.items[0]
        allowance = routed.allowance
        code = identities.unit_code_of(first.statement)
        unit = batch.unit(code) if code else None
        if (
            allowance is None
            or not allowance.platform.provision_unknown
            or unit is None
            or not all(a.allows_unit(unit) for a in allowances)
        ):
            learner.fast = False
            continue
        plans.append((first.statement.get("actor") or {}, ifi, allowance.platform, unit))
        planned.append(learner)
    for learner, created in zip(planned, identities.provision_many(plans), strict=True):
        if isinstance(created, User):
            learner.user = created
        else:
            learner.fast = False
    chosen = [learner for learner in learners.values() if learner.fast and learner.user]
    org.keep_memberships(learner.user for learner in chosen if learner.user is not None)
    existing = [learner.user for learner in chosen if learner.user and learner.user.id]
    enrollments.lock_people([u for u in existing if u is not None])
    live = _live_enrollments(chosen)
    wanted: dict[tuple[int, int], tuple[User, Course, datetime]] = {}
    for learner in chosen:
        assert learner.user is not None  # noqa: S101 - chosen learners have their user
        for item, routed in learner.items:
            assert routed.target is not None  # noqa: S101 - a mooc route has its target
            key = (learner.user.id, routed.target.course_id)
            if key not in live and key not in wanted:
                course = batch.course(routed.target.course_id)
                assert course is not None  # noqa: S101 - checked by _plain
                wanted[key] = (learner.user, course, when(item))
    for enrollment in enrollments.enroll_new(list(wanted.values()), source=EnrollmentSource.xapi):
        live[(enrollment.user_id, enrollment.course_id)] = enrollment
    rows: list[tuple[Enrollment, str, int, datetime]] = []
    for learner in chosen:
        assert learner.user is not None  # noqa: S101
        for item, routed in learner.items:
            assert routed.target is not None  # noqa: S101
            enrollment = live[(learner.user.id, routed.target.course_id)]
            rows.append((enrollment, str(item.statement["id"]), item.seq, when(item)))
    effects.apply_completions(rows)
    return len(rows)


def _live_enrollments(chosen: list[Learner]) -> dict[tuple[int, int], Enrollment]:
    """The live enrollments of these learners in the run's courses, in one query."""
    user_ids = {learner.user.id for learner in chosen if learner.user is not None}
    course_ids = {r.target.course_id for lr in chosen for _i, r in lr.items if r.target}
    if not user_ids:
        return {}
    rows = db.session.scalars(
        select(Enrollment).where(
            Enrollment.user_id.in_(sorted(user_ids)),
            Enrollment.course_id.in_(sorted(course_ids)),
            Enrollment.status != EnrollmentStatus.withdrawn,
        )
    )
    return {(e.user_id, e.course_id): e for e in rows}
