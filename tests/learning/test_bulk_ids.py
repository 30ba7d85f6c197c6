"""What the bridge's batches do for speed only: ids taken ahead, the collector held.

Neither may change what is written: the rows get the ids the database would have given them
(increasing in the order added), and the collector is back as it was after a batch, also one
that failed.
"""

from __future__ import annotations

import gc
from typing import Any

import pytest
from sqlalchemy import event, select

from lms.db import utcnow
from lms.learning import bulk_ids
from lms.learning.bridge import collector_paused
from lms.learning.models import BridgeGap


def _gaps(count: int) -> list[BridgeGap]:
    return [
        BridgeGap(partition=0, from_seq=10 * n + 1, to_seq=10 * n + 5, noted_at=utcnow())
        for n in range(count)
    ]


def test_rows_added_in_bulk_get_their_ids_ahead_in_the_order_added(db: Any) -> None:
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        with bulk_ids.taken_ahead():
            rows = _gaps(3)
            db.session.add_all(rows)
            db.session.flush()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    ids = [row.id for row in rows]
    assert ids == sorted(ids)
    assert len(set(ids)) == 3
    stored = db.session.scalars(select(BridgeGap.from_seq).order_by(BridgeGap.id)).all()
    assert stored == [1, 11, 21]
    inserts = [s for s in sent if s.lstrip().upper().startswith("INSERT INTO BRIDGE_GAPS")]
    assert inserts
    if db.engine.dialect.name == "postgresql":
        # The ids went with the rows: one short INSERT, nothing returned.
        assert all("RETURNING" not in s.upper() and "(id," in s for s in inserts)
        assert any("nextval" in s for s in sent)


def test_one_row_and_rows_outside_the_block_go_the_usual_way(db: Any) -> None:
    with bulk_ids.taken_ahead():
        one = _gaps(1)[0]
        db.session.add(one)
        db.session.flush()
    later = _gaps(2)
    db.session.add_all(later)
    db.session.flush()
    assert one.id is not None
    assert all(row.id is not None for row in later)
    assert one.id < later[0].id < later[1].id


def test_the_collector_is_held_during_a_batch_and_back_after(db: Any) -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("a batch that failed")
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # held by someone else: left as it was
    finally:
        gc.enable()
