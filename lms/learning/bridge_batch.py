"""The bridge's batch: what it looks up once, and when a statement counts as stored.

A batch (:class:`Batch`) reads who may write what (``lms.learning.rules``), the LMS's own
authority and the IRI targets once, and counts the statements it ignored by rule per writer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, exists, or_, select, text

from lms.catalog.models import Course
from lms.extensions import db
from lms.learning import identities, mappings, rules
from lms.learning.mappings import Target
from lms.learning.models import ActivityMapping
from lms.learning.rules import Allowance
from lms.statements import VERB_VOIDED
from lms.xapi import services as lrs
from lms.xapi.models import Statement
from lms.xapi.services import StoredStatement
from lms.xapi.validation import agent_ifi, validate_timestamp

APPLIED, IGNORED, UNMATCHED = "applied", "ignored", "unmatched"
#: About a course, but from someone who may not move figures (``lms.learning.rules``).
IGNORED_BY_RULE = "ignored_by_rule"


@dataclass
class Ignored:
    """Statements of one authority ignored by rule in this batch."""

    authority: dict[str, Any]
    statements: int = 0
    last_seq: int = 0
    last_stored: datetime | None = None


@dataclass
class Batch:
    """What one batch looks up once: who may write what, the LMS's authority, IRI targets."""

    sources: rules.Sources
    targets: dict[str, Target | None] = field(default_factory=dict)
    units: dict[str, Any] = field(default_factory=dict)
    courses: dict[int, Course | None] = field(default_factory=dict)
    applied: int = 0
    unmatched: int = 0
    ignored: dict[str, Ignored] = field(default_factory=dict)

    @property
    def lms_ifi(self) -> str:
        return self.sources.lms_ifi

    @property
    def ignored_by_rule(self) -> int:
        return sum(i.statements for i in self.ignored.values())

    def step_over(self) -> Any:
        """SQL: a stored statement :func:`~lms.learning.bridge_apply.route` can only ignore,
        in every partition, so a batch reads its place in the stored order but not its body.

        Not a voiding (routed first), and about an activity no course maps (or not about an
        activity at all), or written by the LMS itself (its statements record effects already
        applied). In a backlog of MOOC statements most are lesson views, questions, launches;
        and the LMS writes three for each certificate. The mappings are read in the batch's
        transaction, after they were refreshed, as :meth:`target` reads them.
        """
        mapped = exists().where(ActivityMapping.activity_iri == Statement.object_activity_id)
        return and_(
            Statement.verb_id != VERB_VOIDED,
            or_(
                Statement.authority_ifi == self.lms_ifi,
                Statement.object_activity_id.is_(None),
                ~mapped,
            ),
        )

    def target(self, iri: Any) -> Target | None:
        if not isinstance(iri, str):
            return None
        if iri not in self.targets:
            self.targets[iri] = mappings.lookup(iri)
        return self.targets[iri]

    def prefetch(self, items: list[StoredStatement]) -> None:
        """Look up every object IRI of the batch, and load their courses, in two queries."""
        iris = [
            iri
            for item in items
            if isinstance(iri := (item.statement.get("object") or {}).get("id"), str)
            and iri not in self.targets
        ]
        if not iris:
            return
        self.targets.update(mappings.lookup_many(iris))
        ids = {t.course_id for t in self.targets.values() if t is not None} - set(self.courses)
        if ids:
            self.courses.update(dict.fromkeys(ids))
            for course in db.session.scalars(select(Course).where(Course.id.in_(sorted(ids)))):
                self.courses[course.id] = course

    def course(self, course_id: int) -> Course | None:
        """The course, kept for the batch (the session holds loaded rows only weakly)."""
        if course_id not in self.courses:
            self.courses[course_id] = db.session.get(Course, course_id)
        return self.courses[course_id]

    def unit(self, code: str) -> Any:
        if code not in self.units:
            self.units[code] = identities.find_unit(code)
        return self.units[code]

    def allowance(self, statement: dict[str, Any]) -> Allowance | None:
        return self.sources.allowance(authority_of(statement))

    def ignore(self, item: StoredStatement) -> str:
        """Count a statement that the rule does not let move anything."""
        authority = item.statement.get("authority") or {}
        ifi = authority_of(item.statement) or ""
        entry = self.ignored.setdefault(ifi, Ignored(authority=dict(authority)))
        entry.statements += 1
        entry.last_seq = max(entry.last_seq, item.seq)
        entry.last_stored = max(entry.last_stored or item.stored, item.stored)
        return IGNORED_BY_RULE


def new_batch() -> Batch:
    return Batch(
        sources=rules.Sources(lms_ifi=agent_ifi(lrs.lms_authority()), platforms=rules.allowances())
    )


def consistent_through() -> datetime:
    """Every statement stored before this instant is visible now (``lms.xapi.queries``' rule).

    Computed afresh for each batch (the LRS caches its value for half a second, and a batch
    started right after a commit would then not see that commit's statements). On
    PostgreSQL the database clock is read first, then the oldest open writing transaction:
    one that is not in that list took its transaction id, and so its ``stored``, later.
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return datetime.now(UTC)
    now = db.session.execute(text("SELECT clock_timestamp()")).scalar_one()
    db.session.execute(text("SELECT pg_stat_clear_snapshot()"))
    oldest = db.session.execute(
        text(
            "SELECT min(xact_start) FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()"
        )
    ).scalar()
    now = now.astimezone(UTC)
    return now if oldest is None else min(now, oldest.astimezone(UTC))


def statement_time(item: StoredStatement) -> datetime:
    """When it happened: the statement's timestamp, never later than when it was stored."""
    raw = item.statement.get("timestamp")
    try:
        at = validate_timestamp(raw, path="timestamp") if raw else item.stored
    except Exception:  # a stored statement was valid; be lenient with odd old data
        at = item.stored
    return min(at, item.stored)


def authority_of(stmt: dict[str, Any]) -> str | None:
    """The inverse functional identifier of the statement's writer (its ``authority``)."""
    try:
        return agent_ifi(stmt["authority"])
    except (KeyError, TypeError):
        return None
