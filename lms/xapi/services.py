"""The LRS as the rest of the LMS sees it: record statements, read them back in order.

Other domains (catalog/classes, assessment, certificates, the learning bridge) never talk
HTTP to the LRS: they call :func:`record` / :func:`record_many` inside their own unit of
work. The statements go through the same validation, completion, indexing and
idempotency rules as statements sent to /xapi, and are committed with the caller's
transaction (never here).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import case, false, null, select, type_coerce

from lms.errors import Invalid
from lms.extensions import db
from lms.xapi import canonical
from lms.xapi.attachments import media_type
from lms.xapi.constants import XAPI_VERSION
from lms.xapi.models import Statement
from lms.xapi.packing import PackedJSON, dump_json
from lms.xapi.protocol import has_nul
from lms.xapi.queries import consistent_through, voided_clause
from lms.xapi.signatures import verify_signatures
from lms.xapi.statements import Blob, Writer, attachments_of, complete, store
from lms.xapi.validation import XapiValidationError, validate_agent_param, validate_statements

logger = logging.getLogger(__name__)

#: The statements kept by :func:`recorded_together` while it runs (None outside).
_together: ContextVar[list[dict[str, Any]] | None] = ContextVar("lms_xapi_together", default=None)

__all__ = [
    "Blob",
    "StoredStatement",
    "consistent_through",
    "lms_authority",
    "read_after",
    "record",
    "record_kept",
    "record_many",
    "recorded_together",
    "voided_ids",
    "voiding_authorities",
]


def lms_authority() -> dict[str, Any]:
    """The LMS's own agent: the authority of the statements it records itself."""
    base = current_app.config.get("BASE_URL", "http://localhost").rstrip("/")
    return {"objectType": "Agent", "name": "LMS 146", "account": {"homePage": base, "name": "lms"}}


def record(
    statement: dict[str, Any],
    *,
    authority: dict[str, Any] | None = None,
    attachments: Sequence[Blob] = (),
) -> str:
    """Validate and store one statement in the current transaction; return its id."""
    return record_many([statement], authority=authority, attachments=attachments)[0]


def record_many(
    statements: list[dict[str, Any]],
    *,
    authority: dict[str, Any] | None = None,
    attachments: Sequence[Blob] = (),
) -> list[str]:
    """Validate and store statements, all or none; return their ids in the same order.

    Fills id, stored, timestamp (when absent), authority (default: :func:`lms_authority`)
    and version. Re-recording a statement with the same id and content is a no-op (the id
    is returned); the same id with other content raises Conflict. ``attachments`` carries
    the raw data of attachment objects that have no fileUrl. Raises Invalid (with the
    property path) for a statement that is not valid xAPI.
    """
    if not statements:
        return []
    pending = _together.get()
    if pending is not None and authority is None and not attachments:
        # Inside recorded_together: kept, in order, for one record_many at its end. Their ids
        # are given now (what complete() would do) so the caller gets them as usual.
        kept = [s if "id" in s else {**s, "id": str(uuid.uuid4())} for s in statements]
        pending.extend(kept)
        return [str(s["id"]) for s in kept]
    try:
        valid = validate_statements(list(statements), version=XAPI_VERSION)
    except XapiValidationError as exc:
        raise Invalid(f"Invalid xAPI statement: {exc}", errors={exc.path: [exc.message]}) from None
    if any(has_nul(dump_json(s).encode()) for s in valid):
        raise Invalid("An xAPI statement contains the character U+0000.")
    blobs = _blobs(valid, attachments)
    for number, stmt in enumerate(valid):
        verify_signatures(stmt, blobs, where=f"[{number}]")
    writer = Writer(authority=_authority(authority))
    prepared = [complete(s, writer) for s in valid]
    ids = store(prepared, writer, blobs=blobs)
    # Inside the caller's transaction: inserts of new activities/agents do not wait on
    # others and existing rows are only updated when free (see lms.xapi.canonical).
    canonical.apply(canonical.collect(prepared))
    logger.debug("Recorded %d statement(s)", len(ids))
    return ids


@contextmanager
def recorded_together() -> Iterator[None]:
    """Record the LMS's own statements of a bulk operation as one batch when it ends.

    Every :func:`record_many` inside (the LMS's authority, no attachments) only keeps its
    statements; when the block ends without an error they are validated and stored by one
    :func:`record_many`, in the order they were recorded, so their stored order is the one
    the separate calls would have given. An error inside stores none of them (the caller's
    savepoint takes back the rest). Each batch pays the agents' and activities' bookkeeping
    (:mod:`lms.xapi.canonical`) once: the bridge's bulk path records ``registered``,
    ``completed`` and ``earned`` about the same learners, and three batches paid it three
    times. Nested blocks join the outer one.
    """
    if _together.get() is not None:
        yield
        return
    pending: list[dict[str, Any]] = []
    token = _together.set(pending)
    try:
        yield
    finally:
        _together.reset(token)
    record_many(pending)


