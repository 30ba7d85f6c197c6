"""Faults of the parts: Redis going away and coming back, the database dropping connections.

Redis is a real ``redis-server`` of the test's own (``tests.redis_server``), stopped mid-test;
the database faults terminate the app's own backends from an admin connection (PostgreSQL).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, Engine, create_engine, make_url, text

import lms.db as lms_db
from lms.auth.models import User
from lms.extensions import db
from lms.jobs.models import Job
from lms.redisclient import RedisLink
from tests.conftest import (
    _create_postgres_database,
    _drop_postgres_database,
    create_schema,
    free_port,
    make_test_app,
)
from tests.factories import make_course, make_token, make_unit, make_user
from tests.races import PARALLEL, fire
from tests.redis_server import RedisServer


def _token(client: FlaskClient, user: User, password: str = "correct horse battery") -> int:
    response = client.post("/api/v1/auth/tokens", json={"email": user.email, "password": password})
    return response.status_code


def test_login_counts_failures_in_redis_while_it_is_up(
    redis_app: Flask, redis_server: RedisServer
) -> None:
    client = redis_app.test_client()
    user = make_user()
    assert _token(client, user, "wrong") == 401
    assert _token(client, user) == 201
    counted = redis_server.client().get(f"lms:rl:login-fail:user:{user.id}")
    assert counted == b"1"


def test_login_token_and_registration_work_with_redis_down_counting_in_memory(
    redis_app: Flask,
    redis_server: RedisServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = redis_app.test_client()
    user = make_user()
    redis_server.stop()
    with caplog.at_level(logging.WARNING, logger="lms.redisclient"):
        assert _token(client, user) == 201
        assert _token(client, user, "wrong") == 401
    assert any("Redis unreachable" in r.getMessage() for r in caplog.records)
    login = client.post("/login", data={"login": user.email, "password": "correct horse battery"})
    assert login.status_code == 302
    client.post("/logout")
    registered = client.post(
        "/register",
        data={
            "login": "moi@example.vn",
            "full_name": "Người Mới",
            "password": "long enough",
            "password2": "long enough",
            "unit": "",
            "consent": "1",  # the privacy notice is agreed to
        },
    )
    assert registered.status_code == 302
    assert db.session.query(User).filter_by(email="moi@example.vn").count() == 1

    # The limit still holds while Redis is down: counted in this process instead.
    monkeypatch.setitem(redis_app.config, "LOGIN_FAILURE_LIMIT", 3)
    answers = [_token(client, user, "wrong") for _ in range(4)]
    assert answers[-1] == 429
    assert _token(client, user) == 429


def test_counters_go_back_to_redis_when_it_returns(
    redis_app: Flask, redis_server: RedisServer
) -> None:
    client = redis_app.test_client()
    user = make_user()
    redis_server.stop()
    assert _token(client, user, "wrong") == 401
    redis_server.start()  # restarted empty, as Redis without persistence is
    assert _token(client, user, "wrong") == 401
    assert redis_server.client().get(f"lms:rl:login-fail:user:{user.id}") == b"1"


def test_a_tripped_breaker_spares_requests_the_timeout(redis_server: RedisServer) -> None:
    link = RedisLink(redis_server.url, retry_seconds=60)
    assert link.available()
    redis_server.stop()
    assert not link.available()
    assert link.breaker.is_open()
    redis_server.start()
    assert not link.available()  # still inside the window: not asked
    assert link.ping()  # /readyz asks anyway, and closes the breaker
    assert link.available()


# --- the database drops connections (PostgreSQL) ----------------------------------------------


PG_ADMIN_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def pg_app() -> Iterator[tuple[Flask, str]]:
    """An app on a PostgreSQL database of its own (whatever the suite runs on): a disconnect
    needs a server. Yields the app and its database's name; the shared server is never
    restarted, only this app's backends are terminated."""
    admin_url = os.environ.get("LMS_TEST_DATABASE_URL") or PG_ADMIN_DEFAULT
    url, name = _create_postgres_database(admin_url)
    app = make_test_app(url)
    try:
        with app.app_context():
            create_schema()
        yield app, name
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        _drop_postgres_database(admin_url, name)


