"""Applying statements: one at a time, or a run of plain MOOC statements in bulk.

:func:`route` decides what a statement asks of the bridge without changing anything;
:func:`handle` applies one statement in its own savepoint (a failure is held for review in
``bridge_unmatched``, and the batch goes on); :func:`apply_items` applies a batch's
statements in stored order, passing runs of MOOC statements to :mod:`lms.learning.bulk`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import OperationalError

from lms.catalog.models import Course
from lms.classes import enrollments
from lms.classes.models import EnrollmentSource
from lms.errors import DomainError
from lms.extensions import db
from lms.learning import bulk, effects, identities
from lms.learning import unmatched as held
from lms.learning.bridge_batch import (
    APPLIED,
    IGNORED,
    UNMATCHED,
    Batch,
    authority_of,
    statement_time,
)
from lms.learning.cmi5 import runtime
from lms.learning.cmi5.runtime import Held
from lms.learning.mappings import Target
from lms.learning.models import MappingKind, UnmatchedReason
from lms.learning.rules import Allowance, Source
from lms.statements import VERB_VOIDED
from lms.xapi import services as lrs
from lms.xapi.services import StoredStatement

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Route:
    """What a statement asks of the bridge, decided without changing anything.

    ``kind``: ``void`` (a voiding), ``ignored`` (nothing to do), ``by_rule`` (its writer may
    not move figures), ``cmi5`` (a session's statement about its AU), ``mooc`` (a platform's
    or a results file's statement about a course: ``target``, ``facts``, ``allowance``).
    """

    kind: str
    target: Target | None = None
    facts: effects.Facts | None = None
    allowance: Allowance | None = None


VOID, CMI5, MOOC, BY_RULE = "void", "cmi5", "mooc", "by_rule"


def route(item: StoredStatement, batch: Batch) -> Route:
    stmt = item.statement
    verb_id = (stmt.get("verb") or {}).get("id")
    obj = stmt.get("object") or {}
    if verb_id == VERB_VOIDED:
        return Route(VOID)
    if obj.get("objectType", "Activity") != "Activity":
        return Route(IGNORED)
    target = batch.target(obj.get("id"))
    if target is None:
        return Route(IGNORED)
    author = authority_of(stmt)
    source = batch.sources.of(author)
    if source == Source.lms:
        return Route(IGNORED)  # the LMS's own statements record effects, they do not cause them
    if item.voided and _voided_for_bridge(item, author, batch):
        return Route(IGNORED)
    if target.kind == MappingKind.cmi5_au:
        return Route(CMI5, target) if source == Source.cmi5 else Route(BY_RULE)
    facts = effects.facts_of(stmt)
    if not facts.relevant:
        return Route(IGNORED)
    if source not in (Source.platform, Source.person):
        return Route(BY_RULE)
    return Route(MOOC, target, facts, batch.sources.allowance(author))


def handle(item: StoredStatement, batch: Batch, routed: Route | None = None) -> str:
    """Apply one statement; returns ``applied``, ``ignored``, ``ignored_by_rule`` or
    ``unmatched``."""
    routed = routed or route(item, batch)
    if routed.kind == VOID:
        return _void(item, batch, item.statement.get("object") or {})
    if routed.kind == IGNORED:
        return IGNORED
    if routed.kind == BY_RULE:
        return batch.ignore(item)
    target = routed.target
    assert target is not None  # noqa: S101 - cmi5 and mooc routes carry their target
    if routed.kind == CMI5:
        return _guarded(
            item, batch, target, lambda: runtime.on_statement(item, target, at=statement_time(item))
        )
    facts, allowance = routed.facts, routed.allowance
    assert facts is not None  # noqa: S101 - a mooc route carries its facts
    return _guarded(item, batch, target, lambda: _apply_mooc(item, batch, target, facts, allowance))


def apply_items(items: list[StoredStatement], batch: Batch) -> None:
    """Apply statements in stored order; runs of MOOC statements go through the fast path.

    A statement that changes nothing (ignored, by rule) does not end a run; any other one
    (a voiding, a cmi5 statement) does: the run is applied first, so each learner's
    statements still take effect in stored order.
    """
    run: list[tuple[StoredStatement, Route]] = []
    for item in items:
        routed = route(item, batch)
        if routed.kind == MOOC:
            run.append((item, routed))
            continue
        if routed.kind not in (IGNORED, BY_RULE) and run:
            _apply_run(run, batch)
            run = []
        handle(item, batch, routed)
    if run:
        _apply_run(run, batch)


def _apply_run(run: list[tuple[StoredStatement, Route]], batch: Batch) -> None:
    bulk.apply(
        run, batch, slow=lambda item, routed: handle(item, batch, routed), when=statement_time
    )


def _voided_for_bridge(item: StoredStatement, author: str | None, batch: Batch) -> bool:
    """Voided by someone allowed to take it back (a voiding by anyone else changes nothing)."""
    return any(
        batch.sources.may_take_back(voider, author)
        for voider in lrs.voiding_authorities(str(item.statement.get("id", "")))
    )


def _void(item: StoredStatement, batch: Batch, obj: dict[str, Any]) -> str:
    """Take back what the target did, when the voiding comes from its author or the LMS."""
    if obj.get("objectType") != "StatementRef":
        return IGNORED
    target_id = str(obj.get("id"))
    if not effects.has_evidence(target_id):
        return IGNORED
    if not batch.sources.may_take_back(authority_of(item.statement), lrs.authority_of(target_id)):
        return batch.ignore(item)
    return APPLIED if effects.revert(target_id) else IGNORED


def _guarded(item: StoredStatement, batch: Batch, target: Target, work: Any) -> str:
    """Run ``work`` in a savepoint; a failure is held for review instead of stopping us."""
    try:
        with db.session.begin_nested():
            outcome = str(work())
    except Held as exc:
        outcome = _hold(item, batch, target, UnmatchedReason.cmi5_session, exc.detail)
    except DomainError as exc:
        outcome = _hold(item, batch, target, UnmatchedReason.error, exc.message)
    except OperationalError:
        # A deadlock with another partition's batch, a lock that timed out: nothing wrong with
        # the statement. The whole batch rolls back and is tried again.
        raise
    except Exception as exc:
        logger.exception("Bridge could not apply statement %s", item.statement.get("id"))
        outcome = _hold(item, batch, target, UnmatchedReason.error, f"{type(exc).__name__}: {exc}")
    if outcome == APPLIED:
        batch.applied += 1
    return outcome


def _hold(
    item: StoredStatement, batch: Batch, target: Target, reason: UnmatchedReason, detail: str
) -> str:
    allowance = batch.allowance(item.statement)
    held.record(
        statement=item.statement,
        seq=item.seq,
        stored=item.stored,
        reason=reason,
        detail=detail,
        course_id=target.course_id,
        platform_id=allowance.platform.id if allowance else None,
    )
    batch.unmatched += 1
    return UNMATCHED


def _apply_mooc(
    item: StoredStatement,
    batch: Batch,
    target: Target,
    facts: effects.Facts,
    allowance: Allowance | None,
) -> str:
    """Apply a platform's (``allowance``) or an accepted results file's (None) statement."""
    stmt = item.statement
    actor = stmt.get("actor") or {}
    scope = UnmatchedReason.platform_scope
    if allowance is not None and not allowance.allows_course(target.course_id):
        detail = f"platform {allowance.platform.id} may not report course {target.course_id}"
        return _hold(item, batch, target, scope, detail)
    if actor.get("objectType") == "Group":
        return _hold(item, batch, target, UnmatchedReason.group_actor, "a group, not one learner")
    ifi = identities.ifi_of(actor)
    if ifi is None:
        return _hold(item, batch, target, UnmatchedReason.unknown_learner, "no identifier")
    user = identities.find_user(ifi)
    new = user is None
    if user is None:
        if allowance is None or not allowance.platform.provision_unknown:
            detail = f"no learner has {ifi}"
            return _hold(item, batch, target, UnmatchedReason.unknown_learner, detail)
        code = identities.unit_code_of(stmt)
        unit = batch.unit(code) if code else None
        if unit is None or not allowance.allows_unit(unit):
            detail = _outside(allowance, code, unit)
            return _hold(item, batch, target, scope, detail)
        try:
            with db.session.begin_nested():
                user = identities.provision(actor, ifi, allowance.platform, unit=unit)
        except DomainError as exc:
            detail = f"{exc.message} {exc.errors}".strip()
            return _hold(item, batch, target, UnmatchedReason.provisioning_failed, detail)
    elif allowance is not None and not allowance.allows_user(user):
        detail = f"learner {user.id} is outside the units platform {allowance.platform.id} affects"
        return _hold(item, batch, target, scope, detail)
    if not user.active:
        return _hold(item, batch, target, UnmatchedReason.account_disabled, f"user {user.id}")
    course = db.session.get(Course, target.course_id)
    if course is None:
        return IGNORED
    at = statement_time(item)
    if not new:  # another partition may apply this person's other identity at once
        enrollments.lock_people([user])
    enrollment = None if new else enrollments.enrollment_for(user, course)
    if enrollment is None:
        enrollment = enrollments.enroll(user, course, by=None, source=EnrollmentSource.xapi, at=at)
    effects.apply(enrollment, facts, statement_id=str(stmt["id"]), seq=item.seq, at=at)
    return APPLIED


def _outside(allowance: Allowance, code: str | None, unit: Any) -> str:
    platform = allowance.platform.id
    if code is None:
        return f"no unit code: platform {platform} provisions only into its units"
    if unit is None:
        return f"unknown unit code {code!r}: platform {platform} provisions only into its units"
    return f"unit {code} is outside the units platform {platform} may provision into"
