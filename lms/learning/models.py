"""Tables of the learning bridge: mappings, platforms, identities, cursor, review, cmi5.

The bridge reads the LRS's statements in stored order (``xapi_statements.seq``) and turns
the ones about the LMS's courses into enrollments and completions. Everything it needs to do
that exactly once, and to explain afterwards what it did, lives here.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.catalog.models import Course
from lms.constants import TargetGroup
from lms.db import CreatedAt, IntPK, JSONType, Model, Str200, UTCDateTime, db, utcnow
from lms.org.models import Unit

#: BIGINT on PostgreSQL like ``xapi_statements.seq``; SQLite integers are 64-bit anyway.
Seq = BigInteger().with_variant(Integer(), "sqlite")


class MappingKind(enum.StrEnum):
    course = "course"  #: the course's own ``activity_iri``
    external = "external"  #: one of ``external_activity_iris`` (the course on a MOOC)
    cmi5_au = "cmi5_au"  #: the LMS-generated activity id of a cmi5 assignable unit


class ActivityMapping(Model):
    """Which course an activity IRI belongs to: the bridge's one lookup per statement.

    Keyed by the SHA-256 of the IRI (IRIs have no length limit, unique indexes do), so an
    IRI maps to one course only.
    """

    __tablename__ = "activity_mappings"

    iri_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    activity_iri: Mapped[str] = mapped_column(Text)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    kind: Mapped[MappingKind] = mapped_column(db.Enum(MappingKind, native_enum=False, length=20))
    au_id: Mapped[int | None] = mapped_column(ForeignKey("cmi5_aus.id", ondelete="CASCADE"))

    def __repr__(self) -> str:
        return f"<ActivityMapping {self.activity_iri} -> course {self.course_id}>"


#: The courses a source platform may report (its statements about others are held).
source_platform_courses = Table(
    "source_platform_courses",
    db.metadata,
    Column("platform_id", ForeignKey("source_platforms.id", ondelete="CASCADE"), primary_key=True),
    Column("course_id", ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True, index=True),
)

#: The units whose subtrees a source platform may provision learners into and affect.
source_platform_units = Table(
    "source_platform_units",
    db.metadata,
    Column("platform_id", ForeignKey("source_platforms.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("units.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class SourcePlatform(Model):
    """An LRS client that reports learning done elsewhere (a MOOC platform).

    What it may move is an administrator's explicit decision: the ``courses`` it may report
    and the ``units`` (each with its subtree) whose learners it may create and affect.
    Nothing is allowed until listed.
    """

    __tablename__ = "source_platforms"

    id: Mapped[IntPK]
    client_id: Mapped[int] = mapped_column(
        ForeignKey("lrs_clients.id", ondelete="CASCADE"), unique=True
    )
    name: Mapped[Str200]
    #: The ``account.homePage`` its learners are identified with.
    home_page: Mapped[str] = mapped_column(String(500))
    #: Create unknown learners (as ``default_target_group``) instead of holding them for review.
    provision_unknown: Mapped[bool] = mapped_column(default=False)
    default_target_group: Mapped[TargetGroup | None] = mapped_column(
        db.Enum(TargetGroup, native_enum=False, length=30), default=TargetGroup.citizen
    )
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[CreatedAt]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    courses: Mapped[list[Course]] = relationship(
        secondary=source_platform_courses, order_by="Course.slug"
    )
    units: Mapped[list[Unit]] = relationship(secondary=source_platform_units, order_by="Unit.code")

    def __repr__(self) -> str:
        return f"<SourcePlatform {self.id} {self.name!r} client={self.client_id}>"


class IdentityKind(enum.StrEnum):
    mbox = "mbox"
    mbox_sha1sum = "mbox_sha1sum"
    account = "account"
    openid = "openid"


class IdentitySource(enum.StrEnum):
    email = "email"  #: derived from the user's own email (the SHA-1 form)
    linked = "linked"  #: linked by an administrator (e.g. resolving an unmatched statement)
    provisioned = "provisioned"  #: the learner was created from a platform's statement
    imported = "imported"  #: a results file named this identity


class LearnerIdentity(Model):
    """One way a statement's actor names a user; a user may have many."""

    __tablename__ = "learner_identities"
    __table_args__ = (UniqueConstraint("kind", "value"),)

    id: Mapped[IntPK]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[IdentityKind] = mapped_column(db.Enum(IdentityKind, native_enum=False, length=20))
    #: ``mailto:a@b.vn`` | 40 hex | ``<homePage>|<name>`` | the OpenID URI
    value: Mapped[str] = mapped_column(String(512))
    source: Mapped[IdentitySource] = mapped_column(
        db.Enum(IdentitySource, native_enum=False, length=20)
    )
    platform_id: Mapped[int | None] = mapped_column(
        ForeignKey("source_platforms.id", ondelete="SET NULL")
    )
    created_at: Mapped[CreatedAt]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    def __repr__(self) -> str:
        return f"<LearnerIdentity {self.kind}:{self.value} user={self.user_id}>"