def _admin_engine(database: str | None = None) -> Engine:
    """A connection of our own to the server (to ``database`` if given), not the app's."""
    url = make_url(os.environ.get("LMS_TEST_DATABASE_URL") or PG_ADMIN_DEFAULT)
    url = url.set(drivername="postgresql+psycopg")
    if database:
        url = url.set(database=database)
    return create_engine(url, isolation_level="AUTOCOMMIT")


def _terminate_backends(admin: Connection, database: str) -> int:
    """Kill every connection the app holds to ``database``, as a failover or restart would;
    returns once they are gone (up to 5 s each)."""
    return len(
        admin.execute(
            text(
                "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"
            ),
            {"name": database},
        ).all()
    )


def _admin_token(app: Flask) -> tuple[str, int]:
    from lms.auth.models import Role

    with app.app_context():
        admin = make_user(roles=(Role.admin,))
        token = make_token(admin)
        db.session.commit()
        return token, admin.id


@pytest.mark.postgres
@pytest.mark.parametrize("ping_after", [lms_db.PING_AFTER_IDLE_SECONDS, 0.0])
def test_idle_connections_killed_between_requests_are_replaced(
    pg_app: tuple[Flask, str], ping_after: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by the socket check (just used) or by the ping (idle longer than
    PING_AFTER_IDLE_SECONDS, here 0)."""
    monkeypatch.setattr(lms_db, "PING_AFTER_IDLE_SECONDS", ping_after)
    app, name = pg_app
    token, _ = _admin_token(app)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    admin = _admin_engine()
    with admin.connect() as conn:
        assert _terminate_backends(conn, name) >= 1
    admin.dispose()
    # The pool sees the dead connection (lms.db._alive) and opens a new one: no error at all.
    assert client.get("/api/v1/me", headers=headers).status_code == 200


@pytest.mark.postgres
def test_a_request_in_flight_when_the_database_drops_fails_with_503_and_writes_nothing(
    pg_app: tuple[Flask, str],
) -> None:
    app, name = pg_app
    token, _ = _admin_token(app)
    headers = {"Authorization": f"Bearer {token}"}
    body = {"email": "dang-ghi@example.vn", "full_name": "Đang Ghi", "password": "long enough"}
    admin = _admin_engine(name)
    answers: list[Any] = []
    with admin.connect() as killer, admin.connect() as blocker:
        blocker_pid = blocker.execute(text("SELECT pg_backend_pid()")).scalar()
        blocker.commit()
        blocker = blocker.execution_options(isolation_level="READ COMMITTED")
        with blocker.begin():
            # Hold the audit log so the request stops after it has written the user row.
            blocker.execute(text("LOCK TABLE user_roles IN EXCLUSIVE MODE"))
            thread = threading.Thread(
                target=lambda: answers.append(
                    app.test_client().post("/api/v1/users", json=body, headers=headers)
                )
            )
            thread.start()
            waiting = None
            deadline = time.monotonic() + 20
            while waiting is None and time.monotonic() < deadline:
                waiting = killer.execute(
                    text(
                        "SELECT pid, query FROM pg_stat_activity WHERE datname = :name "
                        "AND wait_event_type = 'Lock' AND pid <> :blocker"
                    ),
                    {"name": name, "blocker": blocker_pid},
                ).first()
                time.sleep(0.05)
            assert waiting is not None, "the request never reached the locked table"
            assert "user_roles" in waiting.query
            killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": waiting.pid})
            thread.join(timeout=30)
    admin.dispose()

    response = answers[0]
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.get_json()["code"] == 503
    client = app.test_client()
    with app.app_context():
        assert db.session.query(User).filter_by(email=body["email"]).count() == 0
    # The pool reconnects: the same request now succeeds.
    assert client.post("/api/v1/users", json=body, headers=headers).status_code == 201


# --- work that needs a background job, with Redis down ----------------------------------------


def _jobs() -> int:
    return db.session.query(Job).count()


def test_group_assignment_answers_503_and_writes_nothing_while_redis_is_down(
    redis_app: Flask, redis_server: RedisServer
) -> None:
    from lms.auth.models import Role

    client = redis_app.test_client()
    unit = make_unit()
    course = make_course()
    make_user(unit=unit, target_group="citizen")
    admin = make_user(roles=(Role.admin,))
    headers = {"Authorization": f"Bearer {make_token(admin)}"}
    body = {"unit": unit.code, "target_group": "citizen"}
    redis_server.stop()
    response = client.post(f"/api/v1/courses/{course.slug}/assign", json=body, headers=headers)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.get_json()["code"] == 503
    assert "chưa có gì thay đổi" in response.get_json()["message"]  # Vietnamese by default
    assert _jobs() == 0
    redis_server.start()
    response = client.post(f"/api/v1/courses/{course.slug}/assign", json=body, headers=headers)
    assert response.status_code == 202
    assert response.get_json()["status"] == "queued"
    assert _jobs() == 1


def test_a_big_import_answers_503_and_creates_nobody_while_redis_is_down(
    redis_app: Flask, redis_server: RedisServer
) -> None:
    from lms.auth import importer
    from lms.auth.models import Role

    client = redis_app.test_client()
    admin = make_user(roles=(Role.admin,))
    headers = {"Authorization": f"Bearer {make_token(admin)}"}
    rows = [f"lon{n}@example.vn,Người số {n}" for n in range(importer.ASYNC_THRESHOLD + 1)]
    csv_text = ("email,full_name\n" + "\n".join(rows) + "\n").encode()
    people = db.session.query(User).count()
    redis_server.stop()
    response = client.post(
        "/api/v1/users/import", data=csv_text, content_type="text/csv", headers=headers
    )
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert (_jobs(), db.session.query(User).count()) == (0, people)


# --- /readyz: each part, and 503 when one this configuration needs is down --------------------


def test_readyz_lists_each_check(client: FlaskClient) -> None:
    from lms.xapi.services import record

    record(
        {
            "actor": {"mbox": "mailto:hoc@example.vn"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
            "object": {"id": "https://example.vn/bai-1"},
        }
    )
    db.session.commit()
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    checks = body["checks"]
    assert set(checks) == {"database", "migrations", "bridge"}  # no Redis configured
    assert checks["database"] == {"ok": True}
    assert checks["migrations"]["ok"] is True
    assert checks["migrations"]["current"] == checks["migrations"]["head"]
    bridge = checks["bridge"]
    assert bridge["last_stored_seq"] > bridge["last_processed_seq"]
    assert bridge["lag_seconds"] >= 0


def test_readyz_fails_while_the_schema_is_behind_the_migrations(client: FlaskClient) -> None:
    from alembic.script import ScriptDirectory

    from lms import _migrations_dir

    script = ScriptDirectory(str(_migrations_dir()))
    (head,) = script.get_heads()
    previous = script.get_revision(head).down_revision
    db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": previous})
    response = client.get("/readyz")
    assert response.status_code == 503
    migrations = response.get_json()["checks"]["migrations"]
    assert migrations == {"ok": False, "current": [previous], "head": [head]}


def test_readyz_checks_redis_when_it_is_configured(
    redis_app: Flask, redis_server: RedisServer
) -> None:
    client = redis_app.test_client()
    up = client.get("/readyz")
    assert up.status_code == 200
    assert up.get_json()["checks"]["redis"] == {"ok": True}
    redis_server.stop()
    down = client.get("/readyz")
    assert down.status_code == 503
    body = down.get_json()
    assert body["status"] == "unavailable"
    assert body["checks"]["redis"] == {"ok": False, "error": "ConnectionError"}
    assert body["checks"]["database"] == {"ok": True}
    redis_server.start()
    assert client.get("/readyz").status_code == 200


def test_readyz_fails_without_the_database() -> None:
    unreachable = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/lms?connect_timeout=2"
    app = make_test_app(unreachable)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["checks"]["database"] == {"ok": False, "error": "OperationalError"}
    assert body["checks"]["migrations"]["ok"] is False
    assert "127.0.0.1" not in response.get_data(as_text=True)
    # The API says the same in its envelope, with Retry-After.
    api = app.test_client().get("/api/v1/courses")
    assert api.status_code == 503
    assert api.headers["Retry-After"] == "30"
    assert api.get_json()["code"] == 503
    # The LRS too, in its own error format.
    lrs = app.test_client().post(
        "/xapi/statements",
        json={},
        headers={"Authorization": "Basic a2V5OnNlY3JldA==", "X-Experience-API-Version": "1.0.3"},
    )
    assert (lrs.status_code, lrs.headers["Retry-After"]) == (503, "30")
    assert lrs.get_json()["code"] == 503


@pytest.mark.postgres
def test_while_the_database_refuses_connections_pages_api_and_readyz_answer_503(
    pg_app: tuple[Flask, str],
) -> None:
    """The app's own database closed to new connections and its backends terminated: to the
    app, the database is down (the shared server keeps running for everyone else)."""
    app, name = pg_app
    token, admin_id = _admin_token(app)
    with app.app_context():
        user = make_user(password="correct horse battery")
        db.session.commit()
        email = user.email
    browser = app.test_client()
    signed_in = browser.post("/login", data={"login": email, "password": "correct horse battery"})
    assert signed_in.status_code == 302
    api = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false'))
        try:
            _terminate_backends(conn, name)
            page = browser.get("/courses", headers={"Accept": "text/html"})
            assert (page.status_code, page.mimetype) == (503, "text/html")
            assert page.headers["Retry-After"] == "30"
            answer = api.get("/api/v1/me", headers=headers)
            assert answer.status_code == 503
            assert answer.get_json()["code"] == 503
            assert app.test_client().get("/readyz").status_code == 503
        finally:
            conn.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true'))
    admin.dispose()
    # Back: the pool opens new connections by itself.
    assert browser.get("/courses", headers={"Accept": "text/html"}).status_code == 200
    assert api.get("/api/v1/me", headers=headers).get_json()["id"] == admin_id
    assert app.test_client().get("/readyz").status_code == 200


def test_the_lrs_stores_statements_while_redis_is_down_and_triggers_the_bridge_after(
    redis_app: Flask, redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    from lms.learning.triggers import JOB_KIND
    from lms.xapi.models import Statement
    from tests.xapi.conftest import VERSION, basic, make_client, statement

    key, secret = make_client(["all"])
    db.session.commit()
    client = redis_app.test_client()
    headers = {"Authorization": basic(key, secret), "X-Experience-API-Version": VERSION}
    redis_server.stop()
    with caplog.at_level(logging.WARNING):
        stored = client.post("/xapi/statements", json=statement(), headers=headers)
    assert stored.status_code == 200, stored.get_data(as_text=True)
    assert db.session.query(Statement).count() == 1
    assert db.session.query(Job).filter_by(kind=JOB_KIND).count() == 0
    assert not [r for r in caplog.records if r.exc_info]  # a warning, not a stack trace
    redis_server.start()
    assert client.post("/xapi/statements", json=statement(), headers=headers).status_code == 200
    assert db.session.query(Job).filter_by(kind=JOB_KIND, status="queued").count() == 1


@pytest.mark.postgres
def test_under_load_a_database_dropping_connections_gives_503s_never_500s_or_half_rows(
    pg_app: tuple[Flask, str],
) -> None:
    """20 clients creating accounts at once while every backend of the app is terminated
    again and again (what a database restart does to a busy site): each answer is 201 or
    503, and each account is there whole (with its roles) or not at all."""
    from lms.auth.models import UserRole

    app, name = pg_app
    token, _ = _admin_token(app)
    headers = {"Authorization": f"Bearer {token}"}
    done = threading.Event()
    kills: list[int] = []
    per_client = 5

    def killer() -> None:
        admin = _admin_engine()
        with admin.connect() as conn:
            while not done.is_set():
                kills.append(_terminate_backends(conn, name))
                time.sleep(0.1)
        admin.dispose()

    def create(index: int) -> list[int]:
        client = app.test_client()
        statuses = []
        for n in range(per_client):
            body = {
                "email": f"tai{index}-{n}@example.vn",
                "full_name": f"Người {index} {n}",
                "password": "long enough",
                "roles": ["learner", "trainer"],
            }
            statuses.append(client.post("/api/v1/users", json=body, headers=headers).status_code)
        return statuses

    thread = threading.Thread(target=killer)
    thread.start()
    try:
        results = fire(PARALLEL, create)
    finally:
        done.set()
        thread.join(timeout=30)
    assert sum(kills) > 0
    answers = {
        f"tai{index}-{n}@example.vn": status
        for index, statuses in enumerate(results)
        for n, status in enumerate(statuses)
    }
    assert set(answers.values()) <= {201, 503}, results
    with app.app_context():
        for email, status in answers.items():
            user = db.session.query(User).filter_by(email=email).one_or_none()
            if status == 201:
                assert user is not None
            if user is not None:  # whole: never a user without the roles it was created with
                assert db.session.query(UserRole).filter_by(user_id=user.id).count() == 2
    # And the site is back once the database is.
    assert app.test_client().get("/api/v1/me", headers=headers).status_code == 200
