"""The LRS's canonical activity definitions and the names it knows per agent.

This is per-activity and per-agent bookkeeping, so it must stay out of the writers'
critical section (ARCHITECTURE.md, "Notes on speed"): the HTTP write path runs it after the
statements are committed, in its own short transaction; internal callers run it inside
theirs, where it cannot block either: new rows are inserted with ``ON CONFLICT DO NOTHING``
in a fixed order, and existing rows are updated only if they can be locked at once
(``FOR UPDATE SKIP LOCKED``), otherwise left for the next statement to refresh. Rows are
only touched when the merged result differs from what is stored.

Merging follows Data 2.4.4.1.s4: language maps gain or correct languages, ``type`` and
``moreInfo`` may be corrected, extensions gain keys; interaction properties (choices,
correct responses) are kept as first seen, since changing them is a "significant change".
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select, text

from lms.db import utcnow
from lms.extensions import db
from lms.xapi.keys import sha256_hex
from lms.xapi.models import Activity, Person
from lms.xapi.sql import dialect_insert, is_postgres
from lms.xapi.statements import Prepared
from lms.xapi.validation import agent_ifi

logger = logging.getLogger(__name__)

_MERGED_MAPS = ("name", "description")
_CORRECTABLE = ("type", "moreInfo")
_MAX_NAMES = 10
#: The interaction property that is a question's answer key (Data 2.4.4.1 interactions).
ANSWER_KEY = "correctResponsesPattern"


@dataclass(slots=True)
class Bookkeeping:
    """What a batch of statements says about activities and agents."""

    activities: dict[str, dict[str, Any]] = field(default_factory=dict)
    agents: dict[str, tuple[Mapping[str, Any], list[str]]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.activities or self.agents)


def merge_definition(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(old)
    for key, value in new.items():
        if isinstance(value, dict) and (key in _MERGED_MAPS or key == "extensions"):
            merged[key] = {**(old.get(key) or {}), **value}
        elif key in _CORRECTABLE or key not in old:
            merged[key] = value
    return merged


def collect(prepared: Iterable[Prepared]) -> Bookkeeping:
    book = Bookkeeping()
    for p in prepared:
        for part in _parts(p.stmt):
            for activity in _activities(part):
                definition = activity.get("definition")
                if definition:
                    known = book.activities.get(activity["id"], {})
                    book.activities[activity["id"]] = merge_definition(known, definition)
            for agent in _agents(part):
                ifi = agent_ifi(dict(agent))
                form, names = book.agents.get(ifi, (agent, []))
                if agent.get("name") and agent["name"] not in names:
                    names.append(agent["name"])
                book.agents[ifi] = (form, names)
    return book


def apply(book: Bookkeeping) -> None:
    """Bring the stored canonical rows up to date with ``book``; flushes, never commits."""
    if book.activities:
        _apply_activities(book.activities)
    if book.agents:
        _apply_agents(book.agents)


def _apply_activities(activities: Mapping[str, dict[str, Any]]) -> None:
    by_hash = {sha256_hex(activity_id): activity_id for activity_id in activities}
    now = utcnow()
    existing: dict[str, dict[str, Any]] = dict(
        db.session.execute(
            select(Activity.activity_hash, Activity.definition).where(
                Activity.activity_hash.in_(sorted(by_hash))
            )
        ).all()
    )
    new_rows = [
        {
            "activity_hash": h,
            "activity_id": by_hash[h],
            "definition": activities[by_hash[h]],
            "updated": now,
        }
        for h in sorted(by_hash)
        if h not in existing
    ]
    _insert_new(Activity.__table__, new_rows)
    changed = sorted(
        h
        for h, old in existing.items()
        if merge_definition(old or {}, activities[by_hash[h]]) != (old or {})
    )
    if not changed:
        return
    for row in _lock(Activity, Activity.activity_hash, changed):
        merged = merge_definition(row.definition or {}, activities[by_hash[row.activity_hash]])
        if merged != row.definition:
            row.definition = merged
            row.updated = now
    db.session.flush()


def _apply_agents(agents: Mapping[str, tuple[Mapping[str, Any], list[str]]]) -> None:
    by_hash = {sha256_hex(ifi): ifi for ifi in agents}
    now = utcnow()
    existing = dict(
        db.session.execute(
            select(Person.ifi_hash, Person.names).where(Person.ifi_hash.in_(sorted(by_hash)))
        ).all()
    )
    new_rows = []
    for h in sorted(by_hash):
        if h in existing:
            continue
        form, names = agents[by_hash[h]]
        new_rows.append(
            {
                "ifi_hash": h,
                "ifi": by_hash[h],
                "agent": _identity(form),
                "names": names[:_MAX_NAMES],
                "updated": now,
            }
        )
    _insert_new(Person.__table__, new_rows)
    changed = sorted(
        h
        for h, names in existing.items()
        if any(n not in (names or []) for n in agents[by_hash[h]][1])
    )
    if not changed:
        return
    for row in _lock(Person, Person.ifi_hash, changed):
        names = list(row.names or [])
        for name in agents[by_hash[row.ifi_hash]][1]:
            if name not in names:
                names.insert(0, name)
        row.names = names[:_MAX_NAMES]
        row.updated = now
    db.session.flush()


def _insert_new(table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows not stored yet, in the order given (sorted by hash: a fixed lock order).

    On PostgreSQL as one ``INSERT ... SELECT FROM jsonb_to_recordset(...) ON CONFLICT DO
    NOTHING`` whatever their number: sent as one statement per row (psycopg's
    ``executemany``), the agents and activities of the bridge's batch (a few hundred new
    learners and certificates at a time) were about half the bookkeeping's time, and a
    multi-row ``VALUES`` was slower still (compiled afresh for every number of rows). SQLite,
    in the same process, gains nothing from it. Not :func:`lms.bulk_insert.insert_rows`:
    ``COPY`` has no ``ON CONFLICT``, and another writer may add the same agent or activity
    between the read of what exists and this insert.
    """
    if not rows:
        return
    if not is_postgres():
        db.session.execute(dialect_insert(table).on_conflict_do_nothing(), rows)
        return
    dialect = db.session.get_bind().dialect
    names = list(rows[0])
    columns = ", ".join(names)
    types = ", ".join(f"{name} {table.c[name].type.compile(dialect=dialect)}" for name in names)
    sql = (
        f"INSERT INTO {table.name} ({columns}) SELECT {columns} "  # noqa: S608 - our own names
        f"FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r({types}) ON CONFLICT DO NOTHING"
    )
    payload = json.dumps(rows, default=_json_default, ensure_ascii=False)
    db.session.execute(text(sql), {"rows": payload})


