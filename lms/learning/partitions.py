"""Bridge partitions: which partition a statement belongs to, and cursors handed over.

The bridge's work is split into ``LMS_BRIDGE_PARTITIONS`` partitions by a hash of the
learner's identity (the actor's inverse functional identifier), each with its own cursor row
and lock, so that as many processes (``flask bridge run --follow --partition K``, or Celery
workers) apply statements at once while each learner's statements stay in stored order. A
voiding belongs to the partition of the statement it voids, so it is applied after it.

When the number changes, the first batch to notice hands over (:func:`plan_handover`): every
new partition starts at the lowest old cursor, and the old cursors are kept
(``bridge_handovers``) so that a statement the old partition it belonged to had already
passed is skipped: nothing is lost, nothing applied twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson
from flask import current_app
from sqlalchemy import delete, select

from lms.extensions import db
from lms.learning.identities import ifi_of
from lms.learning.models import BridgeHandover
from lms.statements import VERB_VOIDED
from lms.xapi import services as lrs
from lms.xapi.services import StoredStatement


def configured() -> int:
    """``LMS_BRIDGE_PARTITIONS``: how many partitions the bridge should run."""
    return max(1, int(current_app.config.get("BRIDGE_PARTITIONS", 1)))


def actor_key(actor: Any) -> str:
    """The learner's identity as text (the actor itself when it has no identifier)."""
    ifi = ifi_of(actor) if isinstance(actor, dict) else None
    if ifi is not None:
        return str(ifi)
    return orjson.dumps(actor, option=orjson.OPT_SORT_KEYS).decode()


def partition_of(key: str, partitions: int) -> int:
    if partitions <= 1:
        return 0
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % partitions


def keys_of(items: Iterable[StoredStatement]) -> dict[int, str]:
    """``seq`` -> the partition key of each statement; a voiding takes its target's."""
    keys: dict[int, str] = {}
    voidings: dict[int, str] = {}
    for item in items:
        stmt = item.statement
        obj = stmt.get("object") or {}
        if (stmt.get("verb") or {}).get("id") == VERB_VOIDED and obj.get("objectType") == (
            "StatementRef"
        ):
            voidings[item.seq] = str(obj.get("id", ""))
        keys[item.seq] = actor_key(stmt.get("actor"))
    for seq, target_id in voidings.items():
        target = lrs.statement_by_id(target_id)
        if target is not None:
            keys[seq] = actor_key(target.get("actor"))
    return keys


@dataclass(frozen=True, slots=True)
class Handover:
    partitions: int
    cursors: tuple[int, ...]
    upto: int

    def applied(self, seq: int, key: str) -> bool:
        """Whether the old partition of this statement had passed it."""
        return seq <= self.cursors[partition_of(key, self.partitions)]


def handovers() -> list[Handover]:
    """The old cursors still needed (usually none)."""
    return [
        Handover(row.partitions, tuple(int(c) for c in row.cursors), int(row.upto))
        for row in db.session.scalars(select(BridgeHandover).order_by(BridgeHandover.id))
    ]


def already_applied(seq: int, key: str, kept: list[Handover]) -> bool:
    return any(seq <= h.upto and h.applied(seq, key) for h in kept)


def prune_handovers(lowest: int) -> None:
    """Forget the old cursors every current cursor has passed (they can never matter again:
    a later handover starts its partitions at a current cursor or above)."""
    db.session.execute(delete(BridgeHandover).where(BridgeHandover.upto <= lowest))


def record_handover(old: list[int]) -> int:
    """Keep the old cursors and return where the new partitions start (the lowest)."""
    start = min(old)
    if max(old) > start:
        db.session.add(BridgeHandover(partitions=len(old), cursors=list(old), upto=max(old)))
    return start
