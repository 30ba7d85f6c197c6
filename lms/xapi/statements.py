"""Storing statements: complete them, index them, insert a batch whole or not at all.

The order is the spec's: the caller has parsed and validated (Communication 3.0); here
the LRS assigns id/stored/timestamp/authority/version, computes every query key once,
and writes the batch with one multi-row INSERT per table inside a SAVEPOINT.

Idempotency rests on the unique ``statement_id``: rows are inserted with ``ON CONFLICT DO
NOTHING``; an id that was already there (or that a concurrent writer stored first) is
compared with what was sent (Data 2.3.1.s9) and the batch is rolled back with 409 when they
differ, or counted as stored when they match (Communication 2.1.1.s2.b2-b3).
"""

from __future__ import annotations

import logging
import struct
import uuid
from collections.abc import Iterable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.engine import Connection

from lms.errors import Conflict
from lms.extensions import db
from lms.xapi import pgarrays
from lms.xapi.comparison import same_statement
from lms.xapi.constants import MAX_KEY_BYTES, KeyKind
from lms.xapi.keys import key_ids, key_value, stored_now, verb_activity_value, xapi_time
from lms.xapi.models import AttachmentBlob, Statement, StatementKey
from lms.xapi.packing import dump_json_bytes, pack
from lms.xapi.references import propagate_to_referrers, ref_targets
from lms.xapi.sql import dialect_insert
from lms.xapi.validation import (
    StatementIndex,
    agent_ifi,
    is_v2,
    normalise_statement,
    statement_index,
)

logger = logging.getLogger(__name__)

KeySet = set[bytes]


@dataclass(slots=True)
class Blob:
    """Raw attachment data received with a statement (multipart part or internal caller)."""

    content_type: str
    data: bytes


@dataclass(slots=True)
class Writer:
    """Who writes: the authority stamped on every statement, and what they may (re)define."""

    authority: dict[str, Any]
    client_id: int | None = None
    #: The ``define`` scope: the statement may update canonical activities and agents.
    define: bool = True
    #: The request's X-Experience-API-Version (selects the data model of the statement).
    version: str = "1.0.3"
    authority_ifi: str = field(init=False)

    def __post_init__(self) -> None:
        self.authority_ifi = agent_ifi(self.authority)


@dataclass(slots=True)
class Prepared:
    """A validated statement, completed by the LRS and indexed, ready to insert."""

    original: dict[str, Any]
    stmt: dict[str, Any]
    index: StatementIndex
    keys: KeySet
    #: The sender gave no timestamp: it becomes ``stored`` (Data 2.4.7.s3.b2).
    fill_timestamp: bool


def complete(raw: dict[str, Any], writer: Writer) -> Prepared:
    """Fill the properties the LRS sets (Data 2.4.1, 2.4.9, 2.4.10) and compute the keys.

    ``stored`` (and ``timestamp`` when absent) are set by :func:`store`, inside the writing
    transaction. ``raw`` must already be valid. The completed statement is a new dict;
    nested objects are shared with ``raw`` except where the LRS rewrites them.
    """
    stmt = dict(raw)
    if "context" in stmt:
        stmt["context"] = dict(stmt["context"])
    if stmt.get("object", {}).get("objectType") == "SubStatement":
        stmt["object"] = dict(stmt["object"])
        if "context" in stmt["object"]:
            stmt["object"]["context"] = dict(stmt["object"]["context"])
    normalise_statement(stmt)
    if "id" not in stmt:
        stmt["id"] = str(uuid.uuid4())
    stmt["authority"] = writer.authority
    if "version" not in stmt:
        stmt["version"] = "2.0.0" if is_v2(writer.version) else "1.0.0"
    index = statement_index(stmt)
    return Prepared(
        original=raw,
        stmt=stmt,
        index=index,
        keys=own_keys(index),
        fill_timestamp="timestamp" not in raw,
    )


def own_keys(index: StatementIndex) -> KeySet:
    """The query keys a statement has by itself (before StatementRef targets are added)."""
    return key_ids(key_values(index))


