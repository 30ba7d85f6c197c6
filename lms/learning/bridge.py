"""The bridge: statements stored in the LRS become enrollments, completions, certificates.

It runs after the statements are committed (never inside the LRS's request), in stored
order, and exactly once per statement:

* One cursor row (``bridge_cursor.last_seq``) says how far it has read. A batch locks it
  (``SELECT ... FOR UPDATE`` on PostgreSQL, the write lock on SQLite), applies the effects
  of the statements after it, and advances it **in the same transaction**: a crash or a
  retry repeats the whole batch or nothing. A statement sent twice is stored once by the
  LRS, so it is read once here.
* It reads only statements stored before :func:`consistent_through` (every
  earlier statement is visible) and stops at the first newer one. A lower ``seq`` can still
  commit after a higher one was read; the sequence numbers the cursor skipped are kept in
  ``bridge_gaps`` and looked at again until every transaction that could fill them ended.
* Each statement about a course is applied in its own savepoint: one that fails is held in
  ``bridge_unmatched`` with the reason, and the batch goes on.
* Whose statements may move anything is decided by :mod:`lms.learning.rules`; the others are
  counted as ignored by rule (``bridge_ignored_sources``), never applied, never pending.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, delete, func, not_, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError

from lms.catalog.models import Course
from lms.classes import enrollments
from lms.classes.models import EnrollmentSource
from lms.db import utcnow
from lms.errors import DomainError
from lms.extensions import db
from lms.learning import bulk, effects, identities, mappings, partitions, rules
from lms.learning import unmatched as held
from lms.learning.cmi5 import runtime
from lms.learning.cmi5.runtime import Held
from lms.learning.cursor import (
    cursors,
    ensure_cursor,
    lock_all,
    lock_cursor,
    partition_count,
    row_id,
)
from lms.learning.mappings import Target
from lms.learning.models import (
    BridgeCursor,
    BridgeGap,
    BridgeIgnoredSource,
    BridgeRun,
    BridgeUnmatched,
    MappingKind,
    UnmatchedReason,
)
from lms.learning.rules import Allowance, Source
from lms.statements import VERB_VOIDED
from lms.xapi import services as lrs
from lms.xapi.keys import sha256_hex
from lms.xapi.models import Statement
from lms.xapi.services import StoredStatement
from lms.xapi.validation import agent_ifi, validate_timestamp

logger = logging.getLogger(__name__)

#: Statements per transaction. A batch holds the rows it changes (a certificate serial
#: counter, statistics rollups) until it commits, so it is kept short; below about 2,000 the
#: work paid once per batch shows (measured with ``bench/bridge.py``: 2,000 applied about a
#: tenth more statements per second than 1,000, 4,000 no more than 2,000).
BATCH_SIZE = 2000
RUNS_KEPT_DAYS = 14

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
        return self.sources.allowance(_authority(statement))

    def ignore(self, item: StoredStatement) -> str:
        """Count a statement that the rule does not let move anything."""
        authority = item.statement.get("authority") or {}
        ifi = _authority(item.statement) or ""
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


# --- one statement ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Route:
    """What a statement asks of the bridge, decided without changing anything.

    ``kind``: ``void`` (a voiding), ``ignored`` (nothing to do), ``by_rule`` (its writer may
    not move figures), ``cmi5`` (a session's statement about its AU), ``mooc`` (a platform's
    or a results file's statement about a course: ``target``, ``facts``, ``allowance``).
    """

    kind: str
    target: Target | None = None
    facts: effects.Facts | None = None
    allowance: Allowance | None = None


VOID, CMI5, MOOC, BY_RULE = "void", "cmi5", "mooc", "by_rule"


def route(item: StoredStatement, batch: Batch) -> Route:
    stmt = item.statement
    verb_id = (stmt.get("verb") or {}).get("id")
    obj = stmt.get("object") or {}
    if verb_id == VERB_VOIDED:
        return Route(VOID)
    if obj.get("objectType", "Activity") != "Activity":
        return Route(IGNORED)
    target = batch.target(obj.get("id"))
    if target is None:
        return Route(IGNORED)
    author = _authority(stmt)
    source = batch.sources.of(author)
    if source == Source.lms:
        return Route(IGNORED)  # the LMS's own statements record effects, they do not cause them
    if item.voided and _voided_for_bridge(item, author, batch):
        return Route(IGNORED)
    if target.kind == MappingKind.cmi5_au:
        return Route(CMI5, target) if source == Source.cmi5 else Route(BY_RULE)
    facts = effects.facts_of(stmt)
    if not facts.relevant:
        return Route(IGNORED)
    if source not in (Source.platform, Source.person):
        return Route(BY_RULE)
    return Route(MOOC, target, facts, batch.sources.allowance(author))


def handle(item: StoredStatement, batch: Batch, routed: Route | None = None) -> str:
    """Apply one statement; returns ``applied``, ``ignored``, ``ignored_by_rule`` or
    ``unmatched``."""
    routed = routed or route(item, batch)
    if routed.kind == VOID:
        return _void(item, batch, item.statement.get("object") or {})
    if routed.kind == IGNORED:
        return IGNORED
    if routed.kind == BY_RULE:
        return batch.ignore(item)
    target = routed.target
    assert target is not None  # noqa: S101 - cmi5 and mooc routes carry their target
    if routed.kind == CMI5:
        return _guarded(
            item, batch, target, lambda: runtime.on_statement(item, target, at=statement_time(item))
        )
    facts, allowance = routed.facts, routed.allowance
    assert facts is not None  # noqa: S101 - a mooc route carries its facts
    return _guarded(item, batch, target, lambda: _apply_mooc(item, batch, target, facts, allowance))


def apply_items(items: list[StoredStatement], batch: Batch) -> None:
    """Apply statements in stored order; runs of MOOC statements go through the fast path.

    A statement that changes nothing (ignored, by rule) does not end a run; any other one
    (a voiding, a cmi5 statement) does: the run is applied first, so each learner's
    statements still take effect in stored order.
    """
    run: list[tuple[StoredStatement, Route]] = []
    for item in items:
        routed = route(item, batch)
        if routed.kind == MOOC:
            run.append((item, routed))
            continue
        if routed.kind not in (IGNORED, BY_RULE) and run:
            _apply_run(run, batch)
            run = []
        handle(item, batch, routed)
    if run:
        _apply_run(run, batch)


def _apply_run(run: list[tuple[StoredStatement, Route]], batch: Batch) -> None:
    bulk.apply(
        run, batch, slow=lambda item, routed: handle(item, batch, routed), when=statement_time
    )


def _voided_for_bridge(item: StoredStatement, author: str | None, batch: Batch) -> bool:
    """Voided by someone allowed to take it back (a voiding by anyone else changes nothing)."""
    return any(
        batch.sources.may_take_back(voider, author)
        for voider in lrs.voiding_authorities(str(item.statement.get("id", "")))
    )


def _void(item: StoredStatement, batch: Batch, obj: dict[str, Any]) -> str:
    """Take back what the target did, when the voiding comes from its author or the LMS."""
    if obj.get("objectType") != "StatementRef":
        return IGNORED
    target_id = str(obj.get("id"))
    if not effects.has_evidence(target_id):
        return IGNORED
    if not batch.sources.may_take_back(_authority(item.statement), lrs.authority_of(target_id)):
        return batch.ignore(item)
    return APPLIED if effects.revert(target_id) else IGNORED


def _authority(stmt: dict[str, Any]) -> str | None:
    try:
        return agent_ifi(stmt["authority"])
    except (KeyError, TypeError):
        return None


def _guarded(item: StoredStatement, batch: Batch, target: Target, work: Any) -> str:
    """Run ``work`` in a savepoint; a failure is held for review instead of stopping us."""
    try:
        with db.session.begin_nested():
            outcome = str(work())
    except Held as exc:
        outcome = _hold(item, batch, target, UnmatchedReason.cmi5_session, exc.detail)
    except DomainError as exc:
        outcome = _hold(item, batch, target, UnmatchedReason.error, exc.message)
    except OperationalError:
        # A deadlock with another partition's batch, a lock that timed out: nothing wrong with
        # the statement. The whole batch rolls back and is tried again.
        raise
    except Exception as exc:
        logger.exception("Bridge could not apply statement %s", item.statement.get("id"))
        outcome = _hold(item, batch, target, UnmatchedReason.error, f"{type(exc).__name__}: {exc}")
    if outcome == APPLIED:
        batch.applied += 1
    return outcome


def _hold(
    item: StoredStatement, batch: Batch, target: Target, reason: UnmatchedReason, detail: str
) -> str:
    allowance = batch.allowance(item.statement)
    held.record(
        statement=item.statement,
        seq=item.seq,
        stored=item.stored,
        reason=reason,
        detail=detail,
        course_id=target.course_id,
        platform_id=allowance.platform.id if allowance else None,
    )
    batch.unmatched += 1
    return UNMATCHED


def _apply_mooc(
    item: StoredStatement,
    batch: Batch,
    target: Target,
    facts: effects.Facts,
    allowance: Allowance | None,
) -> str:
    """Apply a platform's (``allowance``) or an accepted results file's (None) statement."""
    stmt = item.statement
    actor = stmt.get("actor") or {}
    scope = UnmatchedReason.platform_scope
    if allowance is not None and not allowance.allows_course(target.course_id):
        detail = f"platform {allowance.platform.id} may not report course {target.course_id}"
        return _hold(item, batch, target, scope, detail)
    if actor.get("objectType") == "Group":
        return _hold(item, batch, target, UnmatchedReason.group_actor, "a group, not one learner")
    ifi = identities.ifi_of(actor)
    if ifi is None:
        return _hold(item, batch, target, UnmatchedReason.unknown_learner, "no identifier")
    user = identities.find_user(ifi)
    new = user is None
    if user is None:
        if allowance is None or not allowance.platform.provision_unknown:
            detail = f"no learner has {ifi}"
            return _hold(item, batch, target, UnmatchedReason.unknown_learner, detail)
        code = identities.unit_code_of(stmt)
        unit = batch.unit(code) if code else None
        if unit is None or not allowance.allows_unit(unit):
            detail = _outside(allowance, code, unit)
            return _hold(item, batch, target, scope, detail)
        try:
            with db.session.begin_nested():
                user = identities.provision(actor, ifi, allowance.platform, unit=unit)
        except DomainError as exc:
            detail = f"{exc.message} {exc.errors}".strip()
            return _hold(item, batch, target, UnmatchedReason.provisioning_failed, detail)
    elif allowance is not None and not allowance.allows_user(user):
        detail = f"learner {user.id} is outside the units platform {allowance.platform.id} affects"
        return _hold(item, batch, target, scope, detail)
    if not user.active:
        return _hold(item, batch, target, UnmatchedReason.account_disabled, f"user {user.id}")
    course = db.session.get(Course, target.course_id)
    if course is None:
        return IGNORED
    at = statement_time(item)
    if not new:  # another partition may apply this person's other identity at once
        enrollments.lock_people([user])
    enrollment = None if new else enrollments.enrollment_for(user, course)
    if enrollment is None:
        enrollment = enrollments.enroll(user, course, by=None, source=EnrollmentSource.xapi, at=at)
    effects.apply(enrollment, facts, statement_id=str(stmt["id"]), seq=item.seq, at=at)
    return APPLIED


def _outside(allowance: Allowance, code: str | None, unit: Any) -> str:
    platform = allowance.platform.id
    if code is None:
        return f"no unit code: platform {platform} provisions only into its units"
    if unit is None:
        return f"unknown unit code {code!r}: platform {platform} provisions only into its units"
    return f"unit {code} is outside the units platform {platform} may provision into"


# --- batches ----------------------------------------------------------------------------------


def _ready(items: list[StoredStatement], until: datetime) -> list[StoredStatement]:
    """The prefix stored before ``until``: nothing older can still appear below it."""
    out = []
    for item in items:
        if item.stored >= until:
            break
        out.append(item)
    return out


def _note_gaps(after: int, items: list[StoredStatement], partition: int) -> None:
    """Remember the sequence numbers between ``after`` and the last item that were absent."""
    expected = after + 1
    for item in items:
        if item.seq > expected:
            db.session.add(
                BridgeGap(
                    partition=partition, from_seq=expected, to_seq=item.seq - 1, noted_at=utcnow()
                )
            )
        expected = item.seq + 1


@dataclass(frozen=True, slots=True)
class Share:
    """Which statements are this batch's: its partition's, not applied before a handover."""

    partition: int
    count: int
    kept: list[partitions.Handover]

    def mine(self, items: list[StoredStatement]) -> list[StoredStatement]:
        if self.count == 1 and not self.kept:
            return items
        keys = partitions.keys_of(items)
        return [
            item
            for item in items
            if partitions.partition_of(keys[item.seq], self.count) == self.partition
            and not partitions.already_applied(item.seq, keys[item.seq], self.kept)
        ]


def _recheck_gaps(until: datetime, batch: Batch, share: Share) -> int:
    """Process statements that appeared in remembered gaps; forget gaps that cannot fill."""
    own = BridgeGap.partition == share.partition
    gaps = list(db.session.scalars(select(BridgeGap).where(own).order_by(BridgeGap.from_seq)))
    done = 0
    for gap in gaps:
        found = [
            s
            for s in lrs.read_after(gap.from_seq - 1, limit=gap.to_seq - gap.from_seq + 1)
            if s.seq <= gap.to_seq
        ]
        for item in share.mine(found):
            handle(item, batch)
            done += 1
        if found:
            _split(gap, {s.seq for s in found})
    for gap in db.session.scalars(select(BridgeGap).where(own, BridgeGap.noted_at < until)):
        db.session.delete(gap)
    db.session.flush()
    return done


def _split(gap: BridgeGap, seen: set[int]) -> None:
    start = gap.from_seq
    for seq in sorted(seen):
        if seq > start:
            db.session.add(
                BridgeGap(
                    partition=gap.partition, from_seq=start, to_seq=seq - 1, noted_at=gap.noted_at
                )
            )
        start = seq + 1
    if start <= gap.to_seq:
        db.session.add(
            BridgeGap(
                partition=gap.partition, from_seq=start, to_seq=gap.to_seq, noted_at=gap.noted_at
            )
        )
    db.session.delete(gap)


def _count_ignored(batch: Batch) -> None:
    """Add this batch's ignored-by-rule statements to their sources' rows (one atomic upsert
    each: batches of several partitions may count the same source at once)."""
    table = BridgeIgnoredSource.__table__
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for ifi, entry in sorted(batch.ignored.items()):
        assert entry.last_stored is not None  # noqa: S101 - set with every count
        stmt = insert(table).values(
            authority_hash=sha256_hex(ifi),
            authority_ifi=ifi,
            authority=entry.authority,
            statements=entry.statements,
            last_seq=entry.last_seq,
            last_stored=entry.last_stored,
        )
        db.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[table.c.authority_hash],
                set_={
                    "statements": table.c.statements + stmt.excluded.statements,
                    "last_seq": func.max(table.c.last_seq, stmt.excluded.last_seq)
                    if dialect != "postgresql"
                    else func.greatest(table.c.last_seq, stmt.excluded.last_seq),
                    "last_stored": func.max(table.c.last_stored, stmt.excluded.last_stored)
                    if dialect != "postgresql"
                    else func.greatest(table.c.last_stored, stmt.excluded.last_stored),
                },
            )
        )
    db.session.flush()


def batch_size() -> int:
    return max(1, int(current_app.config.get("BRIDGE_BATCH_SIZE", BATCH_SIZE)))


def _hand_over(desired: int, *, wait: bool) -> bool:
    """Move to ``desired`` partitions (``LMS_BRIDGE_PARTITIONS`` changed); commits.

    Under every partition's lock: the remembered gaps are looked at for the last time; while
    one may still fill, the handover waits for a later batch (a statement in it could belong
    to any partition). Then the old cursors are kept and every new partition starts at the
    lowest (:mod:`lms.learning.partitions`). False when it could not be done now.
    """
    rows = lock_all(wait=wait, unless=desired)
    if rows is None:
        db.session.commit()
        return False
    if partition_count() == desired:  # another batch made it meanwhile
        db.session.commit()
        return True
    until = consistent_through()
    batch = new_batch()
    kept = partitions.handovers()
    for partition in range(len(rows)):
        _recheck_gaps(until, batch, Share(partition, len(rows), kept))
    _count_ignored(batch)
    if db.session.scalar(select(func.count()).select_from(BridgeGap)):
        db.session.commit()
        return False
    old = [row.last_seq for row in rows]
    start = partitions.record_handover(old)
    for row in rows:
        if row.id > desired:
            db.session.delete(row)
        else:
            row.last_seq, row.updated_at = start, utcnow()
    db.session.flush()
    for partition in range(len(rows), desired):
        ensure_cursor(row_id(partition), start)
    db.session.commit()
    logger.info("Bridge partitions: %s -> %s, all starting after %s", len(rows), desired, start)
    return True


@contextmanager
def collector_paused() -> Iterator[None]:
    """Hold the cyclic garbage collector while a batch runs, and let it run after.

    A batch allocates a few hundred thousand short-lived objects (rows, statements, ORM
    states); each time their count passes the collector's threshold it walks the young
    objects, and every so often the whole heap (the application, its mappers and templates).
    Profiled on a follower, those passes took about a third of a batch. Reference counting
    still frees what a batch drops at once; the few cycles it leaves are collected at the
    first allocation after the batch, in one pass.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def run_batch(size: int | None = None, *, wait: bool = True, partition: int = 0) -> int | None:
    """Process up to ``size`` statements of ``partition`` in one transaction and commit.

    Returns how many statements were read, or None when another process holds the cursor
    (``wait=False``) or the partition does not exist (fewer partitions now).
    """
    with collector_paused():
        return _run_batch(size, wait=wait, partition=partition)


def _run_batch(size: int | None, *, wait: bool, partition: int) -> int | None:
    size = size or batch_size()
    desired = partitions.configured()
    current = partition_count()
    mappings.refresh_changed()
    # Its own transaction (see refresh_changed); and on SQLite a transaction that read cannot
    # take the write lock after another writer committed.
    db.session.commit()
    if current != desired:
        _hand_over(desired, wait=wait)
    cursor = lock_cursor(wait=wait, partition=partition)
    if cursor is None:
        db.session.commit()
        return None
    count = partition_count()
    started = utcnow()
    until = consistent_through()
    batch = new_batch()
    postgres = db.session.get_bind().dialect.name == "postgresql"
    share = Share(partition, count, partitions.handovers())
    done = _recheck_gaps(until, batch, share)
    first = cursor.last_seq
    items = _ready(lrs.read_after(first, limit=size * count), until)
    mine = share.mine(items)
    batch.prefetch(mine)
    apply_items(mine, batch)
    if items:
        if postgres:
            _note_gaps(first, items, partition)
        cursor.last_seq = items[-1].seq
    cursor.updated_at = utcnow()
    if share.kept:
        db.session.flush()
        partitions.prune_handovers(min(cursors()))
    _count_ignored(batch)
    if mine or done:
        db.session.add(
            BridgeRun(
                partition=partition,
                started_at=started,
                finished_at=utcnow(),
                from_seq=first + 1,
                to_seq=cursor.last_seq,
                statements=len(mine) + done,
                applied=batch.applied,
                unmatched=batch.unmatched,
                ignored_by_rule=batch.ignored_by_rule,
            )
        )
    db.session.commit()
    if items:
        logger.info(
            "Bridge partition %s processed statements %s-%s (%s applied, %s held)",
            partition,
            first + 1,
            cursor.last_seq,
            batch.applied,
            batch.unmatched,
        )
    return len(items) + done


def process_pending(
    limit: int | None = None, *, wait: bool = True, partition: int | None = None
) -> int:
    """Process what is pending (at most ``limit`` statements per partition) of ``partition``
    or, when None, of every partition in turn; returns how many were read.

    With ``wait=False`` it gives way when another process is already at it, and that one
    looks again after its last batch, so nothing stored before is left behind.
    """
    if partition is None:
        first = _process_partition(limit, wait, 0)  # hands over first, when the number changed
        rest = range(1, max(partitions.configured(), partition_count()))
        return first + sum(_process_partition(limit, wait, k) for k in rest)
    return _process_partition(limit, wait, partition)


def _process_partition(limit: int | None, wait: bool, partition: int) -> int:
    total = 0
    size = batch_size() if limit is None else max(1, min(batch_size(), limit))
    while limit is None or total < limit:
        count = run_batch(size, wait=wait, partition=partition)
        if count is None:
            break
        total += count
        if count < size and not has_ready(partition):
            break
    return total


def has_ready(partition: int = 0) -> bool:
    """Whether a statement is waiting that a batch of ``partition`` could read now."""
    cursor = db.session.get(BridgeCursor, row_id(partition))
    ready = False
    if cursor is not None:
        items = lrs.read_after(cursor.last_seq, limit=1)
        ready = bool(items) and items[0].stored < consistent_through()
    # End the read: on SQLite a transaction that read cannot write after another writer.
    db.session.commit()
    return ready


def reprocess(row: BridgeUnmatched, batch: Batch | None = None) -> str:
    """Apply a held statement again (after its actor was linked); returns the outcome.

    Pass one ``batch`` when reprocessing many, so platforms are looked up once.
    """
    raw = lrs.statement_by_id(row.statement_id)
    if raw is None:
        return IGNORED
    voided = bool(lrs.voided_ids([row.statement_id]))
    item = StoredStatement(seq=row.seq, stored=row.stored, statement=dict(raw), voided=voided)
    return handle(item, batch or new_batch())


# --- status -----------------------------------------------------------------------------------


def status() -> dict[str, Any]:
    """How far behind the bridge is: what ``GET /api/v1/bridge/status`` answers."""
    positions = cursors()
    last_stored = db.session.scalar(select(func.max(Statement.seq))) or 0
    # With several partitions, what the slowest one has not read (the others may be ahead).
    unread = Statement.seq > min(positions)
    # The LMS's own statements record effects already applied: the bridge only steps over
    # them, so they are not "pending" (they would make a quiet bridge look stuck). Its
    # voidings still count: they take back what a platform's statement did.
    own = and_(
        Statement.authority_ifi == agent_ifi(lrs.lms_authority()), Statement.voiding.is_(False)
    )
    pending, oldest = db.session.execute(
        select(func.count(), func.min(Statement.stored)).where(unread, not_(own))
    ).one()
    own_unread = db.session.scalar(select(func.count()).where(unread, own)) or 0
    now = utcnow()
    last_run = db.session.scalar(select(BridgeRun).order_by(BridgeRun.id.desc()).limit(1))
    return {
        "last_stored_seq": int(last_stored),
        "last_processed_seq": int(min(positions)),
        "partitions": [int(p) for p in positions],
        "pending": int(pending or 0),
        "own_unread": int(own_unread),
        "lag_seconds": round((now - oldest).total_seconds(), 3) if oldest else 0.0,
        "oldest_pending_stored": oldest.isoformat() if oldest else None,
        "gaps": int(db.session.scalar(select(func.count()).select_from(BridgeGap)) or 0),
        "unmatched_open": int(
            db.session.scalar(
                select(func.count())
                .select_from(BridgeUnmatched)
                .where(BridgeUnmatched.resolved_at.is_(None))
            )
            or 0
        ),
        **_ignored_status(),
        "activity_mappings": mappings.mapping_count(),
        "last_run": None
        if last_run is None
        else {
            "finished_at": last_run.finished_at.isoformat(),
            "from_seq": last_run.from_seq,
            "to_seq": last_run.to_seq,
            "statements": last_run.statements,
            "applied": last_run.applied,
            "unmatched": last_run.unmatched,
            "ignored_by_rule": last_run.ignored_by_rule,
        },
        "mode": "eager" if current_app.config.get("JOBS_EAGER", True) else "celery",
    }


#: How many ignored sources the status lists (the busiest first).
IGNORED_SOURCES_SHOWN = 20


def _ignored_status() -> dict[str, Any]:
    total = db.session.scalar(select(func.sum(BridgeIgnoredSource.statements))) or 0
    rows = db.session.scalars(
        select(BridgeIgnoredSource)
        .order_by(BridgeIgnoredSource.statements.desc(), BridgeIgnoredSource.authority_hash)
        .limit(IGNORED_SOURCES_SHOWN)
    ).all()
    return {
        "ignored_by_rule": int(total),
        "ignored_sources": [
            {
                "authority": row.authority,
                "client_key": rules.client_key(row.authority_ifi),
                "statements": int(row.statements),
                "last_stored": row.last_stored.isoformat(),
            }
            for row in rows
        ],
    }


def prune_runs(*, days: int = RUNS_KEPT_DAYS) -> int:
    cutoff = utcnow() - timedelta(days=days)
    result = db.session.execute(delete(BridgeRun).where(BridgeRun.finished_at < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
