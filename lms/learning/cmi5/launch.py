"""Launching an AU (cmi5 section 8 and 10): launch URL, one-time fetch URL, launch data.

Before the AU opens, the LMS writes ``LMS.LaunchData`` into the LRS's state for the AU
activity, the learner and the registration, and records the ``launched`` statement. The
launch URL carries ``endpoint``, ``fetch``, ``actor``, ``registration`` and ``activityId``.
The fetch URL answers once with an ``auth-token``: HTTP Basic credentials of an LRS client
made for this session alone and bound to it (``lms.xapi.binding``: its learner, its
registration, its AU), which stop working when the session ends (``terminated``,
``abandoned``, or its time is up).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from lms.auth.models import User
from lms.catalog.models import Course
from lms.classes import enrollments
from lms.classes.models import Enrollment, EnrollmentSource
from lms.db import utcnow
from lms.errors import Conflict, NotFound
from lms.extensions import db
from lms.learning.cmi5 import runtime
from lms.learning.constants import (
    CMI5_CATEGORY,
    CMI5_EXT_LAUNCHMODE,
    CMI5_EXT_LAUNCHPARAMS,
    CMI5_EXT_LAUNCHURL,
    CMI5_EXT_MASTERY,
    CMI5_EXT_MOVEON,
    CMI5_LAUNCH_DATA,
)
from lms.learning.models import Cmi5Au, Cmi5Session
from lms.statements import VERB_LAUNCHED, VERB_TERMINATED
from lms.xapi import clients, documents
from lms.xapi import services as lrs
from lms.xapi.binding import Binding
from lms.xapi.constants import DocumentKind, Scope
from lms.xapi.validation import agent_ifi

if TYPE_CHECKING:
    from lms.catalog.models import Course

logger = logging.getLogger(__name__)

#: What the AU's credentials may do; their binding (:func:`session_binding`) narrows every
#: scope to the session's learner, registration and AU, and forbids voiding (cmi5 6.3).
AU_SCOPES = (Scope.statements_write, Scope.statements_read_mine, Scope.state, Scope.profile)
ERROR_USED = {"error-code": "1", "error-text": "The authorization token has already been returned."}
ERROR_EXPIRED = {"error-code": "1", "error-text": "The AU session has ended or expired."}
ERROR_INVALID = {"error-code": "2", "error-text": "This fetch URL is not valid."}


def session_hours() -> float:
    return float(current_app.config.get("CMI5_SESSION_HOURS", 8))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def get_au(au_id: int) -> Cmi5Au:
    au = db.session.get(Cmi5Au, au_id)
    if au is None or not au.active:
        raise NotFound(_("Assignable unit not found."))
    return au


def enrollment_for_launch(user: User, course: Course) -> Enrollment:
    """The learner's enrollment, made now for an open course (cmi5: the registration)."""
    enrollment = enrollments.enrollment_for(user, course)
    if enrollment is not None:
        return enrollment
    return enrollments.enroll(user, course, by=user, source=EnrollmentSource.self)


def au_url(au: Cmi5Au, content_base: str) -> str:
    """Where the AU is: its own URL when fully qualified, else the app's copy of the file."""
    if urlsplit(au.url).scheme:
        return au.url
    return f"{content_base.rstrip('/')}/{au.url}"


def launch_url(base: str, params: dict[str, str]) -> str:
    """``base`` with the cmi5 parameters merged into its query string (cmi5 8.1, 13.1.4)."""
    parts = urlsplit(base)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query += list(params.items())
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def launch(
    au: Cmi5Au,
    user: User,
    *,
    endpoint: str,
    fetch_base: str,
    content_base: str,
    return_url: str,
    launch_mode: str = "Normal",
) -> tuple[str, Cmi5Session]:
    """Start a session of ``au`` for ``user``; returns the launch URL to open.

    An open session of the same AU and registration is abandoned first (cmi5 9.3.6).
    """
    course = db.session.get(Course, au.course_id)
    if course is None:
        raise NotFound(_("Course not found."))
    enrollment = enrollment_for_launch(user, course)
    registration = enrollment.registration
    for previous in db.session.scalars(
        select(Cmi5Session).where(
            Cmi5Session.au_id == au.id,
            Cmi5Session.registration == registration,
            Cmi5Session.terminated_at.is_(None),
            Cmi5Session.abandoned_at.is_(None),
        )
    ):
        runtime.abandon(previous)
    actor = runtime.actor_of(user)
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session = Cmi5Session(
        session_id=str(uuid.uuid4()),
        au_id=au.id,
        user_id=user.id,
        enrollment_id=enrollment.id,
        registration=registration,
        launch_mode=launch_mode,
        fetch_hash=token_hash(token),
        launched_at=now,
        expires_at=now + timedelta(hours=session_hours()),
    )
    db.session.add(session)
    db.session.flush()
    url_base = au_url(au, content_base)
    launch_data = launch_data_for(au, session, course, return_url=return_url)
    documents.put(
        documents.Scope(
            kind=DocumentKind.state,
            activity_id=au.activity_id,
            agent_ifi=agent_ifi(actor),
            registration=registration,
        ),
        CMI5_LAUNCH_DATA,
        orjson.dumps(launch_data),
        "application/json",
        documents.Preconditions(),
        rule=documents.NO_PRECONDITION,
    )
    lrs.record(_launched(au, session, actor, launch_data, url_base))
    runtime.evaluate(au.course_id, registration, user, session_id=session.session_id)
    url = launch_url(
        url_base,
        {
            "endpoint": endpoint,
            "fetch": f"{fetch_base.rstrip('/')}/{token}",
            "actor": orjson.dumps(actor).decode(),
            "registration": registration,
            "activityId": au.activity_id,
        },
    )
    logger.info("Launched AU %s for user %s (session %s)", au.id, user.id, session.session_id)
    return url, session


