"""When the bridge runs: after the LRS commits statements, and after a course import.

``statements_stored`` (sent by the LRS after each commit that stored statements) runs the
bridge in this process when jobs are eager (the embedded default), giving way if another
process is already at it and stopping after ``LMS_BRIDGE_EAGER_LIMIT`` statements (it runs in
the request that stored them); with Redis configured it submits one ``bridge.process`` job to
the Celery workers, unless one was queued recently (that one will read these statements too;
two at once would be harmless, the bridge locks its cursor). A queued one older than
``LMS_JOB_STALE_SECONDS`` does not count: its message may be lost, and it must not stop the
bridge from being triggered. With ``LMS_BRIDGE_PARTITIONS`` above 1 it submits one job per
partition (each not already queued), so several workers apply them at once. ``flask bridge
run`` catches up by hand or as a loop.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app
from sqlalchemy import select

from lms.errors import ServiceUnavailable
from lms.extensions import db
from lms.jobs import services as jobs
from lms.jobs.models import Job, JobStatus
from lms.learning import partitions
from lms.learning.bridge import process_pending
from lms.learning.mappings import rebuild_course

logger = logging.getLogger(__name__)

JOB_KIND = "bridge.process"


def run_bridge(payload: dict[str, Any], progress: jobs.Progress) -> dict[str, Any]:
    partition = payload.get("partition")
    return {"processed": process_pending(wait=True, partition=partition)}


def trigger() -> None:
    """Get pending statements processed, now (eager) or by a worker (Celery)."""
    if current_app.config.get("JOBS_EAGER", True):
        # Bounded: this runs inside the request that stored the statements; a backlog is
        # left to the next trigger or to `flask bridge run --follow`.
        process_pending(int(current_app.config.get("BRIDGE_EAGER_LIMIT", 1000)), wait=False)
        return
    count = partitions.configured()
    queued = db.session.scalars(
        select(Job.payload).where(
            Job.kind == JOB_KIND,
            Job.status == JobStatus.queued,
            jobs.sent_at() >= jobs.stale_before(),
        )
    ).all()
    db.session.commit()
    waiting = {(payload or {}).get("partition") for payload in queued}
    if count == 1:
        if not queued:
            jobs.submit(JOB_KIND, {})
        return
    # One job per partition, so that as many workers apply them at once.
    for partition in range(count):
        if partition not in waiting and None not in waiting:
            jobs.submit(JOB_KIND, {"partition": partition})


def on_statements_stored(sender: Any = None, **kwargs: Any) -> None:
    """Receiver of ``statements_stored``; never fails the LRS request."""
    if not current_app.config.get("BRIDGE_ENABLED", True):
        return
    try:
        trigger()
    except ServiceUnavailable:  # Redis is down (logged once by lms.redisclient)
        db.session.rollback()
        logger.warning("Bridge not triggered (Redis is down); the follower or a later one will")
    except Exception:
        db.session.rollback()
        logger.exception("Bridge trigger failed; `flask bridge run` will catch up")


def on_course_imported(course: Any, **kwargs: Any) -> None:
    """Keep the activity mappings of an imported course current (same transaction)."""
    rebuild_course(course)
