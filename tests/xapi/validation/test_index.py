"""Query columns extracted from stored statements (Communication 2.1.3 filters: agent,
related_agents, activity, related_activities, registration, verb; 2.1.4 voiding)."""

from __future__ import annotations

from typing import Any

import pytest

from lms.xapi.validation import StatementIndex, statement_index, validate_statement
from tests.xapi.validation.support import (
    AGENT,
    AGENT_ACCOUNT,
    ANONYMOUS_GROUP,
    GROUP,
    STATEMENT,
    STATEMENT_REF,
    SUBSTATEMENT,
    patched,
)

AN = "mbox:mailto:an@example.vn"
ACCOUNT_42 = "account:https://lms.example.vn|42"
GROUP_1 = "account:https://lms.example.vn|group-1"
LMS = "account:https://lms.example.vn|lms"
COURSE = "https://lms.example.vn/courses/ky-nang-so"
AUTHORITY = {
    "objectType": "Agent",
    "account": {"homePage": "https://lms.example.vn", "name": "lms"},
}
STORED = {"stored": "2025-01-02T03:04:05.678Z", "authority": AUTHORITY}


def _index(changes: dict[str, Any], *, version: str = "1.0.3") -> StatementIndex:
    stmt = patched(STATEMENT, {**STORED, **changes})
    validate_statement(stmt, version=version)
    return statement_index(stmt)


def test_simple_statement() -> None:
    index = _index({"timestamp": "2025-01-02T10:04:05+07:00"})
    assert index == StatementIndex(
        statement_id="fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
        actor_ifi=AN,
        actor_member_ifis=[],
        verb_id="http://adlnet.gov/expapi/verbs/completed",
        object_type="Activity",
        object_activity_id=COURSE,
        object_agent_ifi=None,
        object_statement_ref=None,
        registration=None,
        voided_statement_id=None,
        related_activity_ids=[COURSE],
        related_agent_ifis=[AN, LMS],
        timestamp="2025-01-02T10:04:05+07:00",
        stored="2025-01-02T03:04:05.678Z",
    )


def test_ids_and_registration_are_lowercased_for_lookups() -> None:
    index = _index(
        {
            "id": "FD41C918-B88B-4B20-A0A5-A4C32391AAA0",
            "context": {"registration": "EC531277-B57B-4C15-8D91-D292C5B2B8F7"},
        }
    )
    assert index.statement_id == "fd41c918-b88b-4b20-a0a5-a4c32391aaa0"
    assert index.registration == "ec531277-b57b-4c15-8d91-d292c5b2b8f7"


def test_object_type_defaults_to_activity() -> None:
    assert _index({"object": {"id": COURSE}}).object_type == "Activity"


@pytest.mark.parametrize(
    ("actor", "ifi", "members"),
    [
        pytest.param(AGENT, AN, [], id="agent"),
        pytest.param(GROUP, GROUP_1, [AN, ACCOUNT_42], id="identified group"),
        pytest.param(ANONYMOUS_GROUP, None, [AN, ACCOUNT_42], id="anonymous group"),
        pytest.param(
            {"mbox": "mailto:An@EXAMPLE.vn"}, "mbox:mailto:An@example.vn", [], id="mbox domain case"
        ),
    ],
)
def test_actor_columns(actor: dict[str, Any], ifi: str | None, members: list[str]) -> None:
    index = _index({"actor": actor})
    assert index.actor_ifi == ifi
    assert index.actor_member_ifis == members
    assert set(members) <= set(index.related_agent_ifis)


@pytest.mark.parametrize(
    ("obj", "agent_ifi", "members"),
    [
        pytest.param(AGENT_ACCOUNT | {"objectType": "Agent"}, ACCOUNT_42, [], id="agent object"),
        pytest.param(GROUP, GROUP_1, [AN, ACCOUNT_42], id="identified group object"),
        pytest.param(ANONYMOUS_GROUP, None, [AN, ACCOUNT_42], id="anonymous group object"),
    ],
)
def test_agent_object_columns(
    obj: dict[str, Any], agent_ifi: str | None, members: list[str]
) -> None:
    index = _index({"actor": {"mbox": "mailto:teacher@example.vn"}, "object": obj})
    assert index.object_type == obj["objectType"]
    assert index.object_agent_ifi == agent_ifi
    assert index.object_member_ifis == members
    assert index.object_activity_id is None
    assert index.related_activity_ids == []
    for ifi in [agent_ifi, *members]:
        if ifi:
            assert ifi in index.related_agent_ifis


