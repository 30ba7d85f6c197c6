"""The bridge: statements stored in the LRS become enrollments, completions, certificates.

It runs after the statements are committed (never inside the LRS's request), in stored
order, and exactly once per statement:

* One cursor row (``bridge_cursor.last_seq``) says how far it has read. A batch locks it
  (``SELECT ... FOR UPDATE`` on PostgreSQL, the write lock on SQLite), applies the effects
  of the statements after it, and advances it **in the same transaction**: a crash or a
  retry repeats the whole batch or nothing. A statement sent twice is stored once by the
  LRS, so it is read once here.
* It reads only statements stored before :func:`consistent_through` (every
  earlier statement is visible) and stops at the first newer one. A lower ``seq`` can still
  commit after a higher one was read; the sequence numbers the cursor skipped are kept in
  ``bridge_gaps`` and looked at again until every transaction that could fill them ended.
* Each statement about a course is applied in its own savepoint: one that fails is held in
  ``bridge_unmatched`` with the reason, and the batch goes on.
* Whose statements may move anything is decided by :mod:`lms.learning.rules`; the others are
  counted as ignored by rule (``bridge_ignored_sources``), never applied, never pending.

This module runs batches (the cursor, partitions handed over, the collector held); the rest is
beside it: :mod:`~lms.learning.bridge_batch` (what a batch looks up once),
:mod:`~lms.learning.bridge_apply` (one statement, or a run in bulk through
:mod:`~lms.learning.bulk`), :mod:`~lms.learning.bridge_gaps` (a batch's share of the stored
statements and the gaps) and :mod:`~lms.learning.bridge_status` (how far behind it is). The
names other modules use are importable from here.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app
from sqlalchemy import func, select

from lms.db import utcnow
from lms.extensions import db
from lms.learning import mappings, partitions
from lms.learning.bridge_apply import apply_items, handle, route
from lms.learning.bridge_batch import (
    APPLIED,
    IGNORED,
    IGNORED_BY_RULE,
    UNMATCHED,
    Batch,
    consistent_through,
    new_batch,
    statement_time,
)
from lms.learning.bridge_gaps import Share, count_ignored, note_gaps, ready, recheck_gaps
from lms.learning.bridge_status import RUNS_KEPT_DAYS, prune_runs, status
from lms.learning.cursor import (
    cursors,
    ensure_cursor,
    lock_all,
    lock_cursor,
    partition_count,
    row_id,
)
from lms.learning.models import BridgeCursor, BridgeGap, BridgeRun, BridgeUnmatched
from lms.xapi import services as lrs
from lms.xapi.services import StoredStatement

__all__ = [
    "APPLIED",
    "IGNORED",
    "IGNORED_BY_RULE",
    "RUNS_KEPT_DAYS",
    "UNMATCHED",
    "Batch",
    "batch_size",
    "consistent_through",
    "handle",
    "has_ready",
    "new_batch",
    "process_pending",
    "prune_runs",
    "reprocess",
    "route",
    "run_batch",
    "statement_time",
    "status",
]

logger = logging.getLogger(__name__)

#: Statements per transaction. A batch holds the rows it changes (a certificate serial
#: counter, statistics rollups) until it commits, so it is kept short; below about 2,000 the
#: work paid once per batch shows (measured with ``bench/bridge.py``: 2,000 applied about a
#: tenth more statements per second than 1,000, 4,000 no more than 2,000).
BATCH_SIZE = 2000


def batch_size() -> int:
    return max(1, int(current_app.config.get("BRIDGE_BATCH_SIZE", BATCH_SIZE)))


def _hand_over(desired: int, *, wait: bool) -> bool:
    """Move to ``desired`` partitions (``LMS_BRIDGE_PARTITIONS`` changed); commits.

    Under every partition's lock: the remembered gaps are looked at for the last time; while
    one may still fill, the handover waits for a later batch (a statement in it could belong
    to any partition). Then the old cursors are kept and every new partition starts at the
    lowest (:mod:`lms.learning.partitions`). False when it could not be done now.
    """
    rows = lock_all(wait=wait, unless=desired)
    if rows is None:
        db.session.commit()
        return False
    if partition_count() == desired:  # another batch made it meanwhile
        db.session.commit()
        return True
    until = consistent_through()
    batch = new_batch()
    kept = partitions.handovers()
    for partition in range(len(rows)):
        recheck_gaps(until, batch, Share(partition, len(rows), kept))
    count_ignored(batch)
    if db.session.scalar(select(func.count()).select_from(BridgeGap)):
        db.session.commit()
        return False
    old = [row.last_seq for row in rows]
    start = partitions.record_handover(old)
    for row in rows:
        if row.id > desired:
            db.session.delete(row)
        else:
            row.last_seq, row.updated_at = start, utcnow()
    db.session.flush()
    for partition in range(len(rows), desired):
        ensure_cursor(row_id(partition), start)
    db.session.commit()
    logger.info("Bridge partitions: %s -> %s, all starting after %s", len(rows), desired, start)
    return True


@contextmanager
def collector_paused() -> Iterator[None]:
    """Hold the cyclic garbage collector while a batch runs, and let it run after.

    A batch allocates a few hundred thousand short-lived objects (rows, statements, ORM
    states); each time their count passes the collector's threshold it walks the young
    objects, and every so often the whole heap (the application, its mappers and templates).
    Profiled on a follower, those passes took about a third of a batch. Reference counting
    still frees what a batch drops at once; the few cycles it leaves are collected at the
    first allocation after the batch, in one pass. The switch is the process's: a batch that
    finds it off (another thread's batch, a caller's choice) leaves it as it is.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def run_batch(size: int | None = None, *, wait: bool = True, partition: int = 0) -> int | None:
    """Process up to ``size`` statements of ``partition`` in one transaction and commit.

    Returns how many statements were read, or None when another process holds the cursor
    (``wait=False``) or the partition does not exist (fewer partitions now).
    """
    with collector_paused():
        return _run_batch(size, wait=wait, partition=partition)


