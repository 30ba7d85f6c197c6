"""Strict JSON parsing of request bodies: duplicate keys and NaN are errors, not last-wins.

Data 2.2.s2.b2 / XAPI-00021: a property may appear at most once. Ordinary parsers (json,
orjson) silently keep the last value, so the duplicate must be caught while parsing.
"""

from __future__ import annotations

import json
from typing import Any

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


def parse_json(raw: bytes | str) -> Any:
    """Parse a request body; raise XapiValidationError (path "body") on any JSON problem."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes | bytearray) else raw
        return _DECODER.decode(text)
    except UnicodeDecodeError:
        raise XapiValidationError("body", "is not UTF-8 encoded") from None
    except json.JSONDecodeError as exc:
        raise XapiValidationError("body", f"is not valid JSON ({exc})") from None