def test_statement_ref_object() -> None:
    index = _index({"object": {**STATEMENT_REF, "id": STATEMENT_REF["id"].upper()}})
    assert index.object_type == "StatementRef"
    assert index.object_statement_ref == STATEMENT_REF["id"]
    assert index.voided_statement_id is None
    assert index.object_activity_id is None


def test_voiding_statement_names_its_target() -> None:
    index = _index(
        {"verb": {"id": "http://adlnet.gov/expapi/verbs/voided"}, "object": STATEMENT_REF}
    )
    assert index.voided_statement_id == STATEMENT_REF["id"]
    assert index.object_statement_ref == STATEMENT_REF["id"]


def test_related_activities_cover_context_and_substatement() -> None:
    """related_activities: object, context activities, and those inside a SubStatement."""
    context = {
        "contextActivities": {
            "parent": {"id": "http://a.vn/parent"},  # single object form
            "grouping": [{"id": "http://a.vn/grouping"}, {"id": COURSE}],
            "category": [{"id": "http://a.vn/category"}],
            "other": [{"id": "http://a.vn/other"}],
        }
    }
    sub = {
        **SUBSTATEMENT,
        "context": {"contextActivities": {"parent": [{"id": "http://a.vn/sub-parent"}]}},
    }
    index = _index({"context": context, "object": sub})
    assert index.object_type == "SubStatement"
    assert index.object_activity_id is None
    assert index.related_activity_ids == [
        "http://a.vn/parent",
        "http://a.vn/grouping",
        COURSE,
        "http://a.vn/category",
        "http://a.vn/other",
        "http://example.com/website",
        "http://a.vn/sub-parent",
    ]


def test_related_agents_cover_every_agent_position() -> None:
    """related_agents: actor, object, authority, instructor, team (+ members), SubStatement."""
    teacher = {"mbox": "mailto:teacher@example.vn"}
    sub = {
        **SUBSTATEMENT,
        "actor": {"mbox": "mailto:sub-actor@example.vn"},
        "object": {"objectType": "Agent", "mbox": "mailto:sub-object@example.vn"},
        "context": {"instructor": {"mbox": "mailto:sub-instructor@example.vn"}},
    }
    index = _index(
        {
            "actor": GROUP,
            "object": sub,
            "context": {"instructor": teacher, "team": ANONYMOUS_GROUP},
        }
    )
    assert index.related_agent_ifis == [
        GROUP_1,
        AN,
        ACCOUNT_42,
        "mbox:mailto:teacher@example.vn",
        LMS,
        "mbox:mailto:sub-actor@example.vn",
        "mbox:mailto:sub-object@example.vn",
        "mbox:mailto:sub-instructor@example.vn",
    ]


def test_xapi_2_context_agents_and_groups_are_related_agents() -> None:
    context = {
        "contextAgents": [
            {"objectType": "contextAgent", "agent": {"mbox": "mailto:coach@example.vn"}}
        ],
        "contextGroups": [{"objectType": "contextGroup", "group": GROUP}],
    }
    index = _index({"context": context}, version="2.0.0")
    assert "mbox:mailto:coach@example.vn" in index.related_agent_ifis
    assert GROUP_1 in index.related_agent_ifis
    assert ACCOUNT_42 in index.related_agent_ifis


def test_registration_comes_from_the_statement_context() -> None:
    index = _index({"context": {"registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7"}})
    assert index.registration == "ec531277-b57b-4c15-8d91-d292c5b2b8f7"


def test_missing_timestamp_and_stored_are_none() -> None:
    stmt = patched(STATEMENT, {})
    assert statement_index(stmt).timestamp is None
    assert statement_index(stmt).stored is None
