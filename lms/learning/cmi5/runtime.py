"""The LMS side of a cmi5 registration: reading AU statements, judging ``moveOn``.

The bridge hands every statement about an AU to :func:`on_statement`. Only statements that
belong to a session (its session id, AU, registration, learner and credentials) move
anything. ``completed`` / ``passed`` / ``failed`` are kept per AU and registration
(``cmi5_au_states``; a ``passed`` below the mastery score does not count; Browse and Review
launches never count). An AU is satisfied per its ``moveOn`` (or when waived); when every AU
of a block is, the LMS writes ``satisfied`` for the block, and for the course when every AU
is: that completes the enrollment (and issues the certificate when the course gives one).
Each ``satisfied`` is written once per registration.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from sqlalchemy import select

from lms.auth.models import User
from lms.catalog.models import Course
from lms.classes import completion, enrollments
from lms.classes.models import Enrollment, EnrollmentStatus
from lms.db import utcnow
from lms.errors import Conflict, Invalid, NotFound
from lms.extensions import db
from lms.learning.constants import (
    CMI5_CATEGORY,
    CMI5_EXT_REASON,
    CMI5_EXT_SESSION,
    CMI5_MOVEON_CATEGORY,
    CMI5_TYPE_BLOCK,
    CMI5_TYPE_COURSE,
)
from lms.learning.identities import find_user, ifi_of
from lms.learning.models import Cmi5Au, Cmi5AuState, Cmi5Course, Cmi5Satisfied, Cmi5Session
from lms.locks import lock
from lms.statements import (
    VERB_ABANDONED,
    VERB_COMPLETED,
    VERB_FAILED,
    VERB_INITIALIZED,
    VERB_PASSED,
    VERB_SATISFIED,
    VERB_TERMINATED,
    VERB_WAIVED,
    base_url,
    verb,
)
from lms.xapi import clients
from lms.xapi import services as lrs
from lms.xapi.models import LrsClient
from lms.xapi.validation import agent_ifi

if TYPE_CHECKING:
    from lms.auth.models import User
    from lms.catalog.models import Course
    from lms.classes.models import Enrollment
    from lms.learning.mappings import Target
    from lms.xapi.services import StoredStatement

logger = logging.getLogger(__name__)

WAIVE_REASONS = ("Tested Out", "Equivalent AU", "Equivalent Outside Activity", "Administrative")


class Held(Exception):
    """A statement about an AU that cannot be credited; the bridge holds it for review."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def actor_of(user: User) -> dict[str, Any]:
    """The learner as the AU sees them: an account on this LMS, no name or email (cmi5 8.1.3)."""
    return {"objectType": "Agent", "account": {"homePage": base_url(), "name": str(user.id)}}


def au_object(au: Cmi5Au) -> dict[str, Any]:
    name = {"vi-VN": au.title}
    if au.title_en:
        name["en-US"] = au.title_en
    definition: dict[str, Any] = {"name": name}
    if au.activity_type:
        definition["type"] = au.activity_type
    return {"objectType": "Activity", "id": au.activity_id, "definition": definition}


def context_template(au: Cmi5Au, session_id: str) -> dict[str, Any]:
    """cmi5 10.2.1: the session id and the AU's publisher id grouping activity."""
    return {
        "contextActivities": {"grouping": [{"objectType": "Activity", "id": au.publisher_id}]},
        "extensions": {CMI5_EXT_SESSION: session_id},
    }


def lms_statement(
    actor: dict[str, Any],
    verb_iri: str,
    obj: dict[str, Any],
    context: dict[str, Any],
    result: dict[str, Any] | None = None,
) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "actor": actor,
        "verb": verb(verb_iri),
        "object": obj,
        "context": context,
        "timestamp": utcnow().isoformat(),
    }
    if result is not None:
        statement["result"] = result
    return statement


def _record(statement: dict[str, Any]) -> str:
    return lrs.record(statement)


def _revoke_client(session: Cmi5Session) -> None:
    if session.client_id is None:
        return
    client = db.session.get(LrsClient, session.client_id)
    if client is not None and client.revoked_at is None:
        clients.revoke_client(client)


