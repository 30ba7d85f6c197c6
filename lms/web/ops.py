"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

import functools
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select, text

from lms.db import utcnow
from lms.errors import rollback_quietly
from lms.extensions import db
from lms.learning.models import BridgeCursor
from lms.redisclient import link
from lms.replicas import replica_set
from lms.xapi.models import Statement

bp = Blueprint("ops", __name__)

Check = dict[str, Any]


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """The process is up; says nothing about the database, so a DB outage does not restart it."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> ResponseReturnValue:
    """Ready to serve: every part this configuration needs answers.

    The database, Redis when ``LMS_REDIS_URL`` is set, and the schema at the migrations' head
    (an instance of a newer release on an older schema would fail requests) are needed; 503
    while one is not. The bridge's lag and the read replicas' are reported for monitoring but
    do not fail the probe: a bridge behind is caught up by its follower, reads fall back from a
    replica to the primary, and taking web instances out would help neither.
    Failures name the exception class only: the probe is public, driver messages name hosts.
    """
    checks: dict[str, Check] = {"database": _check(_database)}
    if link() is not None:
        checks["redis"] = _redis()
    if checks["database"]["ok"]:
        checks["migrations"] = _check(_migrations)
        if current_app.config.get("BRIDGE_ENABLED", True):
            checks["bridge"] = _check(_bridge)
        replicas = replica_set()
        if replicas is not None:
            # Reported, not required: reads fall back to the primary.
            checks["replicas"] = {"ok": True, "replicas": replicas.report(db.engine)}
    else:
        checks["migrations"] = {"ok": False, "error": "database unavailable"}
    rollback_quietly()  # end the read; a probe holds nothing
    needed = [check["ok"] for name, check in checks.items() if name not in {"bridge", "replicas"}]
    ready = all(needed)
    response = jsonify({"status": "ok" if ready else "unavailable", "checks": checks})
    response.status_code = 200 if ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def _check(probe: Any) -> Check:
    try:
        result: Check = probe()
    except Exception as exc:  # any driver error means "not ready"
        rollback_quietly()
        return {"ok": False, "error": type(exc).__name__}
    return result


def _database() -> Check:
    db.session.execute(text("SELECT 1"))
    return {"ok": True}


def _redis() -> Check:
    found = link()
    assert found is not None  # noqa: S101 - only called when Redis is configured
    if found.ping():
        return {"ok": True}
    return {"ok": False, "error": found.breaker.last_error or "unreachable"}


@functools.cache
def _heads(directory: str) -> tuple[str, ...]:
    """The migrations' heads: read once, the files do not change while the process runs."""
    return tuple(sorted(ScriptDirectory(directory).get_heads()))


def _migrations() -> Check:
    head = _heads(str(current_app.extensions["migrate"].directory))
    context = MigrationContext.configure(db.session.connection())
    current = tuple(sorted(context.get_current_heads()))
    return {"ok": current == head, "current": list(current), "head": list(head)}


def _bridge() -> Check:
    """How far behind the bridge is: statements stored and not processed, the oldest's age.

    Two index lookups, not the full ``bridge status`` (which counts): the probe runs often.
    """
    last = db.session.scalar(select(func.min(BridgeCursor.last_seq)))  # the slowest partition
    last = int(last or 0)
    newest = int(db.session.scalar(select(func.max(Statement.seq))) or 0)
    oldest = db.session.scalar(
        select(Statement.stored).where(Statement.seq > last).order_by(Statement.seq).limit(1)
    )
    lag = round((utcnow() - oldest).total_seconds(), 3) if oldest is not None else 0.0
    return {
        "ok": True,
        "last_stored_seq": newest,
        "last_processed_seq": last,
        "lag_seconds": lag,
    }
