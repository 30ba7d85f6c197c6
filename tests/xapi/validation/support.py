"""Shared data for the validation tests: valid building blocks and a path-based patcher.

Each test module lists cases as ``(changes, expected_error_path)``: ``changes`` maps a property
path (``"object.definition.choices[1].id"``) to a new value, or to ``MISSING`` to delete it;
``expected_error_path`` is the ``path`` the validator must report, or ``None`` for "valid".
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from lms.xapi.validation import XapiValidationError, validate_statement, validate_statements

MISSING = object()

AGENT = {"objectType": "Agent", "name": "Nguyễn Văn An", "mbox": "mailto:an@example.vn"}
AGENT_ACCOUNT = {"account": {"homePage": "https://lms.example.vn", "name": "42"}}
GROUP = {
    "objectType": "Group",
    "name": "Tổ 1",
    "account": {"homePage": "https://lms.example.vn", "name": "group-1"},
    "member": [AGENT, AGENT_ACCOUNT],
}
ANONYMOUS_GROUP = {"objectType": "Group", "member": [AGENT, AGENT_ACCOUNT]}
VERB = {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}}
ACTIVITY = {
    "objectType": "Activity",
    "id": "https://lms.example.vn/courses/ky-nang-so",
    "definition": {
        "name": {"vi": "Kỹ năng số", "en": "Digital skills"},
        "type": "http://adlnet.gov/expapi/activities/course",
    },
}
STATEMENT_REF = {"objectType": "StatementRef", "id": "9e13cefd-53d3-4eac-b5ed-2cf6693903bb"}
STATEMENT = {
    "id": "fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
    "actor": AGENT,
    "verb": VERB,
    "object": ACTIVITY,
}
CHOICE_DEFINITION = {
    "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
    "interactionType": "choice",
    "correctResponsesPattern": ["golf[,]tetris"],
    "choices": [
        {"id": "golf", "description": {"en-US": "Golf Example"}},
        {"id": "tetris", "description": {"en-US": "Tetris Example"}},
    ],
}
SUBSTATEMENT = {
    "objectType": "SubStatement",
    "actor": AGENT,
    "verb": {"id": "http://example.com/visited", "display": {"en-US": "will visit"}},
    "object": {"id": "http://example.com/website"},
}
RESULT = {
    "score": {"scaled": 0.8, "raw": 8, "min": 0, "max": 10},
    "success": True,
    "completion": True,
    "response": "golf[,]tetris",
    "duration": "PT1H0M0S",
}
CONTEXT = {
    "registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
    "instructor": AGENT_ACCOUNT,
    "team": ANONYMOUS_GROUP,
    "contextActivities": {"parent": [{"id": "https://lms.example.vn/courses/ky-nang-so"}]},
    "revision": "2",
    "platform": "LMS 146",
    "language": "vi-VN",
    "statement": STATEMENT_REF,
    "extensions": {"https://lms.example.vn/xapi/ext/unit": "HP-HONGBANG"},
}
ATTACHMENT = {
    "usageType": "http://adlnet.gov/expapi/attachments/signature",
    "display": {"en-US": "Signature"},
    "description": {"en-US": "A test signature"},
    "contentType": "application/octet-stream",
    "length": 4235,
    "sha2": "672fa5fa658017f1b72d65036f13379c6ab05d4ab3b6664908d8acf0b6a0c634",
}

_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def patched(base: dict[str, Any], changes: dict[str, Any]) -> Any:
    """A deep copy of ``base`` with each path in ``changes`` set (or deleted with MISSING).

    The empty path ``""`` replaces the whole document. ``MISSING`` also works as a value inside
    the new data (``{**SUBSTATEMENT, "actor": MISSING}`` drops the SubStatement's actor).
    """
    doc = _copy(base)
    for path, value in changes.items():
        if path == "":
            doc = _copy(value)
            continue
        steps = [int(index) if index else key for key, index in _STEP.findall(path)]
        parent = doc
        for step in steps[:-1]:
            parent = parent[step]
        last = steps[-1]
        if value is MISSING:
            del parent[last]
        else:
            parent[last] = _copy(value)
    return doc


def _copy(value: Any) -> Any:
    """Deep-copy JSON-like data, dropping dict entries whose value is MISSING."""
    if type(value) is dict:
        return {key: _copy(item) for key, item in value.items() if item is not MISSING}
    if type(value) is list:
        return [_copy(item) for item in value]
    return value


def assert_verdict(stmt: Any, error: str | None, *, version: str = "1.0.3") -> None:
    """Validate and compare: ``error`` is the expected error path, or None for valid."""
    # A case must be JSON data: a stray sentinel would fail for the wrong reason.
    text = json.dumps(stmt)
    if error is None:
        validate_statement(stmt, version=version)
    else:
        with pytest.raises(XapiValidationError) as caught:
            validate_statement(stmt, version=version)
        assert caught.value.path == error, str(caught.value)
        assert str(caught.value) == f"{caught.value.path}: {caught.value.message}"
    # The same verdict for a request body, whose parts found valid once are known by their
    # JSON text the next time (the second pass): a part is only remembered when valid.
    for _ in range(2 if type(stmt) is dict else 0):
        if error is None:
            validate_statements(json.loads(text), version=version, parsed=True)
            continue
        with pytest.raises(XapiValidationError) as caught:
            validate_statements(json.loads(text), version=version, parsed=True)
        assert caught.value.path == error, str(caught.value)


def case(changes: dict[str, Any], error: str | None, case_id: str, **kwargs: Any) -> Any:
    """One parametrized case; ``case_id`` cites the spec section or conformance requirement."""
    return pytest.param(changes, error, id=case_id, **kwargs)


def without(obj: dict[str, Any], *keys: str) -> dict[str, Any]:
    """A shallow copy of ``obj`` without ``keys``."""
    return {key: value for key, value in obj.items() if key not in keys}