def _duration(start: datetime, end: datetime) -> str:
    seconds = max(0.0, (end - start).total_seconds())
    return f"PT{seconds:.2f}S"


def abandon(session: Cmi5Session) -> str:
    """Record ``abandoned`` for a session that ended without ``terminated`` (cmi5 9.3.6)."""
    au = session.au
    user = db.session.get(User, session.user_id)
    if user is None or not session.open:
        return ""
    context = context_template(au, session.session_id)
    context["registration"] = session.registration
    context["contextActivities"]["category"] = [{"id": CMI5_CATEGORY}]
    last = session.last_statement_at or session.launched_at
    statement_id = _record(
        lms_statement(
            actor_of(user),
            VERB_ABANDONED,
            au_object(au),
            context,
            {"duration": _duration(session.launched_at, last)},
        )
    )
    session.abandoned_at = utcnow()
    _revoke_client(session)
    db.session.flush()
    logger.info("Abandoned cmi5 session %s", session.session_id)
    return statement_id


def on_sessions_ended(sender: User, **kwargs: Any) -> None:
    """The person's sessions and tokens were ended (``events.sessions_ended``): abandon their
    open cmi5 sessions, whose LRS credentials sit in a browser like a session cookie."""
    for session in db.session.scalars(
        select(Cmi5Session)
        .where(
            Cmi5Session.user_id == sender.id,
            Cmi5Session.terminated_at.is_(None),
            Cmi5Session.abandoned_at.is_(None),
        )
        .order_by(Cmi5Session.id)
    ).all():
        abandon(session)


def sweep(now: datetime | None = None) -> int:
    """Abandon sessions whose time is up; returns how many."""
    now = now or utcnow()
    stale = list(
        db.session.scalars(
            select(Cmi5Session).where(
                Cmi5Session.terminated_at.is_(None),
                Cmi5Session.abandoned_at.is_(None),
                Cmi5Session.expires_at <= now,
            )
        )
    )
    for session in stale:
        abandon(session)
    return len(stale)


# --- statements from the AU -----------------------------------------------------------------------


def _statement_session(stmt: dict[str, Any], au: Cmi5Au) -> Cmi5Session:
    context = stmt.get("context") or {}
    session_id = (context.get("extensions") or {}).get(CMI5_EXT_SESSION)
    if not isinstance(session_id, str):
        raise Held("no cmi5 session id in context.extensions")
    session = db.session.scalar(select(Cmi5Session).where(Cmi5Session.session_id == session_id))
    if session is None or session.au_id != au.id:
        raise Held(f"session {session_id} is not a session of this AU")
    if str(context.get("registration", "")).lower() != session.registration.lower():
        raise Held("the registration is not the session's")
    return session


def _check_sender(stmt: dict[str, Any], session: Cmi5Session) -> None:
    """The statement must come from the session's credentials, about the session's learner."""
    ifi = ifi_of(stmt.get("actor") or {})
    user = find_user(ifi) if ifi else None
    if user is None or user.id != session.user_id:
        raise Held("the actor is not the learner who launched the session")
    client = db.session.get(LrsClient, session.client_id) if session.client_id else None
    try:
        authority = agent_ifi(stmt["authority"])
    except (KeyError, TypeError):
        authority = None
    if client is None or authority != agent_ifi(client.authority):
        raise Held("not sent with the session's credentials")


def _state(au: Cmi5Au, registration: str, user_id: int) -> Cmi5AuState:
    state = db.session.scalar(
        select(Cmi5AuState).where(
            Cmi5AuState.au_id == au.id, Cmi5AuState.registration == registration
        )
    )
    if state is None:
        state = Cmi5AuState(au_id=au.id, registration=registration, user_id=user_id)
        db.session.add(state)
    return state


