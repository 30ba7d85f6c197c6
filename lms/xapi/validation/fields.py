"""Shared value checks: paths, JSON types, IRIs, mbox, UUIDs, timestamps, durations, extensions.

Everything here is on the LRS hot path, so the checks are precompiled regexes and plain
``type(x) is y`` tests (``isinstance`` would let ``True`` pass as a number). Each function either
returns quietly or raises :class:`XapiValidationError` naming the property path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Generic, NoReturn, TypeVar

import orjson

from lms.xapi.validation.errors import XapiValidationError

# --- paths and JSON types ---------------------------------------------------------------------


# Paths are built eagerly with f-strings as ``f"{path}.{key}"`` (cheaper than a call); at the
# root ``path`` is "" so the result starts with "." -- XapiValidationError drops that dot.


def join(path: str, key: str) -> str:
    """Path of property ``key`` inside the object at ``path``."""
    return f"{path}.{key}"


def map_key(path: str, key: str) -> str:
    """Path of a free-form map key (language tag, extension IRI), quoted so dots stay readable."""
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if type(value) is bool:
        return "a boolean"
    if type(value) in (int, float):
        return "a number"
    if type(value) is str:
        return "a string"
    if type(value) is list:
        return "an array"
    if type(value) is dict:
        return "an object"
    return type(value).__name__


def fail_type(path: str, expected: str, value: Any) -> NoReturn:
    """Raise the "wrong JSON type" error (Data 2.2.s4.b1.b1-b3, XAPI-00001, XAPI-00006)."""
    if value is None:
        raise XapiValidationError(path, f"must be {expected}; null is not allowed")
    raise XapiValidationError(path, f"must be {expected}, not {_kind(value)}")


def require(obj: Mapping[str, Any], key: str, path: str) -> Any:
    """Return ``obj[key]``, raising "is required" when it is missing."""
    try:
        return obj[key]
    except KeyError:
        raise XapiValidationError(join(path, key), "is required") from None


def check_keys(obj: Mapping[str, Any], allowed: frozenset[str], path: str, what: str) -> None:
    """Reject properties the spec does not define for ``what`` (Data 2.2.s4.b1.b5, b7).

    Keys are case-sensitive (XAPI-00008), so a mis-cased key gets a hint instead of a bare
    "unknown property".
    """
    if obj.keys() <= allowed:
        return
    for key in obj:
        if key not in allowed:
            raise unknown_property(path, key, allowed, what)


def unknown_property(
    path: str, key: str, allowed: Collection[str], what: str
) -> XapiValidationError:
    lowered = key.lower()
    for name in allowed:
        if name.lower() == lowered:
            return XapiValidationError(
                join(path, key),
                f'unknown property of {what}; property names are case-sensitive, use "{name}"',
            )
    return XapiValidationError(join(path, key), f"unknown property of {what}")


def check_object(
    value: Any,
    path: str,
    expected: str = "an object",
    keys: frozenset[str] | None = None,
    what: str = "",
) -> dict[str, Any]:
    """Require a non-empty JSON object (XAPI-00001 rejects empty objects outside extensions).

    With ``keys``, also reject properties the spec does not define for ``what``.
    """
    if type(value) is not dict:
        fail_type(path, expected, value)
    if not value:
        raise XapiValidationError(path, "must not be an empty object")
    if keys is not None and not value.keys() <= keys:
        check_keys(value, keys, path, what)
    return value


def check_string(value: Any, path: str) -> str:
    if type(value) is not str:
        fail_type(path, "a string", value)
    return value


def check_bool(value: Any, path: str) -> bool:
    if type(value) is not bool:
        fail_type(path, "true or false", value)
    return value


def check_number(value: Any, path: str) -> float:
    """Accept JSON numbers only: not strings holding numbers, not booleans (XAPI-00006)."""
    kind = type(value)
    if kind is int:
        return value
    if kind is float:
        if value - value == 0.0:  # false for NaN and +/-Infinity
            return value
        raise XapiValidationError(path, "must be a finite number")
    fail_type(path, "a number", value)


# --- IRIs and IRLs (Data 4.3, About 4.0 definitions) ------------------------------------------

# An absolute IRI: a scheme (RFC 3986 3.1), a colon, then characters allowed in an IRI. RFC 3987
# excludes whitespace, controls and the "unwise" ASCII set; non-ASCII letters are allowed.
_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`\x00-\x1f\x7f-\x9f]+\Z")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
# An IRL (a URL once mapped to a URI): a hierarchical IRI with an authority, e.g. http://host/...
_IRL = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://(?:[^/?#]|(?<=file://)/)")

_CACHE_LIMIT = 20_000


_T = TypeVar("_T")


class ValidCache(Generic[_T]):
    """A bounded set of strings (or JSON texts, see :func:`part_key`) already found valid.

    Verb ids, activity types and language tags repeat across statements; a set lookup is ~10x
    cheaper than the regex. Cleared when full so a hostile client cannot grow it without bound.
    """

    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: set[_T] = set()

    def add(self, value: _T) -> None:
        if len(self.items) >= _CACHE_LIMIT:
            self.items.clear()
        self.items.add(value)


_IRI_CACHE: ValidCache[str] = ValidCache()
_IRL_CACHE: ValidCache[str] = ValidCache()

#: Types orjson would write like a JSON string or object (a datetime, a ``str`` subclass...)
#: make it raise instead: such a value is not what a client's JSON body parses to.
_PART_OPTIONS = (
    orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_SUBCLASS
    | orjson.OPT_PASSTHROUGH_DATACLASS
)


def part_key(value: Any) -> bytes | None:
    """The JSON text of a part of a statement parsed from a request body, to look it up in a
    :class:`ValidCache` of parts of its kind found valid before; None when it has none.

    The same actor, verb, Activity (with its definition) and contextActivities come back in
    statement after statement (a MOOC's learners, its courses and lessons), and whether one is
    valid depends only on what it holds: equal JSON texts, equal parts. orjson writes one in
    about a tenth of the time checking it takes. The caller must only use it on values parsed
    from JSON (see ``validate_statements``): a Python caller's tuple or UUID would be written
    like a list or a string without being one.
    """
    if type(value) is not dict:
        return None
    try:
        return orjson.dumps(value, option=_PART_OPTIONS)
    except orjson.JSONEncodeError:
        return None


def is_iri(value: str) -> bool:
    if value in _IRI_CACHE.items:
        return True
    if (
        _IRI.match(value) is None
        or ("%" in value and _BAD_PERCENT.search(value) is not None)
        or value.count("#") > 1
    ):
        return False
    _IRI_CACHE.add(value)
    return True


def check_iri(value: Any, path: str) -> str:
    """An absolute IRI with a scheme (Data 2.2.s4.b1.b4, b8; XAPI-00007, XAPI-00011)."""
    if type(value) is not str:
        fail_type(path, "an IRI string", value)
    if not is_iri(value):
        raise XapiValidationError(path, f"{show(value)} is not an absolute IRI")
    return value


def check_irl(value: Any, path: str) -> str:
    """An IRL: an IRI that is also a locator, i.e. ``scheme://authority/...``."""
    if type(value) is not str:
        fail_type(path, "an IRL string", value)
    if value in _IRL_CACHE.items:
        return value
    if not is_iri(value) or _IRL.match(value) is None:
        raise XapiValidationError(path, f"{show(value)} is not an absolute IRL (scheme://host/...)")
    _IRL_CACHE.add(value)
    return value


def show(value: str) -> str:
    """Quote a client value for an error message, truncated so errors stay small."""
    if len(value) > 80:
        value = value[:77] + "..."
    return json.dumps(value, ensure_ascii=False)


# --- mbox (Data 2.4.2.3) ----------------------------------------------------------------------

# "mailto:" + one address. The local part is loose (RFC 5322 allows much); the domain must be
# dot-separated labels of letters/digits/hyphens (IDN letters allowed). No ?headers, no lists.
_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
_MBOX = re.compile(rf"mailto:([^\s@\"<>()\[\]\\,;:?#/]+)@({_LABEL}(?:\.{_LABEL})*)\Z", re.I)
_SHA1 = re.compile(r"[0-9a-fA-F]{40}\Z")


def check_mbox(value: Any, path: str) -> str:
    if type(value) is not str:
        fail_type(path, 'a "mailto:" IRI string', value)
    if _MBOX.match(value) is None:
        raise XapiValidationError(
            path, f'{show(value)} is not a "mailto:" IRI with one email address'
        )
    return value


def check_sha1(value: Any, path: str) -> str:
    if type(value) is not str:
        fail_type(path, "a string of 40 hexadecimal digits", value)
    if _SHA1.match(value) is None:
        raise XapiValidationError(path, f"{show(value)} is not a hex-encoded SHA-1 (40 digits)")
    return value


# --- UUIDs (Data 4.4) -------------------------------------------------------------------------

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")


def check_uuid(value: Any, path: str) -> str:
    """A UUID in standard string form, any version and variant, either case (XAPI-00027-30)."""
    if type(value) is not str:
        fail_type(path, "a UUID string", value)
    if _UUID.match(value) is None:
        raise XapiValidationError(
            path, f"{show(value)} is not a UUID (8-4-4-4-12 hexadecimal digits)"
        )
    return value


# --- Timestamps (Data 4.5) --------------------------------------------------------------------

_TS_EXTENDED = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})([Tt ])(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?\Z"
)
_TS_BASIC = re.compile(
    r"(\d{4})(\d{2})(\d{2})([Tt])(\d{2})(\d{2})(?:(\d{2})(?:[.,](\d+))?)?"
    r"(?:([Zz])|([+-])(\d{2})(\d{2})?)?\Z"
)
# xAPI 2.0 timestamps are RFC 3339 date-times (5.6): extended format, seconds, an offset.
_TS_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})([Tt ])(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))\Z"
)
_DAYS = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