def record_kept() -> None:
    """Inside :func:`recorded_together`: record the statements kept so far now (in order,
    one :func:`record_many`), and go on keeping. Called before taking a lock that is held
    to the commit (the certificates' serial counters), so that their validation and storing
    is not done while other writers wait."""
    pending = _together.get()
    if not pending:
        return
    kept = list(pending)
    pending.clear()
    token = _together.set(None)
    try:
        record_many(kept)
    finally:
        _together.reset(token)


def _authority(authority: dict[str, Any] | None) -> dict[str, Any]:
    if authority is None:
        return lms_authority()
    try:
        return validate_agent_param(dict(authority), path="authority")
    except XapiValidationError as exc:
        raise Invalid(f"Invalid authority: {exc}", errors={exc.path: [exc.message]}) from None


def _blobs(statements: list[dict[str, Any]], attachments: Sequence[Blob]) -> dict[str, Blob]:
    import hashlib

    by_sha = {hashlib.sha256(b.data).hexdigest(): b for b in attachments}
    declared = {a["sha2"].lower(): a for s in statements for a in attachments_of(s)}
    blobs: dict[str, Blob] = {}
    for sha2, attachment in declared.items():
        blob = by_sha.get(sha2)
        if blob is None:
            if "fileUrl" not in attachment:
                raise Invalid(
                    f"Attachment {sha2} has neither a fileUrl nor data.",
                    errors={"attachments": ["Pass its data in attachments=."]},
                )
            continue
        if media_type(blob.content_type) != media_type(attachment.get("contentType")):
            raise Invalid(
                f"Attachment {sha2}: its data is {blob.content_type}, "
                f"the statement says {attachment.get('contentType')}.",
            )
        blobs[sha2] = blob
    return blobs


# --- reading in stored order ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredStatement:
    seq: int  #: position in the stored order; strictly increasing
    stored: datetime
    statement: dict[str, Any]
    voided: bool
    #: One the reader asked to step over (``read_after(step_over=)``): only its place in the
    #: stored order was read, ``statement`` is empty.
    stepped_over: bool = False


def read_after(
    seq: int, *, limit: int = 500, until: datetime | None = None, step_over: Any = None
) -> list[StoredStatement]:
    """Statements after position ``seq`` in stored order, for consumers such as the bridge.

    Pass ``until=consistent_through()`` to read only what can no longer be overtaken by a
    transaction still open (a later ``seq`` may commit before an earlier one).

    ``step_over`` (a condition on :class:`Statement`'s columns): the statements it holds for
    keep their place in the list (``stepped_over``, with the time they were stored), so gaps
    and cursors are seen as before, but their bodies are neither sent nor unpacked (the
    bridge's statements that cannot move anything: a backlog's lesson views, the LMS's own).
    """
    body: Any = Statement.statement
    skip: Any = false()
    if step_over is not None:
        skip = step_over
        body = type_coerce(case((skip, null()), else_=Statement.statement), PackedJSON)
    query = (
        select(
            Statement.seq,
            Statement.stored,
            body.label("statement"),
            voided_clause().label("voided"),
            skip.label("stepped_over"),
        )
        .where(Statement.seq > seq)
        .order_by(Statement.seq)
        .limit(limit)
    )
    if until is not None:
        query = query.where(Statement.stored < until)
    return [
        StoredStatement(seq=s, stored=st, statement={}, voided=bool(v), stepped_over=True)
        if o
        else StoredStatement(seq=s, stored=st, statement=stmt, voided=bool(v))
        for s, st, stmt, v, o in db.session.execute(query)
    ]


def voided_ids(statement_ids: Sequence[str]) -> set[str]:
    """Which of these statements are voided now (Data 2.3.2.s2.b3)."""
    wanted = [s.lower() for s in statement_ids]
    if not wanted:
        return set()
    rows = db.session.scalars(
        select(Statement.statement_id).where(Statement.statement_id.in_(wanted), voided_clause())
    )
    return set(rows)


def voiding_authorities(statement_id: str) -> set[str]:
    """The authority IFIs of the statements that void ``statement_id`` (usually none)."""
    rows = db.session.scalars(
        select(Statement.authority_ifi).where(
            Statement.voiding, Statement.object_statement_ref == statement_id.lower()
        )
    )
    return set(rows)


def authority_of(statement_id: str) -> str | None:
    """The authority IFI of a stored statement, or None when it is not (yet) stored."""
    return db.session.scalar(
        select(Statement.authority_ifi).where(Statement.statement_id == statement_id.lower())
    )


def statement_by_id(statement_id: str) -> Mapping[str, Any] | None:
    """The stored statement (voided or not), or None."""
    stmt: dict[str, Any] | None = db.session.scalar(
        select(Statement.statement).where(Statement.statement_id == statement_id.lower())
    )
    return stmt