def on_statement(item: StoredStatement, target: Target, *, at: datetime) -> str:
    """Apply a statement about an AU (called by the bridge, in stored order); ``at`` is when
    it happened (``lms.learning.bridge.statement_time``)."""
    stmt = item.statement
    au = db.session.get(Cmi5Au, target.au_id)
    if au is None:
        return "ignored"
    session = _statement_session(stmt, au)
    _check_sender(stmt, session)
    if session.last_statement_at is None or session.last_statement_at < at:
        session.last_statement_at = at
    verb_id = (stmt.get("verb") or {}).get("id")
    if session.abandoned_at is not None:
        raise Held("the session was abandoned before this statement")
    if verb_id == VERB_INITIALIZED:
        session.initialized_at = session.initialized_at or at
    elif verb_id == VERB_TERMINATED:
        session.terminated_at = session.terminated_at or at
        _revoke_client(session)
    elif verb_id in (VERB_COMPLETED, VERB_PASSED, VERB_FAILED) and session.launch_mode == "Normal":
        _record_result(au, session, stmt, verb_id, at)
    db.session.flush()
    user = db.session.get(User, session.user_id)
    if user is not None:
        evaluate(au.course_id, session.registration, user, session_id=session.session_id)
    return "applied"


def _record_result(
    au: Cmi5Au, session: Cmi5Session, stmt: dict[str, Any], verb_id: str, at: datetime
) -> None:
    state = _state(au, session.registration, session.user_id)
    score = ((stmt.get("result") or {}).get("score") or {}).get("scaled")
    scaled = (
        float(score) if isinstance(score, int | float) and not isinstance(score, bool) else None
    )
    if verb_id == VERB_COMPLETED:
        state.completed_at = state.completed_at or at
    elif verb_id == VERB_PASSED:
        if au.mastery_score is not None and scaled is not None and scaled < au.mastery_score:
            logger.info("Passed below the mastery score for AU %s ignored", au.id)
            return
        state.passed_at = state.passed_at or at
        state.score = scaled if scaled is not None else state.score
    elif state.passed_at is None:
        state.failed_at = at
        state.score = scaled if scaled is not None else state.score


# --- moveOn ---------------------------------------------------------------------------------------


def au_satisfied(au: Cmi5Au, state: Cmi5AuState | None) -> bool:
    """cmi5 13.1.4 moveOn (and 9.3.9: a waived AU has met it)."""
    if state is not None and state.waived_at is not None:
        return True
    completed = state is not None and state.completed_at is not None
    passed = state is not None and state.passed_at is not None
    return {
        "NotApplicable": True,
        "Completed": completed,
        "Passed": passed,
        "CompletedAndPassed": completed and passed,
        "CompletedOrPassed": completed or passed,
    }.get(au.move_on, False)


