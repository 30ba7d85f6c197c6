"""``LMS_DATABASE_PGBOUNCER``: no server-side prepared statements, which pgbouncer's
transaction mode cannot carry from one transaction to the next (another server connection
may serve it). Checked on the server itself: ``pg_prepared_statements`` of the app's own
connection after it ran one query more often than psycopg's threshold (five)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from lms.config import load_config
from lms.extensions import db
from tests.conftest import _create_postgres_database, _drop_postgres_database, make_test_app

PG_ADMIN_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A PostgreSQL database of its own (whatever the suite runs on): prepared statements
    exist only there."""
    admin_url = os.environ.get("LMS_TEST_DATABASE_URL") or PG_ADMIN_DEFAULT
    url, name = _create_postgres_database(admin_url)
    yield url
    _drop_postgres_database(admin_url, name)


def _prepared_after_repeating_a_query(url: str, env: dict[str, str], tmp_path: Path) -> int:
    options = load_config(str(tmp_path), env={"LMS_SECRET_KEY": "s", **env})
    app = make_test_app(url, SQLALCHEMY_ENGINE_OPTIONS=options["SQLALCHEMY_ENGINE_OPTIONS"])
    with app.app_context():
        try:
            for n in range(8):
                db.session.execute(text("SELECT :n + 1"), {"n": n}).scalar_one()
            return int(
                db.session.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar_one()
            )
        finally:
            db.session.remove()
            db.engine.dispose()


@pytest.mark.postgres
def test_behind_pgbouncer_no_statement_is_prepared_on_the_server(
    pg_url: str, tmp_path: Path
) -> None:
    assert _prepared_after_repeating_a_query(pg_url, {"LMS_DATABASE_PGBOUNCER": "1"}, tmp_path) == 0


@pytest.mark.postgres
def test_straight_to_postgresql_repeated_queries_are_prepared(pg_url: str, tmp_path: Path) -> None:
    """The default keeps psycopg's preparing (faster repeated queries on a direct connection);
    this is also what shows the check above can see a prepared statement."""
    assert _prepared_after_repeating_a_query(pg_url, {}, tmp_path) >= 1
