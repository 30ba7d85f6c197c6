"""The Celery worker for production: ``celery -A lms.jobs.worker worker``.

Its broker is ``LMS_REDIS_URL``; every task runs inside an application context of the
same ``create_app()`` the web tier uses.
"""

from __future__ import annotations

import os

from celery import Celery, Task

from lms import create_app
from lms.jobs.services import run

flask_app = create_app()
celery = Celery(
    "lms",
    broker=flask_app.config.get("REDIS_URL") or os.environ.get("LMS_REDIS_URL"),
    backend=None,
)
celery.conf.update(task_ignore_result=True, task_acks_late=True, worker_prefetch_multiplier=1)


class _AppTask(Task):
    def __call__(self, *args: object, **kwargs: object) -> object:
        with flask_app.app_context():
            return self.run(*args, **kwargs)


celery.Task = _AppTask


@celery.task(name="lms.run_job")
def run_job(job_id: str) -> None:
    run(job_id)
