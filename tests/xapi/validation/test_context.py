"""Data 2.4.6 Context and 2.4.6.2 contextActivities (XAPI-00084 .. XAPI-00095), plus xAPI 2.0's
contextAgents and contextGroups, accepted only with X-Experience-API-Version 2.0.0."""

from __future__ import annotations

from typing import Any

import pytest

from tests.xapi.validation.support import (
    AGENT,
    AGENT_ACCOUNT,
    ANONYMOUS_GROUP,
    CONTEXT,
    GROUP,
    MISSING,
    STATEMENT,
    STATEMENT_REF,
    SUBSTATEMENT,
    assert_verdict,
    case,
    patched,
    without,
)

PARENT = {"id": "https://lms.example.vn/courses/ky-nang-so"}


def _context(**changes: Any) -> dict[str, Any]:
    context = dict(CONTEXT)
    for key, value in changes.items():
        if value is MISSING:
            context.pop(key, None)
        else:
            context[key] = value
    return {"context": context}


CONTEXT_CASES = [
    case(_context(), None, "2.4.6 every context property"),
    case(
        {"context": {"registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7"}},
        None,
        "2.4.6 registration alone",
    ),
    case(
        _context(registration="EC531277-B57B-4C15-8D91-D292C5B2B8F7"),
        None,
        "4.4 uppercase registration",
    ),
    case(
        _context(registration="ec531277-b57b-4c15-8d91"),
        "context.registration",
        "XAPI-00087 registration truncated",
    ),
    case(
        _context(registration="AA97B177-9383-4934-8543-0F91A7A028368"),
        "context.registration",
        "XAPI-00087 registration too many digits",
    ),
    case(
        _context(registration="MA97B177-9383-4934-8543-0F91A7A02836"),
        "context.registration",
        "XAPI-00087 registration non-hex",
    ),
    case(_context(registration=12345), "context.registration", "XAPI-00087 registration number"),
    case(
        _context(registration={"key": "x"}),
        "context.registration",
        "XAPI-00087 registration object",
    ),
    case(_context(instructor=AGENT), None, "2.4.6 instructor agent"),
    case(_context(instructor=GROUP), None, "2.4.6 instructor MAY be a group"),
    case(
        _context(instructor={"name": "Cô Lan"}),
        "context.instructor",
        "XAPI-00087 instructor without IFI",
    ),
    case(_context(instructor="Cô Lan"), "context.instructor", "XAPI-00087 instructor string"),
    case(_context(team=GROUP), None, "2.4.6 team identified group"),
    case(_context(team=AGENT), "context.team.objectType", "XAPI-00088 team is an agent"),
    case(
        _context(team={"member": [AGENT]}),
        "context.team.objectType",
        "XAPI-00088 team without objectType",
    ),
    case(
        _context(team={"objectType": "Group"}),
        "context.team.member",
        "XAPI-00088 anonymous team without members",
    ),
    case(_context(revision=2), "context.revision", "XAPI-00089 revision number"),
    case(_context(platform=["LMS"]), "context.platform", "XAPI-00090 platform array"),
    case(
        {**_context(), "object": AGENT}, "context.revision", "XAPI-00084 revision with agent object"
    ),
    case(
        {**_context(revision=MISSING), "object": STATEMENT_REF},
        "context.platform",
        "XAPI-00085 platform with StatementRef object",
    ),
    case(
        {**_context(revision=MISSING, platform=MISSING), "object": GROUP},
        None,
        "2.4.6 context without revision/platform for a group object",
    ),
    case(
        {**_context(revision=MISSING), "object": SUBSTATEMENT},
        "context.platform",
        "XAPI-00085 platform with SubStatement object",
    ),
    case(
        {"context": {"revision": "1"}, "object": {"id": "http://a.b"}},
        None,
        "XAPI-00084 revision with objectType absent",
    ),
    case(_context(language="tlh"), None, "Appendix A language tlh"),
    case(_context(language="de"), None, "XAPI-00091 language de"),
    case(_context(language="vi_VN"), "context.language", "XAPI-00091 underscore"),
    case(_context(language="Vietnamese"), "context.language", "XAPI-00091 language name"),
    case(_context(language=""), "context.language", "XAPI-00091 empty language"),
    case(_context(language=["vi"]), "context.language", "XAPI-00091 language array"),
    case(
        _context(
            statement={"objectType": "StatementRef", "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"}
        ),
        None,
        "XAPI-00092 statement ref",
    ),
    case(
        _context(statement={"id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"}),
        "context.statement.objectType",
        "XAPI-00092 statement without objectType",
    ),
    case(
        _context(
            statement={"objectType": "StatementRef", "id": "AA97B177-9383-4934-8543-0F91A7A028368"}
        ),
        "context.statement.id",
        "XAPI-00092 statement id too long",
    ),
    case(
        _context(statement={"objectType": "StatementRef", "id": 12345}),
        "context.statement.id",
        "XAPI-00092 statement id number",
    ),
    case(
        _context(statement={**SUBSTATEMENT}),
        "context.statement.objectType",
        "XAPI-00092 SubStatement as context statement",
    ),
    case(
        _context(statement="6690e6c9-3ef0-4ed3-8b37-7f3964730bee"),
        "context.statement",
        "XAPI-00092 statement string",
    ),
    case(_context(extensions={"http://example.com/null": None}), None, "XAPI-00119 null extension"),
    case(
        _context(extensions={"unit": "HP"}),
        'context.extensions["unit"]',
        "XAPI-00118 extension key not IRI",
    ),
    case(
        _context(contextAgents=[]), "context.contextAgents", "2.0 contextAgents rejected in 1.0.3"
    ),
    case(
        _context(contextGroups=[]), "context.contextGroups", "2.0 contextGroups rejected in 1.0.3"
    ),
]