#: A value at most this long is its own key form (see :func:`lms.xapi.keys.key_value`).
_SHORT = MAX_KEY_BYTES // 4
_VERB, _REGISTRATION, _AGENT, _RELATED_AGENT, _ACTIVITY, _RELATED_ACTIVITY, _VERB_ACTIVITY = (
    int(kind)
    for kind in (
        KeyKind.verb,
        KeyKind.registration,
        KeyKind.agent,
        KeyKind.related_agent,
        KeyKind.activity,
        KeyKind.related_activity,
        KeyKind.verb_activity,
    )
)


def key_values(index: StatementIndex) -> set[tuple[int, str]]:
    """The ``(kind, value)`` facts a statement can be found by, values in key form.

    A value is written once per family: as ``agent``/``activity`` when it is the actor or
    object, otherwise as ``related_*``; the broad filters read both kinds. (Kinds as plain
    ints: this runs for every statement, and an enum member hashes in Python code. A value
    short enough to be its own key form is not passed to :func:`key_value`: nearly all are.)
    """
    short = _SHORT
    value = index.verb_id
    facts = {(_VERB, value if len(value) <= short else key_value(value))}
    if index.registration:
        facts.add((_REGISTRATION, index.registration))
    direct = set()
    for ifi in (index.actor_ifi, index.object_agent_ifi):
        if ifi:
            direct.add(ifi if len(ifi) <= short else key_value(ifi))
    for members in (index.actor_member_ifis, index.object_member_ifis):
        for ifi in members:
            if ifi:
                direct.add(ifi if len(ifi) <= short else key_value(ifi))
    for value in direct:
        facts.add((_AGENT, value))
    for ifi in index.related_agent_ifis:
        value = ifi if len(ifi) <= short else key_value(ifi)
        if value not in direct:
            facts.add((_RELATED_AGENT, value))
    target = None
    if index.object_activity_id:
        target = index.object_activity_id
        if len(target) > short:
            target = key_value(target)
        facts.add((_ACTIVITY, target))
        facts.add((_VERB_ACTIVITY, verb_activity_value(index.verb_id, index.object_activity_id)))
    for activity_id in index.related_activity_ids:
        value = activity_id if len(activity_id) <= short else key_value(activity_id)
        if value != target:
            facts.add((_RELATED_ACTIVITY, value))
    return facts


def store(
    prepared: Sequence[Prepared],
    writer: Writer,
    *,
    blobs: Mapping[str, Blob] | None = None,
    savepoint: bool = True,
) -> list[str]:
    """Insert a batch in the current transaction (under a SAVEPOINT); return the ids.

    Raises Conflict when an id exists with other content, BadRequest when a statement
    voids a voiding statement. Nothing of the batch stays written when it raises (with
    ``savepoint=False`` the caller must roll back its transaction on an error).
    """
    with db.session.begin_nested() if savepoint else nullcontext():
        conn = db.session.connection()
        postgres = conn.dialect.name == "postgresql"
        if not postgres:
            # Take SQLite's write lock before reading (see lms.xapi.documents).
            conn.execute(text("UPDATE xapi_statements SET seq = seq WHERE 0 = 1"))
        stored = _stored_time(conn)
        stored_text = xapi_time(stored)
        for p in prepared:
            p.stmt["stored"] = stored_text
            if p.fill_timestamp:
                p.stmt["timestamp"] = stored_text
        targets = ref_targets(conn, prepared)
        insert = _insert_statements_pg if postgres else _insert_statements
        inserted, referred = insert(conn, prepared, writer, stored)
        fresh = [p for p in prepared if p.index.statement_id in inserted]
        if len(fresh) < len(prepared):
            _check_duplicates(conn, [p for p in prepared if p.index.statement_id not in inserted])
        rows: list[tuple[KeySet, int]] = []
        for p in fresh:
            inherited = targets.get(p.index.statement_id)
            rows.append(
                (p.keys | inherited if inherited else p.keys, inserted[p.index.statement_id])
            )
        if rows:
            _insert_keys(conn, rows, stored)
        if referred:
            propagate_to_referrers(conn, fresh, inserted, targets)
        if blobs:
            _insert_blobs(conn, fresh, blobs)
    return [p.stmt["id"] for p in prepared]


