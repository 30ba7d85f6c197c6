"""Many plain rows into one table at once: ``COPY`` on PostgreSQL, one ``INSERT`` elsewhere.

For rows a bulk operation writes and never reads back as objects in the same transaction (the
learning bridge's evidence, identities, memberships and statistics holdings). Through the ORM,
or even as a core ``INSERT`` sent with ``executemany``, each row is a statement of its own for
the driver to prepare and send and for PostgreSQL to parse and execute: in a profile of the
bridge's batch the driver's share of those rows was as large as the database's. ``COPY`` sends
them as one stream.

The values are converted by each column's SQLAlchemy type first (enums to their names, the
project's UTC datetimes), so the database receives what an ``INSERT`` would have sent. Column
defaults that SQLAlchemy computes in Python (``created_at``) are filled in for the columns a row
leaves out; the id comes from its sequence as with an ``INSERT``. Run inside the session's
transaction (and savepoint): a failure rolls back with it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy import Table, inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.sql import sqltypes

from lms.extensions import db


def insert_rows(table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys, column names) into ``table``."""
    if not rows:
        return
    conn = db.session.connection()
    if conn.dialect.name != "postgresql":
        conn.execute(table.insert(), list(rows))
        return
    given = list(rows[0])
    defaults: dict[str, Callable[[], Any]] = {
        column.name: functools.partial(_default, column)
        for column in table.columns
        if column.name not in given and column.default is not None
    }
    names = given + list(defaults)
    processors = [_processor(table.c[name].type, conn.dialect) for name in names]
    quoted = ", ".join(conn.dialect.identifier_preparer.quote(name) for name in names)
    sql = f"COPY {conn.dialect.identifier_preparer.format_table(table)} ({quoted}) FROM STDIN"
    _copy(conn, sql, rows, given, defaults, processors)


def _processor(type_: Any, dialect: Any) -> Callable[[Any], Any] | None:
    """The column type's conversion of a value, as the driver should receive it for COPY.

    JSON is given to psycopg as ``Jsonb`` (the ORM's INSERT has the dialect do it; a list
    left as it is would be written as an array). None stays SQL NULL.
    """
    if isinstance(type_.dialect_impl(dialect), sqltypes.JSON):
        return lambda value: None if value is None else Jsonb(value)
    return type_.bind_processor(dialect)


def _copy(
    conn: Connection,
    sql: str,
    rows: Sequence[dict[str, Any]],
    given: list[str],
    defaults: dict[str, Callable[[], Any]],
    processors: list[Any],
) -> None:
    driver = conn.connection.driver_connection
    extra = list(defaults.values())
    try:
        with driver.cursor() as cursor, cursor.copy(sql) as copy:  # type: ignore[union-attr]
            for row in rows:
                values = [row[name] for name in given] + [make() for make in extra]
                copy.write_row(
                    [
                        value if process is None else process(value)
                        for value, process in zip(values, processors, strict=True)
                    ]
                )
    except psycopg.Error as exc:
        # As SQLAlchemy would raise it (a deadlock is an OperationalError the bridge retries).
        raise DBAPIError.instance(sql, None, exc, psycopg.Error) from exc


def insert_objects(objects: Sequence[Any]) -> None:
    """Insert new ORM objects of one class and make them persistent, as a flush would.

    On PostgreSQL their ids are taken from the table's sequence in one query, their columns
    go by :func:`insert_rows`, and each object joins the session as a row already stored
    (``make_transient_to_detached``, then ``add``): the same identity, committed values and
    later changes as after a flush, without the unit of work's per-row cost; the mapper's
    ``before_insert`` and ``after_insert`` listeners are called as a flush calls them. A class
    with a column the database fills itself (a server default without a Python one) goes
    through the usual flush, as does everything on SQLite. Relationships are not followed:
    give the objects' foreign keys as ids, and insert related new objects separately.
    """
    if not objects:
        return
    session = db.session()
    mapper = inspect(objects[0]).mapper
    table = mapper.local_table
    id_column = getattr(table, "autoincrement_column", None)
    columns = [
        (prop.key, prop.columns[0])
        for prop in mapper.column_attrs
        if prop.columns[0].table is table
    ]
    server_filled = [c for _k, c in columns if c.server_default is not None and c.default is None]
    if (
        session.get_bind().dialect.name != "postgresql"
        or id_column is None
        or not isinstance(table, Table)
        or any(getattr(o, k) is None for o in objects for k, c in columns if c in server_filled)
    ):
        session.add_all(objects)
        session.flush()
        return
    id_key = mapper.get_property_by_column(id_column).key
    waiting = [o for o in objects if getattr(o, id_key) is None]
    if waiting:
        sequence = session.execute(
            text("SELECT pg_get_serial_sequence(:table, :column)"),
            {"table": table.name, "column": id_column.name},
        ).scalar_one()
        ids = sorted(
            session.execute(_NEXT, {"sequence": sequence, "count": len(waiting)}).scalars()
        )
        for obj, new_id in zip(waiting, ids, strict=True):
            setattr(obj, id_key, int(new_id))
    conn = session.connection()
    for obj in objects:  # as a flush calls them (User's search text)
        mapper.dispatch.before_insert(mapper, conn, inspect(obj))
    rows = []
    for obj in objects:
        values = inspect(obj).dict
        for key, column in columns:
            if key not in values:
                setattr(obj, key, _default(column))
        rows.append({column.name: values[key] for key, column in columns})
    insert_rows(table, rows)
    for obj in objects:
        mapper.dispatch.after_insert(mapper, conn, inspect(obj))
        make_transient_to_detached(obj)
    session.add_all(objects)


_NEXT = text("SELECT nextval(CAST(:sequence AS regclass)) FROM generate_series(1, :count)")


def _default(column: Any) -> Any:
    """What SQLAlchemy would put in a column an INSERT leaves out (None without a default)."""
    default = column.default
    if default is None:
        return None
    if default.is_callable:
        return default.arg(None)
    return default.arg if default.is_scalar else None
