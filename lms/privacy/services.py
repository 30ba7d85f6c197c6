"""What the LMS keeps about a person, their copy of it, and removing them.

``export_zip`` gathers everything held about a learner (profile, enrollments, attempts,
certificates with their PDFs, the xAPI statements about them) into one ZIP of JSON and PDF.
``pseudonymise`` removes a person's identifying data while every counted figure stays true:
the user row stays (enrollments, completions and certificates still count for their unit and
year) but has no name, contacts, password or ways in. Issued certificates keep the name they
were issued with, because that text is signed: the public check must still verify them (it
shows the name masked, as it always did).
"""

from __future__ import annotations

import io
import json
import logging
import zipfile
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, exists, select

from lms.assessment.models import Attempt
from lms.audit import services as audit
from lms.audit.constants import AuditAction
from lms.auth.models import AccessCode, SessionEnd, SsoIdentity, User
from lms.auth.services import end_sessions
from lms.auth.text import search_text
from lms.certificates.models import Certificate
from lms.certificates.pdfs import certificate_pdf
from lms.classes.models import Enrollment
from lms.db import utcnow
from lms.errors import Conflict, NotFound
from lms.extensions import db
from lms.learning.identities import identities_of
from lms.learning.models import LearnerIdentity
from lms.locks import lock
from lms.messages.models import Message
from lms.privacy.models import DeletionRequest, DeletionStatus
from lms.xapi import queries
from lms.xapi.validation.agents import agent_ifi

logger = logging.getLogger(__name__)

#: The domain of the addresses pseudonymised accounts get (RFC 2606: nothing is ever sent).
DELETED_DOMAIN = "deleted.lms146.invalid"
MAX_STATEMENTS = 100_000


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


# --- the person's copy ---------------------------------------------------------------------------


def profile(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "full_name": user.full_name,
        "email": user.email,
        "phone": user.phone,
        "birth_date": user.birth_date.isoformat() if user.birth_date else None,
        "unit": {"code": user.unit.code, "name": user.unit.name} if user.unit else None,
        "target_group": user.target_group.value if user.target_group else None,
        "roles": sorted(r.value for r in user.roles),
        "locale": user.locale,
        "created_at": _iso(user.created_at),
        "last_login_at": _iso(user.last_login_at),
        "consented_at": _iso(user.consented_at),
        "privacy_notice_version": user.consent_version,
        "single_sign_on": [
            {"provider": i.provider, "subject": i.subject, "linked_at": _iso(i.created_at)}
            for i in db.session.scalars(select(SsoIdentity).where(SsoIdentity.user_id == user.id))
        ],
        "learning_identities": identities_of(user),
    }


def enrollments(user: User) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        select(Enrollment).where(Enrollment.user_id == user.id).order_by(Enrollment.id)
    )
    return [
        {
            "course": e.course.slug,
            "course_title": e.course.title,
            "class": e.klass.code if e.klass else None,
            "status": e.status.value,
            "source": e.source.value,
            "progress": e.progress,
            "lessons_done": e.lessons_done,
            "quiz_score": e.quiz_score,
            "attendance_rate": e.attendance_rate,
            "enrolled_at": _iso(e.enrolled_at),
            "completed_at": _iso(e.completed_at),
            "withdrawn_at": _iso(e.withdrawn_at),
        }
        for e in rows
    ]


def attempts(user: User) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        select(Attempt).where(Attempt.user_id == user.id).order_by(Attempt.id)
    )
    return [
        {
            "quiz": a.quiz.slug,
            "number": a.number,
            "status": a.status.value,
            "started_at": _iso(a.started_at),
            "submitted_at": _iso(a.submitted_at),
            "score": a.score,
            "max_score": a.max_score,
            "passed": a.passed,
            "area_scores": a.area_scores,
        }
        for a in rows
    ]


def certificates(user: User) -> list[Certificate]:
    return list(
        db.session.scalars(
            select(Certificate).where(Certificate.user_id == user.id).order_by(Certificate.id)
        )
    )


def statements(user: User) -> list[Any]:
    """Every xAPI statement whose actor is one of the person's identities."""
    out: list[Any] = []
    for identity in identities_of(user):
        kind, value = identity["kind"], identity["value"]
        if kind == "account":
            home, _sep, name = value.partition("|")
            agent: dict[str, Any] = {"account": {"homePage": home, "name": name}}
        else:
            agent = {kind: value}
        f = queries.StatementFilter(agent=agent_ifi(agent), ascending=True)
        cursor = None
        while len(out) < MAX_STATEMENTS:
            page = queries.find(f, cursor)
            out.extend(json.loads(row.raw) for row in page.rows)
            if page.cursor is None:
                break
            cursor = page.cursor
    return out


