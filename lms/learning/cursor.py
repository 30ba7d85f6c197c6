"""The bridge's single cursor row, and the lock that makes one batch run at a time."""

from __future__ import annotations

from sqlalchemy import select, text

from lms.extensions import db
from lms.learning.models import BridgeCursor

CURSOR_ID = 1


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def ensure_cursor() -> None:
    """Create the cursor row if it is missing (idempotent, safe under concurrency)."""
    if db.session.get(BridgeCursor, CURSOR_ID) is not None:
        return
    if _dialect() == "postgresql":
        db.session.execute(
            text(
                "INSERT INTO bridge_cursor (id, last_seq, updated_at, email_synced_user_id) "
                "VALUES (:id, 0, now(), 0) ON CONFLICT (id) DO NOTHING"
            ),
            {"id": CURSOR_ID},
        )
    else:
        db.session.execute(
            text(
                "INSERT OR IGNORE INTO bridge_cursor (id, last_seq, updated_at, "
                "email_synced_user_id) VALUES (:id, 0, CURRENT_TIMESTAMP, 0)"
            ),
            {"id": CURSOR_ID},
        )


def read_cursor() -> BridgeCursor:
    """The cursor row without a lock (for status pages)."""
    ensure_cursor()
    row = db.session.get(BridgeCursor, CURSOR_ID)
    assert row is not None  # noqa: S101 - ensure_cursor just wrote it
    return row


def lock_cursor(*, wait: bool = True) -> BridgeCursor | None:
    """Lock the cursor row for this transaction; None when another batch holds it.

    PostgreSQL: ``SELECT ... FOR UPDATE`` (``NOWAIT`` semantics through ``SKIP LOCKED`` when
    ``wait`` is false). SQLite has one writer at a time: a no-op UPDATE takes the database's
    write lock before anything is read, so two processes cannot read the same position.
    """
    if _dialect() == "postgresql":
        ensure_cursor()
        query = select(BridgeCursor).where(BridgeCursor.id == CURSOR_ID)
        query = query.with_for_update() if wait else query.with_for_update(skip_locked=True)
        return db.session.scalar(query.execution_options(populate_existing=True))
    # The UPDATE comes first: a transaction that has read cannot take the lock once another
    # writer has committed (SQLite refuses it at once instead of waiting).
    db.session.execute(text("UPDATE bridge_cursor SET id = id WHERE id = :id"), {"id": CURSOR_ID})
    ensure_cursor()
    return db.session.get(BridgeCursor, CURSOR_ID, populate_existing=True)
