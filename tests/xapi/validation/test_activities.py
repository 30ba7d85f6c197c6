"""Data 2.4.4.1 Activities: id, definition, interaction activities and components
(XAPI-00047 .. XAPI-00064), Appendix C examples, and the activityId parameter."""

from __future__ import annotations

from typing import Any

import pytest

from lms.xapi.validation import XapiValidationError, validate_activity_id
from tests.xapi.validation.support import (
    CHOICE_DEFINITION,
    MISSING,
    STATEMENT,
    SUBSTATEMENT,
    assert_verdict,
    case,
    patched,
)

INTERACTION = "http://adlnet.gov/expapi/activities/cmi.interaction"


def _components(*ids: str) -> list[dict[str, Any]]:
    return [{"id": component_id, "description": {"en-US": component_id}} for component_id in ids]


# Appendix C: one valid definition per interaction type.
APPENDIX_C = {
    "true-false": {"interactionType": "true-false", "correctResponsesPattern": ["true"]},
    "choice": CHOICE_DEFINITION,
    "fill-in": {"interactionType": "fill-in", "correctResponsesPattern": ["Bob's your uncle"]},
    "long-fill-in": {
        "interactionType": "long-fill-in",
        "correctResponsesPattern": [
            "{case_matters=false}{lang=en}To store and provide access to learning experiences."
        ],
    },
    "likert": {
        "interactionType": "likert",
        "correctResponsesPattern": ["likert_3"],
        "scale": _components("likert_0", "likert_1", "likert_2", "likert_3"),
    },
    "matching": {
        "interactionType": "matching",
        "correctResponsesPattern": ["ben[.]3[,]chris[.]2[,]troy[.]4[,]freddie[.]1"],
        "source": _components("ben", "chris", "troy", "freddie"),
        "target": _components("1", "2", "3", "4"),
    },
    "performance": {
        "interactionType": "performance",
        "correctResponsesPattern": ["pong[.]1:[,]dg[.]:10[,]lunch[.]"],
        "steps": _components("pong", "dg", "lunch"),
    },
    "sequencing": {
        "interactionType": "sequencing",
        "correctResponsesPattern": ["tim[,]mike[,]ells[,]ben"],
        "choices": _components("tim", "ben", "ells", "mike"),
    },
    "numeric": {"interactionType": "numeric", "correctResponsesPattern": ["4[:]"]},
    "other": {"interactionType": "other", "correctResponsesPattern": ["(35.937432,-86.868896)"]},
}


def _definition(interaction_type: str, **changes: Any) -> dict[str, Any]:
    definition = {
        "description": {"en-US": "An interaction"},
        "type": INTERACTION,
        **APPENDIX_C[interaction_type],
    }
    for key, value in changes.items():
        if value is MISSING:
            definition.pop(key, None)
        else:
            definition[key] = value
    return {"object.definition": definition}


