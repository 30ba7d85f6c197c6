"""xAPI 2.0 (IEEE 9274.1.1-2023) next to 1.0.3: every part of the standard that differs.

The request's ``X-Experience-API-Version`` picks the rules. Sections are cited as in the 2.0
text (the ADL ``xAPI-Data.md`` / ``xAPI-Communication.md`` numbering, which 2.0 keeps), with
"2.0" in front; where 2.0 turned a 1.0.3 SHOULD* into a requirement, the 1.0.3 bullet is
named ("4.5.s1.b2 SHOULD* -> SHALL"). The list of differences is in the README.
"""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import urlencode

import orjson
import pytest

from tests.xapi.conftest import Lrs, new_id, statement

V2 = {"X_Experience_API_Version": "2.0.0"}
V1 = {"X_Experience_API_Version": "1.0.3"}
STATE = "/xapi/activities/state"
COURSE = "https://lms146.example.vn/courses/ky-nang-so-2"
TRAINER = {"objectType": "Agent", "name": "Giảng viên", "mbox": "mailto:gv@example.vn"}
CONTEXT_AGENTS = [
    {
        "objectType": "contextAgent",
        "agent": TRAINER,
        "relevantTypes": ["https://lms146.example.vn/xapi/roles/trainer"],
    }
]
TEAM = {
    "objectType": "Group",
    "name": "Tổ công nghệ số cộng đồng",
    "account": {"homePage": "https://lms146.example.vn", "name": "to-cns-01"},
}
CONTEXT_GROUPS = [{"objectType": "contextGroup", "group": TEAM}]


def v2_statement(**overrides: Any) -> dict[str, Any]:
    """A 2.0 statement: contextAgents, contextGroups and an RFC 3339 timestamp."""
    fields: dict[str, Any] = {
        "id": new_id(),
        "object": {"objectType": "Activity", "id": COURSE},
        "context": {"contextAgents": CONTEXT_AGENTS, "contextGroups": CONTEXT_GROUPS},
        "timestamp": "2025-03-01 08:30:00.250+07:00",
    }
    return statement(**(fields | overrides))


# --- versions, headers and /about (2.0 Communication 3.3, 2.8) ------------------------------


def test_every_answer_to_a_2_0_request_says_2_0_0(lrs: Lrs) -> None:
    """2.0 Communication 3.3: the header is ``2.0.0`` in every response to a 2.0 request,
    errors included; 1.0.x requests keep getting 1.0.3 (3.3.s3.b1-b2)."""
    assert lrs.get(params={"limit": "1"}, **V2).headers["X-Experience-API-Version"] == "2.0.0"
    bad = lrs.get(params={"limit": "many"}, **V2)
    assert bad.status_code == 400
    assert bad.headers["X-Experience-API-Version"] == "2.0.0"
    anonymous = lrs.client.get("/xapi/statements", headers={"X-Experience-API-Version": "2.0.0"})
    assert anonymous.status_code == 401
    assert anonymous.headers["X-Experience-API-Version"] == "2.0.0"
    assert lrs.get(params={"limit": "1"}, **V1).headers["X-Experience-API-Version"] == "1.0.3"


def test_about_lists_2_0_0(lrs: Lrs) -> None:
    """2.0 Communication 2.8.s5.b1: ``version`` lists 2.0.0 for 2.0 clients and clients that
    send no version; 1.0.x clients get the 1.0.x versions 1.0.3 knows how to name."""
    for headers in ({"X-Experience-API-Version": "2.0.0"}, {}):
        response = lrs.client.get("/xapi/about", headers=headers)
        assert response.status_code == 200
        assert response.json["version"] == ["1.0.0", "1.0.1", "1.0.2", "1.0.3", "2.0.0"]
    v2 = lrs.client.get("/xapi/about", headers={"X-Experience-API-Version": "2.0.0"})
    assert v2.headers["X-Experience-API-Version"] == "2.0.0"
    v1 = lrs.client.get("/xapi/about", headers={"X-Experience-API-Version": "1.0.3"})
    assert v1.json["version"] == ["1.0.0", "1.0.1", "1.0.2", "1.0.3"]
    assert v1.headers["X-Experience-API-Version"] == "1.0.3"
    assert "X-Experience-API-Version" in v1.headers["Vary"]
    assert v1.headers["ETag"] != v2.headers["ETag"]


# --- removals: the alternate request syntax (1.0.3 Communication 1.3) ------------------------


