"""Data 4.1 Extensions (XAPI-00118 .. XAPI-00120): IRI keys and any JSON values, in result,
context and activity definitions."""

from __future__ import annotations

from typing import Any

import pytest

from tests.xapi.validation.support import STATEMENT, assert_verdict, patched

PLACES = {
    "result.extensions": lambda ext: {"result": {"extensions": ext}},
    "context.extensions": lambda ext: {"context": {"extensions": ext}},
    "object.definition.extensions": lambda ext: {"object.definition.extensions": ext},
}

VALID_VALUES = [
    pytest.param(None, id="null"),
    pytest.param("", id="empty string"),
    pytest.param({}, id="empty object"),
    pytest.param([], id="empty array"),
    pytest.param(0, id="zero"),
    pytest.param(False, id="false"),
    pytest.param(
        {"nested": {"Actor": None, "id": "not validated"}}, id="nested object with any keys"
    ),
    pytest.param([{"id": 1}, "x", 2.5, None], id="mixed array"),
    pytest.param({"en_US": "not a language map"}, id="language-map-looking value"),
]


@pytest.mark.parametrize("where", PLACES)
@pytest.mark.parametrize("value", VALID_VALUES)
def test_extension_values_are_never_validated(where: str, value: Any) -> None:
    """XAPI-00119: an LRS must not reject a statement based on extension values."""
    changes = PLACES[where]({"https://lms.example.vn/xapi/ext/value": value})
    assert_verdict(patched(STATEMENT, changes), None)


@pytest.mark.parametrize("where", PLACES)
def test_empty_extensions_object_is_accepted(where: str) -> None:
    assert_verdict(patched(STATEMENT, PLACES[where]({})), None)


INVALID_KEYS = [
    "unit",
    "",
    "ext:",
    "/xapi/ext/unit",
    "http://example.com/a b",
    "lms.example.vn/ext",
]


@pytest.mark.parametrize("where", PLACES)
@pytest.mark.parametrize("key", INVALID_KEYS)
def test_extension_keys_must_be_iris(where: str, key: str) -> None:
    """XAPI-00118."""
    changes = PLACES[where]({"https://lms.example.vn/ok": 1, key: 1})
    assert_verdict(patched(STATEMENT, changes), f'{where}["{key}"]')


@pytest.mark.parametrize("where", PLACES)
@pytest.mark.parametrize("value", [None, "x", [], ["http://a.b"], 1])
def test_extensions_must_be_an_object(where: str, value: Any) -> None:
    """XAPI-00120: extensions are key/value pairs."""
    assert_verdict(patched(STATEMENT, PLACES[where](value)), where)
