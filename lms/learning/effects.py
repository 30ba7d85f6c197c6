"""What a MOOC statement does to an enrollment, and how voiding it is undone.

The rule (documented in the README section):

* ``completed`` (or any ``result.completion: true``) on a mapped activity proves the course's
  **lessons** part: the LMS cannot see lessons taken on another platform.
* ``passed`` / ``failed`` and any ``result.score`` are a quiz result, recorded through
  ``lms.classes.completion.record_quiz_result`` (best result kept). ``scaled`` is used, or
  ``(raw - min) / (max - min)``; a ``passed`` without a score counts as the course's pass
  mark (or 100 % when the course has no quiz rule).
* The course's completion rule is then evaluated as inside the LMS (every rule present must
  hold; attendance applies only in a class), with the lessons part met by a live
  ``completed``. When it holds, ``complete_enrollment`` completes the enrollment and the
  certificates domain issues the certificate, exactly as for learning inside the LMS.
* Every statement that changed an enrollment leaves a ``bridge_evidence`` row. Voiding it
  takes its part back: quiz results of ``xapi`` enrollments are recomputed from the live
  evidence, and when the enrollment's completion came through the bridge the rule is
  evaluated again with what is still valid. Any requirement the voided statement met (the
  ``completed`` as much as the ``passed``) reopens the completion (``reopen_enrollment``,
  which revokes the certificate) unless other live evidence, or the learning done inside the
  LMS, still meets it. Who may void is decided by ``lms.learning.rules``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from lms.bulk_insert import insert_rows
from lms.classes import completion as completions
from lms.classes.models import Enrollment, EnrollmentSource, EnrollmentStatus
from lms.db import utcnow
from lms.extensions import db
from lms.learning.models import BridgeEvidence
from lms.statements import VERB_COMPLETED, VERB_FAILED, VERB_PASSED

logger = logging.getLogger(__name__)

EPSILON = 1e-6


@dataclass(frozen=True, slots=True)
class Facts:
    """What a statement says about the learner's result."""

    completion: bool
    success: bool | None
    scaled: float | None

    @property
    def relevant(self) -> bool:
        return self.completion or self.success is not None or self.scaled is not None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def facts_of(statement: dict[str, Any]) -> Facts:
    verb_id = (statement.get("verb") or {}).get("id")
    result = statement.get("result") or {}
    completion = verb_id == VERB_COMPLETED or result.get("completion") is True
    success: bool | None
    if verb_id == VERB_PASSED:
        success = True
    elif verb_id == VERB_FAILED:
        success = False
    else:
        raw_success = result.get("success")
        success = raw_success if isinstance(raw_success, bool) else None
    score = result.get("score") or {}
    scaled = _number(score.get("scaled"))
    if scaled is None:
        raw, low, high = (_number(score.get(k)) for k in ("raw", "min", "max"))
        if raw is not None and low is not None and high is not None and high > low:
            scaled = (raw - low) / (high - low)
    if scaled is not None:
        scaled = min(1.0, max(0.0, scaled))
    return Facts(completion=completion, success=success, scaled=scaled)


def _live_evidence(enrollment: Enrollment) -> list[BridgeEvidence]:
    return list(
        db.session.scalars(
            select(BridgeEvidence)
            .where(
                BridgeEvidence.enrollment_id == enrollment.id,
                BridgeEvidence.voided_at.is_(None),
            )
            .order_by(BridgeEvidence.seq)
        )
    )


def _lessons_only(rule: dict[str, Any]) -> bool:
    return rule.get("quiz") is None and rule.get("attendance") is None


def rule_met(enrollment: Enrollment, *, completed_now: bool = False) -> bool:
    """The course's completion rule, with the lessons part met by a live ``completed``.

    ``completed_now``: the statement being applied is a completion, so a lessons-only rule
    holds without reading anything.
    """
    if completed_now and _lessons_only(enrollment.course.completion_rule or {}):
        return True
    status = completions.completion_status(enrollment)
    completed_elsewhere = any(e.completion for e in _live_evidence(enrollment))
    for rule in status["rules"]:
        if rule["met"]:
            continue
        if rule["rule"] == "lessons" and completed_elsewhere:
            continue
        return False
    return True


def _mark_started(enrollment: Enrollment, at: datetime) -> None:
    """Learning reported elsewhere means the learner has started (classes' own ``_start``)."""
    if enrollment.started_at is None:
        enrollment.started_at = at
    if enrollment.status == EnrollmentStatus.enrolled:
        enrollment.status = EnrollmentStatus.in_progress
    if enrollment.last_activity_at is None or enrollment.last_activity_at < at:
        enrollment.last_activity_at = at


