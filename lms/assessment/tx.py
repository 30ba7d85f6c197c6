"""One unit of work with a retry when the database reports a lock conflict.

SQLite (the embedded default) refuses to turn a reading transaction into a writing one after
another connection wrote ("database is locked"); PostgreSQL may pick a deadlock victim. Both
are safe to run again from the start, because every attempt operation is idempotent (a second
submit returns the first result, a save sets the same values).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import OperationalError

from lms.assessment.attempts import AttemptClosed
from lms.extensions import db

T = TypeVar("T")

logger = logging.getLogger(__name__)

RETRIES = 8
#: First pause before a retry, doubled each time (50 ms ... 6.4 s): the other writer must
#: have committed before our transaction reads again, or SQLite refuses it once more.
BACKOFF = 0.05


def _retryable(exc: OperationalError) -> bool:
    text = str(exc.orig or exc).lower()
    code = getattr(exc.orig, "sqlstate", None)
    return "database is locked" in text or "deadlock" in text or code in {"40001", "40P01"}


def commit_with_retry(work: Callable[[], T], *, retries: int = RETRIES) -> T:
    """Run ``work`` and commit; on a lock conflict roll back and run it again.

    A :class:`~lms.assessment.attempts.AttemptClosed` raised by ``work`` is committed before it
    propagates: a late save grades the expired attempt, and that grading must be kept.
    """
    for attempt in range(retries):
        try:
            try:
                result = work()
            except AttemptClosed:
                db.session.commit()
                raise
            db.session.commit()
            return result
        except OperationalError as exc:
            db.session.rollback()
            if not _retryable(exc) or attempt == retries - 1:
                raise
            logger.info("Lock conflict, retrying the unit of work (%s)", attempt + 1)
            time.sleep(BACKOFF * (2**attempt))
    raise AssertionError("unreachable")  # pragma: no cover