def _stored_time(conn: Connection) -> datetime:
    """``stored`` for this batch, read once the writing transaction has begun.

    On PostgreSQL the database clock is used and the transaction takes its id first, so
    :func:`lms.xapi.queries.consistent_through` (the oldest open writing transaction) never
    passes a statement that is still to appear.
    """
    if conn.dialect.name != "postgresql":
        return stored_now()
    value = conn.exec_driver_sql("SELECT clock_timestamp() FROM pg_current_xact_id()").scalar_one()
    value = value.astimezone(UTC)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


#: One round trip for the batch: insert what is new, return its ``seq``, and say whether a
#: statement stored earlier points at it (a StatementRef that arrived before its target;
#: the partial index of StatementRef statements answers, and it is nearly always false).
_PG_INSERT_STATEMENTS = """
WITH ins AS (
    INSERT INTO xapi_statements (statement_id, stored, verb_id, actor_ifi, object_type,
        object_activity_id, object_statement_ref, registration, voiding, authority_ifi,
        client_id, statement)
    SELECT u.statement_id, %s, u.verb_id, u.actor_ifi, u.object_type, u.object_activity_id,
        u.object_statement_ref, u.registration, u.voiding, %s, %s, u.statement
    FROM unnest(%b::uuid[], %b::text[], %b::text[], %b::text[], %b::text[], %b::uuid[],
        %b::uuid[], %b::boolean[], %b::bytea[])
        AS u(statement_id, verb_id, actor_ifi, object_type, object_activity_id,
             object_statement_ref, registration, voiding, statement)
    ON CONFLICT (statement_id) DO NOTHING
    RETURNING statement_id, seq
)
SELECT ins.statement_id::text, ins.seq, EXISTS (
    SELECT 1 FROM xapi_statements r
    WHERE r.object_statement_ref = ins.statement_id AND r.object_statement_ref IS NOT NULL
) FROM ins
"""


def _insert_statements_pg(
    conn: Connection, prepared: Sequence[Prepared], writer: Writer, stored: datetime
) -> tuple[dict[str, int], bool]:
    """One INSERT ... SELECT FROM unnest(arrays): one round trip, one small plan.

    The arrays go in binary (``%b``): text arrays would have every value escaped and
    quoted on the way, which costs more than the insert itself; and they are put together
    by :mod:`lms.xapi.pgarrays`, not element by element by the driver.
    """
    indexes = [p.index for p in prepared]
    driver = conn.connection.driver_connection
    pgarrays.register(driver)  # type: ignore[arg-type]
    params = (
        stored,
        writer.authority_ifi,
        writer.client_id,
        pgarrays.uuid_array([ix.statement_id for ix in indexes]),
        pgarrays.text_array([ix.verb_id for ix in indexes]),
        pgarrays.text_array([ix.actor_ifi for ix in indexes]),
        pgarrays.text_array([ix.object_type for ix in indexes]),
        pgarrays.text_array([ix.object_activity_id for ix in indexes]),
        pgarrays.uuid_array([ix.object_statement_ref for ix in indexes]),
        pgarrays.uuid_array([ix.registration for ix in indexes]),
        pgarrays.bool_array([ix.voided_statement_id is not None for ix in indexes]),
        pgarrays.bytea_array([pack(dump_json_bytes(p.stmt)) for p in prepared]),
    )
    inserted: dict[str, int] = {}
    referred = False
    for statement_id, seq, pointed_at in conn.exec_driver_sql(_PG_INSERT_STATEMENTS, params):
        inserted[statement_id] = seq
        referred = referred or pointed_at
    return inserted, referred


