"""Rows written together (``lms.bulk_insert``) and the LMS's statements recorded together.

Both are for speed only: what is stored, and the objects the session holds afterwards, are
what the ORM's flush and separate ``record_many`` calls would have given.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from lms.auth.models import User
from lms.bulk_insert import insert_objects, insert_rows
from lms.learning.models import BridgeGap
from lms.xapi import services as lrs
from lms.xapi.models import Statement
from tests.factories import make_unit


def test_rows_are_stored_with_their_python_defaults(db: Any) -> None:
    insert_rows(
        BridgeGap.__table__,
        [{"partition": 0, "from_seq": 10 * n + 1, "to_seq": 10 * n + 5} for n in range(3)],
    )
    rows = db.session.scalars(select(BridgeGap).order_by(BridgeGap.id)).all()
    assert [(r.from_seq, r.to_seq) for r in rows] == [(1, 5), (11, 15), (21, 25)]
    assert all(r.noted_at is not None for r in rows)  # default=utcnow, left out of the rows


def test_objects_join_the_session_as_stored_rows(db: Any) -> None:
    unit = make_unit("HP-BULK")
    users = [
        User(email=f"bulk{n}@example.vn", full_name=f"Nguyễn Văn {n}", unit_id=unit.id)
        for n in range(3)
    ]
    insert_objects(users)
    ids = [u.id for u in users]
    assert None not in ids
    assert ids == sorted(ids)
    # Persistent, nothing left to flush, the listener a flush calls has run (search text).
    assert all(u in db.session and u not in db.session.new for u in users)
    assert all(u.search_text and "nguyen van" in u.search_text for u in users)
    assert db.session.get(User, ids[0]) is users[0]
    # A later change is an UPDATE of the stored row, as after a flush.
    users[1].full_name = "Trần Thị Hoa"
    db.session.flush()
    db.session.expire_all()
    stored = db.session.scalars(select(User.full_name).where(User.id.in_(ids)).order_by(User.id))
    assert stored.all() == ["Nguyễn Văn 0", "Trần Thị Hoa", "Nguyễn Văn 2"]


def _statement(n: int) -> dict[str, Any]:
    return {
        "actor": {"mbox": f"mailto:hv{n}@example.vn", "name": f"Học viên {n}"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        "object": {"id": f"https://lms146.vn/xapi/activities/test/{n}"},
    }


def test_statements_recorded_together_keep_their_order(db: Any) -> None:
    with lrs.recorded_together():
        first = lrs.record_many([_statement(1), _statement(2)])
        lrs.record_kept()  # stored now; the block goes on keeping
        second = lrs.record_many([_statement(3)])
        assert _seq(db, first[0]) is not None
        assert _seq(db, second[0]) is None  # kept until the block ends
    seqs = [_seq(db, i) for i in [*first, *second]]
    assert None not in seqs
    assert seqs == sorted(seqs)


def _seq(db: Any, statement_id: str) -> int | None:
    return db.session.scalar(select(Statement.seq).where(Statement.statement_id == statement_id))


def test_nothing_kept_is_stored_when_the_block_fails(db: Any) -> None:
    ids: list[str] = []

    def bulk_run() -> None:
        with lrs.recorded_together():
            ids.extend(lrs.record_many([_statement(4)]))
            raise RuntimeError("the bulk run failed")

    with pytest.raises(RuntimeError):
        bulk_run()
    assert _seq(db, ids[0]) is None
