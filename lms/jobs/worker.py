"""The Celery worker for production: ``celery -A lms.jobs.worker worker``.

Its broker is ``LMS_REDIS_URL``; every task runs inside an application context of the
same ``create_app()`` the web tier uses.
"""

from __future__ import annotations

import logging
import os

from celery import Celery, Task, bootsteps

from lms import create_app
from lms.jobs.queue import SWEEP_TASK, TASK, is_empty
from lms.jobs.services import requeue_stale, run

logger = logging.getLogger(__name__)

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


@celery.task(name=TASK)
def run_job(job_id: str) -> None:
    run(job_id)
    # Between jobs: any job whose message was lost (it sat queued past LMS_JOB_STALE_SECONDS
    # while the queue was empty) is sent again.
    requeue()


@celery.task(name=SWEEP_TASK)
def requeue() -> None:
    try:
        requeue_stale()
    except Exception:  # the sweep is a safety net; it never fails the job that ran
        logger.exception("Sending stale jobs again failed")


class _Sweeper(bootsteps.StartStopStep):
    """Asks for a sweep at start and then regularly, also while no job comes in.

    Only a message is sent from the worker's main process; the sweep itself (database work)
    runs in a pool process like any task, so no connection is opened before a fork.
    """

    requires = ("celery.worker.components:Timer",)

    def __init__(self, parent: object, **kwargs: object) -> None:
        super().__init__(parent, **kwargs)
        self.tref: object = None

    def start(self, parent: object) -> None:
        stale = int(flask_app.config.get("JOB_STALE_SECONDS", 300))
        interval = min(max(stale / 2, 5.0), 60.0)
        self.ask()
        self.tref = parent.timer.call_repeatedly(interval, self.ask)  # type: ignore[attr-defined]

    def stop(self, parent: object) -> None:
        if self.tref is not None:
            self.tref.cancel()  # type: ignore[attr-defined]
            self.tref = None

    def ask(self) -> None:
        """Only when no message waits: a busy worker sweeps after each job anyway, and sweep
        requests would otherwise pile up behind a long one."""
        try:
            with flask_app.app_context():
                if is_empty():
                    requeue.delay()
        except Exception:  # Redis is down: the next tick asks again
            logger.warning("Could not ask for a sweep of stale jobs", exc_info=True)


celery.steps["worker"].add(_Sweeper)