class BridgeCursor(Model):
    """How far the bridge has read: one row per partition (row ``id`` = partition + 1, so
    ``LMS_BRIDGE_PARTITIONS`` = 1 is the single row 1), locked while a batch of that partition
    runs. Row 1 also keeps the bookkeeping below, shared by all partitions."""

    __tablename__ = "bridge_cursor"

    id: Mapped[IntPK]
    last_seq: Mapped[int] = mapped_column(Seq, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: ``max(courses.updated_at)`` when the activity mappings were last brought up to date.
    mappings_built_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Users up to this id have their e-mail SHA-1 identity in ``learner_identities``.
    email_synced_user_id: Mapped[int] = mapped_column(Integer, default=0)


class BridgeGap(Model):
    """Sequence numbers the cursor passed that had no visible statement yet.

    A transaction that took a lower ``seq`` may commit after a higher one was read; the
    range is looked at again until every transaction that could fill it has ended.
    """

    __tablename__ = "bridge_gaps"

    id: Mapped[IntPK]
    #: The partition whose cursor passed the range (each looks at its own gaps).
    partition: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    from_seq: Mapped[int] = mapped_column(Seq)
    to_seq: Mapped[int] = mapped_column(Seq)
    noted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BridgeHandover(Model):
    """The cursors of an earlier partitioning, kept while the new partitions re-read behind them.

    When the number of partitions changes, every new partition starts at the lowest of the
    old cursors; a statement at or below the cursor of the old partition it belonged to was
    applied then and is skipped. The row goes once every cursor has passed ``upto``.
    """

    __tablename__ = "bridge_handovers"

    id: Mapped[IntPK]
    partitions: Mapped[int] = mapped_column(Integer)
    #: ``last_seq`` of each old partition, in partition order.
    cursors: Mapped[list[int]] = mapped_column(JSONType)
    upto: Mapped[int] = mapped_column(Seq)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BridgeRun(Model):
    """One processed batch: what ``/api/v1/bridge/status`` and the benchmark read."""

    __tablename__ = "bridge_runs"

    id: Mapped[IntPK]
    partition: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
    from_seq: Mapped[int] = mapped_column(Seq)
    to_seq: Mapped[int] = mapped_column(Seq)
    #: Read by the batch: its partition's share, and the LMS's own statements it stepped over
    #: (every partition steps over them, their bodies unread).
    statements: Mapped[int] = mapped_column(Integer, default=0)
    applied: Mapped[int] = mapped_column(Integer, default=0)
    unmatched: Mapped[int] = mapped_column(Integer, default=0)
    #: Statements about courses from clients that may not move figures (stored, not applied).
    ignored_by_rule: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class BridgeIgnoredSource(Model):
    """Who sent statements about courses that the rule ignored, and how many.

    One row per authority: an LRS client that is neither a source platform nor a cmi5
    session (or a voiding by someone other than the statement's author). The status page
    lists them so that an administrator notices a platform nobody registered.
    """

    __tablename__ = "bridge_ignored_sources"

    #: SHA-256 of ``authority_ifi`` (IFIs have no length limit, keys do).
    authority_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    authority_ifi: Mapped[str] = mapped_column(Text)
    authority: Mapped[dict[str, Any]] = mapped_column(JSONType)
    statements: Mapped[int] = mapped_column(BigInteger, default=0)
    last_seq: Mapped[int] = mapped_column(Seq)
    last_stored: Mapped[datetime] = mapped_column(UTCDateTime)


class UnmatchedReason(enum.StrEnum):
    unknown_learner = "unknown_learner"
    group_actor = "group_actor"
    account_disabled = "account_disabled"
    provisioning_failed = "provisioning_failed"
    #: a statement about a cmi5 AU outside the session it names (cmi5 9.6.3.1)
    cmi5_session = "cmi5_session"
    #: a source platform's statement about a course or a learner it was not allowed
    platform_scope = "platform_scope"
    error = "error"


class BridgeUnmatched(Model):
    """A statement about a course that could not be applied, kept for a person to resolve."""

    __tablename__ = "bridge_unmatched"

    id: Mapped[IntPK]
    statement_id: Mapped[str] = mapped_column(String(36), unique=True)
    seq: Mapped[int] = mapped_column(Seq)
    stored: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[UnmatchedReason] = mapped_column(
        db.Enum(UnmatchedReason, native_enum=False, length=30)
    )
    detail: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[dict[str, Any]] = mapped_column(JSONType)
    actor_ifi: Mapped[str] = mapped_column(String(600), index=True)
    activity_iri: Mapped[str] = mapped_column(Text)
    verb_id: Mapped[str] = mapped_column(Text)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"))
    platform_id: Mapped[int | None] = mapped_column(
        ForeignKey("source_platforms.id", ondelete="SET NULL")
    )
    created_at: Mapped[CreatedAt]
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    #: linked | dismissed | applied
    resolution: Mapped[str | None] = mapped_column(String(20))
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class BridgeEvidence(Model):
    """What one statement proved about one enrollment, so that voiding it can be undone."""

    __tablename__ = "bridge_evidence"

    id: Mapped[IntPK]
    statement_id: Mapped[str] = mapped_column(String(36), unique=True)
    seq: Mapped[int] = mapped_column(Seq)
    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("enrollments.id", ondelete="CASCADE"), index=True
    )
    completion: Mapped[bool] = mapped_column(default=False)
    success: Mapped[bool | None] = mapped_column()
    scaled: Mapped[float | None] = mapped_column(Float)
    #: The enrollment moved to ``completed`` because of this statement.
    caused_completion: Mapped[bool] = mapped_column(default=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[CreatedAt]


class ImportStatus(enum.StrEnum):
    previewed = "previewed"
    accepted = "accepted"
    rejected = "rejected"


class ResultsImport(Model):
    """An uploaded results file (CSV/XLSX) from a platform without xAPI."""

    __tablename__ = "results_imports"

    id: Mapped[IntPK]
    filename: Mapped[str] = mapped_column(String(255))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[ImportStatus] = mapped_column(
        db.Enum(ImportStatus, native_enum=False, length=20), default=ImportStatus.previewed
    )
    platform_id: Mapped[int | None] = mapped_column(
        ForeignKey("source_platforms.id", ondelete="SET NULL")
    )
    provision: Mapped[bool] = mapped_column(default=False)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[CreatedAt]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


# --- cmi5 ------------------------------------------------------------------------------------


class Cmi5Course(Model):
    """The cmi5 course structure behind a catalog course."""

    __tablename__ = "cmi5_courses"

    id: Mapped[IntPK]
    course_id: Mapped[int] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), unique=True
    )
    #: The course id from ``cmi5.xml`` (the LMS's course object uses ``courses.activity_iri``).
    publisher_id: Mapped[str] = mapped_column(Text)
    #: Blocks as a tree: ``[{"publisher_id", "activity_id", "title", "aus": [..], "blocks": [..]}]``
    structure: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    aus: Mapped[list[Cmi5Au]] = relationship(
        primaryjoin=(
            "and_(Cmi5Course.course_id == foreign(Cmi5Au.course_id), Cmi5Au.active.is_(True))"
        ),
        order_by="Cmi5Au.position",
        viewonly=True,
    )