@pytest.mark.parametrize(("changes", "error"), CONTEXT_CASES)
def test_context_rules(changes: dict[str, Any], error: str | None) -> None:
    assert_verdict(patched(STATEMENT, changes), error)


def _activities(value: Any) -> dict[str, Any]:
    return {"context": {"contextActivities": value}}


CONTEXT_ACTIVITY_CASES = [
    *(
        case(_activities({key: [PARENT]}), None, f"XAPI-00093 {key} array")
        for key in ("parent", "grouping", "category", "other")
    ),
    *(
        case(_activities({key: PARENT}), None, f"2.4.6.2.s3 {key} single activity")
        for key in ("parent", "grouping", "category", "other")
    ),
    case(
        _activities(
            {
                "parent": [PARENT],
                "grouping": [PARENT],
                "category": [PARENT],
                "other": [PARENT, {"id": "http://a.b/2"}],
            }
        ),
        None,
        "XAPI-00093 all keys",
    ),
    case(_activities({"parent": []}), None, "2.4.6.2 empty array"),
    case(_activities({}), "context.contextActivities", "XAPI-00095 empty contextActivities"),
    case(
        _activities({"parents": [PARENT]}),
        "context.contextActivities.parents",
        "XAPI-00093 unknown key",
    ),
    case(
        _activities({"Parent": [PARENT]}), "context.contextActivities.Parent", "XAPI-00008 Parent"
    ),
    case(
        _activities({"other": [PARENT, {"key": "should fail"}]}),
        "context.contextActivities.other[1].key",
        "XAPI-00094 invalid object in array",
    ),
    case(
        _activities({"other": [{"key": "should fail"}, PARENT]}),
        "context.contextActivities.other[0].key",
        "XAPI-00094 invalid first object",
    ),
    case(
        _activities({"parent": [{"id": "course"}]}),
        "context.contextActivities.parent[0].id",
        "XAPI-00094 id not IRI",
    ),
    case(
        _activities({"parent": {"objectType": "Agent", "mbox": "mailto:a@b.c"}}),
        "context.contextActivities.parent.objectType",
        "XAPI-00094 agent as context activity",
    ),
    case(
        _activities({"parent": "https://lms.example.vn/courses/ky-nang-so"}),
        "context.contextActivities.parent",
        "XAPI-00094 string",
    ),
    case(_activities({"parent": None}), "context.contextActivities.parent", "XAPI-00001 null"),
    case(
        _activities({"parent": [None]}),
        "context.contextActivities.parent[0]",
        "XAPI-00001 null in array",
    ),
    case(_activities([PARENT]), "context.contextActivities", "XAPI-00086 array instead of object"),
    case(
        _activities({"category": [{"id": "http://a.b", "definition": {"name": {"x_y": "z"}}}]}),
        'context.contextActivities.category[0].definition.name["x_y"]',
        "XAPI-00056 definition inside",
    ),
    case(
        {"object": {**SUBSTATEMENT, "context": {"contextActivities": {"parent": [{"key": "x"}]}}}},
        "object.context.contextActivities.parent[0].key",
        "XAPI-00094 in a SubStatement",
    ),
]