def _json_default(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _lock(model: Any, column: Any, hashes: list[str]) -> list[Any]:
    query = select(model).where(column.in_(hashes)).order_by(column)
    if is_postgres():
        query = query.with_for_update(skip_locked=True)
    return list(db.session.scalars(query))


def _identity(agent: Mapping[str, Any]) -> dict[str, Any]:
    """The agent without its name: the identifier the Person object lists."""
    return {k: v for k, v in agent.items() if k not in ("name", "member")}


def _parts(stmt: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    parts = [stmt]
    obj = stmt.get("object") or {}
    if obj.get("objectType") == "SubStatement":
        parts.append(obj)
    return parts


def _activities(part: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found: list[Mapping[str, Any]] = []
    obj = part.get("object") or {}
    if obj.get("objectType", "Activity") == "Activity":
        found.append(obj)
    context = part.get("context") or {}
    for entries in (context.get("contextActivities") or {}).values():
        found.extend(entries if isinstance(entries, list) else [entries])
    return found


def _agents(part: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Agents named in a statement part (actor, object, group members, instructor)."""
    found: list[Mapping[str, Any]] = []
    context = part.get("context") or {}
    candidates = [
        (part.get("actor"), "Agent"),
        (part.get("object"), "Activity"),
        (context.get("instructor"), "Agent"),
    ]
    for actor, default_type in candidates:
        if not isinstance(actor, dict):
            continue
        object_type = actor.get("objectType", default_type)
        if object_type == "Agent":
            found.append(actor)
        elif object_type == "Group":
            found.extend(m for m in actor.get("member", ()) if isinstance(m, dict))
    return found


def person(agent: Mapping[str, Any]) -> dict[str, Any]:
    """The Person object of Communication 2.4 for ``agent`` (2.4.s3.b3: at least itself)."""
    ifi = agent_ifi(dict(agent))
    row = db.session.scalar(select(Person).where(Person.ifi_hash == sha256_hex(ifi)))
    names: list[str] = list(row.names) if row is not None else []
    if agent.get("name") and agent["name"] not in names:
        names.insert(0, agent["name"])
    out: dict[str, Any] = {"objectType": "Person"}
    if names:
        out["name"] = names
    for key in ("mbox", "mbox_sha1sum", "openid", "account"):
        if key in agent:
            out[key] = [agent[key]]
    return out


def shown_definition(definition: Mapping[str, Any], *, answer_keys: bool) -> dict[str, Any]:
    """A canonical definition as a reader may see it: without the answer key unless allowed.

    Canonical definitions are merged from whatever ``define`` clients (and the LMS) sent, so
    they may hold a question's ``correctResponsesPattern``. Only readers who may read every
    statement (``ClientInfo.sees_answer_keys``) get it; a learner's credentials never do.
    """
    if answer_keys or ANSWER_KEY not in definition:
        return dict(definition)
    return {k: v for k, v in definition.items() if k != ANSWER_KEY}


def activity(activity_id: str, *, answer_keys: bool) -> dict[str, Any]:
    """The canonical Activity object, or the bare id when the LRS knows nothing (2.5.s2.b1)."""
    definition = db.session.scalar(
        select(Activity.definition).where(Activity.activity_hash == sha256_hex(activity_id))
    )
    out: dict[str, Any] = {"objectType": "Activity", "id": activity_id}
    if definition:
        out["definition"] = shown_definition(definition, answer_keys=answer_keys)
    return out
