"""Read replicas, against a real streaming replica made with ``pg_basebackup`` (tests/replica.py).

What a replica-routed request sees is told apart from what the primary holds by pausing the
replica's replay: a row committed on the primary afterwards exists only there. Every app here
checks its replica on each request (``REPLICA_CHECK_SECONDS=0``) unless a test says otherwise.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select, text
from sqlalchemy.exc import DBAPIError

from lms.auth.models import Role
from lms.extensions import db
from lms.org.models import Unit
from lms.replicas import PRIMARY_COOKIE, Replica, replica_reads, replica_set
from tests.conftest import create_schema, make_test_app
from tests.factories import enrol, make_class, make_course, make_token, make_unit, make_user
from tests.replica import ReplicatedPair
from tests.xapi.conftest import VERSION, basic, make_client, new_id, statement

pytestmark = pytest.mark.postgres

STATS = "/api/v1/stats/indicators"
PASSWORD = "correct horse battery"
#: The statistics API's reads that may go to a replica (figures, exports, the annual report).
ROUTED: list[tuple[str, dict[str, str]]] = [
    (STATS, {}),
    (STATS, {"format": "csv"}),
    ("/api/v1/stats/completions", {"group_by": "month", "format": "xlsx"}),
    ("/api/v1/stats/annual-report", {"format": "json"}),
    ("/api/v1/stats/submissions", {}),
]


@dataclass
class Seed:
    bearer: dict[str, str]
    lrs: dict[str, str]
    email: str


@pytest.fixture(scope="module")
def seed(replicated_pair: ReplicatedPair) -> Seed:
    """The schema, an admin's token and an LRS client, committed on the primary and replayed."""
    app = make_test_app(replicated_pair.primary_url)
    with app.app_context():
        create_schema()
        seed_unit = make_unit("SEED")
        make_class(make_course(), seed_unit, code="ROSTER1")
        admin = make_user(roles=(Role.admin,), password=PASSWORD)
        token, email = make_token(admin), admin.email
        key, secret = make_client(["all"])
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    replicated_pair.wait_caught_up()
    return Seed(
        bearer={"Authorization": f"Bearer {token}"},
        lrs={"Authorization": basic(key, secret), "X-Experience-API-Version": VERSION},
        email=email,
    )


@contextmanager
def replica_app(pair: ReplicatedPair, **config: Any) -> Iterator[Flask]:
    settings: dict[str, Any] = {
        "DATABASE_REPLICA_URLS": [pair.replica_url],
        "REPLICA_CHECK_SECONDS": 0,
        "REPLICA_MAX_LAG_SECONDS": 60,
        "REPLICA_RETRY_SECONDS": 60,
    }
    app = make_test_app(pair.primary_url, **(settings | config))
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        replicas = replica_set(app)
        assert replicas is not None
        replicas.dispose()


@contextmanager
def paused(pair: ReplicatedPair) -> Iterator[None]:
    pair.pause_replay()
    try:
        yield
    finally:
        pair.resume_replay()


def add_unit(app: Flask, code: str) -> None:
    """A unit committed on the primary (the app writes there whatever its replicas)."""
    with app.app_context():
        make_unit(code)
        db.session.commit()


def in_recovery() -> bool:
    """Whether the session's reads are answered by a standby."""
    return bool(db.session.execute(text("SELECT pg_is_in_recovery()")).scalar())