@pytest.mark.parametrize("where", ["form", "header"])
def test_alternate_request_syntax_is_refused_for_2_0(lrs: Lrs, where: str) -> None:
    """2.0 removed Communication 1.3: ``?method=`` with a form body is a 400 for a 2.0 request,
    whether the version is sent as a form field or as the HTTP header; nothing is stored."""
    statement_id = new_id()
    form = {
        "statementId": statement_id,
        "Authorization": lrs.authorization,
        "Content-Type": "application/json",
        "content": orjson.dumps(statement()).decode(),
    }
    headers = {}
    if where == "form":
        form["X-Experience-API-Version"] = "2.0.0"
    else:
        headers["X-Experience-API-Version"] = "2.0.0"
    response = lrs.client.post(
        "/xapi/statements?method=PUT",
        data=urlencode(form),
        content_type="application/x-www-form-urlencoded",
        headers=headers,
    )
    assert response.status_code == 400
    assert "alternate request syntax" in response.json["message"]
    assert response.headers["X-Experience-API-Version"] == "2.0.0"
    assert lrs.get(params={"statementId": statement_id}).status_code == 404


def test_form_encoded_statements_are_refused_for_2_0(lrs: Lrs) -> None:
    """2.0 Communication 3.2.s3.b6 (SHOULD* -> SHALL): a body whose type does not fit the
    request is 400; without the alternate syntax a form body has no meaning."""
    response = lrs.client.post(
        "/xapi/statements",
        data=urlencode({"content": orjson.dumps(statement()).decode()}),
        content_type="application/x-www-form-urlencoded",
        headers=lrs.h(**V2),
    )
    assert response.status_code == 400


# --- data model: version, contextAgents, contextGroups -----------------------------------------


def test_statement_version_is_2_0_0_for_2_0_requests(lrs: Lrs) -> None:
    """2.0 Data 2.4.10: a 2.0 statement without ``version`` is stored as 2.0.0, one with a
    version keeps it; a 1.0.x request cannot send 2.0.x (1.0.3 Data 2.4.10.s3.b2)."""
    (plain,) = lrs.post(statement(), **V2).json
    assert lrs.get(params={"statementId": plain}, **V2).json["version"] == "2.0.0"
    (old,) = lrs.post(statement(version="1.0.0"), **V2).json
    assert lrs.get(params={"statementId": old}, **V2).json["version"] == "1.0.0"
    assert lrs.post(statement(version="2.0.0"), **V1).status_code == 400
    assert lrs.post(statement(version="2.1.0"), **V2).status_code == 400


def test_context_agents_and_groups_are_stored_and_found(lrs: Lrs) -> None:
    """2.0 Data 2.4.6 (contextAgents, contextGroups): accepted, kept exactly, and their Agents
    and Groups are related agents of the statement (Communication 2.1.3 related_agents)."""
    stmt = v2_statement()
    assert lrs.post(stmt, **V2).status_code == 200
    got = lrs.get(params={"statementId": stmt["id"]}, **V2).json
    assert got["context"]["contextAgents"] == CONTEXT_AGENTS
    assert got["context"]["contextGroups"] == CONTEXT_GROUPS
    trainer = {"mbox": TRAINER["mbox"]}
    assert lrs.ids(agent=trainer, related_agents="true") == [stmt["id"]]
    assert lrs.ids(agent=trainer) == []
    team = {"objectType": "Group", "account": TEAM["account"]}
    assert lrs.ids(agent=team, related_agents="true") == [stmt["id"]]


@pytest.mark.parametrize(
    ("context", "path"),
    [
        ({"contextAgents": [{"agent": TRAINER}]}, "context.contextAgents[0].objectType"),
        (
            {"contextAgents": [{**CONTEXT_AGENTS[0], "relevantTypes": []}]},
            "context.contextAgents[0].relevantTypes",
        ),
        (
            {"contextAgents": [{"objectType": "contextAgent", "agent": TEAM}]},
            "context.contextAgents[0].agent.objectType",
        ),
        (
            {"contextGroups": [{"objectType": "contextGroup", "group": TRAINER}]},
            "context.contextGroups[0].group.objectType",
        ),
    ],
)
def test_context_agent_rules(lrs: Lrs, context: dict[str, Any], path: str) -> None:
    """2.0 Data 2.4.6: a contextAgent is ``objectType: "contextAgent"``, an Agent and optional
    relevantTypes (one IRI or more); a contextGroup holds a Group."""
    response = lrs.post(statement(context=context), **V2)
    assert response.status_code == 400
    assert response.json["path"] == path


