"""RFC 5646 language tags and xAPI language maps (Data 4.2, Data 2.2.s4.b2).

The LRS MUST at least check the sequence of subtag lengths; this validates the full RFC 5646
grammar (plus its no-repeated-variant/extension rules) without the IANA registry, with one
registry-derived restriction noted at ``_LANGTAG``.
"""

from __future__ import annotations

import re
from typing import Any

from lms.edge import ascii_digits
from lms.xapi.validation.errors import XapiValidationError
from lms.xapi.validation.fields import ValidCache, fail_type, map_key, show

# RFC 5646 2.1 "langtag", case-insensitive. The primary language subtag is limited to 2-3
# letters: 4-letter subtags are reserved and 5-8-letter ones are for registered languages, of
# which the IANA registry has none, so "english" is rejected as no valid tag can start so.
_LANGTAG = re.compile(
    r"(?:[a-z]{2,3}(?:-[a-z]{3}){0,3}"  # language, extlang
    r"(?:-[a-z]{4})?"  # script
    r"(?:-(?:[a-z]{2}|\d{3}))?"  # region
    r"(?:-(?:[a-z\d]{5,8}|\d[a-z\d]{3}))*"  # variants
    r"(?:-[a-wyz\d](?:-[a-z\d]{2,8})+)*"  # extensions
    r"(?:-x(?:-[a-z\d]{1,8})+)?"  # private use
    r"|x(?:-[a-z\d]{1,8})+)\Z",  # private use only
    re.IGNORECASE | re.ASCII,
)
# Irregular grandfathered tags (RFC 5646 2.2.8) that do not fit the grammar above.
_GRANDFATHERED = frozenset(
    [
        "en-gb-oed",
        "i-ami",
        "i-bnn",
        "i-default",
        "i-enochian",
        "i-hak",
        "i-klingon",
        "i-lux",
        "i-mingo",
        "i-navajo",
        "i-pwn",
        "i-tao",
        "i-tay",
        "i-tsu",
        "sgn-be-fr",
        "sgn-be-nl",
        "sgn-ch-de",
    ]
)
_TAG_CACHE: ValidCache[str] = ValidCache()


def is_language_tag(tag: str) -> bool:
    if tag in _TAG_CACHE.items:
        return True
    lowered = tag.lower()
    if lowered in _GRANDFATHERED or (
        _LANGTAG.match(tag) is not None and _no_repeated_subtags(lowered)
    ):
        _TAG_CACHE.add(tag)
        return True
    return False


def _no_repeated_subtags(tag: str) -> bool:
    """RFC 5646 2.2.5/2.2.6: a variant or an extension singleton may appear only once."""
    if tag.count("-") < 2:
        return True
    seen: set[str] = set()
    in_extension = False
    for part in tag.split("-")[1:]:
        if part == "x":
            return True
        if len(part) == 1:
            if part in seen:
                return False
            seen.add(part)
            in_extension = True
        elif not in_extension and (len(part) >= 5 or (len(part) == 4 and ascii_digits(part[0]))):
            if part in seen:
                return False
            seen.add(part)
    return True


def check_language_tag(value: Any, path: str) -> str:
    if type(value) is not str:
        fail_type(path, "an RFC 5646 language tag string", value)
    if not is_language_tag(value):
        raise XapiValidationError(path, f"{show(value)} is not an RFC 5646 language tag")
    return value


def check_language_map(value: Any, path: str) -> dict[str, str]:
    """A non-empty map of RFC 5646 tag -> string (Data 4.2, XAPI-00013, XAPI-00121)."""
    if type(value) is not dict:
        fail_type(path, "a language map (an object of language tag -> string)", value)
    if not value:
        raise XapiValidationError(path, "must not be an empty language map")
    cached = _TAG_CACHE.items
    for tag, text in value.items():
        if tag not in cached and not is_language_tag(tag):
            raise XapiValidationError(
                map_key(path, tag), f"{show(tag)} is not an RFC 5646 language tag"
            )
        if type(text) is not str:
            fail_type(map_key(path, tag), "a string", text)
    return value
