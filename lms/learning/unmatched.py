"""Statements the bridge could not apply, kept for review: never dropped, always explained.

The bridge holds a statement here (:func:`record`); what an administrator then does with it
(resolve, retry, dismiss) runs the bridge again, so it is :mod:`lms.learning.review`'s, above
the bridge.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from sqlalchemy import Select, select

from lms.db import utcnow
from lms.errors import NotFound
from lms.extensions import db
from lms.learning.identities import ifi_of
from lms.learning.models import BridgeUnmatched, UnmatchedReason

if TYPE_CHECKING:
    from lms.auth.models import User

logger = logging.getLogger(__name__)


def record(
    *,
    statement: dict[str, Any],
    seq: int,
    stored: datetime,
    reason: UnmatchedReason,
    detail: str = "",
    course_id: int | None = None,
    platform_id: int | None = None,
) -> BridgeUnmatched:
    """Keep ``statement`` for review (idempotent per statement: a re-run updates the row)."""
    statement_id = str(statement.get("id", "")).lower()
    actor = statement.get("actor") or {}
    ifi = ifi_of(actor)
    row = db.session.scalar(
        select(BridgeUnmatched).where(BridgeUnmatched.statement_id == statement_id)
    )
    if row is None:
        row = BridgeUnmatched(statement_id=statement_id, seq=seq, stored=stored)
        db.session.add(row)
    row.reason = reason
    row.detail = detail[:2000]
    row.actor = actor
    row.actor_ifi = (str(ifi) if ifi else "group")[:600]
    row.activity_iri = str((statement.get("object") or {}).get("id", ""))
    row.verb_id = str((statement.get("verb") or {}).get("id", ""))
    row.course_id = course_id
    row.platform_id = platform_id
    row.resolved_at = None
    row.resolution = None
    db.session.flush()
    logger.info("Statement %s held for review: %s %s", statement_id, reason, detail)
    return row


def get_unmatched(item_id: int) -> BridgeUnmatched:
    row = db.session.get(BridgeUnmatched, item_id)
    if row is None:
        raise NotFound(_("Unmatched statement not found."))
    return row


def unmatched_query(*, resolved: bool | None = False, reason: str | None = None) -> Select[Any]:
    query = select(BridgeUnmatched)
    if resolved is True:
        query = query.where(BridgeUnmatched.resolved_at.is_not(None))
    elif resolved is False:
        query = query.where(BridgeUnmatched.resolved_at.is_(None))
    if reason:
        query = query.where(BridgeUnmatched.reason == UnmatchedReason(reason))
    return query.order_by(BridgeUnmatched.seq)


def mark_resolved(row: BridgeUnmatched, *, resolution: str, by: User | None) -> None:
    row.resolved_at = utcnow()
    row.resolution = resolution
    row.resolved_by_id = by.id if by else None


def to_dict(row: BridgeUnmatched) -> dict[str, Any]:
    return {
        "id": row.id,
        "statement_id": row.statement_id,
        "seq": row.seq,
        "stored": row.stored.isoformat(),
        "reason": str(row.reason),
        "detail": row.detail,
        "actor": row.actor,
        "actor_ifi": row.actor_ifi,
        "activity_iri": row.activity_iri,
        "verb": row.verb_id,
        "course_id": row.course_id,
        "platform_id": row.platform_id,
        "resolved_at": row.resolved_at.isoformat() if row.resolved_at else None,
        "resolution": row.resolution,
        "user_id": row.user_id,
    }