_ZONES: dict[int, timezone] = {0: UTC}


def check_timestamp(value: Any, path: str, *, v2: bool = False) -> None:
    """Validate a timestamp without building a datetime (statements keep the string as sent)."""
    _timestamp_fields(value, path, v2)


def parse_timestamp(value: Any, path: str, *, v2: bool = False) -> datetime:
    """Parse a timestamp into an aware datetime, by the rules of the request's version.

    xAPI 1.0.x (Data 4.5, XAPI-00123, conformance suite "timestamps"): ISO 8601, extended or
    basic format, seconds and fractions optional (any number of fraction digits, truncated to
    microseconds), offset ``Z``/``±hh``/``±hhmm``/``±hh:mm``; ``-00:00`` is rejected (RFC 3339
    reads it as "offset unknown"); no offset means UTC, as 1.0.3 only says a timestamp SHOULD*
    carry one (4.5.s1.b4). xAPI 2.0 makes RFC 3339 and the time zone requirements (4.5.s1.b2,
    b4 were SHOULD*): ``YYYY-MM-DD`` ``T``/space ``hh:mm:ss[.frac]`` then ``Z`` or ``±hh:mm``.
    """
    year, month, day, hour, minute, second, micro, offset = _timestamp_fields(value, path, v2)
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=_zone(offset))