def _walk(blocks: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for block in blocks:
        yield from _walk(block.get("blocks") or [])
        yield block


def _satisfy(
    user: User,
    registration: str,
    activity_id: str,
    activity_type: str,
    publisher_id: str,
    session_id: str,
) -> bool:
    """Write ``satisfied`` for a block or the course unless it was written already."""
    done = db.session.scalar(
        select(Cmi5Satisfied.id).where(
            Cmi5Satisfied.registration == registration, Cmi5Satisfied.activity_id == activity_id
        )
    )
    if done is not None:
        return False
    context = {
        "registration": registration,
        "contextActivities": {
            "category": [{"id": CMI5_CATEGORY}],
            "grouping": [{"objectType": "Activity", "id": publisher_id}],
        },
        "extensions": {CMI5_EXT_SESSION: session_id},
    }
    obj = {"objectType": "Activity", "id": activity_id, "definition": {"type": activity_type}}
    statement_id = _record(lms_statement(actor_of(user), VERB_SATISFIED, obj, context))
    db.session.add(
        Cmi5Satisfied(registration=registration, activity_id=activity_id, statement_id=statement_id)
    )
    db.session.flush()
    return True


def evaluate(course_id: int, registration: str, user: User, *, session_id: str | None) -> bool:
    """Roll AU results up to blocks and the course; True when the course is satisfied."""
    holder = db.session.scalar(select(Cmi5Course).where(Cmi5Course.course_id == course_id))
    course = db.session.get(Course, course_id)
    if holder is None or course is None:
        return False
    aus = list(
        db.session.scalars(
            select(Cmi5Au).where(Cmi5Au.course_id == course_id, Cmi5Au.active.is_(True))
        )
    )
    states = {
        s.au_id: s
        for s in db.session.scalars(
            select(Cmi5AuState).where(Cmi5AuState.registration == registration)
        )
    }
    now = utcnow()
    satisfied: set[str] = set()
    for au in aus:
        if au_satisfied(au, states.get(au.id)):
            satisfied.add(au.publisher_id)
            state = states.get(au.id) or _state(au, registration, user.id)
            state.satisfied_at = state.satisfied_at or now
    session_id = session_id or str(uuid.uuid4())
    for block in _walk(holder.structure or []):
        if block["aus"] and all(a in satisfied for a in block["aus"]):
            _satisfy(
                user,
                registration,
                block["activity_id"],
                CMI5_TYPE_BLOCK,
                block["publisher_id"],
                session_id,
            )
    if not aus or len(satisfied) < len(aus):
        db.session.flush()
        return False
    _satisfy(
        user, registration, course.activity_iri, CMI5_TYPE_COURSE, holder.publisher_id, session_id
    )
    enrollment = db.session.scalar(
        select(Enrollment).where(
            Enrollment.registration == registration, Enrollment.user_id == user.id
        )
    )
    if enrollment is not None and enrollment.status not in (
        EnrollmentStatus.completed,
        EnrollmentStatus.withdrawn,
    ):
        completion.complete_enrollment(enrollment, at=now)
        logger.info("cmi5 course %s satisfied: enrollment %s completed", course_id, enrollment.id)
    return True


# --- waiving --------------------------------------------------------------------------------------


def waive(au: Cmi5Au, user: User, *, reason: str, by: User) -> str:
    """Record ``waived`` for ``user`` in ``au`` (cmi5 9.3.7) and roll it up."""
    reason = (reason or "Administrative").strip()
    if reason not in WAIVE_REASONS:
        raise Invalid(
            _("Unknown reason."),
            errors={"reason": [_("One of: %(values)s.", values=", ".join(WAIVE_REASONS))]},
        )
    course = db.session.get(Course, au.course_id)
    if course is None:
        raise NotFound(_("Course not found."))
    enrollment: Enrollment | None = enrollments.enrollment_for(user, course)
    if enrollment is None:
        raise Conflict(_("This learner is not enrolled in the course."))
    lock(enrollment)  # parallel waivers: one records it, the others get 409
    state = _state(au, enrollment.registration, user.id)
    if state.waived_at is not None:
        raise Conflict(_("This unit was already waived for this learner."))
    session_id = str(uuid.uuid4())
    context = context_template(au, session_id)
    context["registration"] = enrollment.registration
    context["contextActivities"]["category"] = [{"id": CMI5_CATEGORY}, {"id": CMI5_MOVEON_CATEGORY}]
    statement_id = _record(
        lms_statement(
            actor_of(user),
            VERB_WAIVED,
            au_object(au),
            context,
            {"success": True, "completion": True, "extensions": {CMI5_EXT_REASON: reason}},
        )
    )
    state.waived_at = utcnow()
    state.waived_reason = reason
    db.session.flush()
    evaluate(au.course_id, enrollment.registration, user, session_id=session_id)
    logger.info("AU %s waived for user %s by %s (%s)", au.id, user.id, by.id, reason)
    return statement_id


def progress(course: Course, enrollment: Enrollment | None) -> list[dict[str, Any]]:
    """Each active AU with the learner's state, for the course's cmi5 page."""
    aus = list(
        db.session.scalars(
            select(Cmi5Au)
            .where(Cmi5Au.course_id == course.id, Cmi5Au.active.is_(True))
            .order_by(Cmi5Au.position)
        )
    )
    states: dict[int, Cmi5AuState] = {}
    if enrollment is not None:
        states = {
            s.au_id: s
            for s in db.session.scalars(
                select(Cmi5AuState).where(Cmi5AuState.registration == enrollment.registration)
            )
        }
    return [
        {
            "au": au,
            "state": states.get(au.id),
            "satisfied": enrollment is not None and au_satisfied(au, states.get(au.id)),
        }
        for au in aus
    ]


def course_satisfied(course: Course, registration: str) -> bool:
    return (
        db.session.scalar(
            select(Cmi5Satisfied.id).where(
                Cmi5Satisfied.registration == registration,
                Cmi5Satisfied.activity_id == course.activity_iri,
            )
        )
        is not None
    )
