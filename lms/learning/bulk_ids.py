"""Ids taken ahead: the rows a bulk write adds get their ids from the sequence in one query.

An INSERT of many rows whose ids the database chooses must return them, so SQLAlchemy sends
it as one statement with a placeholder per value ("insertmanyvalues"). psycopg rewrites the
placeholders of a statement in Python at every execution (it caches only short statements):
for the bridge's batch of certificates, users, evidence and statistics rows that is tens of
thousands of placeholders, about a tenth of a follower's time in a profile. With the ids
known before the flush (``nextval`` of the table's sequence, as many as needed, in one round
trip), the ORM sends one short INSERT for all the rows of a table (psycopg's ``executemany``,
pipelined) and reads nothing back.

PostgreSQL only: SQLite has no sequence to take from, and its driver has no such cost.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, inspect, text
from sqlalchemy.orm import Session

from lms.extensions import db

#: Fewer new rows of a table than this go the usual way (one INSERT returning the ids costs
#: the same round trip as taking them ahead).
AT_LEAST = 2

_NEXT = text("SELECT nextval(CAST(:sequence AS regclass)) FROM generate_series(1, :count)")
_sequences: dict[tuple[str, str], str | None] = {}


@contextmanager
def taken_ahead() -> Iterator[None]:
    """While inside, every flush of this session takes the new rows' ids ahead."""
    session = db.session()
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    event.listen(session, "before_flush", _take_ids)
    try:
        yield
    finally:
        event.remove(session, "before_flush", _take_ids)


def _take_ids(session: Session, _context: Any, _instances: Any) -> None:
    """``before_flush``: give the pending rows of each table with a sequence their ids."""
    waiting: dict[tuple[str, str], tuple[str, list[Any]]] = {}
    for obj in session.new:
        state = inspect(obj)
        mapper = state.mapper
        table = mapper.local_table
        column = getattr(table, "autoincrement_column", None)
        if column is None or mapper.persist_selectable is not table:
            continue
        key = mapper.get_property_by_column(column).key
        if getattr(obj, key) is not None:
            continue
        waiting.setdefault((table.name, column.name), (key, []))[1].append(state)
    for (name, column_name), (key, states) in waiting.items():
        sequence = _sequence(session, name, column_name)
        if sequence is None or len(states) < AT_LEAST:
            continue
        ids = sorted(session.execute(_NEXT, {"sequence": sequence, "count": len(states)}).scalars())
        # In the order they were added, as the database would have numbered them.
        for state, new_id in zip(sorted(states, key=_added), ids, strict=True):
            setattr(state.obj(), key, int(new_id))


def _added(state: Any) -> int:
    return int(state.insert_order or 0)


def _sequence(session: Session, table: str, column: str) -> str | None:
    """The sequence behind ``table``'s id (``serial``), looked up once."""
    if (table, column) not in _sequences:
        _sequences[(table, column)] = session.execute(
            text("SELECT pg_get_serial_sequence(:table, :column)"),
            {"table": table, "column": column},
        ).scalar()
    return _sequences[(table, column)]