class Cmi5Au(Model):
    """An assignable unit: what the learner launches."""

    __tablename__ = "cmi5_aus"
    __table_args__ = (UniqueConstraint("activity_id"),)

    id: Mapped[IntPK]
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    publisher_id: Mapped[str] = mapped_column(Text)
    #: Generated by the LMS (cmi5 8.1.5: it must differ from the publisher's id).
    activity_id: Mapped[str] = mapped_column(String(600))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(Text)
    launch_method: Mapped[str] = mapped_column(String(20), default="AnyWindow")
    move_on: Mapped[str] = mapped_column(String(30), default="NotApplicable")
    mastery_score: Mapped[float | None] = mapped_column(Float)
    launch_parameters: Mapped[str | None] = mapped_column(Text)
    entitlement_key: Mapped[str | None] = mapped_column(Text)
    activity_type: Mapped[str | None] = mapped_column(Text)
    #: Activity ids of the blocks around the AU, outermost first.
    blocks: Mapped[list[str]] = mapped_column(JSONType, default=list)
    active: Mapped[bool] = mapped_column(default=True)

    def title_for(self, lang: str) -> str:
        return (self.title_en or self.title) if lang.startswith("en") else self.title

    def __repr__(self) -> str:
        return f"<Cmi5Au {self.id} {self.move_on} course={self.course_id}>"


