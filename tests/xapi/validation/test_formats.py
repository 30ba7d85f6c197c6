"""Shapes the LRS returns: contextActivities as arrays (Data 2.4.6.2.s4.b3-b4, XAPI-00096),
``format=canonical`` language filtering (Communication 2.1.3.s4) and ``format=ids`` (2.1.3)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from lms.xapi.validation import (
    canonical_language,
    ids_format,
    normalise_context_activities,
    parse_accept_language,
    pick_language,
    validate_statement,
)
from tests.xapi.validation.support import (
    AGENT,
    AGENT_ACCOUNT,
    ANONYMOUS_GROUP,
    ATTACHMENT,
    CHOICE_DEFINITION,
    GROUP,
    STATEMENT,
    STATEMENT_REF,
    SUBSTATEMENT,
    patched,
)

PARENT = {"id": "http://a.vn/parent", "definition": {"name": {"en": "Parent", "vi": "Cha"}}}

# --- normalise_context_activities ---------------------------------------------------------------


def test_single_context_activities_become_arrays() -> None:
    stmt = patched(
        STATEMENT,
        {
            "context": {
                "contextActivities": {"parent": PARENT, "other": [PARENT], "category": PARENT}
            }
        },
    )
    result = normalise_context_activities(stmt)
    assert result is stmt
    assert stmt["context"]["contextActivities"] == {
        "parent": [PARENT],
        "other": [PARENT],
        "category": [PARENT],
    }


def test_substatement_context_activities_become_arrays() -> None:
    sub = {**SUBSTATEMENT, "context": {"contextActivities": {"grouping": PARENT}}}
    stmt = normalise_context_activities(patched(STATEMENT, {"object": sub}))
    assert stmt["object"]["context"]["contextActivities"] == {"grouping": [PARENT]}


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"context": {"registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7"}},
        {"object": SUBSTATEMENT},
    ],
    ids=["no context", "no contextActivities", "substatement without context"],
)
def test_statements_without_context_activities_are_unchanged(changes: dict[str, Any]) -> None:
    stmt = patched(STATEMENT, changes)
    before = copy.deepcopy(stmt)
    assert normalise_context_activities(stmt) == before


# --- Accept-Language and picking one language -------------------------------------------------

ACCEPT_CASES = [
    pytest.param("vi-VN,vi;q=0.9,en;q=0.8", ["vi-VN", "vi", "en"], id="browser order"),
    pytest.param("en;q=0.5, vi", ["vi", "en"], id="weights reorder"),
    pytest.param("fr;q=0.5, de;q=0.5, en", ["en", "fr", "de"], id="equal weights keep order"),
    pytest.param("vi, en;q=0", ["vi"], id="q=0 dropped"),
    pytest.param("*", ["*"], id="wildcard"),
    pytest.param("en;q=abc, vi", ["vi"], id="bad weight ignored"),
    pytest.param("", [], id="empty"),
    pytest.param(None, [], id="absent"),
    pytest.param(" , vi ,", ["vi"], id="blank items"),
]


@pytest.mark.parametrize(("header", "expected"), ACCEPT_CASES)
def test_parse_accept_language(header: str | None, expected: list[str]) -> None:
    assert parse_accept_language(header) == expected


NAMES = {
    "en-US": "completed",
    "en-GB": "completed (GB)",
    "vi": "đã hoàn thành",
    "de": "abgeschlossen",
}

PICK_CASES = [
    pytest.param(["vi"], {"vi": "đã hoàn thành"}, id="exact"),
    pytest.param(["VI"], {"vi": "đã hoàn thành"}, id="case-insensitive"),
    pytest.param(["en-GB"], {"en-GB": "completed (GB)"}, id="exact with region"),
    pytest.param(["en"], {"en-US": "completed"}, id="prefix range matches first regional tag"),
    pytest.param(["fr", "de"], {"de": "abgeschlossen"}, id="second preference"),
    pytest.param(["en-AU"], {"en-US": "completed"}, id="same primary language as fallback"),
    pytest.param(["vi-VN"], {"vi": "đã hoàn thành"}, id="regional range falls back to language"),
    pytest.param(["fr"], {"en-US": "completed"}, id="no match takes the first entry"),
    pytest.param([], {"en-US": "completed"}, id="no preference takes the first entry"),
    pytest.param(["*"], {"en-US": "completed"}, id="wildcard takes the first entry"),
]


@pytest.mark.parametrize(("languages", "expected"), PICK_CASES)
def test_pick_language(languages: list[str], expected: dict[str, str]) -> None:
    assert pick_language(NAMES, languages) == expected


def test_single_entry_map_is_kept() -> None:
    assert pick_language({"de": "x"}, ["vi"]) == {"de": "x"}


# --- format=canonical -------------------------------------------------------------------------


def _canonical_statement() -> dict[str, Any]:
    definition = {
        **CHOICE_DEFINITION,
        "name": {"en": "Question", "vi": "Câu hỏi"},
        "description": {"en": "Pick", "vi": "Chọn"},
        "choices": [
            {"id": "a", "description": {"en": "Yes", "vi": "Có"}},
            {"id": "b", "description": {"en": "No", "vi": "Không"}},
        ],
        "extensions": {"http://a.vn/ext": {"en": "kept", "vi": "giữ"}},
    }
    stmt = patched(
        STATEMENT,
        {
            "verb.display": {"en-US": "answered", "vi-VN": "đã trả lời"},
            "object.definition": definition,
            "context": {"contextActivities": {"parent": PARENT, "grouping": [PARENT]}},
            "attachments": [{**ATTACHMENT, "display": {"en": "Signature", "vi": "Chữ ký"}}],
        },
    )
    validate_statement(stmt)
    return stmt


def test_canonical_keeps_one_language_per_map() -> None:
    stmt = _canonical_statement()
    original = copy.deepcopy(stmt)
    result = canonical_language(stmt, ["vi"])
    assert stmt == original, "the stored statement must not be modified"
    assert result["verb"]["display"] == {"vi-VN": "đã trả lời"}
    definition = result["object"]["definition"]
    assert definition["name"] == {"vi": "Câu hỏi"}
    assert definition["description"] == {"vi": "Chọn"}
    assert [choice["description"] for choice in definition["choices"]] == [
        {"vi": "Có"},
        {"vi": "Không"},
    ]
    assert definition["extensions"] == {"http://a.vn/ext": {"en": "kept", "vi": "giữ"}}
    assert result["context"]["contextActivities"]["parent"]["definition"]["name"] == {"vi": "Cha"}
    assert result["context"]["contextActivities"]["grouping"][0]["definition"]["name"] == {
        "vi": "Cha"
    }
    assert result["attachments"][0]["display"] == {"vi": "Chữ ký"}
    assert result["attachments"][0]["description"] == ATTACHMENT["description"]
    assert result["actor"] == stmt["actor"]


def test_canonical_applies_inside_a_substatement() -> None:
    sub = {
        **SUBSTATEMENT,
        "verb": {"id": "http://a.vn/v", "display": {"en": "will visit", "vi": "sẽ thăm"}},
        "object": {"id": "http://a.vn/site", "definition": {"name": {"en": "Site", "vi": "Trang"}}},
    }
    result = canonical_language(patched(STATEMENT, {"object": sub}), ["en"])
    assert result["object"]["verb"]["display"] == {"en": "will visit"}
    assert result["object"]["object"]["definition"]["name"] == {"en": "Site"}


# --- format=ids -------------------------------------------------------------------------------


def test_ids_format_reduces_agents_activities_and_verbs() -> None:
    """Communication 2.1.3 ``format=ids`` (2.4.3.s6.b2: no Verb display)."""
    stmt = patched(
        STATEMENT,
        {
            "actor": GROUP,
            "authority": {"objectType": "Group", "member": [AGENT_ACCOUNT, AGENT]},
            "context": {
                "instructor": AGENT,
                "team": ANONYMOUS_GROUP,
                "contextActivities": {"parent": PARENT, "other": [PARENT]},
                "registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
            },
            "result": {"success": True},
            "timestamp": "2025-01-02T03:04:05Z",
        },
    )
    original = copy.deepcopy(stmt)
    result = ids_format(stmt)
    assert stmt == original
    assert result["actor"] == {"objectType": "Group", "account": GROUP["account"]}
    assert result["verb"] == {"id": STATEMENT["verb"]["id"]}
    assert result["object"] == {"id": STATEMENT["object"]["id"]}
    assert result["authority"] == {
        "objectType": "Group",
        "member": [
            {"objectType": "Agent", "account": AGENT_ACCOUNT["account"]},
            {"objectType": "Agent", "mbox": AGENT["mbox"]},
        ],
    }
    context = result["context"]
    assert context["instructor"] == {"objectType": "Agent", "mbox": AGENT["mbox"]}
    assert context["team"]["member"][0] == {"objectType": "Agent", "mbox": AGENT["mbox"]}
    assert context["contextActivities"] == {
        "parent": [{"id": PARENT["id"]}],
        "other": [{"id": PARENT["id"]}],
    }
    assert context["registration"] == "ec531277-b57b-4c15-8d91-d292c5b2b8f7"
    assert result["result"] == {"success": True}
    assert result["timestamp"] == "2025-01-02T03:04:05Z"
    assert result["id"] == STATEMENT["id"]


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        pytest.param(AGENT, {"objectType": "Agent", "mbox": AGENT["mbox"]}, id="agent object"),
        pytest.param(STATEMENT_REF, STATEMENT_REF, id="statement ref unchanged"),
        pytest.param(
            SUBSTATEMENT,
            {
                "objectType": "SubStatement",
                "actor": {"objectType": "Agent", "mbox": AGENT["mbox"]},
                "verb": {"id": SUBSTATEMENT["verb"]["id"]},
                "object": {"id": SUBSTATEMENT["object"]["id"]},
            },
            id="substatement reduced inside",
        ),
    ],
)
def test_ids_format_objects(obj: dict[str, Any], expected: dict[str, Any]) -> None:
    """Communication 2.1.3 ``format=ids``: only what identifies each object; an Activity,
    also inside a SubStatement, is its ``id`` alone (absent objectType means Activity)."""
    assert ids_format(patched(STATEMENT, {"object": obj}))["object"] == expected


def test_ids_format_xapi_2_context_agents() -> None:
    stmt = patched(
        STATEMENT,
        {
            "context": {
                "contextAgents": [
                    {
                        "objectType": "contextAgent",
                        "agent": AGENT,
                        "relevantTypes": ["http://a.vn/t"],
                    }
                ],
                "contextGroups": [{"objectType": "contextGroup", "group": GROUP}],
            }
        },
    )
    context = ids_format(stmt)["context"]
    assert context["contextAgents"][0] == {
        "objectType": "contextAgent",
        "agent": {"objectType": "Agent", "mbox": AGENT["mbox"]},
        "relevantTypes": ["http://a.vn/t"],
    }
    assert context["contextGroups"][0]["group"] == {
        "objectType": "Group",
        "account": GROUP["account"],
    }


def test_copies_keep_numbers_beyond_64_bits() -> None:
    """Extension values are any JSON; big integers must survive both output formats."""
    stmt = patched(STATEMENT, {"result": {"extensions": {"http://a.vn/big": 10**30}}})
    assert ids_format(stmt)["result"] == stmt["result"]
    assert canonical_language(stmt, ["vi"])["result"] == stmt["result"]
