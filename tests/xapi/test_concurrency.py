"""Writers at the same time, against a live server (its own database, real commits).

Each round releases two requests together through a barrier; whatever the interleaving,
the outcome must be what the spec allows: one row per statement id (Communication
2.1.1.s2.b2), 409 only for different content, 412 for the loser of an ETag race (3.1).
Rounds are repeated so that the racing paths (the unique-index conflict on PostgreSQL,
the write lock on SQLite) are hit, not just the sequential ones.
"""

from __future__ import annotations

import http.client
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlparse

import orjson
from sqlalchemy import func, select

from lms.extensions import db
from lms.xapi.models import Statement
from tests.races import PARALLEL, fire
from tests.xapi.conftest import LiveLrs, statement

ROUNDS = 8


def request(
    live: LiveLrs, method: str, path: str, body: bytes | None = None, **headers: str
) -> tuple[int, bytes]:
    parsed = urlparse(live.url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=60)
    try:
        all_headers = {
            "Authorization": live.authorization,
            "X-Experience-API-Version": "1.0.3",
            "Content-Type": "application/json",
        }
        all_headers.update({k.replace("_", "-"): v for k, v in headers.items()})
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def together(*calls: Callable[[], Any]) -> list[Any]:
    """Run ``calls`` in threads released at the same instant; their results in order."""
    return fire(len(calls), lambda index: calls[index]())


def rows_with_id(live: LiveLrs, statement_id: str) -> int:
    with live.app.app_context():
        count = db.session.scalar(
            select(func.count())
            .select_from(Statement)
            .where(Statement.statement_id == statement_id)
        )
        db.session.remove()
        return int(count or 0)


def test_two_writers_same_id_same_content(live_lrs: LiveLrs) -> None:
    """Communication 2.1.1.s2.b2-b3: both accepted, one statement stored."""
    for _ in range(ROUNDS):
        statement_id = str(uuid.uuid4())
        body = orjson.dumps(statement(id=statement_id))
        put = f"/xapi/statements?statementId={statement_id}"
        results = together(
            lambda body=body, put=put: request(live_lrs, "PUT", put, body),
            lambda body=body: request(live_lrs, "POST", "/xapi/statements", body),
        )
        assert results[0][0] == 204, results[0]
        assert results[1][0] == 200, results[1]
        assert orjson.loads(results[1][1]) == [statement_id]
        assert rows_with_id(live_lrs, statement_id) == 1


def test_two_writers_same_id_different_content(live_lrs: LiveLrs) -> None:
    """Communication 2.1.2.s2.b4-b5: one wins, the other gets 409; one row, the winner's."""
    for _ in range(ROUNDS):
        statement_id = str(uuid.uuid4())
        first = orjson.dumps(statement(id=statement_id, result={"success": True}))
        second = orjson.dumps(statement(id=statement_id, result={"success": False}))
        results = together(
            lambda b=first: request(live_lrs, "POST", "/xapi/statements", b),
            lambda b=second: request(live_lrs, "POST", "/xapi/statements", b),
        )
        statuses = sorted(status for status, _ in results)
        assert statuses == [200, 409], results
        assert rows_with_id(live_lrs, statement_id) == 1
        _status, body = request(live_lrs, "GET", f"/xapi/statements?statementId={statement_id}")
        winner = next(i for i, (s, _) in enumerate(results) if s == 200)
        assert orjson.loads(body)["result"]["success"] is (winner == 0)


