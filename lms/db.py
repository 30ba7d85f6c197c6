"""The declarative base, column shapes shared by every model, and database helpers."""

from __future__ import annotations

import logging
import select
import time
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import JSON, DateTime, Integer, MetaData, String, Table, TypeDecorator, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, mapped_column
from sqlalchemy.pool import Pool

from lms.replicas import RoutingSession

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every database.

    SQLite returns naive datetimes; comparing those with aware ones raises, so the tzinfo is
    put back on read and every write is converted to UTC first.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


#: JSON everywhere, JSONB on PostgreSQL (indexable, compact, de-duplicated keys).
JSONType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_uuid() -> str:
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    #: Every model maps one plain table (none maps a join or a select). SQLAlchemy types
    #: ``__table__`` as any FromClause; saying Table here lets bulk inserts and DDL events
    #: take ``Model.__table__`` without a cast at each call.
    __table__: ClassVar[Table]


IntPK = Annotated[int, mapped_column(Integer, primary_key=True)]
Str50 = Annotated[str, mapped_column(String(50))]
Str200 = Annotated[str, mapped_column(String(200))]
Str255 = Annotated[str, mapped_column(String(255))]
CreatedAt = Annotated[datetime, mapped_column(UTCDateTime, default=utcnow)]
UpdatedAt = Annotated[datetime, mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)]

#: Reads inside a replica scope may go to a streaming replica (``lms.replicas``).
db = SQLAlchemy(model_class=Base, session_options={"class_": RoutingSession})

logger = logging.getLogger(__name__)


def end_sessions_safely(app: Flask) -> None:
    """End each app context's session even when the database dropped its connection.

    Flask-SQLAlchemy removes the session when the context ends; closing it rolls back, and on a
    connection the database has dropped (a restart, a failover, a terminated backend) that
    rollback raises out of the teardown: the WSGI server then answers 500 for a request whose
    answer was already made, and the broken session stays registered. This teardown runs
    before Flask-SQLAlchemy's (teardowns run last registered first) and absorbs that error;
    the pool has invalidated the connection and opens a new one when next asked.
    """

    @app.teardown_appcontext
    def _end_session(exc: BaseException | None) -> None:
        try:
            db.session.remove()
        except Exception:  # the connection is gone: nothing of it is left to end
            logger.warning("Closing the session failed (connection lost)", exc_info=True)
            db.session.registry.clear()


if TYPE_CHECKING:
    # What ``db.Model`` is at run time, spelled so that type checkers can see a class.
    class Model(Base):
        __abstract__ = True
else:
    Model = db.Model


#: A PostgreSQL connection idle longer than this is pinged (a round trip) before it is used;
#: one used more recently is only checked locally (see :func:`_alive`).
PING_AFTER_IDLE_SECONDS = 10.0
_CHECKED_IN = "lms_checked_in"


@event.listens_for(Pool, "checkin")
def _checked_in(dbapi_connection: Any, connection_record: Any) -> None:
    if connection_record is not None:
        connection_record.info[_CHECKED_IN] = time.monotonic()


@event.listens_for(Pool, "checkout")
def _alive(dbapi_connection: Any, connection_record: Any, connection_proxy: Any) -> None:
    """Refuse a dead PostgreSQL connection before a request gets it; the pool opens another.

    ``pool_pre_ping`` asks the server on every checkout: a round trip per request, about 5 %
    of an LRS worker's time under load. A server that ends a connection (restart, failover,
    ``pg_terminate_backend``) sends a last message and closes the socket, so a connection in
    the pool that the server has ended has something to read: one ``select`` with no wait
    sees it, as go-sql-driver/mysql's ``connCheck`` does. Anything else waiting there (the
    server's notice of a setting changed by a configuration reload) also retires the
    connection: a new one costs a few milliseconds, once. A connection idle for a while is
    pinged as before, for what the socket cannot show (a firewall that dropped it silently).
    """
    if type(dbapi_connection).__module__.split(".")[0] != "psycopg":
        return
    if dbapi_connection.closed:
        raise DisconnectionError("connection closed")
    idle = time.monotonic() - connection_record.info.get(_CHECKED_IN, 0.0)
    try:
        if idle > PING_AFTER_IDLE_SECONDS:
            _ping(dbapi_connection)
        else:
            readable, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
            if readable:
                raise DisconnectionError("the server ended the connection")
    except DisconnectionError:
        raise
    except Exception as exc:
        raise DisconnectionError(str(exc)) from exc


def _ping(dbapi_connection: Any) -> None:
    """``SELECT 1`` outside any transaction (as SQLAlchemy's own pre-ping does)."""
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    try:
        dbapi_connection.execute("SELECT 1")
    finally:
        if not dbapi_connection.closed:
            dbapi_connection.autocommit = autocommit


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """Turn on foreign keys and WAL for SQLite, and let SQLAlchemy own transactions.

    pysqlite's own BEGIN handling breaks SAVEPOINTs (used for all-or-nothing batches and for
    test isolation); the SQLAlchemy docs' recipe hands BEGIN to the ``begin`` event below.
    """
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


#: Keys of a SQLite connection's ``info``: its change counter when the transaction began, and
#: whether the transaction holds the write lock (see :mod:`lms.locks`).
SQLITE_CHANGES_AT_BEGIN = "lms_changes_at_begin"
SQLITE_WRITE_LOCKED = "lms_write_locked"

#: Requests that may write; on SQLite their transactions begin holding the write lock.
WRITING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _in_writing_request() -> bool:
    from flask import has_request_context, request

    return has_request_context() and request.method in WRITING_METHODS


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn: Any) -> None:
    """Begin SQLite transactions, with the write lock at once in requests that may write.

    SQLite refuses at once (whatever the busy timeout) to let a transaction that has read
    write after another connection has committed, so under parallel requests a plain BEGIN
    turns into "database is locked" 500s at the first write. ``BEGIN IMMEDIATE`` waits for
    the lock instead, as Rails and Django do for SQLite; readers are not held up (WAL).
    """
    if conn.dialect.name == "sqlite":
        immediate = _in_writing_request()
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
        conn.info[SQLITE_CHANGES_AT_BEGIN] = conn.connection.driver_connection.total_changes
        conn.info[SQLITE_WRITE_LOCKED] = immediate


def is_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"
