"""Strict JSON parsing of request bodies: duplicate properties (Data 2.2.s2.b2, XAPI-00021),
non-JSON numbers and encodings are rejected rather than silently accepted."""

from __future__ import annotations

import random

import pytest

from lms.xapi.validation import XapiValidationError, parse_json
from lms.xapi.validation.parsing import _parse_strict

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


# The body is parsed with orjson and checked for repeated keys by counting colons (see
# lms.xapi.validation.parsing); these are the texts that could fool a count.
DUPLICATES = [
    pytest.param(b'{"a": 1, "\\u0061": 2}', id="the same key once unescaped"),
    pytest.param(b'{"\\u00e9": 1, "\xc3\xa9": 2}', id="an escaped and a UTF-8 key"),
    pytest.param(b'{"a": 1, "a": "\\u003a"}', id="an escaped colon in the kept value"),
    pytest.param(b'{"a": "\\u003A", "a": 1}', id="an escaped colon in the dropped value"),
    pytest.param(b'{"k\\"": 1, "k\\"": 2}', id="an escaped quote in the key"),
    pytest.param(b'{"k": "\\":", "k": 1}', id="an escaped quote and a colon in a value"),
    pytest.param(b'{"a" :1, "a"\n:\t2}', id="whitespace before the colons"),
    pytest.param(b'{"a": ":", "b": {"c": [{"d": 1, "d": ":x"}]}}', id="deep in arrays"),
    pytest.param(b'[{"a": 1}, {"b": {"x:y": 1, "x:y": 1}}]', id="colons in the keys"),
    pytest.param(b"[" * 250 + b'{"a": 1, "a": 2}' + b"]" * 250, id="250 levels down"),
]


@pytest.mark.parametrize("raw", DUPLICATES)
def test_duplicate_keys_are_found_however_written(raw: bytes) -> None:
    with pytest.raises(XapiValidationError, match="appears twice") as caught:
        parse_json(raw)
    assert caught.value.path == "body"
    with pytest.raises(XapiValidationError, match="appears twice"):
        parse_json(raw.decode("utf-8"))  # query parameters are parsed as text


def _nested(levels: int) -> list[object]:
    value: list[object] = []
    for _ in range(levels - 1):
        value = [value]
    return value


ACCEPTED = [
    pytest.param(
        b'{"a": ":", "b": "x\\":y", "c": "\\u003a"}',
        {"a": ":", "b": 'x":y', "c": ":"},
        id="colons in strings",
    ),
    pytest.param(b'{"k\\"": "\\\\", "k": "\\""}', {'k"': "\\", "k": '"'}, id="escapes"),
    pytest.param(b'{"a" : 1 ,\n "b"\t:\r2}', {"a": 1, "b": 2}, id="whitespace"),
    pytest.param(
        b'{"n": 18446744073709551616, "m": -9223372036854775809}',
        {"n": 18446744073709551616, "m": -9223372036854775809},
        id="integers beyond 64 bits stay integers",
    ),
    pytest.param(b"123456789012345678901234567890", 123456789012345678901234567890, id="long"),
    pytest.param(b'{"a": "\\ud800"}', {"a": "\ud800"}, id="an unpaired surrogate, as before"),
    pytest.param(b"[" * 300 + b"]" * 300, _nested(300), id="300 levels"),
]


@pytest.mark.parametrize(("raw", "expected"), ACCEPTED)
def test_texts_a_colon_count_could_misread(raw: bytes, expected: object) -> None:
    value = parse_json(raw)
    assert value == expected
    assert repr(value) == repr(expected)  # an int stays an int


def test_too_deep_for_python_is_still_refused_as_before() -> None:
    with pytest.raises(RecursionError):  # the endpoints answer 400 "nested too deeply"
        parse_json(b"[" * 100_000 + b"]" * 100_000)


def test_the_fast_parse_gives_what_the_standard_library_gives() -> None:
    """Random documents full of repeated keys, escapes and colons: the same value or error."""
    rng = random.Random(146)
    keys = ["a", "b", "\\u0061", 'a\\"', ":", "x:y", "\\u003a", "é", "\\u00e9"]
    scalars = ["1", '"s"', '":"', '"\\u003a"', '"a\\":b"', "true", "null", "-0.5e3", '"\\\\"']

    def document(depth: int) -> str:
        roll = rng.random()
        if depth > 4 or roll < 0.3:
            return rng.choice(scalars)
        if roll < 0.6:
            return "[" + ",".join(document(depth + 1) for _ in range(rng.randrange(4))) + "]"
        members = (
            f'"{rng.choice(keys)}"{rng.choice(["", " ", chr(10)])}:{document(depth + 1)}'
            for _ in range(rng.randrange(4))
        )
        return "{" + ",".join(members) + "}"

    duplicates = 0
    for _ in range(3000):
        raw = document(0).encode()
        try:
            expected: object = ("value", repr(_parse_strict(raw)))
        except XapiValidationError as exc:
            expected = ("error", exc.message)
            duplicates += "appears twice" in exc.message
        try:
            got: object = ("value", repr(parse_json(raw)))
        except XapiValidationError as exc:
            got = ("error", exc.message)
        assert got == expected, raw
    assert duplicates > 100  # the documents did test the duplicate check
