"""Sending a job to the Celery workers, through the Redis of ``LMS_REDIS_URL``.

The web tier only produces: it sends the task by name (``lms.run_job``, defined by
:mod:`lms.jobs.worker`) with a Celery app of its own built from the Flask app's config, so it
needs neither the worker module (which builds an app from the environment at import) nor a
result backend. Sending retries once, briefly: a connection left over from before a Redis
restart is replaced, while an unreachable Redis fails fast and the caller answers 503.
"""

from __future__ import annotations

from typing import Any

import redis
from celery import Celery
from flask import current_app

from lms.redisclient import TIMEOUT, link

TASK = "lms.run_job"
#: The worker's own task sending stale jobs again (``lms.jobs.services.requeue_stale``).
SWEEP_TASK = "lms.requeue_stale"
#: The Redis list Celery keeps the default queue's waiting messages in.
QUEUE = "celery"

#: One quick retry (it reconnects); then the send fails and the job is withdrawn.
RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


def _celery() -> Celery:
    url = current_app.config["REDIS_URL"]
    cached: Any = current_app.extensions.get("lms_celery")
    if cached is not None and cached[0] == url:
        return cached[1]
    app = Celery("lms-producer", broker=url, backend=None, set_as_current=False)
    app.conf.update(
        task_ignore_result=True,
        broker_connection_timeout=TIMEOUT,
        broker_connection_retry=False,
        broker_transport_options={"socket_connect_timeout": TIMEOUT, "socket_timeout": TIMEOUT},
    )
    current_app.extensions["lms_celery"] = (url, app)
    return app


def available() -> bool:
    """Whether a job can be sent now: Redis configured and answering (see the breaker)."""
    found = link()
    return found is not None and found.available()


def is_empty() -> bool:
    """Whether no message waits in the queue (those a worker has taken are not counted)."""
    found = link()
    if found is None:
        return False
    try:
        return int(found.client.llen(QUEUE)) == 0
    except redis.RedisError as exc:
        found.breaker.trip(exc, "reading the job queue")
        return False


def send(job_id: str) -> None:
    """Put the job on the queue; raises (kombu's OperationalError, a Redis error) if it cannot."""
    try:
        _celery().send_task(TASK, args=[job_id], retry=True, retry_policy=RETRY_POLICY)
    except Exception as exc:
        found = link()
        if found is not None:
            found.breaker.trip(exc, "sending a job")
        raise