def test_context_agents_are_unknown_to_1_0(lrs: Lrs) -> None:
    """1.0.3 Data 2.2.s4.b1.b7: a property 1.0.3 does not define is refused with 400."""
    response = lrs.post(v2_statement(timestamp="2025-03-01T08:30:00+07:00"), **V1)
    assert response.status_code == 400
    assert response.json["path"] == "context.contextAgents"
    assert "2.0" in response.json["message"]


# --- timestamps: RFC 3339 in 2.0, returned in UTC -------------------------------------------------

RFC_3339_ONLY = "2025-03-01 08:30:00+07:00"
ISO_8601_NOT_RFC_3339 = [
    pytest.param("2025-03-01T08:30+07:00", id="no seconds"),
    pytest.param("2025-03-01T08:30:00", id="no offset"),
    pytest.param("2025-03-01T08:30:00+07", id="offset without minutes"),
    pytest.param("2025-03-01T08:30:00+0700", id="offset without colon"),
    pytest.param("20250301T083000Z", id="basic format"),
    pytest.param("2025-03-01T08:30:00,5Z", id="comma fraction"),
]


@pytest.mark.parametrize("value", ISO_8601_NOT_RFC_3339)
def test_2_0_timestamps_are_rfc_3339(lrs: Lrs, value: str) -> None:
    """2.0 Data 4.5 (4.5.s1.b2, b4 SHOULD* -> SHALL): RFC 3339 with a time zone. The same
    ISO 8601 timestamps are valid in 1.0.x (4.5.s1.b1), where the LRS reads no offset as UTC."""
    response = lrs.post(statement(timestamp=value), **V2)
    assert response.status_code == 400
    assert response.json["path"] == "timestamp"
    assert "RFC 3339" in response.json["message"]
    assert lrs.post(statement(timestamp=value), **V1).status_code == 200


def test_2_0_timestamp_rules_cover_substatements_stored_and_parameters(lrs: Lrs) -> None:
    """2.0 Data 4.5 for every timestamp: SubStatement timestamp, ``stored``, and the
    ``since``/``until`` parameters (Data 2.2.s4.b4: parameters validated like properties)."""
    sub = {
        "objectType": "SubStatement",
        "actor": TRAINER,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"},
        "object": {"id": COURSE},
        "timestamp": "2025-03-01T08:30+07:00",
    }
    response = lrs.post(statement(object=sub), **V2)
    assert response.status_code == 400
    assert response.json["path"] == "object.timestamp"
    response = lrs.post(statement(stored="2025-03-01T08:30:00"), **V2)
    assert response.json["path"] == "stored"
    assert lrs.get(params={"since": "2025-03-01T08:30:00"}, **V2).status_code == 400
    assert lrs.get(params={"since": "2025-03-01T08:30:00"}, **V1).status_code == 200
    assert lrs.get(params={"until": RFC_3339_ONLY}, **V2).status_code == 200
    assert lrs.get(params={"until": RFC_3339_ONLY}, **V1).status_code == 400


@pytest.mark.parametrize(
    ("sent", "version", "returned"),
    [
        ("2025-03-01 08:30:00.250+07:00", "2.0.0", "2025-03-01T01:30:00.250Z"),
        ("2025-03-01t08:30:00z", "2.0.0", "2025-03-01T08:30:00Z"),
        ("2025-03-01T08:30:00.123456789-05:30", "2.0.0", "2025-03-01T14:00:00.123456Z"),
        ("2025-03-01T08:30+07:00", "1.0.3", "2025-03-01T01:30:00Z"),
        ("20250301T0830", "1.0.3", "2025-03-01T08:30:00Z"),
        ("2025-03-01T08:30:00,5+07", "1.0.3", "2025-03-01T01:30:00.5Z"),
    ],
)
def test_timestamps_are_returned_in_utc_rfc_3339(
    lrs: Lrs, sent: str, version: str, returned: str
) -> None:
    """2.0 Data 4.5 (4.5.s1.b6 SHOULD* -> SHALL): timestamps are returned in UTC, the same
    instant (Data 2.3.1.b4) with its fraction (4.5.s1.b3). Stored so for both versions, every
    timestamp is RFC 3339 for 2.0 clients and ISO 8601 with "T" for 1.0.x clients."""
    (statement_id,) = lrs.post(statement(timestamp=sent), X_Experience_API_Version=version).json
    for reader in (V1, V2):
        assert lrs.get(params={"statementId": statement_id}, **reader).json["timestamp"] == returned


