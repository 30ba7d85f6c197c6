"""StatementRef targets (Communication 2.1.3.s3) and the voiding rule (Data 2.3.2).

A statement whose object is a StatementRef matches the filters its target matches, through
any chain of references. This is materialised when writing: the referring statement gets a
copy of its target's query keys, and when a target arrives after statements that point at
it, they (and what points at them) get its keys then.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from lms.errors import BadRequest
from lms.xapi.models import Statement, StatementKey
from lms.xapi.sql import dialect_insert
from lms.xapi.validation import statement_index

if TYPE_CHECKING:
    from lms.xapi.statements import KeySet, Prepared


def ref_targets(conn: Connection, prepared: Sequence[Prepared]) -> dict[str, KeySet]:
    """Keys each StatementRef statement inherits from its target (Communication 2.1.3.s3).

    Also refuses to void a voiding statement (Data 2.3.2: it "cannot itself be voided").
    Targets in the same batch count; a target stored later is handled when it arrives.
    """
    refs = {p.index.statement_id: p for p in prepared if p.index.object_statement_ref}
    if not refs:
        return {}
    in_batch = {p.index.statement_id: p for p in prepared}
    wanted = {p.index.object_statement_ref for p in refs.values()} - in_batch.keys()
    stored_targets: dict[str, tuple[int, bool]] = {}
    stored_keys: dict[str, KeySet] = {}
    if wanted:
        for statement_id, seq, voiding in conn.execute(
            select(Statement.statement_id, Statement.seq, Statement.voiding).where(
                Statement.statement_id.in_(sorted(x for x in wanted if x))
            )
        ):
            stored_targets[statement_id] = (seq, voiding)
        if stored_targets:
            stored_keys = _stored_keys(conn, stored_targets.keys())
    for p in refs.values():
        if p.index.voided_statement_id is None:
            continue
        target = p.index.voided_statement_id
        voiding_target = (target in in_batch and in_batch[target].index.voided_statement_id) or (
            target in stored_targets and stored_targets[target][1]
        )
        if voiding_target:
            raise BadRequest(
                f"Statement {p.stmt['id']} voids {target}, which is itself a voiding statement; "
                "a voiding statement cannot be voided (xAPI Data 2.3.2)."
            )

    resolved: dict[str, KeySet] = {}

    def inherited(statement_id: str, seen: frozenset[str]) -> KeySet:
        """Keys of the target of ``statement_id``, including what that target inherits."""
        if statement_id in resolved:
            return resolved[statement_id]
        target = refs[statement_id].index.object_statement_ref or ""
        keys: KeySet = set()
        if target in in_batch and target not in seen:
            keys |= in_batch[target].keys
            if target in refs:
                keys |= inherited(target, seen | {target})
        elif target in stored_targets:
            keys |= stored_keys.get(target, set())
        resolved[statement_id] = keys
        return keys

    return {sid: inherited(sid, frozenset({sid})) for sid in refs}


def _stored_keys(conn: Connection, statement_ids: Iterable[str]) -> dict[str, KeySet]:
    """The keys of stored statements, with what they inherit through a chain of StatementRefs.

    Computed again from the stored statements (the same function made their keys when they
    were written): the key table is ordered for queries and has no index by statement.
    """
    from lms.xapi.statements import own_keys  # here: lms.xapi.statements imports this module

    own: dict[str, KeySet] = {}
    points_at: dict[str, str] = {}
    wanted = set(statement_ids)
    while wanted:
        rows = conn.execute(
            select(Statement.statement_id, Statement.statement).where(
                Statement.statement_id.in_(sorted(wanted))
            )
        )
        wanted = set()
        for statement_id, stmt in rows:
            index = statement_index(stmt)
            own[statement_id] = own_keys(index)
            if index.object_statement_ref:
                points_at[statement_id] = index.object_statement_ref
                wanted.add(index.object_statement_ref)
        wanted -= own.keys()

    def resolve(statement_id: str, seen: frozenset[str]) -> KeySet:
        keys = own[statement_id]
        target = points_at.get(statement_id)
        if target in own and target not in seen:
            keys = keys | resolve(target, seen | {target})
        return keys

    return {sid: resolve(sid, frozenset({sid})) for sid in own}


def propagate_to_referrers(
    conn: Connection,
    fresh: Sequence[Prepared],
    inserted: Mapping[str, int],
    targets: Mapping[str, KeySet],
) -> None:
    """Give statements stored earlier that point at a new statement its keys, transitively.

    One indexed lookup per batch (a partial index holds only StatementRef statements);
    it finds nothing unless a StatementRef arrived before its target.
    """
    frontier: dict[str, KeySet] = {
        p.index.statement_id: p.keys | targets.get(p.index.statement_id, set()) for p in fresh
    }
    seen = set(inserted)
    while frontier:
        if conn.dialect.name == "postgresql":
            rows = conn.exec_driver_sql(
                "SELECT object_statement_ref::text, statement_id::text, seq, stored "
                "FROM xapi_statements WHERE object_statement_ref = ANY(%s::uuid[])",
                (sorted(frontier),),
            ).all()
        else:
            rows = conn.execute(
                select(
                    Statement.object_statement_ref,
                    Statement.statement_id,
                    Statement.seq,
                    Statement.stored,
                ).where(Statement.object_statement_ref.in_(sorted(frontier)))
            ).all()
        following: dict[str, KeySet] = {}
        key_rows: list[dict[str, Any]] = []
        for target, statement_id, seq, stored in rows:
            if statement_id in seen:
                continue
            keys = frontier[target]
            key_rows.extend({"key": key, "stored": stored, "seq": seq} for key in keys)
            following.setdefault(statement_id, set()).update(keys)
        if key_rows:
            insert = dialect_insert(StatementKey.__table__).on_conflict_do_nothing()
            conn.execute(insert, key_rows)
        seen |= following.keys()
        frontier = following
