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

Nor is a row left ``running`` for ever when its worker dies (killed, its machine lost): while a
job runs, a thread of the runner refreshes its ``heartbeat_at``; one running without a beat for
``LMS_JOB_STALE_SECONDS`` is sent again by the same sweep. Every handler may be run again (each
skips what is done, or writes all or nothing), which ``flask jobs run --force`` relied on
already. A job sent again ``MAX_REQUEUES`` times is marked failed rather than tried for ever.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
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

#: Sent again this many times (lost messages, dead workers) and still not done: marked failed.
MAX_REQUEUES = 5


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
        .values(status=JobStatus.running, heartbeat_at=utcnow())
    )
    db.session.commit()
    job = get(job_id)
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        logger.info("Job %s is %s already; not run again", job_id, job.status)
        return job
    with _Heartbeat(current_app._get_current_object(), job_id):  # type: ignore[attr-defined]
        return _run_claimed(job)


def _run_claimed(job: Job) -> Job:
    job_id = job.id

    # Each write of the job's own row takes the write lock first: on SQLite a transaction that
    # has only read (the job, or whatever the handler read) is refused at once when another
    # connection is writing, where a writer that asks first waits its turn.
    def progress(done: int, total: int) -> None:
        hold_write_lock()
        job.done, job.total = done, total
        job.heartbeat_at = utcnow()
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


class _Heartbeat:
    """Refreshes a running job's ``heartbeat_at`` from a thread, on its own connection.

    Only on PostgreSQL: there another connection's update of the job row does not disturb the
    handler's transaction, and there the workers may be on other machines. On SQLite (one
    machine; a job mostly runs in the process that asked for it) a write from another
    connection would make the handler's next write fail, so there is no beat, and a job left
    running by a dead process is run again by hand (``flask jobs run --force``).
    """

    def __init__(self, app: Flask, job_id: str) -> None:
        self.app, self.job_id = app, job_id
        stale = int(app.config.get("JOB_STALE_SECONDS", 300))
        self.interval = max(stale / 3, 1.0)
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None

    def __enter__(self) -> _Heartbeat:
        if beats():
            self.thread = threading.Thread(target=self._beat, name="job-heartbeat", daemon=True)
            self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join()

    def _beat(self) -> None:
        while not self.stop.wait(self.interval):
            try:
                with self.app.app_context(), db.engine.begin() as conn:
                    conn.execute(
                        update(Job)
                        .where(Job.id == self.job_id, Job.status == JobStatus.running)
                        .values(heartbeat_at=utcnow())
                    )
            except Exception:  # the database is away: the next beat tries again
                logger.warning("Job %s: heartbeat not written", self.job_id, exc_info=True)


def beats() -> bool:
    """Whether running jobs beat (and so whether one that stopped beating is run again)."""
    return db.engine.dialect.name == "postgresql"


def last_sign_of_life() -> ColumnElement[datetime]:
    """When a running job last showed it was alive (rows from before heartbeats: when sent)."""
    return func.coalesce(Job.heartbeat_at, Job.enqueued_at, Job.created_at)


def stale_before(now: datetime | None = None) -> datetime:
    """A job still queued that was sent before this instant is stale."""
    seconds = int(current_app.config.get("JOB_STALE_SECONDS", 300))
    return (now or utcnow()) - timedelta(seconds=seconds)


def sent_at() -> ColumnElement[datetime]:
    """When a job was last sent (rows from before ``enqueued_at`` existed: when created)."""
    return func.coalesce(Job.enqueued_at, Job.created_at)


def requeue_stale(limit: int = 100) -> int:
    """Send again the jobs lost on the way; returns how many were sent.

    Two kinds are lost: a job still queued ``LMS_JOB_STALE_SECONDS`` after it was sent (its
    message was lost), looked for only while the broker's queue is empty (a job waiting behind
    a backlog is not lost, and sending it again would only add a message); and a job running
    without a heartbeat for as long (its worker died; see :class:`_Heartbeat`). Each one is
    claimed for sending by a conditional UPDATE, so two sweepers at once send it once. With
    eager jobs (no worker) they are run here instead.
    """
    eager = current_app.config.get("JOBS_EAGER", True)
    now = utcnow()
    cutoff = stale_before(now)
    sent = 0
    if beats():
        sent += _send_again(JobStatus.running, last_sign_of_life(), cutoff, now, limit)
    if eager or (queue.available() and queue.is_empty()):
        sent += _send_again(JobStatus.queued, sent_at(), cutoff, now, limit)
    return sent


def _send_again(
    status: JobStatus, since: ColumnElement[datetime], cutoff: datetime, now: datetime, limit: int
) -> int:
    """Send again (or run, when eager) the jobs in ``status`` since before ``cutoff``; one sent
    ``MAX_REQUEUES`` times already is marked failed instead."""
    eager = current_app.config.get("JOBS_EAGER", True)
    lost = list(
        db.session.scalars(
            select(Job.id)
            .where(Job.status == status, since < cutoff)
            .order_by(Job.created_at)
            .limit(limit)
        )
    )
    db.session.commit()
    sent = 0
    for job_id in lost:
        still_lost = (Job.id == job_id, Job.status == status, since < cutoff)
        given_up = db.session.execute(
            update(Job)
            .where(*still_lost, Job.requeues >= MAX_REQUEUES)
            .values(
                status=JobStatus.failed,
                finished_at=now,
                error=_(
                    "This work was started %(times)d times and never finished; it was stopped. "
                    "Start it again, or ask the administrator to look at the workers' log.",
                    times=MAX_REQUEUES + 1,
                ),
            )
        )
        claimed = db.session.execute(
            update(Job)
            .where(*still_lost)
            .values(
                status=JobStatus.queued,
                enqueued_at=now,
                heartbeat_at=None,
                requeues=Job.requeues + 1,
            )
        )
        db.session.commit()
        if given_up.rowcount == 1:  # type: ignore[attr-defined]
            logger.error("Job %s sent %d times, never finished: failed", job_id, MAX_REQUEUES)
            continue
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue
        if eager:
            run(job_id)
            sent += 1
            continue
        try:
            queue.send(job_id)
        except Exception:
            # Left queued, sent now: the next sweep sends it once the timeout has passed.
            logger.warning("Could not send job %s again; will retry", job_id, exc_info=True)
            break
        logger.warning("Job %s was %s since before %s; sent again", job_id, status, cutoff)
        sent += 1
    return sent


def get(job_id: str) -> Job:
    job = db.session.get(Job, job_id)
    if job is None:
        raise NotFound(_("Job not found."))
    return job