def test_overlapping_batches_store_each_statement_once(live_lrs: LiveLrs) -> None:
    """A retried batch racing its original: every id once, both answered 200."""
    for _ in range(ROUNDS // 2):
        shared = [statement(id=str(uuid.uuid4())) for _ in range(20)]
        own_a = [statement(id=str(uuid.uuid4())) for _ in range(5)]
        own_b = [statement(id=str(uuid.uuid4())) for _ in range(5)]
        first, second = orjson.dumps(shared + own_a), orjson.dumps(own_b + shared)
        results = together(
            lambda b=first: request(live_lrs, "POST", "/xapi/statements", b),
            lambda b=second: request(live_lrs, "POST", "/xapi/statements", b),
        )
        assert [s for s, _ in results] == [200, 200], results
        for stmt in shared + own_a + own_b:
            assert rows_with_id(live_lrs, stmt["id"]) == 1


def test_two_app_contexts_recording_the_same_statement(live_lrs: LiveLrs) -> None:
    """The internal API under concurrency: two units of work, one statement."""
    from lms.xapi import services

    def record(stmt: dict[str, Any]) -> str:
        with live_lrs.app.app_context():
            try:
                statement_id = services.record(stmt)
                db.session.commit()
                return statement_id
            finally:
                db.session.remove()

    for _ in range(ROUNDS):
        stmt = statement(id=str(uuid.uuid4()))
        results = together(lambda s=stmt: record(dict(s)), lambda s=stmt: record(dict(s)))
        assert results == [stmt["id"], stmt["id"]]
        assert rows_with_id(live_lrs, stmt["id"]) == 1


def _profile_path(profile_id: str) -> str:
    query = urlencode(
        {"activityId": "https://lms146.example.vn/courses/race", "profileId": profile_id}
    )
    return f"/xapi/activities/profile?{query}"


def test_etag_race_has_one_winner(live_lrs: LiveLrs) -> None:
    """Communication 3.1.s4.b5, b9-b10: two PUTs with the same If-Match: 204 and 412."""
    for _ in range(ROUNDS):
        path = _profile_path(str(uuid.uuid4()))
        assert request(live_lrs, "PUT", path, b'{"v": 0}', If_None_Match="*")[0] == 204
        _status, _ = request(live_lrs, "GET", path)
        etag = _etag(live_lrs, path)
        results = together(
            lambda p=path, e=etag: request(live_lrs, "PUT", p, b'{"v": 1}', If_Match=e),
            lambda p=path, e=etag: request(live_lrs, "PUT", p, b'{"v": 2}', If_Match=e),
        )
        statuses = sorted(s for s, _ in results)
        assert statuses == [204, 412], results
        winner = 1 if results[0][0] == 204 else 2
        assert orjson.loads(request(live_lrs, "GET", path)[1]) == {"v": winner}


def test_create_race_with_if_none_match(live_lrs: LiveLrs) -> None:
    """Communication 3.1.s4.b6: If-None-Match: * lets exactly one creator through."""
    for _ in range(ROUNDS):
        path = _profile_path(str(uuid.uuid4()))
        results = together(
            lambda p=path: request(live_lrs, "PUT", p, b'{"who": "a"}', If_None_Match="*"),
            lambda p=path: request(live_lrs, "PUT", p, b'{"who": "b"}', If_None_Match="*"),
        )
        assert sorted(s for s, _ in results) == [204, 412], results


def test_concurrent_merges_lose_nothing(live_lrs: LiveLrs) -> None:
    """Communication 2.2.s7: two POST merges at once both land (compare-and-swap retry)."""
    for number in range(ROUNDS):
        query = urlencode(
            {
                "activityId": "https://lms146.example.vn/courses/race",
                "agent": '{"mbox": "mailto:race@example.vn"}',
                "stateId": f"merge-{uuid.uuid4()}",
            }
        )
        path = f"/xapi/activities/state?{query}"
        request(live_lrs, "PUT", path, b'{"start": true}')
        results = together(
            lambda p=path: request(live_lrs, "POST", p, b'{"a": 1}'),
            lambda p=path: request(live_lrs, "POST", p, b'{"b": 2}'),
        )
        assert [s for s, _ in results] == [204, 204], (number, results)
        assert orjson.loads(request(live_lrs, "GET", path)[1]) == {"start": True, "a": 1, "b": 2}


def _etag(live: LiveLrs, path: str) -> str:
    parsed = urlparse(live.url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    try:
        conn.request(
            "GET",
            path,
            headers={"Authorization": live.authorization, "X-Experience-API-Version": "1.0.3"},
        )
        response = conn.getresponse()
        response.read()
        return str(response.getheader("ETag"))
    finally:
        conn.close()


def test_consistent_through_waits_for_an_open_writer(live_lrs: LiveLrs) -> None:
    """Communication 2.1.3.s2.b5: while a statement's transaction is still open, the header
    stays before its ``stored``; once committed the statement is there to read."""
    from lms.xapi import services

    with live_lrs.app.app_context():
        try:
            statement_id = services.record(statement(id=str(uuid.uuid4())))
            stored = services.statement_by_id(statement_id)["stored"]  # type: ignore[index]
            through = _through(live_lrs)
            assert through <= datetime.fromisoformat(stored.replace("Z", "+00:00"))
            db.session.commit()
        finally:
            db.session.remove()
    status, _ = request(live_lrs, "GET", f"/xapi/statements?statementId={statement_id}")
    assert status == 200


def _through(live: LiveLrs) -> datetime:
    parsed = urlparse(live.url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    try:
        conn.request(
            "GET",
            "/xapi/statements?limit=1",
            headers={"Authorization": live.authorization, "X-Experience-API-Version": "1.0.3"},
        )
        response = conn.getresponse()
        response.read()
        value = str(response.getheader("X-Experience-API-Consistent-Through"))
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    finally:
        conn.close()


def test_twenty_clients_racing_for_one_authority_get_one_success(live_lrs: LiveLrs) -> None:
    """Choosing a custom authority is check-then-write: 20 administrators' requests giving
    it at once to 20 new clients make one client and 19 clean 409s, never a 500."""
    from lms.auth.models import Role
    from tests.factories import make_token, make_user

    with live_lrs.app.app_context():
        admin = make_user(roles=(Role.admin,))
        token = make_token(admin)
        db.session.commit()
        db.session.remove()
    authority = {"objectType": "Agent", "mbox": f"mailto:{uuid.uuid4()}@mooc.example.vn"}

    def create(n: int) -> int:
        body = orjson.dumps({"name": f"MOOC {n}", "authority": authority})
        status, _ = request(
            live_lrs, "POST", "/api/v1/lrs-clients", body, Authorization=f"Bearer {token}"
        )
        return status

    statuses = together(*(lambda n=n: create(n) for n in range(20)))
    assert sorted(statuses) == [201] + [409] * 19, statuses


def test_twenty_clients_changed_to_one_authority_at_once_get_one_success(
    live_lrs: LiveLrs,
) -> None:
    from lms.auth.models import Role
    from lms.xapi import clients
    from tests.factories import make_token, make_user

    with live_lrs.app.app_context():
        token = make_token(make_user(roles=(Role.admin,)))
        ids = [clients.create_client(f"MOOC {n}")[0].id for n in range(20)]
        db.session.commit()
        db.session.remove()
    body = orjson.dumps(
        {"authority": {"objectType": "Agent", "mbox": f"mailto:{uuid.uuid4()}@mooc.example.vn"}}
    )

    def patch(client_id: int) -> int:
        path = f"/api/v1/lrs-clients/{client_id}"
        status, _ = request(live_lrs, "PATCH", path, body, Authorization=f"Bearer {token}")
        return status

    statuses = together(*(lambda i=i: patch(i) for i in ids))
    assert sorted(statuses) == [200] + [409] * 19, statuses


def test_headerless_2_0_state_puts_race_to_one_creation(live_lrs: LiveLrs) -> None:
    """xAPI 2.0 Communication 3.1 for State: 20 identical header-less PUTs to a new State
    document at once create it once (204); every other one finds it existing and gets 409,
    never a 500 and never a silent overwrite."""
    query = urlencode(
        {
            "activityId": "https://lms146.example.vn/courses/race",
            "agent": '{"mbox": "mailto:race@example.vn"}',
            "stateId": f"v2-{uuid.uuid4()}",
        }
    )
    path = f"/xapi/activities/state?{query}"
    results = fire(
        PARALLEL,
        lambda index: request(
            live_lrs, "PUT", path, orjson.dumps({"who": index}), X_Experience_API_Version="2.0.0"
        ),
    )
    statuses = sorted(status for status, _ in results)
    assert statuses == [204] + [409] * (PARALLEL - 1), results
    winner = next(index for index, (status, _) in enumerate(results) if status == 204)
    assert orjson.loads(request(live_lrs, "GET", path)[1]) == {"who": winner}