def export_zip(user: User) -> bytes:
    """Everything held about ``user``: JSON files, and each certificate's PDF."""
    certs = certificates(user)
    parts: dict[str, Any] = {
        "profile.json": profile(user),
        "enrollments.json": enrollments(user),
        "attempts.json": attempts(user),
        "certificates.json": [
            {
                "serial": c.serial,
                "course": c.course_slug,
                "course_title": c.course_title,
                "holder_name": c.holder_name,
                "issued_at": _iso(c.issued_at),
                "issuing_unit": c.issuing_unit_name,
                "status": c.status.value,
                "revoked_at": _iso(c.revoked_at),
                "pdf": f"certificates/{c.serial}.pdf",
            }
            for c in certs
        ],
        "xapi-statements.json": statements(user),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, json.dumps(content, ensure_ascii=False, indent=2, default=str))
        for cert in certs:
            archive.writestr(f"certificates/{cert.serial}.pdf", certificate_pdf(cert))
    logger.info("User %s downloaded their data (%s certificates)", user.id, len(certs))
    return buffer.getvalue()


# --- deletion --------------------------------------------------------------------------------


def open_request(user: User) -> DeletionRequest | None:
    return db.session.scalar(
        select(DeletionRequest).where(
            DeletionRequest.user_id == user.id, DeletionRequest.status == DeletionStatus.pending
        )
    )


def request_deletion(user: User, *, reason: str | None) -> DeletionRequest:
    """One open request per person: a second one (a double click) is the same request."""
    lock(user)  # two requests at once wait here; the second finds the first
    existing = open_request(user)
    if existing is not None:
        return existing
    row = DeletionRequest(user_id=user.id, reason=(reason or "").strip()[:2000] or None)
    db.session.add(row)
    db.session.flush()
    logger.info("User %s asked for deletion (request %s)", user.id, row.id)
    return row


def get_request(request_id: int) -> DeletionRequest:
    row = db.session.get(DeletionRequest, request_id)
    if row is None:
        raise NotFound(_("No such request."))
    return row


def decide(row: DeletionRequest, *, approve: bool, by: User, note: str | None = None) -> None:
    """Approve (the person is pseudonymised) or refuse a pending request, once."""
    lock(row)
    if row.status != DeletionStatus.pending:
        raise Conflict(_("This request was already decided."))
    row.status = DeletionStatus.approved if approve else DeletionStatus.refused
    row.decided_at, row.decided_by_id = utcnow(), by.id
    row.note = (note or "").strip()[:2000] or None
    if approve:
        pseudonymise(row.user)
        # Written after: the append-only log keeps the pseudonym, not the name.
        audit.record(
            AuditAction.user_data_deleted, row.user, actor=by, details={"deletion_request": row.id}
        )
    logger.info("Deletion request %s %s by %s", row.id, row.status, by.id)


def pseudonymise(user: User) -> None:
    """Remove who ``user`` is; keep what they did, counted where and when it happened."""
    end_sessions(user, reason=SessionEnd.deactivated)
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):  # not the approver's language
        user.full_name = _("Deleted user #%(id)s", id=user.id)
    user.email = f"user-{user.id}@{DELETED_DOMAIN}"
    user.email_verified_at = None
    user.phone = None
    user.birth_date = None
    user.password_hash = None
    user.active = False
    user.locale = None
    user.deleted_at = utcnow()
    user.search_text = search_text(user.full_name, None, None)
    for model in (SsoIdentity, AccessCode, LearnerIdentity):
        db.session.execute(delete(model).where(model.user_id == user.id))
    db.session.execute(delete(Message).where(Message.user_id == user.id))
    db.session.flush()
    logger.info("User %s pseudonymised", user.id)


def purge_unactivated(*, days: int, now: datetime | None = None) -> int:
    """Pseudonymise accounts someone else created and nobody activated within ``days``."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    stale = db.session.scalars(
        select(User).where(
            User.password_hash.is_(None),
            User.deleted_at.is_(None),
            User.consented_at.is_(None),
            User.created_at < cutoff,
            ~exists().where(SsoIdentity.user_id == User.id),
        )
    ).all()
    for user in stale:
        pseudonymise(user)
    logger.info("Removed %s accounts never activated in %s days", len(stale), days)
    return len(stale)