def launch_data_for(
    au: Cmi5Au, session: Cmi5Session, course: Course, *, return_url: str
) -> dict[str, Any]:
    """The ``LMS.LaunchData`` state document (cmi5 10.2)."""
    context = runtime.context_template(au, session.session_id)
    data: dict[str, Any] = {
        "contextTemplate": context,
        "launchMode": session.launch_mode,
        "launchMethod": au.launch_method,
        "moveOn": au.move_on,
        "returnURL": return_url,
    }
    if au.mastery_score is not None:
        data["masteryScore"] = au.mastery_score
    if au.launch_parameters:
        data["launchParameters"] = au.launch_parameters
    if au.entitlement_key:
        data["entitlementKey"] = {"courseStructure": au.entitlement_key}
    return data


def _launched(
    au: Cmi5Au,
    session: Cmi5Session,
    actor: dict[str, Any],
    launch_data: dict[str, Any],
    url_base: str,
) -> dict[str, Any]:
    context = runtime.context_template(au, session.session_id)
    context["registration"] = session.registration
    extensions = context["extensions"]
    extensions[CMI5_EXT_LAUNCHMODE] = session.launch_mode
    extensions[CMI5_EXT_LAUNCHURL] = url_base
    extensions[CMI5_EXT_MOVEON] = au.move_on
    if au.mastery_score is not None:
        extensions[CMI5_EXT_MASTERY] = au.mastery_score
    if au.launch_parameters:
        extensions[CMI5_EXT_LAUNCHPARAMS] = au.launch_parameters
    context["contextActivities"]["category"] = [{"id": CMI5_CATEGORY}]
    return runtime.lms_statement(actor, VERB_LAUNCHED, runtime.au_object(au), context)


def fetch(token: str) -> dict[str, str]:
    """Answer the fetch URL: the auth-token once, then the spec's error (cmi5 8.2)."""
    session = db.session.scalar(
        select(Cmi5Session).where(Cmi5Session.fetch_hash == token_hash(token))
    )
    if session is None:
        return ERROR_INVALID
    now = utcnow()
    if not session.open or session.expires_at <= now:
        return ERROR_EXPIRED
    claimed = db.session.execute(
        update(Cmi5Session)
        .where(Cmi5Session.id == session.id, Cmi5Session.fetch_used_at.is_(None))
        .values(fetch_used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        return ERROR_USED
    user = db.session.get(User, session.user_id)
    if user is None:
        return ERROR_EXPIRED
    client, secret = clients.create_client(
        f"cmi5 session {session.session_id}"[:200],
        scopes=[str(s) for s in AU_SCOPES],
        binding=session_binding(session, user),
        expires_at=session.expires_at,
    )
    session.client_id = client.id
    db.session.flush()
    token_value = base64.b64encode(f"{client.key}:{secret}".encode()).decode()
    logger.info("Fetch URL of cmi5 session %s used", session.session_id)
    return {"auth-token": token_value}


def session_binding(session: Cmi5Session, user: User) -> Binding:
    """What the session's credentials may touch: its learner, registration and AU (cmi5 6.3,
    10.2: no voiding, ``LMS.LaunchData`` read-only); ``terminated`` ends them."""
    return Binding(
        agent=runtime.actor_of(user),
        registration=session.registration,
        activity_id=session.au.activity_id,
        protected_state_ids=(CMI5_LAUNCH_DATA,),
        closing_verbs=(VERB_TERMINATED,),
    )


def get_session(session_id: str) -> Cmi5Session:
    session = db.session.scalar(select(Cmi5Session).where(Cmi5Session.session_id == session_id))
    if session is None:
        raise NotFound(_("cmi5 session not found."))
    return session


def ensure_launchable(au: Cmi5Au, user: User) -> None:
    course = db.session.get(Course, au.course_id)
    if course is None:
        raise NotFound(_("Course not found."))
    if enrollments.enrollment_for(user, course) is None and not course.open:
        raise Conflict(_("Enrol in the course (through a class or your unit) to open this unit."))
