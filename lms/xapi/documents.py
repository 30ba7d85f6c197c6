"""The document resources: state, activity profile, agent profile (Communication 2.2-2.7).

Writes are compare-and-swap on the document's ETag (``UPDATE ... WHERE etag = <the one
read>``; ``INSERT ... ON CONFLICT DO NOTHING`` for a new one), retried when a concurrent
writer got there first. So two clients holding the same ETag cannot both win: the second
one's precondition is checked again against the new document and fails with 412.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import delete, select, text, update

from lms.db import utcnow
from lms.errors import BadRequest, Conflict
from lms.extensions import db
from lms.xapi.attachments import media_type
from lms.xapi.constants import DocumentKind
from lms.xapi.keys import sha256_hex
from lms.xapi.models import Document
from lms.xapi.sql import dialect_insert, is_postgres

_ATTEMPTS = 5


class PreconditionFailed(Exception):
    """412 (Communication 3.1.s4.b9)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Scope:
    """Where a document lives: its resource and the activity/agent/registration it is about."""

    kind: DocumentKind
    activity_id: str | None = None
    agent_ifi: str | None = None
    registration: str | None = None

    @property
    def context_hash(self) -> str:
        return sha256_hex(self.kind, self.activity_id or "", self.agent_ifi or "")

    def key_hash(self, doc_id: str) -> str:
        return sha256_hex(self.context_hash, self.registration or "", doc_id)

    def where(self) -> list[Any]:
        """Documents of this scope; without a registration, those of every registration
        (Communication 2.3.s4-s5: "Activity + Agent [+ registration if specified]")."""
        clauses: list[Any] = [Document.context_hash == self.context_hash]
        if self.registration is not None:
            clauses.append(Document.registration == self.registration)
        return clauses


@dataclass(frozen=True, slots=True)
class Preconditions:
    """``If-Match`` / ``If-None-Match`` as sent (RFC 7232), already split into ETags."""

    if_match: tuple[str, ...] | None = None
    if_none_match: tuple[str, ...] | None = None

    @property
    def given(self) -> bool:
        return self.if_match is not None or self.if_none_match is not None

    def check(self, current: Document | None) -> None:
        etag = current.etag if current is not None else None
        if self.if_match is not None and (
            etag is None or ("*" not in self.if_match and etag not in self.if_match)
        ):
            raise PreconditionFailed(
                "If-Match does not match the current document"
                + (" (there is none)." if etag is None else f' (its ETag is "{etag}").')
            )
        if (
            self.if_none_match is not None
            and etag is not None
            and ("*" in self.if_none_match or etag in self.if_none_match)
        ):
            raise PreconditionFailed(f'If-None-Match: the document exists (its ETag is "{etag}").')


@dataclass(frozen=True, slots=True)
class PutRule:
    """What a PUT without ``If-Match`` and ``If-None-Match`` gets (the table in the README)."""

    #: Refuse it with 400 when the document does not exist yet.
    new: bool
    #: Refuse it with 409 when the document exists (Communication 3.1.s4.b13-b15).
    existing: bool


#: For the LMS writing its own documents (cmi5 ``LMS.LaunchData``): no header needed.
NO_PRECONDITION = PutRule(new=False, existing=False)


def put_rule(kind: DocumentKind, *, v2: bool) -> PutRule:
    """The precondition rule of a header-less PUT, by resource and xAPI version.

    Profiles: a client MUST send If-Match or If-None-Match (Communication 3.1.s3.b1), so a
    PUT without either is refused: 409 over an existing document (3.1.s4.b13) and, as ADL's
    reference LRS answers, 400 for a new one (a request missing a required header, 3.2). State
    in 1.0.x: no header is needed (3.1.s3). State in 2.0: its concurrency rules cover State as
    well, so overwriting an existing State document needs a header (409 without one), while
    creating one does not (the 2.0 conformance suite's State tests create documents so).
    """
    if kind != DocumentKind.state:
        return PutRule(new=True, existing=True)
    return PutRule(new=False, existing=True) if v2 else NO_PRECONDITION


def parse_etags(header: str | None) -> tuple[str, ...] | None:
    """``"a", W/"b", *`` -> ("a", "b", "*"); None when the header is absent."""
    if header is None:
        return None
    tags = []
    for item in header.split(","):
        item = item.strip()
        if item.startswith("W/"):
            item = item[2:]
        item = item.strip('"').lower()
        if item:
            tags.append(item)
    return tuple(tags)


def etag_of(content: bytes) -> str:
    return hashlib.sha1(content, usedforsecurity=False).hexdigest()


def is_json(content_type: str | None) -> bool:
    return media_type(content_type) == "application/json"


def get(scope: Scope, doc_id: str) -> Document | None:
    return db.session.scalar(select(Document).where(Document.key_hash == scope.key_hash(doc_id)))