def _insert_statements(
    conn: Connection, prepared: Sequence[Prepared], writer: Writer, stored: datetime
) -> tuple[dict[str, int], bool]:
    table = Statement.__table__
    rows = [
        {
            "statement_id": p.index.statement_id,
            "stored": stored,
            "verb_id": p.index.verb_id,
            "actor_ifi": p.index.actor_ifi,
            "object_type": p.index.object_type,
            "object_activity_id": p.index.object_activity_id,
            "object_statement_ref": p.index.object_statement_ref,
            "registration": p.index.registration,
            "voiding": p.index.voided_statement_id is not None,
            "authority_ifi": writer.authority_ifi,
            "client_id": writer.client_id,
            "statement": pack(dump_json_bytes(p.stmt)),
        }
        for p in prepared
    ]
    insert = (
        dialect_insert(table)
        .on_conflict_do_nothing(index_elements=["statement_id"])
        .returning(table.c.statement_id, table.c.seq)
    )
    inserted = {str(row[0]): int(row[1]) for row in conn.execute(insert, rows)}
    # SQLite: the referrer check is its own query (propagate_to_referrers finds none).
    return inserted, bool(inserted)


_PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
#: COPY's binary format: the signature, no flags, no header extension; then rows; then -1.
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_COPY_TRAILER = struct.pack(">h", -1)
#: A key row starts with its number of fields (3) and the length of the first (16).
_KEY_ROW = struct.pack(">hi", 3, 16)


def _insert_keys(conn: Connection, rows: list[tuple[KeySet, int]], stored: datetime) -> None:
    """Key rows of fresh statements: one binary COPY on PostgreSQL (they cannot exist yet).

    The COPY data is put together here rather than row by row through the driver: a batch
    has about nine key rows a statement, and they differ only in the key and the ``seq``.
    """
    if conn.dialect.name != "postgresql":
        conn.execute(
            StatementKey.__table__.insert(),
            [{"key": key, "stored": stored, "seq": seq} for keys, seq in rows for key in keys],
        )
        return
    delta = stored - _PG_EPOCH
    at = struct.pack(
        ">iq", 8, (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    )
    # A statement's rows are its keys joined by what comes between two of them (the tail of
    # one row, the head of the next): one join a statement rather than two concatenations a
    # key row.
    chunks = [_COPY_HEADER]
    for keys, seq in rows:
        if keys:  # always (every statement has a verb key)
            tail = at + struct.pack(">iq", 8, seq)
            chunks.append(_KEY_ROW + (tail + _KEY_ROW).join(keys) + tail)
    chunks.append(_COPY_TRAILER)
    driver = conn.connection.driver_connection
    copy_sql = "COPY xapi_statement_keys (key, stored, seq) FROM STDIN (FORMAT BINARY)"
    with driver.cursor() as cursor, cursor.copy(copy_sql) as copy:  # type: ignore[union-attr]
        copy.write(b"".join(chunks))


def _check_duplicates(conn: Connection, existing: Sequence[Prepared]) -> None:
    """Ids already stored: the same statement is fine, a different one is 409."""
    ids = [p.index.statement_id for p in existing]
    found: dict[str, dict[str, Any]] = dict(
        conn.execute(
            select(Statement.statement_id, Statement.statement).where(
                Statement.statement_id.in_(ids)
            )
        ).all()
    )
    for p in existing:
        other = found.get(p.index.statement_id)
        if other is None or not same_statement(p.original, other):
            raise Conflict(
                f"Statement {p.stmt['id']} already exists with different content; a statement "
                "cannot be changed (send it again unchanged, or under a new id)."
            )


def _insert_blobs(conn: Connection, fresh: Iterable[Prepared], blobs: Mapping[str, Blob]) -> None:
    wanted: dict[str, Blob] = {}
    for p in fresh:
        for attachment in attachments_of(p.stmt):
            sha2 = attachment["sha2"].lower()
            if sha2 in blobs:
                wanted[sha2] = blobs[sha2]
    if not wanted:
        return
    rows = [
        {"sha2": sha2, "content_type": b.content_type, "length": len(b.data), "content": b.data}
        for sha2, b in sorted(wanted.items())
    ]
    conn.execute(dialect_insert(AttachmentBlob.__table__).on_conflict_do_nothing(), rows)


def attachments_of(stmt: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Attachment objects of a statement and of its SubStatement."""
    obj = stmt.get("object")
    sub = obj if isinstance(obj, dict) and obj.get("objectType") == "SubStatement" else None
    if "attachments" not in stmt and sub is None:
        return []  # nearly every statement: checked on every write
    found = list(stmt.get("attachments") or ())
    if sub is not None:
        found.extend(sub.get("attachments") or ())
    return found
