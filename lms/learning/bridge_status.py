"""How far behind the bridge is (``GET /api/v1/bridge/status``), and its runs' log."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, delete, func, not_, select

from lms.db import utcnow
from lms.extensions import db
from lms.learning import mappings, rules
from lms.learning.cursor import cursors
from lms.learning.models import BridgeGap, BridgeIgnoredSource, BridgeRun, BridgeUnmatched
from lms.xapi import services as lrs
from lms.xapi.models import Statement
from lms.xapi.validation import agent_ifi

RUNS_KEPT_DAYS = 14


def status() -> dict[str, Any]:
    """How far behind the bridge is: what ``GET /api/v1/bridge/status`` answers."""
    positions = cursors()
    last_stored = db.session.scalar(select(func.max(Statement.seq))) or 0
    # With several partitions, what the slowest one has not read (the others may be ahead).
    unread = Statement.seq > min(positions)
    # The LMS's own statements record effects already applied: the bridge only steps over
    # them, so they are not "pending" (they would make a quiet bridge look stuck). Its
    # voidings still count: they take back what a platform's statement did.
    own = and_(
        Statement.authority_ifi == agent_ifi(lrs.lms_authority()), Statement.voiding.is_(False)
    )
    pending, oldest = db.session.execute(
        select(func.count(), func.min(Statement.stored)).where(unread, not_(own))
    ).one()
    own_unread = db.session.scalar(select(func.count()).where(unread, own)) or 0
    now = utcnow()
    last_run = db.session.scalar(select(BridgeRun).order_by(BridgeRun.id.desc()).limit(1))
    return {
        "last_stored_seq": int(last_stored),
        "last_processed_seq": int(min(positions)),
        "partitions": [int(p) for p in positions],
        "pending": int(pending or 0),
        "own_unread": int(own_unread),
        "lag_seconds": round((now - oldest).total_seconds(), 3) if oldest else 0.0,
        "oldest_pending_stored": oldest.isoformat() if oldest else None,
        "gaps": int(db.session.scalar(select(func.count()).select_from(BridgeGap)) or 0),
        "unmatched_open": int(
            db.session.scalar(
                select(func.count())
                .select_from(BridgeUnmatched)
                .where(BridgeUnmatched.resolved_at.is_(None))
            )
            or 0
        ),
        **_ignored_status(),
        "activity_mappings": mappings.mapping_count(),
        "last_run": None
        if last_run is None
        else {
            "finished_at": last_run.finished_at.isoformat(),
            "from_seq": last_run.from_seq,
            "to_seq": last_run.to_seq,
            "statements": last_run.statements,
            "applied": last_run.applied,
            "unmatched": last_run.unmatched,
            "ignored_by_rule": last_run.ignored_by_rule,
        },
        "mode": "eager" if current_app.config.get("JOBS_EAGER", True) else "celery",
    }


#: How many ignored sources the status lists (the busiest first).
IGNORED_SOURCES_SHOWN = 20


def _ignored_status() -> dict[str, Any]:
    total = db.session.scalar(select(func.sum(BridgeIgnoredSource.statements))) or 0
    rows = db.session.scalars(
        select(BridgeIgnoredSource)
        .order_by(BridgeIgnoredSource.statements.desc(), BridgeIgnoredSource.authority_hash)
        .limit(IGNORED_SOURCES_SHOWN)
    ).all()
    return {
        "ignored_by_rule": int(total),
        "ignored_sources": [
            {
                "authority": row.authority,
                "client_key": rules.client_key(row.authority_ifi),
                "statements": int(row.statements),
                "last_stored": row.last_stored.isoformat(),
            }
            for row in rows
        ],
    }


def prune_runs(*, days: int = RUNS_KEPT_DAYS) -> int:
    cutoff = utcnow() - timedelta(days=days)
    result = db.session.execute(delete(BridgeRun).where(BridgeRun.finished_at < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
