"""Locks for decisions that read and then write: one decider at a time, on both databases.

A service that checks a state and then changes it (revoke a certificate that is valid, close
a year that is not closed, enrol someone not yet enrolled) holds a lock on what it decides on
from the check to the commit. Without it, parallel requests all pass the check and all write;
with it, the first one writes and the others read what it wrote and answer accordingly (409,
or the idempotent answer).

* PostgreSQL: ``SELECT ... FOR NO KEY UPDATE`` on the row decided on (other deciders wait
  for the commit and then read the row as it is then; inserting rows that merely reference
  it is not held up), or a transaction-scoped advisory lock when the decision is about rows
  that do not exist yet (an import).
* SQLite has no row locks and one writer at a time: the transaction takes the database's
  write lock before it reads what it decides on. A transaction that has only read so far
  cannot be turned into a writing one once another writer has committed (SQLite refuses at
  once, "database is locked", whatever the busy timeout). So a transaction that has written
  nothing yet is ended and replaced by one begun with ``BEGIN IMMEDIATE``, which waits for
  the lock like any writer; one that has written already holds the lock.

Call these before reading what the decision is about: the row a lock function returns is
read under the lock; other objects loaded earlier keep the values they had.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar, cast

from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import IntegrityError, InvalidRequestError

from lms.db import SQLITE_CHANGES_AT_BEGIN, SQLITE_WRITE_LOCKED, Model
from lms.errors import DomainError
from lms.extensions import db

M = TypeVar("M", bound=Model)

#: Rows locked per statement when many are locked at once.
CHUNK = 1000


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def hold_write_lock() -> None:
    """On SQLite, hold the database's write lock until this transaction ends.

    Pending changes are flushed first (they are part of the transaction being kept). On
    PostgreSQL this does nothing: callers lock rows there (:func:`lock`, :func:`lock_row`).
    """
    session = db.session
    if session.new or session.dirty or session.deleted:
        session.flush()
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        return
    info = conn.info
    raw = cast(sqlite3.Connection, conn.connection.driver_connection)
    if info.get(SQLITE_WRITE_LOCKED) or raw.total_changes != info.get(SQLITE_CHANGES_AT_BEGIN):
        # A write of this transaction took the lock already, and keeps it to the end.
        info[SQLITE_WRITE_LOCKED] = True
        return
    if conn.in_nested_transaction():
        # A SAVEPOINT cannot outlive its transaction: write nothing, but write, to take the lock.
        table = db.metadata.sorted_tables[0]
        conn.execute(text(f"UPDATE {table.name} SET rowid = rowid WHERE 0 = 1"))  # noqa: S608 - a table name from our own metadata
    else:
        # Nothing written: ending the transaction loses nothing, and the new one waits for the
        # lock (busy_timeout) instead of being refused for reading an older snapshot.
        if raw.in_transaction:
            raw.execute("COMMIT")
        raw.execute("BEGIN IMMEDIATE")
        info[SQLITE_CHANGES_AT_BEGIN] = raw.total_changes
    info[SQLITE_WRITE_LOCKED] = True


def lock_row(entity: type[M], ident: Any) -> M | None:
    """The row ``ident`` of ``entity`` read under a lock held to the end of the transaction.

    None when the row is gone (deleted by whoever held the lock before). An object of the
    identity map is refreshed in place: its columns from the row as it is now, its
    relationships loaded again when next used.
    """
    session = db.session
    if session.new or session.dirty or session.deleted:
        session.flush()
    if _postgres():
        # The lock alone first: a statement that waited for a lock sees the locked row as
        # committed meanwhile but everything else as it was when it started, so the row and
        # what hangs on it are read by the next statements.
        (pk,) = inspect(entity).primary_key
        locked = select(pk).where(pk == ident).with_for_update(key_share=True)
        if session.execute(locked).first() is None:
            return None
    else:
        hold_write_lock()
    loaded = session.identity_map.get(session.identity_key(entity, ident))
    if loaded is None:
        return session.get(entity, ident, populate_existing=True)
    try:
        session.refresh(loaded)
    except InvalidRequestError:  # "Could not refresh instance": the row was deleted
        return None
    return cast(M, loaded)


def lock(obj: M) -> M | None:
    """:func:`lock_row` for a loaded object (refreshed in place); None when it was deleted."""
    identity = inspect(obj).identity
    if identity is None:  # pending: nobody else can see it yet
        return obj
    key = identity[0] if len(identity) == 1 else identity
    return lock_row(type(obj), key)


def lock_rows(entity: type[Model], ids: Iterable[int]) -> None:
    """Lock many rows of ``entity`` by primary key, in key order (so lockers never deadlock)."""
    ordered = sorted(set(ids))
    if not ordered:
        return
    if not _postgres():
        hold_write_lock()
        return
    pk = inspect(entity).primary_key[0]
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start : start + CHUNK]
        db.session.execute(
            select(pk).where(pk.in_(chunk)).order_by(pk).with_for_update(key_share=True)
        )


def lock_name(name: str, *, shared: bool = False) -> None:
    """A lock on a name, for decisions about rows that may not exist yet (imports, the tree).

    PostgreSQL: a transaction-scoped advisory lock on a 64-bit hash of ``name``; ``shared``
    holders do not wait for one another, only for (and hold off) an exclusive one, as
    incremental updates of aggregates do for a rebuild of them. SQLite: the write lock.
    """
    if not _postgres():
        hold_write_lock()
        return
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    key = int.from_bytes(digest, "big", signed=True)
    advisory = func.pg_advisory_xact_lock_shared if shared else func.pg_advisory_xact_lock
    db.session.execute(select(advisory(key)))


@contextmanager
def insert_unique(conflict: Callable[[], DomainError | None]) -> Iterator[None]:
    """Flush the rows the block adds under a SAVEPOINT; a unique key that a parallel request
    took meanwhile raises ``conflict()`` instead of a 500.

    For creations decided by an existence check ("code already used") with no row to lock:
    the check answers requests that come one after another, the unique index those that come
    at the same moment, and ``conflict`` makes the second answer the same as the first. It
    may read the database (the SAVEPOINT keeps the transaction usable), or raise itself; None
    re-raises the database's error. Add the new rows inside the block: rows pending before it
    are flushed before the SAVEPOINT begins, and their failure ends the whole transaction.
    """
    try:
        with db.session.begin_nested():
            yield
            db.session.flush()
    except IntegrityError:
        error = conflict()
        if error is None:
            raise
        raise error from None
