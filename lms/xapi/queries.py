"""Reading statements: GET /xapi/statements filters, pages and formats (Communication 2.1.3).

Every filter is one key range of ``xapi_statement_keys`` (``key_id(kind, value)``), ordered
by ``(stored, seq)``. The most selective filter drives a backward (or forward) index scan;
the others are primary-key probes on the same ``(stored, seq)``; the statement row is
fetched by primary key. A page ends with a cursor on ``(stored, seq)`` of its last row,
so the ``more`` link keeps its place while new statements arrive (they sort before it).

A statement is voided when a voiding statement targets it and it is not itself voiding
(Data 2.3.2.s2.b3). That is checked when reading, through a small partial index, so a
voiding statement that arrives before or together with its target needs no bookkeeping.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import orjson
from flask import current_app
from sqlalchemy import (
    Integer,
    Text,
    and_,
    bindparam,
    column,
    exists,
    text,
)
from sqlalchemy.orm import aliased
from sqlalchemy.sql.selectable import TextualSelect

from lms.db import UTCDateTime
from lms.extensions import db
from lms.replicas import replica_visible_through, settled_before
from lms.xapi.constants import MAX_PAGE_SIZE, STATEMENT_FORMATS, KeyKind
from lms.xapi.keys import key_id, key_value, verb_activity_value
from lms.xapi.models import KeyType, Statement, UuidStr
from lms.xapi.packing import PackedText
from lms.xapi.sql import is_postgres

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(slots=True)
class StatementFilter:
    """The validated parameters of a statement query (everything but the cursor)."""

    agent: str | None = None  #: IFI of the ``agent`` parameter
    verb: str | None = None
    activity: str | None = None
    registration: str | None = None
    related_activities: bool = False
    related_agents: bool = False
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 0
    ascending: bool = False
    #: Only statements whose authority is this IFI (scope ``statements/read/mine``).
    mine: str | None = None

    def page_size(self) -> int:
        return MAX_PAGE_SIZE if self.limit <= 0 else min(self.limit, MAX_PAGE_SIZE)


@dataclass(slots=True)
class Row:
    seq: int
    stored: datetime
    statement_id: str
    raw: str  #: the statement as stored, serialised


@dataclass(slots=True)
class Page:
    rows: list[Row]
    cursor: tuple[datetime, int] | None  #: where the next page starts, None when done


def voided_clause() -> Any:
    """SQL expression: the statement in the outer query is voided (hidden from queries)."""
    voider = aliased(Statement)
    return and_(
        ~Statement.voiding,
        exists().where(voider.voiding, voider.object_statement_ref == Statement.statement_id),
    )


#: The same test in SQL text, for the hand-written statement queries below. ``v.voiding``
#: first, so both databases use the small partial index of voiding statements.
_NOT_VOIDED = (
    "(s.voiding OR NOT EXISTS (SELECT 1 FROM xapi_statements v "
    "WHERE v.voiding AND v.object_statement_ref = s.statement_id))"
)


def _key_filters(f: StatementFilter) -> list[tuple[bytes, ...]]:
    """The keys of each filter, most selective filter first (it drives the scan).

    ``related_agents`` / ``related_activities`` widen a filter to two keys: the value as
    actor/object, or anywhere else in the statement (see ``statements.own_keys``).
    """
    filters: list[tuple[bytes, ...]] = []

    def add(kinds: tuple[KeyKind, ...], value: str) -> None:
        filters.append(tuple(key_id(kind, value) for kind in kinds))

    if f.registration:
        add((KeyKind.registration,), f.registration)
    if f.agent:
        kinds = (KeyKind.agent, KeyKind.related_agent) if f.related_agents else (KeyKind.agent,)
        add(kinds, key_value(f.agent))
    if f.activity and f.verb and not f.related_activities:
        add((KeyKind.verb_activity,), verb_activity_value(f.verb, f.activity))
    else:
        if f.activity:
            kinds = (
                (KeyKind.activity, KeyKind.related_activity)
                if f.related_activities
                else (KeyKind.activity,)
            )
            add(kinds, key_value(f.activity))
        if f.verb:
            add((KeyKind.verb,), key_value(f.verb))
    if not filters and f.mine:
        # The client's own authority is a related agent of everything it wrote.
        add((KeyKind.related_agent,), key_value(f.mine))
    return filters


@lru_cache(maxsize=256)
def _sql(
    lead: int,
    others: tuple[int, ...],
    since: bool,
    until: bool,
    cursor: bool,
    mine: bool,
    ascending: bool,
    postgres: bool,
) -> TextualSelect:
    """The statement query of one shape of filter, written once and kept.

    ``lead`` is the number of keys of the driving filter, ``others`` those of each other
    filter. With keys: the lead filter's index range, in ``(stored, seq)`` order, drives;
    every other filter is an EXISTS probe on the primary key; a widened lead filter is one
    bounded scan per key, merged with UNION. The page (seq, stored) is chosen first and
    only its statements are read. Without keys: the ``(stored, seq)`` index of statements.
    """
    order = "ASC" if ascending else "DESC"
    fence = " OFFSET 0" if postgres else ""
    after, strictly = (">=", ">") if ascending else ("<=", "<")

    def bounds(col: str) -> list[str]:
        clauses = []
        if since:
            clauses.append(f"{col}.stored > :since")
        if until:
            clauses.append(f"{col}.stored <= :until")
        if cursor:
            clauses.append(
                f"{col}.stored {after} :at_stored AND "
                f"({col}.stored {strictly} :at_stored OR {col}.seq {strictly} :at_seq)"
            )
        if mine:
            clauses.append("s.authority_ifi = :mine")
        clauses.append(_NOT_VOIDED)
        return clauses

    select_columns = "s.seq, s.stored, s.statement_id, s.statement AS raw"
    key_params: list[str] = []
    if not lead:
        where = " AND ".join(bounds("s"))
        sql = (
            f"SELECT {select_columns} FROM xapi_statements s WHERE {where} "  # noqa: S608 - fixed fragments; values are bound
            f"ORDER BY s.stored {order}, s.seq {order} LIMIT :limit"
        )
    else:
        probes = []
        for number, count in enumerate(others, start=1):
            names = [f"k{number}_{i}" for i in range(count)]
            key_params += names
            key_test = (
                f"o{number}.key = :{names[0]}"
                if count == 1
                else f"o{number}.key IN ({', '.join(':' + n for n in names)})"
            )
            # OFFSET 0 keeps the probe a per-row primary-key lookup on PostgreSQL: left
            # to itself the planner may merge-join the two ranges and read a huge one (a
            # common verb) to its end when the combination is rare. SQLite always probes.
            probes.append(
                f"EXISTS (SELECT 1 FROM xapi_statement_keys o{number} WHERE {key_test} "  # noqa: S608 - fixed fragments; values are bound
                f"AND o{number}.stored = k.stored AND o{number}.seq = k.seq{fence})"
            )
        branches = []
        for i in range(lead):
            key_params.append(f"k0_{i}")
            clauses = [f"k.key = :k0_{i}", *probes, *bounds("k")]
            branches.append(
                "SELECT k.stored, k.seq FROM xapi_statement_keys k "  # noqa: S608 - fixed fragments; values are bound
                "JOIN xapi_statements s ON s.seq = k.seq "
                f"WHERE {' AND '.join(clauses)} "
                f"ORDER BY k.stored {order}, k.seq {order} LIMIT :limit"
            )
        if len(branches) == 1:
            page = branches[0]
        else:
            merged = " UNION ".join(
                f"SELECT b{i}.stored, b{i}.seq FROM ({branch}) b{i}"  # noqa: S608 - fixed fragments
                for i, branch in enumerate(branches)
            )
            page = f"{merged} ORDER BY stored {order}, seq {order} LIMIT :limit"
        sql = (
            f"SELECT {select_columns} FROM ({page}) f "  # noqa: S608 - fixed fragments; values are bound
            "JOIN xapi_statements s ON s.seq = f.seq "
            f"ORDER BY f.stored {order}, f.seq {order}"
        )
    params: list[Any] = [
        bindparam("since", type_=UTCDateTime()),
        bindparam("until", type_=UTCDateTime()),
        bindparam("at_stored", type_=UTCDateTime()),
        bindparam("at_seq", type_=Integer()),
        bindparam("mine", type_=Text()),
        bindparam("limit", type_=Integer()),
    ] + [bindparam(name, type_=KeyType()) for name in key_params]
    used = [p for p in params if f":{p.key}" in sql]
    return (
        text(sql)
        .bindparams(*used)
        .columns(
            column("seq", Integer()),
            column("stored", UTCDateTime()),
            column("statement_id", UuidStr),
            column("raw", PackedText()),
        )
    )


def find(f: StatementFilter, cursor: tuple[datetime, int] | None = None) -> Page:
    size = f.page_size()
    filters = _key_filters(f)
    sql = _sql(
        len(filters[0]) if filters else 0,
        tuple(len(keys) for keys in filters[1:]),
        f.since is not None,
        f.until is not None,
        cursor is not None,
        bool(f.mine),
        f.ascending,
        is_postgres(),
    )
    params: dict[str, Any] = {"limit": size + 1}
    for number, keys in enumerate(filters):
        for i, key in enumerate(keys):
            params[f"k{number}_{i}"] = key
    if f.since is not None:
        params["since"] = f.since
    if f.until is not None:
        params["until"] = f.until
    if cursor is not None:
        params["at_stored"], params["at_seq"] = cursor
    if f.mine:
        params["mine"] = f.mine
    rows = [Row(*r) for r in db.session.execute(sql, params)]
    if len(rows) > size:
        rows = rows[:size]
        return Page(rows=rows, cursor=(rows[-1].stored, rows[-1].seq))
    return Page(rows=rows, cursor=None)


_GET_ONE = {
    voided: text(
        "SELECT s.seq, s.stored, s.statement_id, s.statement AS raw "
        "FROM xapi_statements s WHERE s.statement_id = :statement_id "
        + ("AND NOT " if voided else "AND ")
        + _NOT_VOIDED
        + " AND (:mine IS NULL OR s.authority_ifi = :mine)"
    )
    .bindparams(bindparam("statement_id", type_=UuidStr), bindparam("mine", type_=Text()))
    .columns(
        column("seq", Integer()),
        column("stored", UTCDateTime()),
        column("statement_id", UuidStr),
        column("raw", PackedText()),
    )
    for voided in (False, True)
}


def get_one(statement_id: str, *, voided: bool, mine: str | None) -> Row | None:
    """The statement by id: a voided one only when asked by voidedStatementId (2.1.4.s1.b1)."""
    row = db.session.execute(_GET_ONE[voided], {"statement_id": statement_id, "mine": mine}).first()
    return Row(*row) if row else None


# --- the "more" link -----------------------------------------------------------------------


def encode_more(f: StatementFilter, options: dict[str, Any], cursor: tuple[datetime, int]) -> str:
    """An opaque token holding the query and where the next page starts (Data 2.5.s3.b2).

    Stateless, so it stays valid as long as the statements do (well past 24 hours); only
    non-default settings are kept, so the link stays short. Signed: its filter and cursor go
    to the query without the validation the parameters had, so only a token made here is
    followed (a forged one answered 500 with a number for a verb or a date past any range).
    """
    stored, seq = cursor
    defaults = StatementFilter()
    state = {
        k: (_micros(v) if isinstance(v, datetime) else v)
        for k, v in asdict(f).items()
        if v != getattr(defaults, k) and k != "mine"
    }
    payload = {"f": state, "o": options, "c": [_micros(stored), seq]}
    body = base64.urlsafe_b64encode(orjson.dumps(payload)).rstrip(b"=").decode("ascii")
    return f"{body}.{_more_signature(body)}"


def _more_signature(body: str) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    digest = hmac.new(key, b"xapi-more:" + body.encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


#: What each field of a continuation token may hold: the token is plain base64 JSON that any
#: client can write, so a decoded one is held to the types the validated parameters have.
_MORE_FIELDS: dict[str, tuple[type, ...]] = {
    "agent": (str,),
    "verb": (str,),
    "activity": (str,),
    "registration": (str,),
    "related_activities": (bool,),
    "related_agents": (bool,),
    "since": (int,),
    "until": (int,),
    "limit": (int,),
    "ascending": (bool,),
}
_MORE_OPTIONS: dict[str, tuple[type, ...]] = {"format": (str,), "attachments": (bool,)}
#: Bounds of the integers in a token: ``stored`` in microseconds within the years 1-9999
#: (what ``datetime`` holds), ``seq`` and ``limit`` within a signed 64-bit column.
_MICROS = (-62_135_596_800_000_000, 253_402_300_799_999_999)
_INT64 = (-(2**63), 2**63 - 1)


def _checked(values: Any, allowed: dict[str, tuple[type, ...]]) -> dict[str, Any]:
    """``values`` (a decoded JSON object) when every key is allowed with a value of its type
    (or null); ValueError otherwise. ``bool`` is not taken for ``int`` nor the reverse."""
    if not isinstance(values, dict):
        raise ValueError("not an object")
    for key, value in values.items():
        kinds = allowed.get(key)
        if kinds is None:
            raise ValueError(f"unknown field {key}")
        if value is not None and (type(value) not in kinds):
            raise ValueError(f"{key} has the wrong type")
    return dict(values)


def _bounded(value: Any, bounds: tuple[int, int]) -> int:
    if type(value) is not int or not bounds[0] <= value <= bounds[1]:
        raise ValueError("out of range")
    return value


def decode_more(token: str) -> tuple[StatementFilter, dict[str, Any], tuple[datetime, int]]:
    """Inverse of :func:`encode_more`; ValueError when the token was not made here.

    The token is signed, so a client cannot widen its query by editing one; every value is
    still checked as the query parameters are (a token of an older release, or one signed
    with a key that leaked): a bad one is the client's ``400``, never the LRS's ``500``.
    """
    body, _dot, signature = token.partition(".")
    if not hmac.compare_digest(signature.encode(), _more_signature(body).encode()):
        raise ValueError("not a continuation token of this LRS")
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        payload = orjson.loads(raw)
        if not isinstance(payload, dict):
            raise ValueError("not an object")
        state = _checked(payload["f"], _MORE_FIELDS)
        for key in ("since", "until"):
            if state.get(key) is not None:
                state[key] = _from_micros(_bounded(state[key], _MICROS))
        if state.get("limit") is not None:
            _bounded(state["limit"], _INT64)
        f = StatementFilter(**{k: v for k, v in state.items() if v is not None})
        options = _checked(payload["o"], _MORE_OPTIONS)
        if options.get("format", "exact") not in STATEMENT_FORMATS:
            raise ValueError("unknown format")
        cursor = payload["c"]
        if not isinstance(cursor, list) or len(cursor) != 2:
            raise ValueError("not a cursor")
        stored_us, seq = (_bounded(cursor[0], _MICROS), _bounded(cursor[1], _INT64))
        return f, options, (_from_micros(stored_us), seq)
    except (
        ValueError,
        TypeError,
        KeyError,
        OverflowError,
        binascii.Error,
        orjson.JSONDecodeError,
    ):
        raise ValueError("not a continuation token of this LRS") from None


def _micros(value: datetime) -> int:
    delta = value.astimezone(UTC) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _from_micros(value: int) -> datetime:
    return _EPOCH + timedelta(microseconds=value)


# --- consistency ----------------------------------------------------------------------


_through_cache: dict[str, tuple[float, datetime]] = {}
_THROUGH_REUSE_SECONDS = 0.5


def consistent_through() -> datetime:
    """Before this instant every statement that has or will have a ``stored`` is visible.

    ``stored`` is read from the database clock inside the writing transaction after it has
    taken a transaction id (``statements._stored_time``), so a statement not yet visible
    belongs to a transaction that holds an id and started before its ``stored``: the
    oldest such transaction bounds what may still appear (Communication 2.1.3.s2.b5).
    SQLite cannot show other connections' open transactions; its writers hold the write
    lock from ``stored`` to their commit, a matter of milliseconds, so one second before
    now is taken there. A value computed in the last half second is reused: an earlier
    instant stays true. A query answered by a streaming replica (``lms.replicas``) is
    consistent only through the primary's state that replica was known to hold.
    """
    through = _primary_consistent_through()
    on_replica = replica_visible_through()
    return through if on_replica is None else min(through, on_replica)


def _primary_consistent_through() -> datetime:
    if not is_postgres():
        return datetime.now(UTC) - timedelta(seconds=1)
    url = str(db.engine.url)
    cached = _through_cache.get(url)
    clock = time.monotonic()
    if cached is not None and clock - cached[0] < _THROUGH_REUSE_SECONDS:
        return cached[1]
    # The database clock on both sides: ``stored`` is read from it too.
    value = settled_before(db.session())
    _through_cache[url] = (clock, value)
    return value
