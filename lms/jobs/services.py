"""Run long work in the background, with progress.

``create_app`` registers a handler per job kind (``lms.JOB_HANDLERS``). :func:`submit` records a
job row; with Redis configured (production) the job goes to a Celery worker, otherwise
(``LMS_JOBS_EAGER``, the embedded default and the tests) it runs at once in this process.
Either way the caller gets the row and can poll ``done``/``total``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import current_app
from flask_babel import gettext as _

from lms.db import utcnow
from lms.errors import NotFound
from lms.extensions import db
from lms.jobs.models import Job, JobStatus

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
Handler = Callable[[dict[str, Any], Progress], dict[str, Any] | None]

HANDLERS: dict[str, Handler] = {}


def register_handler(kind: str, func: Handler) -> None:
    HANDLERS[kind] = func


def submit(kind: str, payload: dict[str, Any], *, by_id: int | None = None) -> Job:
    """Create a job and start it; commits, because a worker must see the row."""
    if kind not in HANDLERS:
        raise NotFound(_("Unknown job kind %(kind)s.", kind=kind))
    job = Job(kind=kind, payload=payload, created_by_id=by_id)
    db.session.add(job)
    db.session.commit()
    if current_app.config.get("JOBS_EAGER", True):
        run(job.id)
    else:
        # Deferred: the worker module builds its own app at import; only a queueing producer
        # (Redis configured) needs it.
        from lms.jobs.worker import run_job

        run_job.delay(job.id)
    db.session.refresh(job)
    return job


def run(job_id: str) -> Job:
    """Run a job to its end, committing progress as it goes so pollers see it move."""
    job = get(job_id)
    job.status = JobStatus.running
    db.session.commit()

    def progress(done: int, total: int) -> None:
        job.done, job.total = done, total
        db.session.commit()

    try:
        job.result = HANDLERS[job.kind](dict(job.payload), progress)
        job.status = JobStatus.done
        if job.total and job.done < job.total:
            job.done = job.total
    except Exception as exc:  # a failed job is recorded, never lost
        db.session.rollback()
        job = get(job_id)
        job.status = JobStatus.failed
        job.error = str(exc)
        logger.exception("Job %s (%s) failed", job_id, job.kind)
    job.finished_at = utcnow()
    db.session.commit()
    logger.info("Job %s (%s) finished: %s", job.id, job.kind, job.status)
    return job


def get(job_id: str) -> Job:
    job = db.session.get(Job, job_id)
    if job is None:
        raise NotFound(_("Job not found."))
    return job