ACTIVITY_CASES = [
    case({}, None, "2.4.4.1 activity with name and type"),
    case(
        {"object": {"id": "http://example.adlnet.gov/xapi/example/activity"}},
        None,
        "2.4.4.1 objectType optional",
    ),
    case({"object.objectType": MISSING}, None, "2.4.4.s2 objectType absent means Activity"),
    case({"object.id": MISSING}, "object.id", "XAPI-00047 id missing"),
    case({"object.id": "not an iri"}, "object.id", "XAPI-00047 id not an IRI"),
    case({"object.id": "http://example.com/فعل/خواندن"}, None, "4.3 non-ASCII IRI"),
    case({"object.id": 42}, "object.id", "XAPI-00047 id number"),
    case({"object.objectType": "Activities"}, "object.objectType", "XAPI-00046 objectType typo"),
    case({"object.definition": {}}, None, "Data 2.2.s2.b1 empty definition: SHOULD NOT only"),
    case(
        {"object": {**SUBSTATEMENT, "object": {"id": "http://a.vn/x", "definition": {}}}},
        None,
        "Data 2.2.s2.b1 empty definition inside a SubStatement",
    ),
    case(
        {
            "object": {
                **SUBSTATEMENT,
                "context": {
                    "contextActivities": {"parent": [{"id": "http://a.vn/p", "definition": {}}]}
                },
            }
        },
        None,
        "Data 2.2.s2.b1 empty definition of a SubStatement's context activity",
    ),
    case(
        {
            "context": {
                "contextActivities": {"grouping": [{"id": "http://a.vn/g", "definition": {}}]}
            }
        },
        None,
        "Data 2.2.s2.b1 empty definition of a context activity",
    ),
    case(
        {"object": {**SUBSTATEMENT, "object": {"id": "http://a.vn/x", "definition": []}}},
        "object.object.definition",
        "XAPI-00048 definition array inside a SubStatement",
    ),
    case({"object.definition": "course"}, "object.definition", "XAPI-00048 definition string"),
    case({"object.definition": []}, "object.definition", "XAPI-00048 definition array"),
    case(
        {"object.definition.name": "Kỹ năng số"}, "object.definition.name", "XAPI-00056 name string"
    ),
    case(
        {"object.definition.name": {"vi_VN": "x"}},
        'object.definition.name["vi_VN"]',
        "XAPI-00056 name bad tag",
    ),
    case(
        {"object.definition.description": {"de-419-DE": "x"}},
        'object.definition.description["de-419-DE"]',
        "XAPI-00059 description bad tag",
    ),
    case(
        {"object.definition.description": {"vi": 1}},
        'object.definition.description["vi"]',
        "XAPI-00059 description value number",
    ),
    case({"object.definition.type": "course"}, "object.definition.type", "XAPI-00060 type not IRI"),
    case(
        {"object.definition.type": ["http://a.b"]},
        "object.definition.type",
        "XAPI-00060 type array",
    ),
    case(
        {"object.definition.moreInfo": "https://lms.example.vn/courses/1"},
        None,
        "2.4.4.1.s2 moreInfo IRL",
    ),
    case(
        {"object.definition.moreInfo": "courses/1"},
        "object.definition.moreInfo",
        "XAPI-00061 moreInfo relative",
    ),
    case(
        {"object.definition.moreInfo": "urn:isbn:0451450523"},
        "object.definition.moreInfo",
        "XAPI-00061 moreInfo not a locator",
    ),
    case(
        {"object.definition.extensions": {"http://example.com/room": {"name": "Kilby"}}},
        None,
        "4.1 definition extensions",
    ),
    case(
        {"object.definition.extensions": {"room": 1}},
        'object.definition.extensions["room"]',
        "XAPI-00057 extension key not IRI",
    ),
    case(
        {"object.definition.extensions": ["http://a.b"]},
        "object.definition.extensions",
        "XAPI-00057 extensions array",
    ),
    case({"object.definition.interactionType": "choice"}, None, "2.4.4.1.s8 interactionType alone"),
]


@pytest.mark.parametrize(("changes", "error"), ACTIVITY_CASES)
@pytest.mark.parametrize("version", ["1.0.3", "2.0.0"])
def test_activity_rules(changes: dict[str, Any], error: str | None, version: str) -> None:
    assert_verdict(patched(STATEMENT, changes), error, version=version)