def test_resending_a_statement_with_another_timestamp_serialisation_is_accepted(lrs: Lrs) -> None:
    """Data 2.3.1.b4, s9: the stored UTC form and the form sent are the same statement."""
    stmt = statement(id=new_id(), timestamp="2025-03-01T08:30:00")
    assert lrs.post(stmt, **V1).status_code == 200
    assert lrs.post(stmt, **V1).status_code == 200
    moved = dict(stmt, timestamp="2025-03-01T08:30:01Z")
    assert lrs.post(moved, **V1).status_code == 409


# --- language maps -------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["1.0.3", "2.0.0"])
@pytest.mark.parametrize("tag", ["english", "vi_VN", "en-US-", "abcdefghi", "en--US"])
def test_language_map_keys_are_rfc_5646_tags(lrs: Lrs, version: str, tag: str) -> None:
    """2.0 Data 4.2 / 2.2.s4.b1.b4: language map keys are RFC 5646 tags, validated in full.
    1.0.3 asks at least for the subtag lengths (2.2.s4.b2); this LRS checks the whole grammar
    in both versions, which is what 2.0 requires."""
    display = {"vi-VN": "đã học", tag: "x"}
    response = lrs.post(
        statement(verb={"id": "http://adlnet.gov/expapi/verbs/experienced", "display": display}),
        X_Experience_API_Version=version,
    )
    assert response.status_code == 400
    assert response.json["path"] == f'verb.display["{tag}"]'


def test_canonical_format_returns_one_language_per_map(lrs: Lrs) -> None:
    """2.0 Communication 2.1.3.s4 (b3, b4 SHOULD* -> SHALL): ``format=canonical`` returns one
    language within each language map, the one ``Accept-Language`` prefers."""
    (statement_id,) = lrs.post(statement(), **V2).json
    got = lrs.get(
        params={"statementId": statement_id, "format": "canonical"}, Accept_Language="en", **V2
    ).json
    assert got["verb"]["display"] == {"en-US": "experienced"}
    assert got["object"]["definition"]["name"] == {"en-US": "Online services"}


# --- documents: State concurrency and the agent parameter -----------------------------------------


def _state(lrs: Lrs, body: bytes, version: dict[str, str], **headers: str):  # type: ignore[no-untyped-def]
    return lrs.client.put(
        STATE,
        query_string=STATE_PARAMS,
        data=body,
        content_type="application/json",
        headers=lrs.h(**version, **headers),
    )


STATE_PARAMS = {
    "activityId": COURSE,
    "agent": '{"mbox": "mailto:hoa@example.vn"}',
    "stateId": "bookmark",
}


def test_2_0_state_put_over_an_existing_document_needs_a_precondition(lrs: Lrs) -> None:
    """2.0 Communication 3.1: State is under the same concurrency rules as the profiles. A
    PUT without If-Match / If-None-Match creates a new State document (204) but over an
    existing one is 409 and changes nothing (3.1.s4.b13-b15); with If-Match it replaces it."""
    assert _state(lrs, b'{"page": 1}', V2).status_code == 204
    refused = _state(lrs, b'{"page": 2}', V2)
    assert refused.status_code == 409
    assert "If-Match" in refused.json["message"]
    assert refused.headers["X-Experience-API-Version"] == "2.0.0"
    current = lrs.get(STATE, STATE_PARAMS, **V2)
    assert current.data == b'{"page": 1}'
    assert _state(lrs, b'{"page": 2}', V2, If_Match=current.headers["ETag"]).status_code == 204
    assert _state(lrs, b'{"page": 3}', V2, If_Match=current.headers["ETag"]).status_code == 412
    assert lrs.get(STATE, STATE_PARAMS).data == b'{"page": 2}'


def test_1_0_state_put_needs_no_precondition(lrs: Lrs) -> None:
    """1.0.3 Communication 3.1.s3: the State resource permits PUT without concurrency
    headers, over an existing document too."""
    assert _state(lrs, b'{"page": 1}', V1).status_code == 204
    assert _state(lrs, b'{"page": 2}', V1).status_code == 204
    assert lrs.get(STATE, STATE_PARAMS).data == b'{"page": 2}'


IDENTIFIED_GROUP = '{"objectType": "Group", "mbox": "mailto:to-cns@example.vn"}'
SAME_IFI_AGENT = '{"mbox": "mailto:to-cns@example.vn"}'


