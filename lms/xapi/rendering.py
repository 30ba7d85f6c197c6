"""Statements as the client asked for them: ``format`` and attachment data (2.1.3).

``exact`` is the stored text as it is (no parsing); ``ids`` and ``canonical`` parse and
rebuild each statement, ``canonical`` with the LRS's canonical activity definitions and one
language per language map (Communication 2.1.3.s4).
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import select

from lms.extensions import db
from lms.xapi.canonical import shown_definition
from lms.xapi.keys import sha256_hex
from lms.xapi.models import Activity, AttachmentBlob
from lms.xapi.queries import Row
from lms.xapi.statements import attachments_of
from lms.xapi.validation import canonical_language, ids_format


def render(
    rows: list[Row], fmt: str, languages: list[str], *, answer_keys: bool = False
) -> list[bytes]:
    """Each statement serialised as the ``format`` parameter asks (Communication 2.1.3).

    ``canonical`` shows the LRS's definitions, without answer keys unless ``answer_keys``
    (``exact`` and ``ids`` return what the statements themselves hold).
    """
    if fmt == "exact":
        return [row.raw.encode("utf-8") for row in rows]
    statements = [orjson.loads(row.raw) for row in rows]
    definitions = canonical_definitions(statements) if fmt == "canonical" else {}
    out = []
    for row, stmt in zip(rows, statements, strict=True):
        try:
            if fmt == "ids":
                out.append(orjson.dumps(ids_format(stmt)))
            else:
                _apply_definitions(stmt, definitions, answer_keys=answer_keys)
                out.append(orjson.dumps(canonical_language(stmt, languages)))
        except orjson.JSONEncodeError:
            # A number beyond 64 bits (valid JSON, e.g. in an extension) defeats the fast
            # serialiser: that one statement is returned as stored rather than failing.
            out.append(row.raw.encode("utf-8"))
    return out


def _activities(stmt: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    parts = [stmt]
    obj = stmt.get("object") or {}
    if obj.get("objectType") == "SubStatement":
        parts.append(obj)
    for part in parts:
        target = part.get("object") or {}
        if target.get("objectType", "Activity") == "Activity":
            found.append(target)
        context = part.get("context") or {}
        for entries in (context.get("contextActivities") or {}).values():
            found.extend(entries if isinstance(entries, list) else [entries])
    return found


def canonical_definitions(statements: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    ids = {a["id"] for s in statements for a in _activities(s) if "id" in a}
    if not ids:
        return {}
    hashes = {sha256_hex(i): i for i in ids}
    rows = db.session.execute(
        select(Activity.activity_hash, Activity.definition).where(
            Activity.activity_hash.in_(sorted(hashes))
        )
    )
    return {hashes[h]: d for h, d in rows if d}


def _apply_definitions(
    stmt: dict[str, Any], definitions: dict[str, dict[str, Any]], *, answer_keys: bool
) -> None:
    for activity in _activities(stmt):
        definition = definitions.get(activity.get("id", ""))
        if definition:
            activity["definition"] = shown_definition(definition, answer_keys=answer_keys)


def attachment_blobs(raws: list[bytes]) -> list[AttachmentBlob]:
    """Stored data of every attachment the given statements declare, once each."""
    wanted: dict[str, None] = {}
    for raw in raws:
        for attachment in attachments_of(orjson.loads(raw)):
            sha2 = attachment.get("sha2")
            if isinstance(sha2, str):
                wanted[sha2.lower()] = None
    if not wanted:
        return []
    blobs = db.session.scalars(select(AttachmentBlob).where(AttachmentBlob.sha2.in_(wanted)))
    by_sha = {b.sha2: b for b in blobs}
    return [by_sha[s] for s in wanted if s in by_sha]
