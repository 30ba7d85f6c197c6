"""Tables of the LRS: statements and their query index, attachments, documents, clients.

A statement is kept whole as it was accepted, its JSON compressed (``lms.xapi.packing``),
plus a few columns the LRS itself needs (id, stored order, voiding, StatementRef target).
Every query filter of GET /xapi/statements is served by one narrow table,
``xapi_statement_keys``: one row per (filter kind, value) of a statement, the pair reduced to
a 16-byte key (``lms.xapi.keys.key_id``) and ordered by ``(stored, seq)`` inside its primary
key, so "the newest 100 statements about X" is one backward range scan.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    Uuid,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column

from lms.db import CreatedAt, IntPK, JSONType, Model, Str200, UTCDateTime, db
from lms.xapi.constants import DocumentKind
from lms.xapi.packing import PackedJSON

#: BIGINT on PostgreSQL; SQLite only auto-increments an ``INTEGER PRIMARY KEY``.
SeqType = BigInteger().with_variant(Integer(), "sqlite")
#: Native ``uuid`` on PostgreSQL (16 bytes), 32 hex characters on SQLite.
UuidStr = Uuid(as_uuid=False)


class KeyType(TypeDecorator[bytes]):
    """The 16-byte key of a query filter (``lms.xapi.keys.key_id``): ``uuid`` on PostgreSQL.

    Python code handles keys as ``bytes`` (fast to hash in sets); the column is a UUID.
    """

    impl = Uuid(as_uuid=True)
    cache_ok = True

    def process_bind_param(self, value: bytes | None, dialect: Dialect) -> uuid.UUID | None:
        return None if value is None else uuid.UUID(bytes=bytes(value))

    def process_result_value(self, value: uuid.UUID | None, dialect: Dialect) -> bytes | None:
        return None if value is None else value.bytes


class Statement(Model):
    """One accepted statement; ``seq`` is the stored order (cursors, the learning bridge)."""

    __tablename__ = "xapi_statements"
    __table_args__ = (
        Index("ix_xapi_statements_stored_seq", "stored", "seq"),
        # Which statements are voided: only voiding statements are in it.
        Index(
            "ix_xapi_statements_voided_target",
            "object_statement_ref",
            postgresql_where=text("voiding"),
            sqlite_where=text("voiding"),
        ),
        # Who points at this statement (StatementRef filters); most rows have none.
        Index(
            "ix_xapi_statements_object_statement_ref",
            "object_statement_ref",
            postgresql_where=text("object_statement_ref IS NOT NULL"),
            sqlite_where=text("object_statement_ref IS NOT NULL"),
        ),
    )

    seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    statement_id: Mapped[str] = mapped_column(UuidStr, unique=True)
    stored: Mapped[datetime] = mapped_column(UTCDateTime)
    verb_id: Mapped[str] = mapped_column(Text)
    actor_ifi: Mapped[str | None] = mapped_column(Text)
    object_type: Mapped[str] = mapped_column(String(20))
    object_activity_id: Mapped[str | None] = mapped_column(Text)
    object_statement_ref: Mapped[str | None] = mapped_column(UuidStr)
    registration: Mapped[str | None] = mapped_column(UuidStr)
    #: The verb is ``voided``: this statement voids its StatementRef target (Data 2.3.2).
    voiding: Mapped[bool] = mapped_column(default=False)
    authority_ifi: Mapped[str] = mapped_column(Text)
    client_id: Mapped[int | None] = mapped_column(Integer)
    #: The statement as stored, zstd-compressed JSON (``lms.xapi.packing``).
    statement: Mapped[dict[str, Any]] = mapped_column(PackedJSON)

    def __repr__(self) -> str:
        return f"<Statement {self.seq} {self.statement_id}>"


class StatementKey(Model):
    """One filterable fact about a statement: ``key_id(kind, value)`` at ``(stored, seq)``.

    No foreign key to ``xapi_statements``: rows are only ever written in the same
    transaction as their statement, and the check would cost a lookup per row.
    """

    __tablename__ = "xapi_statement_keys"

    key: Mapped[bytes] = mapped_column(KeyType, primary_key=True)
    stored: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=False)


class AttachmentBlob(Model):
    """The raw data of an attachment, shared by every statement that declares its SHA-2."""

    __tablename__ = "xapi_attachments"

    sha2: Mapped[str] = mapped_column(String(128), primary_key=True)
    content_type: Mapped[str] = mapped_column(Text)
    length: Mapped[int] = mapped_column(BigInteger)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[CreatedAt]


class Activity(Model):
    """The LRS's canonical definition of an activity, merged from the statements it saw."""

    __tablename__ = "xapi_activities"

    id: Mapped[IntPK]
    #: SHA-256 of the IRI: IRIs have no length limit, unique indexes do.
    activity_hash: Mapped[str] = mapped_column(String(64), unique=True)
    activity_id: Mapped[str] = mapped_column(Text)
    definition: Mapped[dict[str, Any]] = mapped_column(JSONType)
    updated: Mapped[datetime] = mapped_column(UTCDateTime)