def post_statement(client: FlaskClient, seed: Seed, activity: str) -> str:
    statement_id = new_id()
    body = statement(id=statement_id, object={"objectType": "Activity", "id": activity})
    answer = client.post(
        "/xapi/statements",
        data=orjson.dumps(body),
        content_type="application/json",
        headers=seed.lrs,
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return statement_id


def test_stats_and_lrs_queries_read_the_replica_and_the_rest_the_primary(
    replicated_pair: ReplicatedPair, seed: Seed
) -> None:
    activity = f"https://lms146.example.vn/replica/{new_id()}"
    with replica_app(replicated_pair) as app:
        reader, writer = app.test_client(), app.test_client()
        first = post_statement(writer, seed, activity)
        replicated_pair.wait_caught_up()
        assert (
            reader.get(STATS, query_string={"unit": "SEED"}, headers=seed.bearer).status_code == 200
        )
        ready = reader.get("/readyz").get_json()["checks"]["replicas"]
        assert ready == {"ok": True, "replicas": [{"replica": 1, "ok": True, "lag_seconds": 0.0}]}
        with paused(replicated_pair):
            add_unit(app, "REPL1")
            second = post_statement(writer, seed, activity)
            replicated_pair.wait_received()

            # The replica has neither the unit nor the second statement.
            for path, args in ROUTED:
                answer = reader.get(
                    path, query_string=args | {"unit": "REPL1"}, headers=seed.bearer
                )
                assert answer.status_code == 404, path
            answer = reader.get(
                "/xapi/statements", query_string={"activity": activity}, headers=seed.lrs
            )
            assert answer.status_code == 200
            assert [s["id"] for s in answer.get_json()["statements"]] == [first]
            # ...and the LRS does not claim to be consistent past what the replica holds.
            through = datetime.fromisoformat(answer.headers["X-Experience-API-Consistent-Through"])
            stored = _stored(app, second)
            assert through <= stored

            # A statement by id is read from the primary.
            one = reader.get(
                "/xapi/statements", query_string={"statementId": second}, headers=seed.lrs
            )
            assert one.status_code == 200
            # A client that just wrote reads the primary: the writer sees both.
            assert writer.get_cookie(PRIMARY_COOKIE) is not None
            for path, args in ROUTED:
                answer = writer.get(
                    path, query_string=args | {"unit": "REPL1"}, headers=seed.bearer
                )
                assert answer.status_code == 200, path
            mine = writer.get(
                "/xapi/statements", query_string={"activity": activity}, headers=seed.lrs
            )
            assert {s["id"] for s in mine.get_json()["statements"]} == {first, second}
        # Replayed: the replica has caught up.
        assert (
            reader.get(STATS, query_string={"unit": "REPL1"}, headers=seed.bearer).status_code
            == 200
        )


def test_the_dashboard_the_report_page_and_a_roster_export_read_the_replica(
    replicated_pair: ReplicatedPair, seed: Seed
) -> None:
    with replica_app(replicated_pair) as app:
        browser = app.test_client()
        signed_in = browser.post("/login", data={"login": seed.email, "password": PASSWORD})
        assert signed_in.status_code in {302, 303}
        browser.delete_cookie(PRIMARY_COOKIE)  # signing in wrote: forget it, as 7 s later
        assert browser.get("/dashboard", query_string={"unit": "SEED"}).status_code == 200
        roster = "/classes/ROSTER1/roster.csv"
        assert browser.get(roster).status_code == 200
        with paused(replicated_pair):
            add_unit(app, "DASH1")
            _enrol_newcomer(app, "ROSTER1", "Người Mới Vào Lớp")
            replicated_pair.wait_received()
            for page in ("/dashboard", "/reports"):
                assert browser.get(page, query_string={"unit": "DASH1"}).status_code == 404
            assert "Người Mới Vào Lớp" not in browser.get(roster).text
        for page in ("/dashboard", "/reports"):
            assert browser.get(page, query_string={"unit": "DASH1"}).status_code == 200
        assert "Người Mới Vào Lớp" in browser.get(roster).text


def _enrol_newcomer(app: Flask, class_code: str, name: str) -> None:
    from lms.classes.models import Class

    with app.app_context():
        klass = db.session.scalars(select(Class).where(Class.code == class_code)).one()
        enrol(make_user(full_name=name), klass.course, klass=klass)
        db.session.commit()


def _stored(app: Flask, statement_id: str) -> datetime:
    from lms.xapi.models import Statement

    with app.app_context():
        return db.session.scalars(
            select(Statement.stored).where(Statement.statement_id == statement_id)
        ).one()


def _first_read(app: Flask, seed: Seed) -> tuple[FlaskClient, Replica]:
    """A client whose first read (the statistics) went well, and the app's replica."""
    client = app.test_client()
    assert client.get(STATS, query_string={"unit": "SEED"}, headers=seed.bearer).status_code == 200
    return client, replica_set(app).replicas[0]  # type: ignore[union-attr]


def test_a_replica_further_behind_than_the_bound_is_skipped(
    replicated_pair: ReplicatedPair, seed: Seed
) -> None:
    with replica_app(replicated_pair, REPLICA_MAX_LAG_SECONDS=0) as app:
        client, replica = _first_read(app, seed)
        assert replica.lag == 0  # caught up: used even with a bound of 0
        with paused(replicated_pair):
            add_unit(app, "LAG1")
            replicated_pair.wait_received()
            answer = client.get(STATS, query_string={"unit": "LAG1"}, headers=seed.bearer)
            # Behind: the primary answered, with the unit the replica lacks.
            assert answer.status_code == 200
            assert replica.lag is not None
            assert replica.lag > 0
            assert not replica.usable(0)
            with app.test_request_context(STATS), replica_reads():
                assert not in_recovery()
        with app.test_request_context(STATS), replica_reads():
            assert in_recovery()


def test_writes_go_to_the_primary_and_a_session_that_wrote_reads_there(
    replicated_pair: ReplicatedPair, seed: Seed
) -> None:
    with replica_app(replicated_pair) as app, app.test_request_context(STATS):
        with replica_reads():
            assert in_recovery()  # reads: the replica
            make_unit("WRITE1")  # a flush inside the scope: the primary
            db.session.commit()
            assert not in_recovery()  # this session wrote: it reads its own writes
            assert db.session.scalars(select(Unit.code).where(Unit.code == "WRITE1")).one()
        db.session.remove()
        with replica_reads():
            assert in_recovery()
            # A write the router cannot see is refused by the standby, loudly.
            with pytest.raises(DBAPIError, match="read-only transaction"):
                db.session.execute(text("SELECT nextval('units_id_seq')"))
        db.session.rollback()


def test_a_client_that_wrote_reads_from_the_primary(
    replicated_pair: ReplicatedPair, seed: Seed
) -> None:
    body = {"code": "RYOW1", "name": "Xã Đọc Lại", "kind": "commune"}
    with replica_app(replicated_pair) as app:
        writer, reader = app.test_client(), app.test_client()
        assert (
            reader.get(STATS, query_string={"unit": "SEED"}, headers=seed.bearer).status_code == 200
        )
        with paused(replicated_pair):
            assert writer.post("/api/v1/units", json=body, headers=seed.bearer).status_code == 201
            replicated_pair.wait_received()
            assert (
                writer.get(STATS, query_string={"unit": "RYOW1"}, headers=seed.bearer).status_code
                == 200
            )
            assert (
                reader.get(STATS, query_string={"unit": "RYOW1"}, headers=seed.bearer).status_code
                == 404
            )
            # A refused write sets nothing: its client keeps reading from replicas.
            refused = reader.post("/api/v1/units", json={}, headers=seed.bearer)
            assert refused.status_code == 422
            assert reader.get_cookie(PRIMARY_COOKIE) is None


def test_a_stopped_replica_is_skipped_without_errors_or_a_wait_per_request(
    replicated_pair: ReplicatedPair, seed: Seed
) -> None:
    # Checked once only: the replica stops after its last check said it was healthy, so the
    # next request fails on it mid-way; later requests must not try it again.
    with replica_app(replicated_pair, REPLICA_CHECK_SECONDS=3600) as app:
        client, replica = _first_read(app, seed)
        attempts: list[int] = []
        event.listen(replica.engine, "do_connect", lambda *args: attempts.append(1))
        replicated_pair.stop_replica()
        try:
            started = time.monotonic()
            answers = [
                client.get(STATS, query_string={"unit": "SEED"}, headers=seed.bearer).status_code
                for _ in range(20)
            ]
            elapsed = time.monotonic() - started
            assert answers == [200] * 20
            # One try: the request that found it gone was read again from the primary.
            assert len(attempts) == 1
            assert replica.breaker.is_open()
            assert elapsed < 10

            # A process starting while the replica is down: its first check finds it so.
            with replica_app(replicated_pair) as fresh:
                client = fresh.test_client()
                down = replica_set(fresh).replicas[0]  # type: ignore[union-attr]
                tries: list[int] = []
                event.listen(down.engine, "do_connect", lambda *args: tries.append(1))
                for _ in range(10):
                    answer = client.get(STATS, query_string={"unit": "SEED"}, headers=seed.bearer)
                    assert answer.status_code == 200
                assert len(tries) == 1  # its first check; none after
                # Ready all the same (reads fall back), and the probe says which replica is out.
                ready = client.get("/readyz")
                assert ready.status_code == 200
                assert ready.get_json()["checks"]["replicas"]["replicas"][0]["ok"] is False
                assert len(tries) == 1
        finally:
            replicated_pair.start_replica()
