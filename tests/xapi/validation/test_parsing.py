"""Strict JSON parsing of request bodies: duplicate properties (Data 2.2.s2.b2, XAPI-00021),
non-JSON numbers and encodings are rejected rather than silently accepted."""

from __future__ import annotations

import pytest

from lms.xapi.validation import XapiValidationError, parse_json

VALID = [
    pytest.param(b'{"a": 1}', {"a": 1}, id="object"),
    pytest.param('[{"a": 1}, {"a": 1}]', [{"a": 1}, {"a": 1}], id="same key in two objects"),
    pytest.param(
        '{"a": {"b": 1}, "b": {"a": 2}}',
        {"a": {"b": 1}, "b": {"a": 2}},
        id="same key at two levels",
    ),
    pytest.param('{"name": "Nguyễn"}'.encode(), {"name": "Nguyễn"}, id="utf-8 bytes"),
    pytest.param(b'{"x": 1.5e3}', {"x": 1500.0}, id="exponent"),
]


@pytest.mark.parametrize(("raw", "expected"), VALID)
def test_valid_json(raw: bytes | str, expected: object) -> None:
    assert parse_json(raw) == expected


INVALID = [
    pytest.param(
        b'{"actor": {}, "actor": {}}', "appears twice", id="XAPI-00021 duplicate top-level key"
    ),
    pytest.param(
        b'{"actor": {"mbox": "a", "mbox": "b"}}',
        "appears twice",
        id="XAPI-00021 duplicate nested key",
    ),
    pytest.param(
        b'[{"id": 1, "id": 2}]', "appears twice", id="XAPI-00021 duplicate key in a batch"
    ),
    pytest.param(b'{"raw": NaN}', "NaN", id="NaN"),
    pytest.param(b'{"raw": Infinity}', "Infinity", id="Infinity"),
    pytest.param(b'{"raw": -Infinity}', "Infinity", id="-Infinity"),
    pytest.param(b'{"a": 1,}', "not valid JSON", id="trailing comma"),
    pytest.param(b"", "not valid JSON", id="empty body"),
    pytest.param(b"\xff\xfe{}", "UTF-8", id="not UTF-8"),
]


@pytest.mark.parametrize(("raw", "message"), INVALID)
def test_invalid_json(raw: bytes, message: str) -> None:
    with pytest.raises(XapiValidationError, match=message) as caught:
        parse_json(raw)
    assert caught.value.path == "body"