def list_ids(scope: Scope, since: datetime | None) -> tuple[list[str], datetime | None]:
    """Ids of the documents in ``scope`` (updated after ``since``), and the latest update."""
    query = select(Document.doc_id, Document.updated).where(*scope.where())
    if since is not None:
        query = query.where(Document.updated > since)
    rows = db.session.execute(query.order_by(Document.updated, Document.id)).all()
    latest = max((updated for _, updated in rows), default=None)
    return [doc_id for doc_id, _ in rows], latest


def put(
    scope: Scope,
    doc_id: str,
    content: bytes,
    content_type: str,
    pre: Preconditions,
    *,
    rule: PutRule,
) -> None:
    """Store ``content`` as the document (replacing it). Raises 400 / 409 / 412 as the spec
    says; ``rule`` is what a PUT without preconditions gets (:func:`put_rule`)."""

    def change(current: Document | None) -> tuple[bytes, str]:
        pre.check(current)
        if not pre.given:
            if current is not None and rule.existing:
                # Communication 3.1.s4.b13-b14.
                raise Conflict(
                    "The document already exists. Check its current state (GET it) and send "
                    "the PUT again with If-Match set to its ETag."
                )
            if current is None and rule.new:
                raise BadRequest(
                    "A PUT to this resource needs If-None-Match: * to create the document, or "
                    "If-Match with the ETag of the document it replaces (Communication 3.1)."
                )
        return content, content_type

    _write(scope, doc_id, change)


def post(scope: Scope, doc_id: str, content: bytes, content_type: str, pre: Preconditions) -> None:
    """Create the document, or merge JSON objects into it (Communication 2.2.s7-s8)."""

    def change(current: Document | None) -> tuple[bytes, str]:
        pre.check(current)
        if current is None:
            return content, content_type
        if not is_json(current.content_type) or not is_json(content_type):
            raise BadRequest(
                "POST merges JSON objects: both the stored document and the one sent must be "
                "application/json. Use PUT to replace the document."
            )
        old = _json_object(current.content, "The stored document")
        new = _json_object(content, "The document sent")
        old.update(new)
        return orjson.dumps(old), "application/json"

    if is_json(content_type):
        _json_object(content, "The document sent")
    _write(scope, doc_id, change)


def delete_one(scope: Scope, doc_id: str, pre: Preconditions) -> None:
    _lock_for_write()
    current = get(scope, doc_id)
    pre.check(current)
    if current is not None:
        db.session.execute(
            delete(Document).where(Document.id == current.id, Document.etag == current.etag)
        )


def delete_all(scope: Scope) -> None:
    db.session.execute(delete(Document).where(*scope.where()))


def _json_object(content: bytes, what: str) -> dict:
    try:
        value = orjson.loads(content)
    except orjson.JSONDecodeError:
        raise BadRequest(f"{what} is not valid JSON, so it cannot be merged.") from None
    if not isinstance(value, dict):
        raise BadRequest(f"{what} is not a JSON object, so it cannot be merged.")
    return value


def _write(
    scope: Scope, doc_id: str, change: Callable[[Document | None], tuple[bytes, str]]
) -> None:
    """Apply ``change(current) -> (content, content_type)`` as a compare-and-swap."""
    _lock_for_write()
    for _ in range(_ATTEMPTS):
        current = get(scope, doc_id)
        content, content_type = change(current)
        now = utcnow()
        if current is None:
            created = db.session.execute(
                dialect_insert(Document.__table__)
                .values(
                    kind=scope.kind,
                    key_hash=scope.key_hash(doc_id),
                    context_hash=scope.context_hash,
                    activity_id=scope.activity_id,
                    agent_ifi=scope.agent_ifi,
                    registration=scope.registration,
                    doc_id=doc_id,
                    content=content,
                    content_type=content_type,
                    etag=etag_of(content),
                    updated=now,
                )
                .on_conflict_do_nothing(index_elements=["key_hash"])
                .returning(Document.id)
            ).first()
            if created is not None:
                return
        else:
            result = db.session.execute(
                update(Document)
                .where(Document.id == current.id, Document.etag == current.etag)
                .values(
                    content=content,
                    content_type=content_type,
                    etag=etag_of(content),
                    updated=now,
                )
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                db.session.expire(current)
                return
        db.session.expire_all()
    raise Conflict("The document is being changed by others right now; try again.")


def _lock_for_write() -> None:
    """On SQLite, take the write lock before reading, so the read-then-write cannot be
    refused half-way (a reader cannot become a writer after another writer committed)."""
    if not is_postgres():
        db.session.execute(text("UPDATE xapi_documents SET id = id WHERE 0 = 1"))


def ids_body(ids: Sequence[str]) -> bytes:
    return orjson.dumps(list(ids))
