"""Small pure helpers shared by the LRS modules: index values, hashes, xAPI time strings."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import lru_cache

from lms.xapi.constants import MAX_KEY_BYTES


def key_value(value: str) -> str:
    """The form of a filter value stored in (and looked up from) ``xapi_statement_keys``.

    Short values are kept as they are, so the index stays readable; long ones become
    ``#sha256:<hex>``, the same at write and at query time.
    """
    if len(value) <= MAX_KEY_BYTES // 4:  # at most 4 bytes a character: short enough
        return value
    raw = value.encode("utf-8")
    if len(raw) <= MAX_KEY_BYTES:
        return value
    return "#sha256:" + hashlib.sha256(raw).hexdigest()


def verb_activity_value(verb_id: str, activity_id: str) -> str:
    """The combined key of a verb and an object activity (IRIs never contain a space)."""
    return key_value(f"{verb_id} {activity_id}")


def _digest(kind: int, value: str) -> bytes:
    return hashlib.sha256(f"{kind} {value}".encode()).digest()[:16]


@lru_cache(maxsize=65_536)
def key_id(kind: int, value: str) -> bytes:
    """The row key of a filter in ``xapi_statement_keys``: 128 bits of SHA-256 of both.

    A fixed 16 bytes whatever the IRI's length keeps the index small (half the size of one
    on the text) and compares fast; 128 bits make two values meeting on one key as unlikely
    as two random statement ids meeting. ``value`` is in :func:`key_value` form, so that the
    key can also be computed in SQL from what the table held before (see the migration).
    Values repeat (verbs, courses, learners), hence the cache. Plain bytes, not ``UUID``
    objects: a statement's keys go through sets, and ``UUID`` hashes in Python code.
    """
    return _digest(int(kind), value)


_known: dict[tuple[int, str], bytes] = {}
_KNOWN_MAX = 200_000


def key_ids(facts: Iterable[tuple[int, str]]) -> set[bytes]:
    """:func:`key_id` of every ``(kind, value)`` fact of a statement, as one set.

    The write path's form of it: a plain dict looked up with the fact tuples themselves is
    about three times faster than a call through the cache of :func:`key_id` each, and a
    batch has about nine facts a statement. Emptied when it holds too many values. A value
    not in it (a registration nearly always is not: it is new with each learner and course)
    is hashed directly, not through :func:`key_id`'s cache, which would only miss too and
    cost a third as much again as the hash.
    """
    known = _known
    keys = set()
    for fact in facts:
        key = known.get(fact)
        if key is None:
            if len(known) >= _KNOWN_MAX:
                known.clear()
            key = known[fact] = _digest(*fact)
        keys.add(key)
    return keys


def sha256_hex(*parts: str) -> str:
    """SHA-256 of parts joined by a separator no IRI, IFI or id can contain unescaped."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def stored_now() -> datetime:
    """Now, truncated to milliseconds: the precision ``stored`` is written with in JSON.

    The column and the JSON then hold the same instant, so ``since=<a stored value>``
    never returns the statement it came from.
    """
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def xapi_time(value: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and ``Z`` (Data 4.5: LRS SHOULD* return UTC)."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def http_date(value: datetime) -> str:
    """RFC 7231 IMF-fixdate, for Last-Modified."""
    return value.astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")