class Cmi5File(Model):
    """A content file of an imported cmi5 package, served under ``/cmi5/content/``."""

    __tablename__ = "cmi5_files"
    __table_args__ = (UniqueConstraint("course_id", "path"),)

    id: Mapped[IntPK]
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(String(500))
    content_type: Mapped[str] = mapped_column(String(100))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))


class Cmi5Session(Model):
    """One launch of an AU, from ``launched`` to ``terminated`` or ``abandoned``."""

    __tablename__ = "cmi5_sessions"
    __table_args__ = (Index("ix_cmi5_sessions_au_registration", "au_id", "registration"),)

    id: Mapped[IntPK]
    session_id: Mapped[str] = mapped_column(String(36), unique=True)
    au_id: Mapped[int] = mapped_column(ForeignKey("cmi5_aus.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    enrollment_id: Mapped[int] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"))
    registration: Mapped[str] = mapped_column(String(36))
    launch_mode: Mapped[str] = mapped_column(String(10), default="Normal")
    #: SHA-256 of the one-time fetch token; the token itself is only in the launch URL.
    fetch_hash: Mapped[str] = mapped_column(String(64), unique=True)
    fetch_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The short-lived LRS client handed out by the fetch URL.
    client_id: Mapped[int | None] = mapped_column(ForeignKey("lrs_clients.id", ondelete="SET NULL"))
    launched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    initialized_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_statement_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    terminated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    abandoned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    au: Mapped[Cmi5Au] = relationship()

    @property
    def open(self) -> bool:
        return self.terminated_at is None and self.abandoned_at is None


class Cmi5AuState(Model):
    """What a registration has achieved in an AU (cmi5 9.3 ordering rules apply per AU)."""

    __tablename__ = "cmi5_au_states"
    __table_args__ = (UniqueConstraint("au_id", "registration"),)

    id: Mapped[IntPK]
    au_id: Mapped[int] = mapped_column(ForeignKey("cmi5_aus.id", ondelete="CASCADE"))
    registration: Mapped[str] = mapped_column(String(36), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    passed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    score: Mapped[float | None] = mapped_column(Float)
    waived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    waived_reason: Mapped[str | None] = mapped_column(String(100))
    satisfied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Cmi5Satisfied(Model):
    """A ``satisfied`` statement the LMS wrote for a block or the course (once each)."""

    __tablename__ = "cmi5_satisfied"
    __table_args__ = (UniqueConstraint("registration", "activity_id"),)

    id: Mapped[IntPK]
    registration: Mapped[str] = mapped_column(String(36))
    activity_id: Mapped[str] = mapped_column(String(600))
    statement_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[CreatedAt]
