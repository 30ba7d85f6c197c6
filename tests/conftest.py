"""Fixtures: one app per test session, one isolated transaction per test.

SQLite by default; PostgreSQL when ``LMS_TEST_DATABASE_URL`` points at a server (CI sets it):
a fresh database is created for this run and dropped at the end. Each test runs inside a
transaction that is rolled back, with the session's commits turned into SAVEPOINTs.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app
from flask.testing import FlaskClient
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.orm import scoped_session, sessionmaker
from werkzeug.serving import make_server

from lms import create_app
from lms.config import config_for_tests
from lms.extensions import db as _db
from tests.factories import make_token

pytest_plugins = ["tests.e2e.fixtures", "tests.races", "tests.redis_server", "tests.replica"]


def _create_postgres_database(admin_url: str) -> tuple[str, str]:
    url = make_url(admin_url)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    name = f"lms_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False), name


def _drop_postgres_database(admin_url: str, name: str) -> None:
    url = make_url(admin_url)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    admin_url = os.environ.get("LMS_TEST_DATABASE_URL")
    if admin_url:
        url, name = _create_postgres_database(admin_url)
        yield url
        _drop_postgres_database(admin_url, name)
    else:
        path: Path = tmp_path_factory.mktemp("db") / "test.sqlite3"
        yield f"sqlite:///{path}"


def create_schema() -> None:
    """The models' tables, stamped as the migrations' head (as ``flask db upgrade`` leaves a
    database, so ``/readyz`` finds the schema current)."""
    _db.create_all()
    directory = current_app.extensions["migrate"].directory
    with _db.engine.begin() as conn:
        MigrationContext.configure(conn).stamp(ScriptDirectory(directory), "head")


def make_test_app(database_url: str, **overrides: object) -> Flask:
    return create_app(config_for_tests() | {"SQLALCHEMY_DATABASE_URI": database_url} | overrides)


@contextmanager
def throwaway_app(folder: Path, *, schema: bool = True, **overrides: object) -> Iterator[Flask]:
    """An app on a database of its own, dropped afterwards.

    For what cannot see through the ``db`` fixture's rolled-back transaction: a server thread,
    a browser, Alembic. The database is PostgreSQL when the suite runs on it (a new one, named
    for this run), else an SQLite file in ``folder``; the schema is built unless ``schema`` is
    false (the migration tests build it themselves). ``overrides`` go to the config.
    """
    admin_url = os.environ.get("LMS_TEST_DATABASE_URL")
    name = None
    if admin_url:
        url, name = _create_postgres_database(admin_url)
    else:
        url = f"sqlite:///{folder / 'app.sqlite3'}"
    app = make_test_app(url, **overrides)
    if schema:
        with app.app_context():
            create_schema()
    try:
        yield app
    finally:
        with app.app_context():
            _db.session.remove()
            _db.engine.dispose()
        if admin_url and name:
            _drop_postgres_database(admin_url, name)


def _closed_when_sent(app: Flask) -> Any:
    """The app, its responses closed as soon as they are sent.

    Werkzeug's development server closes a response only after draining what the client may
    still send; when the browser has already dropped the connection (a page closed while its
    favicon was on the way) that drain raises first, the response is never closed, and its
    static file is left for the garbage collector, which warns (ResourceWarning) in whatever
    test runs then. A generator's ``finally`` runs when the last chunk is taken, or when the
    abandoned generator is collected, so the file is always closed.
    """

    def wsgi(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        body = app(environ, start_response)
        try:
            yield from body
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()

    return wsgi


@contextmanager
def serving(app: Flask, port: int = 0) -> Iterator[str]:
    """``app`` served by a threaded server on 127.0.0.1 (``port``, or any free one); its URL."""
    server = make_server("127.0.0.1", port, _closed_when_sent(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def free_port() -> int:
    """A port nobody listens on now, for an app that must know its own URL before serving."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def app(database_url: str) -> Iterator[Flask]:
    app = make_test_app(database_url)
    with app.app_context():
        create_schema()
    yield app
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def db(app: Flask) -> Iterator[object]:
    """The database, isolated: everything a test writes is rolled back after it."""
    with app.app_context():
        connection = _db.engine.connect()
        transaction = connection.begin()
        original = _db.session
        _db.session = scoped_session(
            sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
            scopefunc=_app_ctx_id,
        )
        try:
            yield _db
        finally:
            _db.session.remove()
            _db.session = original
            transaction.rollback()
            connection.close()


@pytest.fixture
def client(app: Flask, db: object) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def auth_headers(db: object):  # type: ignore[no-untyped-def]
    """``auth_headers(user)`` -> headers carrying a fresh bearer token for ``user``."""

    def make(user: object) -> dict[str, str]:
        return {"Authorization": f"Bearer {make_token(user)}"}

    return make