class Person(Model):
    """What the LRS knows about one agent identifier: the names it was given."""

    __tablename__ = "xapi_agents"

    id: Mapped[IntPK]
    ifi_hash: Mapped[str] = mapped_column(String(64), unique=True)
    ifi: Mapped[str] = mapped_column(Text)
    agent: Mapped[dict[str, Any]] = mapped_column(JSONType)
    names: Mapped[list[str]] = mapped_column(JSONType)
    updated: Mapped[datetime] = mapped_column(UTCDateTime)


class Document(Model):
    """A state, activity profile or agent profile document (Communication 2.2-2.7)."""

    __tablename__ = "xapi_documents"
    __table_args__ = (Index("ix_xapi_documents_context_hash_updated", "context_hash", "updated"),)

    id: Mapped[IntPK]
    kind: Mapped[DocumentKind] = mapped_column(db.Enum(DocumentKind, native_enum=False, length=20))
    #: SHA-256 of (kind, activity, agent, registration, document id): the unique key.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: SHA-256 of (kind, activity, agent): what "list the ids" and "delete all" read.
    context_hash: Mapped[str] = mapped_column(String(64))
    activity_id: Mapped[str | None] = mapped_column(Text)
    agent_ifi: Mapped[str | None] = mapped_column(Text)
    registration: Mapped[str | None] = mapped_column(UuidStr)
    doc_id: Mapped[str] = mapped_column(Text)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    content_type: Mapped[str] = mapped_column(String(255))
    #: SHA-1 of the content, lower-case hex, unquoted (Communication 3.1.s4.b2).
    etag: Mapped[str] = mapped_column(String(40))
    updated: Mapped[datetime] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<Document {self.id} {self.kind} {self.doc_id!r}>"


class LrsClient(Model):
    """A program allowed to use the LRS with HTTP Basic: ``key`` / secret.

    Only an HMAC-SHA256 of the (high-entropy, generated) secret is kept, keyed with a
    per-client salt; a slow password hash would cost more than the statements it guards.
    """

    __tablename__ = "lrs_clients"

    id: Mapped[IntPK]
    name: Mapped[Str200]
    key: Mapped[str] = mapped_column(String(64), unique=True)
    secret_salt: Mapped[str] = mapped_column(String(64))
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(JSONType)
    #: The Agent written as ``authority`` of every statement this client stores.
    authority: Mapped[dict[str, Any]] = mapped_column(JSONType)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[CreatedAt]
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: After this instant the credentials no longer authenticate (a cmi5 session's end).
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: What a client handed to a learner's browser may touch (``lms.xapi.binding``).
    binding: Mapped[dict[str, Any] | None] = mapped_column(
        JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")
    )

    def __repr__(self) -> str:
        return f"<LrsClient {self.id} {self.key}>"
