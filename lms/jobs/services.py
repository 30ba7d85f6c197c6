"""Run long work in the background, with progress.

``create_app`` registers a handler per job kind (``lms.JOB_HANDLERS``). :func:`submit` records a
job row; with Redis configured (production) the job goes to a Celery worker, otherwise
(``LMS_JOBS_EAGER``, the embedded default and the tests) it runs at once in this process.
Either way the caller gets the row and can poll ``done``/``total``.

A row is never left ``queued`` with nobody to run it: it is sent only after it is committed
(a worker must find it); with Redis down nothing is written and the caller answers 503; and
a row still queued ``LMS_JOB_STALE_SECONDS`` after it was sent, while the queue is empty (its
message was lost), is sent again by :func:`requeue_stale`, which the worker and the bridge
follower run. Whoever runs a job first claims it (a conditional UPDATE), so a job sent twice
runs once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, delete, func, select, update

from lms.db import utcnow
from lms.errors import NotFound, ServiceUnavailable
from lms.extensions import db
from lms.jobs import queue
from lms.jobs.models import Job, JobStatus
from lms.locks import hold_write_lock

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
Handler = Callable[[dict[str, Any], Progress], dict[str, Any] | None]

HANDLERS: dict[str, Handler] = {}


def register_handler(kind: str, func: Handler) -> None:
    HANDLERS[kind] = func


def _unavailable() -> ServiceUnavailable:
    return ServiceUnavailable(
        _("Background work is unavailable right now; nothing was changed. Try again shortly.")
    )


def submit(kind: str, payload: dict[str, Any], *, by_id: int | None = None) -> Job:
    """Create a job and start it; commits (the caller's transaction too): a worker must see
    the row. Raises :class:`ServiceUnavailable` (503) if the workers cannot be reached; then
    no job exists."""
    if kind not in HANDLERS:
        raise NotFound(_("Unknown job kind %(kind)s.", kind=kind))
    eager = current_app.config.get("JOBS_EAGER", True)
    if not eager and not queue.available():
        raise _unavailable()
    job = Job(kind=kind, payload=payload, created_by_id=by_id, enqueued_at=utcnow())
    db.session.add(job)
    db.session.commit()
    if eager:
        run(job.id)
    else:
        try:
            queue.send(job.id)
        except Exception:
            # Redis went away between the check and the send: take the row back.
            logger.warning("Could not send job %s (%s); withdrawn", job.id, kind, exc_info=True)
            db.session.execute(delete(Job).where(Job.id == job.id, Job.status == JobStatus.queued))
            db.session.commit()
            raise _unavailable() from None
    db.session.refresh(job)
    return job


def run(job_id: str, *, from_statuses: tuple[JobStatus, ...] = (JobStatus.queued,)) -> Job:
    """Run a job to its end, committing progress as it goes so pollers see it move.

    The job is claimed first (``from_statuses`` -> running, one conditional UPDATE): a job
    that was sent twice, or is already run by someone else, is left alone.
    """
    claimed = db.session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status.in_(from_statuses))
        .values(status=JobStatus.running)
    )
    db.session.commit()
    job = get(job_id)
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        logger.info("Job %s is %s already; not run again", job_id, job.status)
        return job

    # Each write of the job's own row takes the write lock first: on SQLite a transaction that
    # has only read (the job, or whatever the handler read) is refused at once when another
    # connection is writing, where a writer that asks first waits its turn.
    def progress(done: int, total: int) -> None:
        hold_write_lock()
        job.done, job.total = done, total
        db.session.commit()

    try:
        result = HANDLERS[job.kind](dict(job.payload), progress)
        hold_write_lock()
        job.result = result
        job.status = JobStatus.done
        if job.total and job.done < job.total:
            job.done = job.total
    except Exception as exc:  # a failed job is recorded, never lost
        db.session.rollback()
        hold_write_lock()
        job = get(job_id)
        job.status = JobStatus.failed
        job.error = str(exc)
        logger.exception("Job %s (%s) failed", job_id, job.kind)
    job.finished_at = utcnow()
    db.session.commit()
    logger.info("Job %s (%s) finished: %s", job.id, job.kind, job.status)
    return job


def stale_before(now: datetime | None = None) -> datetime:
    """A job still queued that was sent before this instant is stale."""
    seconds = int(current_app.config.get("JOB_STALE_SECONDS", 300))
    return (now or utcnow()) - timedelta(seconds=seconds)


def sent_at() -> ColumnElement[datetime]:
    """When a job was last sent (rows from before ``enqueued_at`` existed: when created)."""
    return func.coalesce(Job.enqueued_at, Job.created_at)


def requeue_stale(limit: int = 100) -> int:
    """Send again the jobs queued past ``LMS_JOB_STALE_SECONDS``; returns how many were sent.

    Only while the broker's queue is empty: a job waiting behind a backlog is not lost, and
    sending it again would only add a message. Each one is claimed for sending by a
    conditional UPDATE, so two sweepers at once send it once. With eager jobs (no worker)
    they are run here instead.
    """
    eager = current_app.config.get("JOBS_EAGER", True)
    if not eager and not (queue.available() and queue.is_empty()):
        return 0
    now = utcnow()
    cutoff = stale_before(now)
    stale = list(
        db.session.scalars(
            select(Job.id)
            .where(Job.status == JobStatus.queued, sent_at() < cutoff)
            .order_by(Job.created_at)
            .limit(limit)
        )
    )
    db.session.commit()
    sent = 0
    for job_id in stale:
        if eager:
            run(job_id)
            sent += 1
            continue
        claimed = db.session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == JobStatus.queued, sent_at() < cutoff)
            .values(enqueued_at=now, requeues=Job.requeues + 1)
        )
        db.session.commit()
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue
        try:
            queue.send(job_id)
        except Exception:
            logger.warning("Could not send stale job %s again; will retry", job_id, exc_info=True)
            break
        logger.warning("Job %s sat queued since before %s; sent again", job_id, cutoff)
        sent += 1
    return sent


def get(job_id: str) -> Job:
    job = db.session.get(Job, job_id)
    if job is None:
        raise NotFound(_("Job not found."))
    return job