@pytest.mark.parametrize(
    ("path", "params"),
    [
        (STATE, {"activityId": COURSE, "stateId": "team-progress"}),
        ("/xapi/agents/profile", {"profileId": "team-settings"}),
    ],
)
def test_2_0_documents_take_an_identified_group(lrs: Lrs, path: str, params: dict) -> None:
    """2.0 Communication 2.3, 2.6: the ``agent`` parameter is an Agent or an identified Group
    sent without its member list; its documents are those of its identifier. 1.0.3 takes an
    Agent only (2.3.s3, 2.6.s3 tables), and anonymous Groups have no documents in either."""
    group = params | {"agent": IDENTIFIED_GROUP}
    put = lrs.client.put(
        path, query_string=group, json={"ok": 1}, headers=lrs.h(If_None_Match="*", **V2)
    )
    assert put.status_code == 204
    assert lrs.get(path, group, **V2).json == {"ok": 1}
    assert lrs.get(path, params | {"agent": SAME_IFI_AGENT}, **V2).json == {"ok": 1}
    assert lrs.get(path, group, **V1).status_code == 400
    members = orjson.loads(IDENTIFIED_GROUP) | {"member": [{"mbox": "mailto:hoa@example.vn"}]}
    with_members = lrs.get(path, params | {"agent": orjson.dumps(members).decode()}, **V2)
    assert with_members.status_code == 400
    anonymous = '{"objectType": "Group", "member": [{"mbox": "mailto:hoa@example.vn"}]}'
    assert lrs.get(path, params | {"agent": anonymous}, **V2).status_code == 400


# --- reading across versions (Communication 3.3.s5) ---------------------------------------------


def test_a_2_0_statement_read_by_a_1_0_client_is_not_converted(lrs: Lrs) -> None:
    """Communication 3.3.s5.b1, kept by 2.0 (its conformance suite's XAPI-00330): statements
    of a newer version are not converted into a prior version's format. A 1.0.3 client reads
    the 2.0 statement as stored: its contextAgents, contextGroups and ``version`` 2.0.0 (1.0.3
    clients SHOULD tolerate and ignore what they do not know, 3.3.s4.b4-b5); only the
    timestamp is in UTC, a serialisation every version reads (Data 2.3.1.b4)."""
    stmt = v2_statement()
    lrs.post(stmt, **V2)
    as_2 = lrs.get(params={"statementId": stmt["id"]}, **V2).json
    as_1 = lrs.get(params={"statementId": stmt["id"]}, **V1).json
    assert as_1 == as_2
    assert as_1["version"] == "2.0.0"
    assert as_1["context"]["contextAgents"] == CONTEXT_AGENTS
    assert as_1["timestamp"] == "2025-03-01T01:30:00.250Z"
    listed = lrs.get(params={"agent": orjson.dumps(stmt["actor"]).decode()}, **V1).json
    assert stmt["id"] in [s["id"] for s in listed["statements"]]


def test_a_1_0_statement_read_by_a_2_0_client(lrs: Lrs) -> None:
    """2.0 Data 2.4.10: a statement keeps the version it was accepted with (1.0.0 here), and
    a 1.0.x statement is a valid 2.0 statement once its timestamp is RFC 3339 (stored in UTC);
    ``format=ids`` gives 2.0 clients the same reduced form."""
    stmt = statement(id=new_id(), timestamp="2025-03-01T08:30+07:00")
    lrs.post(stmt, **V1)
    got = lrs.get(params={"statementId": stmt["id"]}, **V2).json
    assert got["version"] == "1.0.0"
    assert got["timestamp"] == "2025-03-01T01:30:00Z"
    ids = lrs.get(params={"statementId": stmt["id"], "format": "ids"}, **V2).json
    assert ids["object"] == {"id": stmt["object"]["id"]}
    assert ids["verb"] == {"id": stmt["verb"]["id"]}


def test_2_0_statements_validate_like_1_0_elsewhere(lrs: Lrs) -> None:
    """What 2.0 did not change is checked as in 1.0.3 (an empty definition is accepted, an
    unknown property refused, an authority Group with its own identifier refused)."""
    ok = copy.deepcopy(statement())
    ok["object"]["definition"] = {}
    assert lrs.post(ok, **V2).status_code == 200
    assert lrs.post(statement(extra=1), **V2).status_code == 400
    authority = {
        "objectType": "Group",
        "mbox": "mailto:oauth@example.vn",
        "member": [
            {"account": {"homePage": "https://lms146.example.vn", "name": "app"}},
            {"mbox": "mailto:hoa@example.vn"},
        ],
    }
    assert lrs.post(statement(authority=authority), **V2).status_code == 400
