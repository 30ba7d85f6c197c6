"""Data 2.2 Formatting Requirements: required properties, unknown and mis-cased keys, nulls,
empty objects and wrong JSON types (XAPI-00001 .. XAPI-00011)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.xapi.validation.support import (
    ACTIVITY,
    ATTACHMENT,
    CONTEXT,
    MISSING,
    RESULT,
    STATEMENT,
    assert_verdict,
    case,
    patched,
)

FULL = {**STATEMENT, "result": RESULT, "context": CONTEXT, "attachments": [ATTACHMENT]}

CASES = [
    case({}, None, "2.4.s2 simplest statement is valid"),
    case({"": FULL}, None, "2.4 statement using every property is valid"),
    case({"id": MISSING}, None, "2.4.1 id is optional (LRS assigns it)"),
    # Required properties (Data 2.2.s2.b3).
    case({"actor": MISSING}, "actor", "XAPI-00003 actor missing"),
    case({"verb": MISSING}, "verb", "XAPI-00004 verb missing"),
    case({"object": MISSING}, "object", "XAPI-00005 object missing"),
    case({"actor": {}}, "actor", "XAPI-00001 empty actor"),
    case({"verb": {}}, "verb", "XAPI-00001 empty verb"),
    case({"object": {}}, "object", "XAPI-00001 empty object"),
    # Null values are rejected everywhere except inside extensions (Data 2.2.s4.b1.b1).
    case({"id": None}, "id", "XAPI-00001 null id"),
    case({"actor": None}, "actor", "XAPI-00001 null actor"),
    case({"verb": None}, "verb", "XAPI-00001 null verb"),
    case({"object": None}, "object", "XAPI-00001 null object"),
    case({"actor.name": None}, "actor.name", "XAPI-00001 null actor name"),
    case({"verb.display.en-US": None}, 'verb.display["en-US"]', "XAPI-00001 null display value"),
    case({"timestamp": None}, "timestamp", "XAPI-00001 null timestamp"),
    case({"stored": None}, "stored", "XAPI-00001 null stored"),
    case({"authority": None}, "authority", "XAPI-00001 null authority"),
    case({"version": None}, "version", "XAPI-00001 null version"),
    case({"attachments": None}, "attachments", "XAPI-00001 null attachments"),
    case({"result": None}, "result", "XAPI-00001 null result"),
    case({"context": None}, "context", "XAPI-00001 null context"),
    case(
        {"object.definition.moreInfo": None},
        "object.definition.moreInfo",
        "XAPI-00001 null moreInfo",
    ),
    case(
        {"context": {**CONTEXT, "registration": None}},
        "context.registration",
        "XAPI-00001 null registration",
    ),
    case({"result": {**RESULT, "success": None}}, "result.success", "XAPI-00001 null success"),
    case(
        {"result": {"extensions": {"http://example.com/null": None}}},
        None,
        "XAPI-00119 null extension value accepted",
    ),
    # Empty objects (XAPI-00001) -- except extensions, and an Activity definition: every
    # property of a definition is optional and Data 2.2.s2.b1 says only SHOULD NOT.
    case({"result": {}}, "result", "XAPI-00001 empty result"),
    case({"context": {}}, "context", "XAPI-00001 empty context"),
    case({"object.definition": {}}, None, "Data 2.2.s2.b1 empty definition accepted"),
    case({"verb.display": {}}, "verb.display", "XAPI-00001 empty language map"),
    case({"result": {"score": {}}}, "result.score", "XAPI-00001 empty score"),
    case({"result": {"extensions": {}}}, None, "XAPI-00119 empty extensions accepted"),
    # Unknown properties (Data 2.2.s4.b1.b7, b8).
    case({"extra": 1}, "extra", "XAPI-00010 unknown statement property"),
    case({"objectType": "Statement"}, "objectType", "XAPI-00010 objectType on a statement"),
    case({"actor.email": "a@b.c"}, "actor.email", "XAPI-00010 unknown agent property"),
    case({"verb.name": {"en": "x"}}, "verb.name", "XAPI-00010 unknown verb property"),
    case({"object.name": "x"}, "object.name", "XAPI-00010 unknown activity property"),
    case(
        {"object.definition.title": {"en": "x"}},
        "object.definition.title",
        "XAPI-00010 unknown definition property",
    ),
    case({"result": {"grade": "A"}}, "result.grade", "XAPI-00010 unknown result property"),
    case({"context": {"course": "x"}}, "context.course", "XAPI-00010 unknown context property"),
    # Key case must match the specification (Data 2.2.s4.b1.b5).
    case({"iD": "fd41c918-b88b-4b20-a0a5-a4c32391aaa0", "id": MISSING}, "iD", "XAPI-00008 iD"),
    case({"Actor": STATEMENT["actor"], "actor": MISSING}, "Actor", "XAPI-00008 Actor"),
    case({"veRb": STATEMENT["verb"], "verb": MISSING}, "veRb", "XAPI-00008 veRb"),
    case({"oBject": ACTIVITY, "object": MISSING}, "oBject", "XAPI-00008 oBject"),
    case({"RESULT": RESULT}, "RESULT", "XAPI-00008 RESULT"),
    case({"conText": CONTEXT}, "conText", "XAPI-00008 conText"),
    case({"timeStamp": "2013-05-18T05:32:34.804Z"}, "timeStamp", "XAPI-00008 timeStamp"),
    case({"STOred": "2013-05-18T05:32:34.804Z"}, "STOred", "XAPI-00008 STOred"),
    case({"auTHORity": STATEMENT["actor"]}, "auTHORity", "XAPI-00008 auTHORity"),
    case({"Version": "1.0.3"}, "Version", "XAPI-00008 Version"),
    case({"attachmentS": [ATTACHMENT]}, "attachmentS", "XAPI-00008 attachmentS"),
    case({"actor.Mbox": "mailto:a@b.c", "actor.mbox": MISSING}, "actor.Mbox", "XAPI-00008 Mbox"),
    case({"object.ID": "http://a.b", "object.id": MISSING}, "object.ID", "XAPI-00008 activity ID"),
    case(
        {"object.objecttype": "Activity", "object.objectType": MISSING},
        "object.objecttype",
        "XAPI-00008 objecttype",
    ),
    # Case of enumerated values must match exactly (Data 2.2.s4.b1.b6).
    case({"actor.objectType": "agent"}, "actor.objectType", "XAPI-00009 objectType agent"),
    case({"object.objectType": "activity"}, "object.objectType", "XAPI-00009 objectType activity"),
    case(
        {"object": {"objectType": "statementref", "id": "9e13cefd-53d3-4eac-b5ed-2cf6693903bb"}},
        "object.objectType",
        "XAPI-00009 statementref",
    ),
    # Wrong data types (Data 2.2.s4.b1.b2, b3).
    case(
        {"result": {"score": {"max": "one hundred"}}},
        "result.score.max",
        "XAPI-00006 string for a number",
    ),
    case(
        {"result": {"score": {"max": "100"}}},
        "result.score.max",
        "XAPI-00006 numeric string for a number",
    ),
    case(
        {"result": {"success": "We regret to inform you"}},
        "result.success",
        "XAPI-00006 string for a boolean",
    ),
    case(
        {"result": {"completion": "false"}}, "result.completion", "XAPI-00006 'false' for a boolean"
    ),
    case({"result": {"completion": 0}}, "result.completion", "XAPI-00006 0 for a boolean"),
    case(
        {"result": {"score": {"raw": True}}}, "result.score.raw", "XAPI-00006 boolean for a number"
    ),
    case({"actor": "mailto:a@b.c"}, "actor", "XAPI-00006 string for an actor"),
    case({"actor": [STATEMENT["actor"]]}, "actor", "XAPI-00006 array for an actor"),
    case(
        {"verb": "http://adlnet.gov/expapi/verbs/completed"}, "verb", "XAPI-00006 string for a verb"
    ),
    case({"object": "http://example.com/a"}, "object", "XAPI-00006 string for an object"),
    case({"actor.name": 123}, "actor.name", "XAPI-00033 number for agent name"),
    case({"actor.name": {"key": "value"}}, "actor.name", "XAPI-00033 object for agent name"),
    case({"actor.objectType": 123}, "actor.objectType", "XAPI-00032 number for objectType"),
    # Empty strings where a format is required (Data 2.2.s4.b1.b4).
    case({"id": ""}, "id", "XAPI-00007 empty id"),
    case({"verb.id": ""}, "verb.id", "XAPI-00007 empty verb id"),
    case({"object.id": ""}, "object.id", "XAPI-00007 empty activity id"),
    case({"actor.mbox": ""}, "actor.mbox", "XAPI-00007 empty mbox"),
    case({"timestamp": ""}, "timestamp", "XAPI-00007 empty timestamp"),
    # IRIs without a scheme (Data 2.2.s4.b1.b8).
    case(
        {"verb.id": "adlnet.gov/expapi/verbs/completed"},
        "verb.id",
        "XAPI-00011 verb id without scheme",
    ),
    case({"object.id": "/courses/1"}, "object.id", "XAPI-00011 relative activity id"),
    case(
        {"object.definition.type": "cmi.interaction"},
        "object.definition.type",
        "XAPI-00011 type without scheme",
    ),
]


@pytest.mark.parametrize(("changes", "error"), CASES)
def test_formatting_rules(changes: dict[str, Any], error: str | None) -> None:
    assert_verdict(patched(STATEMENT, changes), error)


def test_mis_cased_key_message_names_the_right_spelling() -> None:
    """XAPI-00008: the message tells the provider which spelling the spec uses."""
    from lms.xapi.validation import XapiValidationError, validate_statement

    stmt = patched(STATEMENT, {"Actor": STATEMENT["actor"], "actor": MISSING})
    with pytest.raises(XapiValidationError, match='use "actor"'):
        validate_statement(stmt)


@pytest.mark.parametrize(
    "payload",
    [None, "statement", 42, True, 1.5],
    ids=["null", "string", "number", "boolean", "float"],
)
def test_statement_that_is_not_an_object_is_rejected(payload: Any) -> None:
    """XAPI-00014: statements are JSON objects."""
    assert_verdict(payload, "statement")
