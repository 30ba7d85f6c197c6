"""Reviewing held statements: resolve one by linking its actor to a user (every open statement
of the same actor is then processed again), retry them after changing what a platform may
move (:func:`retry`), or dismiss one with a reason.
"""

from __future__ import annotations

import logging

from flask_babel import gettext as _

from lms.audit import services as audit
from lms.audit.constants import AuditAction
from lms.auth.models import User
from lms.errors import Conflict, Invalid
from lms.extensions import db
from lms.learning.bridge import new_batch, reprocess
from lms.learning.cursor import lock_all
from lms.learning.identities import Ifi, ifi_of, link_identity
from lms.learning.models import BridgeUnmatched, IdentitySource
from lms.learning.unmatched import mark_resolved, unmatched_query
from lms.locks import lock

logger = logging.getLogger(__name__)

#: Outcomes of applying a held statement again that leave it held.
STILL_HELD = ("unmatched", "ignored_by_rule")
RETRY_LIMIT = 1000


def resolve(row: BridgeUnmatched, user: User, *, by: User) -> dict[str, int]:
    """Link the statement's actor to ``user`` and apply every open statement of that actor."""
    lock(row)
    if row.resolved_at is not None:
        raise Conflict(_("This statement was already resolved."))
    ifi = ifi_of(row.actor)
    if ifi is None:
        raise Invalid(
            _("A group cannot be linked to one learner."),
            errors={"user_id": [_("The actor is a group.")]},
        )
    link_identity(user, Ifi(ifi.kind, ifi.value), source=IdentitySource.linked, by=by)
    same = list(
        db.session.scalars(
            unmatched_query(resolved=False).where(BridgeUnmatched.actor_ifi == row.actor_ifi)
        )
    )
    applied = held = 0
    batch = new_batch()
    for item in same:
        outcome = reprocess(item, batch)
        if outcome in STILL_HELD:
            held += 1
            continue
        mark_resolved(item, resolution="linked" if item.id == row.id else "applied", by=by)
        item.user_id = user.id
        applied += 1
    db.session.flush()
    details = {"person": user.full_name, "applied": applied, "still_held": held}
    audit.record(
        AuditAction.held_statement_resolved, row, actor=by, details=details, unit=user.unit
    )
    logger.info("Resolved %s statement(s) of %s by linking user %s", applied, ifi, user.id)
    return {"applied": applied, "still_held": held}


def retry(
    *,
    by: User | None,
    platform_id: int | None = None,
    reason: str | None = None,
    limit: int = RETRY_LIMIT,
) -> dict[str, int]:
    """Apply open held statements again, oldest first (after a platform was allowed more).

    Takes every partition's cursor lock, so it never runs beside a batch or another retry: a
    held statement is applied once. Returns how many were applied, are still held, and remain.
    """
    lock_all()
    query = unmatched_query(resolved=False, reason=reason)
    if platform_id is not None:
        query = query.where(BridgeUnmatched.platform_id == platform_id)
    rows = list(db.session.scalars(query.limit(max(1, limit) + 1)))
    remaining = max(0, len(rows) - limit)
    applied = held = 0
    batch = new_batch()
    for item in rows[:limit]:
        if reprocess(item, batch) in STILL_HELD:
            held += 1
            continue
        mark_resolved(item, resolution="applied", by=by)
        applied += 1
    db.session.flush()
    logger.info("Retried held statements: %s applied, %s still held", applied, held)
    return {"applied": applied, "still_held": held, "remaining": remaining}


def dismiss(row: BridgeUnmatched, *, reason: str, by: User) -> BridgeUnmatched:
    lock(row)
    if row.resolved_at is not None:
        raise Conflict(_("This statement was already resolved."))
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(_("Give a reason."), errors={"reason": [_("Required.")]})
    mark_resolved(row, resolution="dismissed", by=by)
    row.detail = f"{row.detail}\n{_('Dismissed')}: {reason}".strip()[:2000]
    db.session.flush()
    audit.record(AuditAction.held_statement_dismissed, row, actor=by, reason=reason)
    return row
