"""Strict JSON parsing of request bodies: duplicate keys and NaN are errors, not last-wins.

Data 2.2.s2.b2 / XAPI-00021: a property may appear at most once. Ordinary parsers (json,
orjson) silently keep the last value, so a duplicate has to be looked for.

The standard library's parser sees every key through ``object_pairs_hook``, but it builds a
list of pairs for every object and calls into Python for each: on the LRS's write path that
cost about three times parsing with orjson. So a body is parsed with orjson and checked by
counting colons. In JSON text a colon is either the one after a key or a character inside a
string; orjson writes a parsed value back with one colon after each key it kept and every
string's colons as they are. When no key was repeated, the text and orjson's writing of the
value hold the same strings and the same keys, so the same number of colons; when a key
was repeated (``"a"`` and ``"\\u0061"`` included: they are one key once parsed), the value
lacks a key and that member's strings, so it has fewer. A colon written as an escape
(``\\u003a``, which orjson writes plainly) would break the count, and orjson reads an
integer beyond 64 bits as a float where the standard library keeps it: a body with either
(an escape, 19 digits in a row) goes to the standard library's parser, as does a body orjson
refuses, one nested deeper than orjson writes (255 levels) and one whose counts differ.
That parser then gives what it gave before: the error the client gets (duplicate, ``NaN``,
not UTF-8, invalid JSON, too deep) or the value it accepts (unpaired surrogates, long
integers).
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

from lms.xapi.validation.errors import XapiValidationError


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise XapiValidationError(
                    "body", f"property {json.dumps(key)} appears twice in one JSON object"
                )
            seen.add(key)
    return obj


def _constant(name: str) -> Any:
    raise XapiValidationError("body", f"{name} is not a JSON number")


_DECODER = json.JSONDecoder(object_pairs_hook=_pairs, parse_constant=_constant)
#: ``\\u003a``: a colon written as an escape, which orjson writes as a plain colon.
_ESCAPED_COLON = re.compile(rb"\\u003[aA]")
#: Every digit as "0", everything else as a space: 19 zeros in a row are a long number
#: (or digits inside a string, which only costs the slower parse).
_DIGITS = bytes(48 if 48 <= i <= 57 else 32 for i in range(256))
_LONG_NUMBER = b"0" * 19


def parse_json(raw: bytes | str) -> Any:
    """Parse a request body; raise XapiValidationError (path "body") on any JSON problem."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return _parse_strict(raw)
    return value if _as_strict(raw, value) else _parse_strict(raw)


def _parse_strict(raw: bytes | str) -> Any:
    """The standard library's parser, which sees every key (and so every duplicate)."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes | bytearray) else raw
        return _DECODER.decode(text)
    except UnicodeDecodeError:
        raise XapiValidationError("body", "is not UTF-8 encoded") from None
    except json.JSONDecodeError as exc:
        raise XapiValidationError("body", f"is not valid JSON ({exc})") from None


def _as_strict(raw: bytes | str, value: Any) -> bool:
    """Whether ``value``, orjson's parse of ``raw``, is what the standard library would give.

    That is, no key appeared twice (see the module docstring) and no integer was too long
    for orjson, which turns integers beyond 64 bits into floats (such a number has at least
    19 digits). False also when this cannot be told cheaply: a colon written ``\\u003a``
    (orjson writes it as a plain colon), nesting deeper than orjson writes; the caller then
    parses with the standard library.
    """
    text = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else bytes(raw)
    if b"u003" in text and _ESCAPED_COLON.search(text) is not None:
        return False
    if _LONG_NUMBER in text.translate(_DIGITS):
        return False
    try:
        written = orjson.dumps(value)
    except orjson.JSONEncodeError:
        return False
    return text.count(b":") == written.count(b":")