def _run_batch(size: int | None, *, wait: bool, partition: int) -> int | None:
    size = size or batch_size()
    desired = partitions.configured()
    current = partition_count()
    mappings.refresh_changed()
    # Its own transaction (see refresh_changed); and on SQLite a transaction that read cannot
    # take the write lock after another writer committed.
    db.session.commit()
    if current != desired:
        _hand_over(desired, wait=wait)
    cursor = lock_cursor(wait=wait, partition=partition)
    if cursor is None:
        db.session.commit()
        return None
    count = partition_count()
    started = utcnow()
    until = consistent_through()
    batch = new_batch()
    postgres = db.session.get_bind().dialect.name == "postgresql"
    share = Share(partition, count, partitions.handovers())
    done = recheck_gaps(until, batch, share)
    first = cursor.last_seq
    items = ready(lrs.read_after(first, limit=size * count, step_over=batch.step_over()), until)
    stepped = sum(item.stepped_over for item in items)
    mine = share.mine([item for item in items if not item.stepped_over])
    batch.prefetch(mine)
    apply_items(mine, batch)
    if items:
        if postgres:
            note_gaps(first, items, partition)
        cursor.last_seq = items[-1].seq
    cursor.updated_at = utcnow()
    if share.kept:
        db.session.flush()
        partitions.prune_handovers(min(cursors()))
    count_ignored(batch)
    if mine or done or stepped:
        db.session.add(
            BridgeRun(
                partition=partition,
                started_at=started,
                finished_at=utcnow(),
                from_seq=first + 1,
                to_seq=cursor.last_seq,
                statements=len(mine) + done + stepped,
                applied=batch.applied,
                unmatched=batch.unmatched,
                ignored_by_rule=batch.ignored_by_rule,
            )
        )
    db.session.commit()
    if items:
        logger.info(
            "Bridge partition %s processed statements %s-%s (%s applied, %s held)",
            partition,
            first + 1,
            cursor.last_seq,
            batch.applied,
            batch.unmatched,
        )
    return len(items) + done


def process_pending(
    limit: int | None = None, *, wait: bool = True, partition: int | None = None
) -> int:
    """Process what is pending (at most ``limit`` statements per partition) of ``partition``
    or, when None, of every partition in turn; returns how many were read.

    With ``wait=False`` it gives way when another process is already at it, and that one
    looks again after its last batch, so nothing stored before is left behind.
    """
    if partition is None:
        first = _process_partition(limit, wait, 0)  # hands over first, when the number changed
        rest = range(1, max(partitions.configured(), partition_count()))
        return first + sum(_process_partition(limit, wait, k) for k in rest)
    return _process_partition(limit, wait, partition)


def _process_partition(limit: int | None, wait: bool, partition: int) -> int:
    total = 0
    size = batch_size() if limit is None else max(1, min(batch_size(), limit))
    while limit is None or total < limit:
        count = run_batch(size, wait=wait, partition=partition)
        if count is None:
            break
        total += count
        if count < size and not has_ready(partition):
            break
    return total


def has_ready(partition: int = 0) -> bool:
    """Whether a statement is waiting that a batch of ``partition`` could read now."""
    cursor = db.session.get(BridgeCursor, row_id(partition))
    ready = False
    if cursor is not None:
        items = lrs.read_after(cursor.last_seq, limit=1)
        ready = bool(items) and items[0].stored < consistent_through()
    # End the read: on SQLite a transaction that read cannot write after another writer.
    db.session.commit()
    return ready


def reprocess(row: BridgeUnmatched, batch: Batch | None = None) -> str:
    """Apply a held statement again (after its actor was linked); returns the outcome.

    Pass one ``batch`` when reprocessing many, so platforms are looked up once.
    """
    raw = lrs.statement_by_id(row.statement_id)
    if raw is None:
        return IGNORED
    voided = bool(lrs.voided_ids([row.statement_id]))
    item = StoredStatement(seq=row.seq, stored=row.stored, statement=dict(raw), voided=voided)
    return handle(item, batch or new_batch())