INTERACTION_CASES = [
    *(case(_definition(kind), None, f"Appendix C {kind}") for kind in APPENDIX_C),
    # interactionType values (XAPI-00049, XAPI-00009).
    *(
        case(
            _definition(kind, interactionType=wrong),
            "object.definition.interactionType",
            f"XAPI-00009 interactionType {wrong}",
        )
        for kind, wrong in [
            ("true-false", "true-faLse"),
            ("choice", "choiCe"),
            ("fill-in", "fill-iN"),
            ("long-fill-in", "long-fiLl-in"),
            ("matching", "matchIng"),
            ("performance", "perfOrmance"),
            ("sequencing", "seqUencing"),
            ("likert", "liKert"),
            ("numeric", "nUmeric"),
            ("other", "Other"),
        ]
    ),
    case(
        _definition("other", interactionType="essay"),
        "object.definition.interactionType",
        "XAPI-00049 unknown type",
    ),
    case(
        _definition("other", interactionType=""),
        "object.definition.interactionType",
        "XAPI-00049 empty",
    ),
    case(
        _definition("other", interactionType=None),
        "object.definition.interactionType",
        "XAPI-00001 null",
    ),
    case(
        _definition("other", interactionType=["other"]),
        "object.definition.interactionType",
        "XAPI-00049 array",
    ),
    # correctResponsesPattern (XAPI-00050, XAPI-00064).
    case(
        _definition("choice", correctResponsesPattern=[]),
        None,
        "2.4.4.1.s11 empty pattern: no correct answer",
    ),
    case(
        _definition("choice", correctResponsesPattern=MISSING),
        None,
        "2.4.4.1.s11 no pattern: any answer",
    ),
    case(
        _definition("true-false", correctResponsesPattern="true"),
        "object.definition.correctResponsesPattern",
        "XAPI-00050 string",
    ),
    case(
        _definition("true-false", correctResponsesPattern=[True]),
        "object.definition.correctResponsesPattern[0]",
        "XAPI-00050 boolean item",
    ),
    case(
        _definition("numeric", correctResponsesPattern=["1", 4]),
        "object.definition.correctResponsesPattern[1]",
        "XAPI-00050 number item",
    ),
    case(
        _definition("numeric", correctResponsesPattern=[None]),
        "object.definition.correctResponsesPattern[0]",
        "XAPI-00001 null item",
    ),
    case(
        _definition("numeric", correctResponsesPattern=["x" * 5000]),
        None,
        "2.4.4.1.s13.b4 no length limit",
    ),
    case(
        _definition("choice", interactionType=MISSING),
        "object.definition.interactionType",
        "XAPI-00064 pattern without type",
    ),
    case(
        {"object.definition": {"choices": _components("a", "b")}},
        "object.definition.interactionType",
        "XAPI-00064 choices without type",
    ),
    case(
        {"object.definition": {"scale": _components("a")}},
        "object.definition.interactionType",
        "XAPI-00064 scale without type",
    ),
    # Component lists only for their interaction types (2.4.4.1.s15 table 2).
    case(
        _definition("true-false", choices=_components("t", "f")),
        "object.definition.choices",
        "2.4.4.1.s15 choices on true-false",
    ),
    case(
        _definition("choice", scale=_components("a")),
        "object.definition.scale",
        "2.4.4.1.s15 scale on choice",
    ),
    case(
        _definition("likert", choices=_components("a")),
        "object.definition.choices",
        "2.4.4.1.s15 choices on likert",
    ),
    case(
        _definition("matching", steps=_components("a")),
        "object.definition.steps",
        "2.4.4.1.s15 steps on matching",
    ),
    case(
        _definition("performance", source=_components("a")),
        "object.definition.source",
        "2.4.4.1.s15 source on performance",
    ),
    case(
        _definition("sequencing", target=_components("a")),
        "object.definition.target",
        "2.4.4.1.s15 target on sequencing",
    ),
    case(
        _definition("fill-in", choices=_components("a")),
        "object.definition.choices",
        "2.4.4.1.s15 choices on fill-in",
    ),
    case(
        _definition("numeric", scale=_components("a")),
        "object.definition.scale",
        "2.4.4.1.s15 scale on numeric",
    ),
    case(
        _definition("other", steps=_components("a")),
        "object.definition.steps",
        "2.4.4.1.s15 steps on other",
    ),
    case(
        _definition("long-fill-in", target=_components("a")),
        "object.definition.target",
        "2.4.4.1.s15 target on long-fill-in",
    ),
    case(_definition("matching", source=[]), None, "2.4.4.1.s15 empty component list"),
    case(_definition("choice", choices=MISSING), None, "2.4.4.1.s8 choices optional"),
    # Interaction components (XAPI-00051 .. XAPI-00055, XAPI-00058, XAPI-00062, XAPI-00063).
    case(
        _definition("choice", choices={"id": "a"}),
        "object.definition.choices",
        "XAPI-00055 choices object",
    ),
    case(
        _definition("likert", scale="likert_0"),
        "object.definition.scale",
        "XAPI-00054 scale string",
    ),
    case(
        _definition("matching", source=[["ben"]]),
        "object.definition.source[0]",
        "XAPI-00063 component array",
    ),
    case(
        _definition("matching", target=["1"]),
        "object.definition.target[0]",
        "XAPI-00063 component string",
    ),
    case(
        _definition("performance", steps=[{}]),
        "object.definition.steps[0]",
        "XAPI-00063 empty component",
    ),
    case(
        _definition("performance", steps=[{"description": {"en": "x"}}]),
        "object.definition.steps[0].id",
        "XAPI-00058 id missing",
    ),
    case(
        _definition("choice", choices=[{"id": 1}]),
        "object.definition.choices[0].id",
        "XAPI-00058 id number",
    ),
    case(
        _definition("choice", choices=[{"id": ""}]),
        "object.definition.choices[0].id",
        "XAPI-00058 id empty",
    ),
    case(
        _definition("choice", choices=[{"id": None}]),
        "object.definition.choices[0].id",
        "XAPI-00001 id null",
    ),
    case(
        _definition("choice", choices=_components("golf", "tetris", "golf")),
        "object.definition.choices[2].id",
        "XAPI-00058 duplicate id",
    ),
    case(_definition("choice", choices=[{"id": "golf"}]), None, "2.4.4.1.s15 description optional"),
    case(
        _definition("choice", choices=[{"id": "golf", "description": "Golf"}]),
        "object.definition.choices[0].description",
        "XAPI-00062 description string",
    ),
    case(
        _definition("choice", choices=[{"id": "golf", "description": {"english": "Golf"}}]),
        'object.definition.choices[0].description["english"]',
        "XAPI-00062 description bad tag",
    ),
    case(
        _definition("choice", choices=[{"id": "golf", "name": {"en": "Golf"}}]),
        "object.definition.choices[0].name",
        "XAPI-00010 unknown component property",
    ),
    case(
        _definition("matching", target=_components("1", "1")),
        "object.definition.target[1].id",
        "XAPI-00058 duplicate target id",
    ),
    case(
        _definition("matching", source=_components("x"), target=_components("x")),
        None,
        "XAPI-00058 ids unique per list, not across lists",
    ),
]


@pytest.mark.parametrize(("changes", "error"), INTERACTION_CASES)
def test_interaction_rules(changes: dict[str, Any], error: str | None) -> None:
    assert_verdict(patched(STATEMENT, changes), error)


def test_interaction_type_error_lists_the_allowed_values() -> None:
    stmt = patched(STATEMENT, _definition("other", interactionType="essay"))
    with pytest.raises(XapiValidationError, match="true-false, choice, fill-in"):
        assert_verdict(stmt, None)


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("https://lms.example.vn/courses/ky-nang-so", True),
        ("http://example.com/فعل/خواندن", True),
        ("urn:uuid:9e13cefd-53d3-4eac-b5ed-2cf6693903bb", True),
        ("tag:lms.example.vn,2025:course/1", True),
        ("courses/ky-nang-so", False),
        ("", False),
        ("http://example.com/a b", False),
        (42, False),
        (None, False),
    ],
)
def test_activity_id_parameter(value: Any, valid: bool) -> None:
    """Communication 2.7 activityId / 2.1.3 activity: the same IRI rule as in statements."""
    if valid:
        assert validate_activity_id(value) == value
    else:
        with pytest.raises(XapiValidationError) as caught:
            validate_activity_id(value)
        assert caught.value.path == "activityId"