def _zone(offset: int) -> timezone:
    zone = _ZONES.get(offset)
    if zone is None:
        zone = _ZONES.setdefault(offset, timezone(timedelta(minutes=offset)))
    return zone


def instant(value: str) -> datetime:
    """The moment a timestamp valid in either version names (no offset: UTC, as validated)."""
    year, month, day, hour, minute, second, micro, offset = _timestamp_fields(value, "", None)
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=_zone(offset))


def utc_timestamp(value: str) -> str:
    """A valid timestamp of either version rewritten as UTC RFC 3339 (``...T...Z``).

    The LRS stores timestamps this way: the same instant (Data 2.3.1.b4 lets the LRS change
    how a timestamp is serialised), returned in UTC (4.5.s1.b6; a requirement in 2.0), and
    readable by clients of both versions: a 2.0 space separator is not ISO 8601 for a 1.0
    client, a 1.0 timestamp without seconds or offset is not RFC 3339 for a 2.0 client.
    Fraction digits are kept (up to microseconds; 4.5.s1.b5 allows truncation to 3 digits).
    On the write path: a timestamp already in that form is returned as it is.
    """
    usual = _USUAL_FORM.match(value)
    if usual is not None:
        if usual.group(2) is not None:
            return value  # already UTC
        # The usual form with an offset ("...T13:45:07.123+07:00"): the date and time to the
        # second by the C parser, less the offset, and the fraction as written (an offset is
        # whole minutes). A naive datetime and a subtraction: astimezone, replace(tzinfo=...)
        # and isoformat(timespec=...) cost three times as much. A leap second (which the
        # parser refuses) is left to below.
        suffix = value[-6:]
        shift = _SHIFTS.get(suffix)
        if shift is None:
            minutes = int(suffix[1:3]) * 60 + int(suffix[4:])
            shift = timedelta(minutes=-minutes if suffix[0] == "-" else minutes)
            if len(_SHIFTS) < 2_000:
                _SHIFTS[suffix] = shift
        try:
            moment = datetime.fromisoformat(value[:19]) - shift
        except (ValueError, OverflowError):
            pass
        else:
            return moment.isoformat() + (usual.group(1) or "") + "Z"
    year, month, day, hour, minute, second, micro, offset = _timestamp_fields(value, "", None)
    if offset:
        moment = datetime(year, month, day, hour, minute, second, micro, tzinfo=_zone(offset))
        moment = moment.astimezone(UTC)
        year, month, day = moment.year, moment.month, moment.day
        hour, minute = moment.hour, moment.minute
    text = f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}"
    fraction = _FRACTION.search(value)
    if fraction is not None:
        text += "." + f"{micro:06d}"[: min(len(fraction.group(1)), 6)]
    return text + "Z"


#: Extended form with "T", seconds and at most microseconds, then "Z" (group 2: already UTC
#: RFC 3339, nothing to rewrite) or a ±hh:mm offset. One pattern for both: a regex match
#: costs as much as the rest of the rewrite.
_USUAL_FORM = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(?:(Z)|[+-]\d{2}:\d{2})\Z"
)
_FRACTION = re.compile(r"\d[.,](\d+)")
#: "+07:00" -> 7 hours: what to take from a local time with that offset for UTC.
_SHIFTS: dict[str, timedelta] = {}


