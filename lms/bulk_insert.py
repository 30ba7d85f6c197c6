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
from sqlalchemy import Table
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

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
    defaults: dict[str, Callable[[], Any]] = {}
    for column in table.columns:
        default = column.default
        if column.name in given or default is None:
            continue
        if default.is_callable:
            defaults[column.name] = functools.partial(default.arg, None)  # type: ignore[attr-defined]
        elif default.is_scalar:
            defaults[column.name] = functools.partial(lambda value: value, default.arg)  # type: ignore[attr-defined]
    names = given + list(defaults)
    processors = [table.c[name].type.bind_processor(conn.dialect) for name in names]
    quoted = ", ".join(conn.dialect.identifier_preparer.quote(name) for name in names)
    sql = f"COPY {conn.dialect.identifier_preparer.format_table(table)} ({quoted}) FROM STDIN"
    _copy(conn, sql, rows, given, defaults, processors)


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
