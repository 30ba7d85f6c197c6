"""Data 2.4.3 Verb, 2.4.4 Object (Agent/Group objects, StatementRef, SubStatement) and 2.3.2
Voiding (XAPI-00017, XAPI-00044 .. XAPI-00046, XAPI-00065 .. XAPI-00073)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.xapi.validation.support import (
    AGENT,
    ANONYMOUS_GROUP,
    ATTACHMENT,
    GROUP,
    MISSING,
    RESULT,
    STATEMENT,
    STATEMENT_REF,
    SUBSTATEMENT,
    assert_verdict,
    case,
    patched,
)

VOIDED = "http://adlnet.gov/expapi/verbs/voided"

VERB_CASES = [
    case(
        {"verb": {"id": "http://adlnet.gov/expapi/verbs/completed"}},
        None,
        "2.4.3 display is optional",
    ),
    case(
        {"verb.display": {"en-US": "defenestrated", "es": "defenestrado"}},
        None,
        "2.4.3.s8 spec example",
    ),
    case(
        {"verb.display": {"vi": "đã hoàn thành", "en": "completed"}}, None, "4.2 Vietnamese display"
    ),
    case({"verb.id": "http://example.com/فعل/خواندن"}, None, "2.4.3.1 non-ASCII verb IRI"),
    case({"verb.id": MISSING}, "verb.id", "XAPI-00044 id missing"),
    case({"verb.id": "completed"}, "verb.id", "XAPI-00044 id not an IRI"),
    case({"verb.id": None}, "verb.id", "XAPI-00001 id null"),
    case({"verb.display": "completed"}, "verb.display", "XAPI-00045 display string"),
    case({"verb.display": ["completed"]}, "verb.display", "XAPI-00045 display array"),
    case(
        {"verb.display": {"de-419-DE": "besucht"}},
        'verb.display["de-419-DE"]',
        "XAPI-00045 display bad tag",
    ),
    case(
        {"verb.display": {"en": {"text": "x"}}},
        'verb.display["en"]',
        "XAPI-00045 display value object",
    ),
    case({"verb.objectType": "Verb"}, "verb.objectType", "XAPI-00010 objectType on a verb"),
]


@pytest.mark.parametrize(("changes", "error"), VERB_CASES)
def test_verb_rules(changes: dict[str, Any], error: str | None) -> None:
    assert_verdict(patched(STATEMENT, changes), error)


OBJECT_CASES = [
    # Agents and Groups as objects (2.4.4.2).
    case({"object": AGENT}, None, "2.4.4.2 agent object"),
    case({"object": GROUP}, None, "2.4.4.2 identified group object"),
    case({"object": ANONYMOUS_GROUP}, None, "2.4.4.2 anonymous group object"),
    case(
        {"object": {"mbox": "mailto:an@example.vn"}},
        "object.objectType",
        "XAPI-00065 agent object without objectType",
    ),
    case(
        {"object": {"account": {"homePage": "https://a.vn", "name": "1"}}},
        "object.objectType",
        "XAPI-00065 account object without objectType",
    ),
    case(
        {"object": {"member": [AGENT]}},
        "object.objectType",
        "XAPI-00065 group object without objectType",
    ),
    case(
        {"object": {"objectType": "Agent", "id": "http://a.b"}},
        "object.id",
        "XAPI-00010 agent object with id",
    ),
    case(
        {"object": {"objectType": "Person", "mbox": "mailto:a@b.c"}},
        "object.objectType",
        "XAPI-00046 objectType Person",
    ),
    case(
        {"object": {"objectType": 5, "id": "http://a.b"}},
        "object.objectType",
        "XAPI-00046 objectType number",
    ),
    case(
        {"object": {"objectType": None, "id": "http://a.b"}},
        "object.objectType",
        "XAPI-00001 objectType null",
    ),
    # Statement references (2.4.4.3.s4).
    case({"object": STATEMENT_REF}, None, "2.4.4.3.s5 statement reference"),
    case(
        {"object": {**STATEMENT_REF, "id": STATEMENT_REF["id"].upper()}}, None, "4.4 uppercase UUID"
    ),
    case(
        {"object": {"id": STATEMENT_REF["id"]}},
        "object.id",
        "XAPI-00073 StatementRef without objectType is an Activity",
    ),
    case({"object": {"objectType": "StatementRef"}}, "object.id", "XAPI-00072 id missing"),
    case(
        {"object": {**STATEMENT_REF, "id": "9e13cefd-53d3-4eac-b5ed"}},
        "object.id",
        "XAPI-00072 truncated UUID",
    ),
    case(
        {"object": {**STATEMENT_REF, "id": "http://example.com/statement/1"}},
        "object.id",
        "XAPI-00072 IRI instead of UUID",
    ),
    case({"object": {**STATEMENT_REF, "id": 12345}}, "object.id", "XAPI-00072 number"),
    case(
        {"object": {**STATEMENT_REF, "definition": {"name": {"en": "x"}}}},
        "object.definition",
        "XAPI-00010 StatementRef with definition",
    ),
    case(
        {"object": {"objectType": "Statementref", "id": STATEMENT_REF["id"]}},
        "object.objectType",
        "XAPI-00009 objectType case",
    ),
    # SubStatements (2.4.4.3.s8).
    case({"object": SUBSTATEMENT}, None, "2.4.4.3.s9 spec example"),
    case(
        {
            "object": {
                **SUBSTATEMENT,
                "object": STATEMENT_REF,
                "verb": {"id": "http://example.com/confirmed", "display": {"en": "confirmed"}},
            }
        },
        None,
        "Appendix B.s4 SubStatement with a StatementRef object",
    ),
    case(
        {"object": {**SUBSTATEMENT, "object": AGENT}},
        None,
        "2.4.4.3 SubStatement with an agent object",
    ),
    case({"object": {**SUBSTATEMENT, "result": RESULT}}, None, "2.4.4.3 SubStatement result"),
    case(
        {
            "object": {
                **SUBSTATEMENT,
                "context": {
                    "registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
                    "platform": "LMS",
                },
            }
        },
        None,
        "2.4.4.3 SubStatement context",
    ),
    case(
        {"object": {**SUBSTATEMENT, "timestamp": "2099-01-01T00:00:00Z"}},
        None,
        "2.4.7.s3.b5 future SubStatement timestamp",
    ),
    case(
        {"object": {**SUBSTATEMENT, "attachments": [ATTACHMENT]}},
        None,
        "2.4.11 SubStatement attachments",
    ),
    case(
        {"object": {**SUBSTATEMENT, "id": "9e13cefd-53d3-4eac-b5ed-2cf6693903bb"}},
        "object.id",
        "XAPI-00070 SubStatement id",
    ),
    case(
        {"object": {**SUBSTATEMENT, "stored": "2013-05-18T05:32:34.804Z"}},
        "object.stored",
        "XAPI-00069 SubStatement stored",
    ),
    case(
        {"object": {**SUBSTATEMENT, "version": "1.0.0"}},
        "object.version",
        "XAPI-00068 SubStatement version",
    ),
    case(
        {"object": {**SUBSTATEMENT, "authority": AGENT}},
        "object.authority",
        "XAPI-00067 SubStatement authority",
    ),
    case(
        {"object": {**SUBSTATEMENT, "object": SUBSTATEMENT}},
        "object.object.objectType",
        "XAPI-00071 nested SubStatement",
    ),
    case(
        {"object": {**SUBSTATEMENT, "actor": MISSING}},
        "object.actor",
        "XAPI-00066 SubStatement actor missing",
    ),
    case(
        {"object": {**SUBSTATEMENT, "verb": MISSING}},
        "object.verb",
        "XAPI-00066 SubStatement verb missing",
    ),
    case(
        {"object": {**SUBSTATEMENT, "object": MISSING}},
        "object.object",
        "XAPI-00066 SubStatement object missing",
    ),
    case(
        {"object": {**SUBSTATEMENT, "verb": {"id": "visited"}}},
        "object.verb.id",
        "XAPI-00066 SubStatement verb id",
    ),
    case(
        {"object": {**SUBSTATEMENT, "verb": {"id": "http://a.b/v", "display": {"de-419-DE": "x"}}}},
        'object.verb.display["de-419-DE"]',
        "XAPI-00013 SubStatement display tag",
    ),
    case(
        {"object": {**SUBSTATEMENT, "object": {"id": "website"}}},
        "object.object.id",
        "XAPI-00066 SubStatement activity id",
    ),
    case(
        {"object": {**SUBSTATEMENT, "timestamp": "yesterday"}},
        "object.timestamp",
        "XAPI-00066 SubStatement timestamp",
    ),
    case(
        {"object": {**SUBSTATEMENT, "result": {"success": "yes"}}},
        "object.result.success",
        "XAPI-00066 SubStatement result",
    ),
    case(
        {"object": {**SUBSTATEMENT, "context": {"platform": "LMS"}, "object": AGENT}},
        "object.context.platform",
        "XAPI-00085 SubStatement platform with agent object",
    ),
    case(
        {"object": {**SUBSTATEMENT, "extra": 1}},
        "object.extra",
        "XAPI-00010 SubStatement unknown property",
    ),
    case(
        {"object": {**SUBSTATEMENT, "objectType": "Substatement"}},
        "object.objectType",
        "XAPI-00009 SubStatement case",
    ),
]


@pytest.mark.parametrize(("changes", "error"), OBJECT_CASES)
def test_object_rules(changes: dict[str, Any], error: str | None) -> None:
    assert_verdict(patched(STATEMENT, changes), error)


VOIDING_CASES = [
    case(
        {"verb": {"id": VOIDED, "display": {"en-US": "voided"}}, "object": STATEMENT_REF},
        None,
        "2.3.2.s3 voiding example",
    ),
    case(
        {"verb": {"id": VOIDED}, "object": {"id": "http://example.com/a"}},
        "object.objectType",
        "XAPI-00017 voiding an activity",
    ),
    case(
        {"verb": {"id": VOIDED}, "object": AGENT},
        "object.objectType",
        "XAPI-00017 voiding an agent",
    ),
    case(
        {"verb": {"id": VOIDED}, "object": SUBSTATEMENT},
        "object.objectType",
        "XAPI-00017 voiding a SubStatement",
    ),
    case(
        {"verb": {"id": "http://example.com/unvoided"}, "object": {"id": "http://example.com/a"}},
        None,
        "2.3.2 only the reserved verb IRI voids",
    ),
]


@pytest.mark.parametrize(("changes", "error"), VOIDING_CASES)
def test_voiding_rules(changes: dict[str, Any], error: str | None) -> None:
    assert_verdict(patched(STATEMENT, changes), error)
