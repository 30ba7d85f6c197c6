"""A batch's share of the stored statements: what is ready, what is this partition's, the
sequence numbers skipped (``bridge_gaps``) and looked at again, and the statements ignored by
rule counted per writer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from lms.db import utcnow
from lms.extensions import db
from lms.learning import partitions
from lms.learning.bridge_apply import handle
from lms.learning.bridge_batch import Batch
from lms.learning.models import BridgeGap, BridgeIgnoredSource
from lms.xapi import services as lrs
from lms.xapi.keys import sha256_hex
from lms.xapi.services import StoredStatement


def ready(items: list[StoredStatement], until: datetime) -> list[StoredStatement]:
    """The prefix stored before ``until``: nothing older can still appear below it."""
    out = []
    for item in items:
        if item.stored >= until:
            break
        out.append(item)
    return out


def note_gaps(after: int, items: list[StoredStatement], partition: int) -> None:
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


def recheck_gaps(until: datetime, batch: Batch, share: Share) -> int:
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


def count_ignored(batch: Batch) -> None:
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
