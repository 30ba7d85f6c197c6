"""An xAPI 1.0.x client (tincan) and an xAPI 2.0 client on the same live LRS.

Each reads what the other wrote: statements (the 2.0 client's RFC 3339 timestamps reach
tincan as ISO 8601 UTC, its 2.0 statements keep their version) and State documents (where
the 2.0 client follows 2.0's concurrency rules and tincan 1.0.3's). The 2.0 client is plain
HTTP with ``X-Experience-API-Version: 2.0.0``, as a 2.0 platform or cmi5 player would send.
"""

from __future__ import annotations

import http.client
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlparse

import orjson
from tincan import (
    Activity,
    ActivityDefinition,
    Agent,
    LanguageMap,
    RemoteLRS,
    StateDocument,
    Statement,
    Verb,
)

from tests.xapi.conftest import LiveLrs


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return orjson.loads(self.body)


class Xapi2Client:
    """The smallest xAPI 2.0 client: Basic credentials and the 2.0 version header."""

    def __init__(self, live_lrs: LiveLrs, version: str = "2.0.0") -> None:
        self.url = urlparse(live_lrs.url)
        self.authorization = live_lrs.authorization
        self.version = version

    def request(
        self,
        method: str,
        resource: str,
        params: dict[str, str] | None = None,
        body: Any = None,
        **headers: str,
    ) -> Answer:
        sent = {"Authorization": self.authorization, "X-Experience-API-Version": self.version}
        sent.update({name.replace("_", "-"): value for name, value in headers.items()})
        data = None
        if body is not None:
            data = orjson.dumps(body)
            sent["Content-Type"] = "application/json"
        path = f"/xapi/{resource}" + (f"?{urlencode(params)}" if params else "")
        conn = http.client.HTTPConnection(self.url.hostname, self.url.port, timeout=30)
        try:
            conn.request(method, path, body=data, headers=sent)
            response = conn.getresponse()
            return Answer(response.status, dict(response.getheaders()), response.read())
        finally:
            conn.close()

    def statements(self, **params: str) -> list[dict[str, Any]]:
        answer = self.request("GET", "statements", params)
        assert answer.status == 200, answer.body
        assert answer.headers["X-Experience-API-Version"] == "2.0.0"
        return list(answer.json()["statements"])


def _course() -> str:
    return f"https://lms146.example.vn/courses/{uuid.uuid4().hex}"


def _learner() -> dict[str, str]:
    return {"objectType": "Agent", "name": "Học viên", "mbox": f"mailto:{uuid.uuid4().hex}@a.vn"}


def test_statements_written_by_either_client_are_read_by_the_other(
    remote: RemoteLRS, live_lrs: LiveLrs
) -> None:
    """Communication 2.1 with two versions on one LRS; Data 2.4.10 (versions kept), 4.5
    (timestamps in UTC: RFC 3339 for the 2.0 client, ISO 8601 for tincan)."""
    course, learner = _course(), _learner()
    v2 = Xapi2Client(live_lrs)
    mbox = learner["mbox"]
    agent = Agent(name=learner["name"], mbox=mbox)
    activity = Activity(
        id=course, definition=ActivityDefinition(name=LanguageMap({"vi-VN": "Kỹ năng số"}))
    )
    experienced = Verb(id="http://adlnet.gov/expapi/verbs/experienced")
    by_tincan = Statement(actor=agent, verb=experienced, object=activity)
    assert remote.save_statement(by_tincan).success

    (seen,) = v2.statements(activity=course)
    assert seen["id"] == str(by_tincan.id)
    assert seen["version"] == "1.0.3"  # as tincan sent it
    assert seen["actor"]["mbox"] == mbox
    assert datetime.fromisoformat(seen["timestamp"]).utcoffset() is not None

    by_v2 = {
        "id": str(uuid.uuid4()),
        "actor": learner,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"vi-VN": "xong"}},
        "object": {"id": course},
        "result": {"completion": True, "success": True, "score": {"scaled": 0.9}},
        "timestamp": "2025-03-01 15:45:30.500+07:00",
    }
    written = v2.request("POST", "statements", body=by_v2)
    assert written.status == 200, written.body
    assert written.headers["X-Experience-API-Version"] == "2.0.0"

    result = remote.query_statements({"activity": activity})
    assert result.success, result.data
    read = {str(s.id): s for s in result.content.statements}
    assert set(read) == {str(by_tincan.id), by_v2["id"]}
    completed = read[by_v2["id"]]
    assert completed.version == "2.0.0"
    assert completed.timestamp == datetime(2025, 3, 1, 8, 45, 30, 500000, tzinfo=UTC)
    assert completed.result.score.scaled == 0.9
    assert completed.actor.mbox == mbox


def test_a_2_0_statement_with_context_agents_reaches_1_0_readers_unconverted(
    live_lrs: LiveLrs,
) -> None:
    """Communication 3.3.s5.b1 (kept in 2.0): no conversion into a prior version's format, so
    a 1.0.3 client reads the contextAgents it should ignore (3.3.s4.b4-b5); the 2.0 client
    finds the statement by the contextAgent (related_agents)."""
    course, learner, trainer = _course(), _learner(), _learner()
    v2 = Xapi2Client(live_lrs)
    v1 = Xapi2Client(live_lrs, version="1.0.3")
    stmt = {
        "id": str(uuid.uuid4()),
        "actor": learner,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"},
        "object": {"id": course},
        "context": {"contextAgents": [{"objectType": "contextAgent", "agent": trainer}]},
    }
    assert v1.request("POST", "statements", body=stmt).status == 400
    assert v2.request("POST", "statements", body=stmt).status == 200
    agent = orjson.dumps({"mbox": trainer["mbox"]}).decode()
    (found,) = v2.statements(agent=agent, related_agents="true")
    assert found["id"] == stmt["id"]
    as_1 = v1.request("GET", "statements", {"statementId": stmt["id"]})
    assert as_1.status == 200
    assert as_1.headers["X-Experience-API-Version"] == "1.0.3"
    assert as_1.json()["context"]["contextAgents"][0]["agent"] == trainer
    assert as_1.json()["version"] == "2.0.0"


def test_state_documents_between_the_two_clients(
    remote: RemoteLRS, live_lrs: LiveLrs, tincan_documents: None
) -> None:
    """Communication 2.3 and 3.1: tincan writes State without preconditions (1.0.3 permits it);
    the 2.0 client must send If-Match to replace it (2.0's rules: 409 without), and tincan
    reads what the 2.0 client wrote."""
    course, learner = _course(), _learner()
    v2 = Xapi2Client(live_lrs)
    activity = Activity(id=course)
    agent = Agent(mbox=learner["mbox"])
    state = StateDocument(
        id="bookmark",
        activity=activity,
        agent=agent,
        content=b'{"lesson": 2}',
        content_type="application/json",
    )
    assert remote.save_state(state).success
    params = {"activityId": course, "agent": agent.to_json(), "stateId": "bookmark"}
    got = v2.request("GET", "activities/state", params)
    assert got.status == 200
    assert got.json() == {"lesson": 2}
    assert v2.request("PUT", "activities/state", params, body={"lesson": 3}).status == 409
    replaced = v2.request(
        "PUT", "activities/state", params, body={"lesson": 3}, If_Match=got.headers["ETag"]
    )
    assert replaced.status == 204
    back = remote.retrieve_state(activity, agent, "bookmark")
    assert back.success
    assert orjson.loads(bytes(back.content.content)) == {"lesson": 3}
    state.content = b'{"lesson": 4}'
    assert remote.save_state(state).success
    assert v2.request("GET", "activities/state", params).json() == {"lesson": 4}