def _timestamp_fields(
    value: Any, path: str, v2: bool | None
) -> tuple[int, int, int, int, int, int, int, int]:
    """Fields of a timestamp by 1.0.x (``v2=False``), 2.0 (True) or either version's rules."""
    if type(value) is not str:
        fail_type(path, "an ISO 8601 timestamp string", value)
    if v2:
        match = _TS_RFC3339.match(value)
        if match is None:
            raise XapiValidationError(
                path,
                f"{show(value)} is not an RFC 3339 date and time, which xAPI 2.0 requires: "
                "date, time with seconds, and Z or a ±hh:mm offset "
                '(e.g. "2025-03-01T08:30:00+07:00")',
            )
    else:
        match = _TS_EXTENDED.match(value) or _TS_BASIC.match(value)
        if match is None:
            raise XapiValidationError(path, f"{show(value)} is not an ISO 8601 date and time")
    (year, month, day, sep, hour, minute, second, fraction, zulu, sign, off_h, off_m) = (
        match.groups()
    )
    if sep == " " and v2 is False:
        raise XapiValidationError(
            path, f'{show(value)}: date and time must be separated by "T" in xAPI 1.0'
        )
    y, mo, d, h, mi = int(year), int(month), int(day), int(hour), int(minute)
    s = int(second) if second else 0
    if (
        y == 0
        or not (1 <= mo <= 12 and 1 <= d <= _DAYS[mo])
        or (mo == 2 and d == 29 and not (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)))
    ):
        raise XapiValidationError(path, f"{show(value)} is not a calendar date")
    if h > 23 or mi > 59 or s > 60:
        raise XapiValidationError(path, f"{show(value)} is not a time of day")
    micro = int((fraction + "000000")[:6]) if fraction else 0
    if s == 60:  # a leap second: keep it inside the minute rather than reject a real clock value
        s, micro = 59, 999_999
    offset = 0
    if sign is not None and not zulu:
        offset = int(off_h) * 60 + (int(off_m) if off_m else 0)
        if offset == 0 and sign == "-":
            raise XapiValidationError(
                path, f'{show(value)}: the offset "-00:00" means "unknown"; use "Z" or "+00:00"'
            )
        if int(off_h) > 23 or (off_m is not None and int(off_m) > 59):
            raise XapiValidationError(path, f"{show(value)} has an invalid UTC offset")
        if sign == "-":
            offset = -offset
        if y in (1, 9999):  # the offset could push the instant outside what datetime can hold
            try:
                datetime(y, mo, d, h, mi, tzinfo=timezone(timedelta(minutes=offset))).astimezone(
                    UTC
                )
            except OverflowError:
                raise XapiValidationError(path, f"{show(value)} is out of range") from None
    return y, mo, d, h, mi, s, micro, offset


# --- Durations (Data 4.6) ---------------------------------------------------------------------

_N = r"(\d+(?:[.,]\d+)?)"
_DURATION = re.compile(
    rf"P(?:{_N}W|(?=[\dT])(?:{_N}Y)?(?:{_N}M)?(?:{_N}D)?(?:T(?=\d)(?:{_N}H)?(?:{_N}M)?(?:{_N}S)?)?)\Z"
)


def check_duration(value: Any, path: str) -> str:
    """ISO 8601:2004 4.4.3.2 durations: ``PnYnMnDTnHnMnS`` or ``PnW`` (XAPI-00077, XAPI-00124).

    Only the smallest component present may carry a decimal fraction; weeks do not combine
    with other components ("P4W1D" is invalid); the alternative ``PYYYY-MM-DD`` form is not
    accepted.
    """
    if type(value) is not str:
        fail_type(path, "an ISO 8601 duration string", value)
    match = _DURATION.match(value)
    if match is None:
        raise XapiValidationError(path, f"{show(value)} is not an ISO 8601 duration")
    if "." in value or "," in value:
        parts = [part for part in match.groups() if part is not None]
        if any("." in part or "," in part for part in parts[:-1]):
            raise XapiValidationError(
                path, f"{show(value)}: only the last component may have a decimal fraction"
            )
    return value


# --- Extensions (Data 4.1) --------------------------------------------------------------------


def check_extensions(value: Any, path: str) -> dict[str, Any]:
    """Keys must be IRIs; values are never checked, null and {} included (XAPI-00118-120)."""
    if type(value) is not dict:
        fail_type(path, "an object of IRI -> any JSON value", value)
    for key in value:
        if not is_iri(key):
            raise XapiValidationError(
                map_key(path, key), f"extension key {show(key)} is not an absolute IRI"
            )
    return value