def apply(
    enrollment: Enrollment, facts: Facts, *, statement_id: str, seq: int, at: datetime
) -> BridgeEvidence:
    """Apply one statement's facts to ``enrollment`` and keep the evidence."""
    was_completed = enrollment.status == EnrollmentStatus.completed
    rule = enrollment.course.completion_rule or {}
    quiz = rule.get("quiz")
    if enrollment.status != EnrollmentStatus.completed:
        _mark_started(enrollment, at)
    if facts.scaled is not None or facts.success is True:
        scaled = facts.scaled
        if scaled is None:
            scaled = float(quiz) / 100.0 if quiz is not None else 1.0
        passed = (
            facts.success
            if facts.success is not None
            else bool(quiz is not None and scaled * 100 + EPSILON >= quiz)
        )
        completions.record_quiz_result(enrollment, scaled=scaled, passed=passed, at=at)
    evidence = BridgeEvidence(
        statement_id=statement_id.lower(),
        seq=seq,
        enrollment_id=enrollment.id,
        completion=facts.completion,
        success=facts.success,
        scaled=facts.scaled,
        at=at,
    )
    db.session.add(evidence)
    db.session.flush()
    if enrollment.status != EnrollmentStatus.completed and rule_met(
        enrollment, completed_now=facts.completion
    ):
        completions.complete_enrollment(enrollment, at=at)
    evidence.caused_completion = (
        not was_completed and enrollment.status == EnrollmentStatus.completed
    )
    db.session.flush()
    return evidence


def lessons_only(course: Any) -> bool:
    """A ``completed`` alone meets this course's rule (no quiz, attendance or external part)."""
    rule = course.completion_rule or {}
    return all(rule.get(k) is None for k in ("quiz", "attendance", "external"))


def apply_completions(rows: list[tuple[Enrollment, str, int, datetime]]) -> int:
    """:func:`apply` for many ``completed`` statements without a result on courses whose rule
    is :func:`lessons_only` (the bridge's batch), in the order given: ``(enrollment,
    statement id, seq, at)``. The first live one completes its enrollment; the evidence is kept
    for each. Returns how many enrollments completed.

    The evidence goes as one plain ``INSERT`` of all the rows (nothing reads them back as
    objects; an ORM flush of them cost a tenth of the bridge's batch). The enrollments are
    not flushed here: :func:`lms.classes.completion.complete_many` flushes them once, started
    and completed, so each is updated once instead of twice.
    """
    completing: list[tuple[Enrollment, datetime]] = []
    completed: set[int] = set()
    evidence: list[dict[str, Any]] = []
    now = utcnow()
    for enrollment, statement_id, seq, at in rows:
        was_completed = (
            enrollment.status == EnrollmentStatus.completed or enrollment.id in completed
        )
        if not was_completed:
            _mark_started(enrollment, at)
            completed.add(enrollment.id)
            completing.append((enrollment, at))
        evidence.append(
            {
                "statement_id": statement_id.lower(),
                "seq": seq,
                "enrollment_id": enrollment.id,
                "completion": True,
                "success": None,
                "scaled": None,
                "at": at,
                "voided_at": None,
                "caused_completion": not was_completed,
                "created_at": now,
            }
        )
    if evidence:
        insert_rows(BridgeEvidence.__table__, evidence)
    return len(completions.complete_many(completing))


def _recompute_quiz(enrollment: Enrollment) -> None:
    """Quiz results of an ``xapi`` enrollment come only from statements: rebuild them."""
    if enrollment.source != EnrollmentSource.xapi:
        return
    rows = [e for e in _live_evidence(enrollment) if e.scaled is not None or e.success]
    if not rows:
        enrollment.quiz_score = None
        enrollment.quiz_passed = None
    else:
        enrollment.quiz_score = max((e.scaled for e in rows if e.scaled is not None), default=None)
        enrollment.quiz_passed = any(e.success for e in rows)
    completions.refresh_progress(enrollment)


def _live_rows(statement_id: str) -> Any:
    return select(BridgeEvidence).where(
        BridgeEvidence.statement_id == statement_id.lower(),
        BridgeEvidence.voided_at.is_(None),
    )


def has_evidence(statement_id: str) -> bool:
    """Whether the statement changed an enrollment that voiding it could take back."""
    return db.session.scalar(_live_rows(statement_id).limit(1)) is not None


def _completed_by_bridge(enrollment: Enrollment) -> bool:
    """The enrollment's completion came from statements (voided ones included), not from
    learning or a decision inside the LMS."""
    return (
        db.session.scalar(
            select(BridgeEvidence.id)
            .where(
                BridgeEvidence.enrollment_id == enrollment.id,
                BridgeEvidence.caused_completion.is_(True),
            )
            .limit(1)
        )
        is not None
    )


def revert(statement_id: str) -> int:
    """Take back what the statement ``statement_id`` did; returns enrollments touched."""
    rows = list(db.session.scalars(_live_rows(statement_id)))
    for row in rows:
        row.voided_at = utcnow()
        db.session.flush()
        enrollment = db.session.get(Enrollment, row.enrollment_id)
        if enrollment is None:
            continue
        if row.scaled is not None or row.success is not None:
            _recompute_quiz(enrollment)
        if enrollment.status != EnrollmentStatus.completed or not _completed_by_bridge(enrollment):
            continue
        if rule_met(enrollment):
            if row.caused_completion:
                row.caused_completion = False
                live = _live_evidence(enrollment)
                if live:
                    live[-1].caused_completion = True
            logger.info(
                "Voided statement %s; enrollment %s stays completed on other evidence",
                statement_id,
                enrollment.id,
            )
            continue
        completions.reopen_enrollment(enrollment)
        # A later completion, inside the LMS or not, starts afresh.
        db.session.execute(
            update(BridgeEvidence)
            .where(BridgeEvidence.enrollment_id == enrollment.id)
            .values(caused_completion=False)
            .execution_options(synchronize_session="fetch")
        )
        logger.info("Voided statement %s reopened enrollment %s", statement_id, enrollment.id)
    db.session.flush()
    return len(rows)
