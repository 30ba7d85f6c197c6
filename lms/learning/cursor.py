"""The bridge's cursor rows (one per partition), and the locks that make one batch of a
partition run at a time."""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from lms.extensions import db
from lms.learning.models import BridgeCursor

CURSOR_ID = 1


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def row_id(partition: int) -> int:
    return CURSOR_ID + partition


def ensure_cursor(ident: int = CURSOR_ID, last_seq: int = 0) -> None:
    """Create a cursor row if it is missing (idempotent, safe under concurrency)."""
    if db.session.get(BridgeCursor, ident) is not None:
        return
    verb = "INSERT" if _dialect() == "postgresql" else "INSERT OR IGNORE"
    tail = " ON CONFLICT (id) DO NOTHING" if _dialect() == "postgresql" else ""
    db.session.execute(
        text(
            f"{verb} INTO bridge_cursor (id, last_seq, updated_at, email_synced_user_id) "
            f"VALUES (:id, :seq, CURRENT_TIMESTAMP, 0){tail}"
        ),
        {"id": ident, "seq": last_seq},
    )


def read_cursor() -> BridgeCursor:
    """Row 1 without a lock: partition 0's cursor and the shared bookkeeping."""
    ensure_cursor()
    row = db.session.get(BridgeCursor, CURSOR_ID)
    assert row is not None  # noqa: S101 - ensure_cursor just wrote it
    return row


def partition_count() -> int:
    """How many partitions the bridge runs now: its cursor rows (at least the first, made by
    the first batch). Only reads: SQLite could not take its write lock after it."""
    return max(1, int(db.session.scalar(select(func.count()).select_from(BridgeCursor)) or 0))


def cursors() -> list[int]:
    """``last_seq`` of each partition, in partition order."""
    ensure_cursor()
    return list(db.session.scalars(select(BridgeCursor.last_seq).order_by(BridgeCursor.id)))


def lock_cursor(*, wait: bool = True, partition: int = 0) -> BridgeCursor | None:
    """Lock a partition's cursor row for this transaction; None when another batch holds it
    (``wait`` false) or the partition does not exist (any more).

    PostgreSQL: ``SELECT ... FOR UPDATE`` (``SKIP LOCKED`` when ``wait`` is false). SQLite has
    one writer at a time: a no-op UPDATE takes the database's write lock before anything is
    read, so two processes cannot read the same position.
    """
    ident = row_id(partition)
    if _dialect() == "postgresql":
        if partition == 0:
            ensure_cursor()
        query = select(BridgeCursor).where(BridgeCursor.id == ident)
        query = query.with_for_update() if wait else query.with_for_update(skip_locked=True)
        return db.session.scalar(query.execution_options(populate_existing=True))
    # The UPDATE comes first: a transaction that has read cannot take the lock once another
    # writer has committed (SQLite refuses it at once instead of waiting).
    db.session.execute(text("UPDATE bridge_cursor SET id = id WHERE id = :id"), {"id": CURSOR_ID})
    if partition == 0:
        ensure_cursor()
    return db.session.get(BridgeCursor, ident, populate_existing=True)


def lock_all(*, wait: bool = True, unless: int | None = None) -> list[BridgeCursor] | None:
    """Lock every partition's cursor, in order (what runs beside no batch at all); None when
    one is held and ``wait`` is false.

    With ``unless``: once the first is locked, when there are that many partitions already,
    only the first is returned (a handover someone else just made: the others are not asked
    for, as a batch holding one may be waiting for the first).
    """
    first = lock_cursor(wait=wait)
    if first is None:
        return None
    if unless is not None and partition_count() == unless:
        return [first]
    query = select(BridgeCursor).where(BridgeCursor.id > CURSOR_ID).order_by(BridgeCursor.id)
    if _dialect() == "postgresql":
        query = query.with_for_update() if wait else query.with_for_update(nowait=True)
    try:
        with db.session.begin_nested():
            rest = list(db.session.scalars(query.execution_options(populate_existing=True)))
    except OperationalError:  # NOWAIT: a batch holds one
        if wait:
            raise
        return None
    return [first, *rest]