@pytest.mark.parametrize(("changes", "error"), CONTEXT_ACTIVITY_CASES)
def test_context_activities_rules(changes: dict[str, Any], error: str | None) -> None:
    assert_verdict(patched(STATEMENT, changes), error)


# --- xAPI 2.0 contextAgents / contextGroups ---------------------------------------------------

CONTEXT_AGENT = {
    "objectType": "contextAgent",
    "agent": AGENT,
    "relevantTypes": ["https://example.com/xapi/activity-types/coach"],
}
CONTEXT_GROUP = {
    "objectType": "contextGroup",
    "group": GROUP,
    "relevantTypes": ["https://example.com/xapi/activity-types/team/a"],
}

V2_CASES = [
    case({"context": {"contextAgents": [CONTEXT_AGENT]}}, None, "2.0 contextAgents"),
    case(
        {"context": {"contextAgents": [without(CONTEXT_AGENT, "relevantTypes")]}},
        None,
        "2.0 relevantTypes optional",
    ),
    case(
        {"context": {"contextAgents": [CONTEXT_AGENT, {**CONTEXT_AGENT, "agent": AGENT_ACCOUNT}]}},
        None,
        "2.0 two contextAgents",
    ),
    case({"context": {"contextGroups": [CONTEXT_GROUP]}}, None, "2.0 contextGroups"),
    case(
        {
            "context": {
                "contextGroups": [
                    {
                        **CONTEXT_GROUP,
                        "group": {"objectType": "Group", "mbox": "mailto:player-1@example.com"},
                    }
                ]
            }
        },
        None,
        "2.0 identified group without members",
    ),
    case(
        {"context": {"contextGroups": [{**CONTEXT_GROUP, "group": ANONYMOUS_GROUP}]}},
        None,
        "2.0 anonymous group",
    ),
    case(
        {
            "context": {
                **CONTEXT,
                "contextAgents": [CONTEXT_AGENT],
                "contextGroups": [CONTEXT_GROUP],
            }
        },
        None,
        "2.0 with every 1.0 context property",
    ),
    case(
        {"object": {**SUBSTATEMENT, "context": {"contextAgents": [CONTEXT_AGENT]}}},
        None,
        "2.0 contextAgents in a SubStatement",
    ),
    case(
        {"context": {"contextAgents": [{**CONTEXT_AGENT, "objectType": "Should fail"}]}},
        "context.contextAgents[0].objectType",
        "2.0 contextAgent objectType",
    ),
    case(
        {"context": {"contextAgents": [without(CONTEXT_AGENT, "objectType")]}},
        "context.contextAgents[0].objectType",
        "2.0 contextAgent objectType required",
    ),
    case(
        {"context": {"contextAgents": [{**CONTEXT_AGENT, "agent": {"key": "Should fail"}}]}},
        "context.contextAgents[0].agent.key",
        "2.0 invalid agent",
    ),
    case(
        {"context": {"contextAgents": [{**CONTEXT_AGENT, "agent": MISSING}]}},
        "context.contextAgents[0].agent",
        "2.0 agent required",
    ),
    case(
        {"context": {"contextAgents": [{**CONTEXT_AGENT, "agent": GROUP}]}},
        "context.contextAgents[0].agent.objectType",
        "2.0 contextAgent holds an Agent, not a Group",
    ),
    case(
        {"context": {"contextAgents": [{**CONTEXT_AGENT, "relevantTypes": []}]}},
        "context.contextAgents[0].relevantTypes",
        "2.0 empty relevantTypes",
    ),
    case(
        {"context": {"contextAgents": [{**CONTEXT_AGENT, "relevantTypes": ["abc"]}]}},
        "context.contextAgents[0].relevantTypes[0]",
        "2.0 relevantTypes non-IRI",
    ),
    case(
        {"context": {"contextAgents": [{**CONTEXT_AGENT, "relevantTypes": "https://a.b"}]}},
        "context.contextAgents[0].relevantTypes",
        "2.0 relevantTypes string",
    ),
    case(
        {"context": {"contextAgents": [{**CONTEXT_AGENT, "role": "coach"}]}},
        "context.contextAgents[0].role",
        "2.0 unknown contextAgent property",
    ),
    case(
        {"context": {"contextAgents": CONTEXT_AGENT}},
        "context.contextAgents",
        "2.0 contextAgents object instead of array",
    ),
    case(
        {"context": {"contextAgents": [AGENT]}},
        "context.contextAgents[0].objectType",
        "2.0 bare agent in contextAgents",
    ),
    case(
        {"context": {"contextGroups": [{**CONTEXT_GROUP, "objectType": "Should fail"}]}},
        "context.contextGroups[0].objectType",
        "2.0 contextGroup objectType",
    ),
    case(
        {"context": {"contextGroups": [{**CONTEXT_GROUP, "group": {"key": "Should fail"}}]}},
        "context.contextGroups[0].group.objectType",
        "2.0 invalid group",
    ),
    case(
        {"context": {"contextGroups": [{**CONTEXT_GROUP, "group": AGENT}]}},
        "context.contextGroups[0].group.objectType",
        "2.0 contextGroup holds a Group",
    ),
    case(
        {"context": {"contextGroups": [{**CONTEXT_GROUP, "relevantTypes": []}]}},
        "context.contextGroups[0].relevantTypes",
        "2.0 contextGroup empty relevantTypes",
    ),
    case(
        {"context": {"contextGroups": [{**CONTEXT_GROUP, "relevantTypes": ["abc"]}]}},
        "context.contextGroups[0].relevantTypes[0]",
        "2.0 contextGroup relevantTypes non-IRI",
    ),
    case(
        {
            "object": {
                **SUBSTATEMENT,
                "context": {"contextGroups": [{**CONTEXT_GROUP, "relevantTypes": []}]},
            }
        },
        "object.context.contextGroups[0].relevantTypes",
        "2.0 SubStatement contextGroups",
    ),
]


@pytest.mark.parametrize(("changes", "error"), V2_CASES)
def test_xapi_2_context_rules(changes: dict[str, Any], error: str | None) -> None:
    assert_verdict(patched(STATEMENT, changes), error, version="2.0.0")


@pytest.mark.parametrize("version", ["1.0.0", "1.0.1", "1.0.2", "1.0.3"])
@pytest.mark.parametrize("key", ["contextAgents", "contextGroups"])
def test_xapi_2_context_properties_are_unknown_in_1_0(version: str, key: str) -> None:
    value = [CONTEXT_AGENT] if key == "contextAgents" else [CONTEXT_GROUP]
    stmt = patched(STATEMENT, {"context": {key: value}})
    assert_verdict(stmt, f"context.{key}", version=version)
