"""The lock helpers: decide on the row as the last writer left it, on SQLite and PostgreSQL.

Two sessions in one thread (nested app contexts) play two requests; the data is committed in
the ``live_api`` database (:mod:`tests.races`), where other connections see it.
"""

from __future__ import annotations

from lms.extensions import db
from lms.locks import hold_write_lock, lock, lock_row
from lms.org.models import Unit
from tests.factories import make_unit
from tests.races import LiveApi, fresh


def unit_named(live: LiveApi, name: str) -> int:
    with live.data():
        return make_unit(fresh("L"), name=name).id


def test_lock_row_sees_a_write_committed_after_this_transaction_read(live_api: LiveApi) -> None:
    """On SQLite a transaction that has read cannot write once another has committed; the
    helper starts it again holding the write lock, so it writes, and from the latest data."""
    unit_id = unit_named(live_api, "trước")
    with live_api.app.app_context():
        mine = db.session.get(Unit, unit_id)
        assert mine.name == "trước"
        with live_api.app.app_context():
            db.session.get(Unit, unit_id).name = "của người khác"
            db.session.commit()
            db.session.remove()
        assert lock_row(Unit, unit_id) is mine
        assert mine.name == "của người khác"
        mine.name = "sau"
        db.session.commit()
        db.session.remove()
    with live_api.data():
        assert db.session.get(Unit, unit_id).name == "sau"


def test_lock_answers_none_for_a_row_deleted_meanwhile(live_api: LiveApi) -> None:
    unit_id = unit_named(live_api, "sắp xoá")
    with live_api.app.app_context():
        mine = db.session.get(Unit, unit_id)
        with live_api.app.app_context():
            db.session.delete(db.session.get(Unit, unit_id))
            db.session.commit()
            db.session.remove()
        assert lock(mine) is None
        db.session.rollback()
        db.session.remove()


def test_hold_write_lock_keeps_what_the_transaction_wrote(live_api: LiveApi) -> None:
    """A transaction that has written already holds the lock: nothing is ended or lost."""
    unit_id = unit_named(live_api, "một")
    with live_api.app.app_context():
        db.session.get(Unit, unit_id).name = "hai"
        db.session.flush()
        hold_write_lock()
        hold_write_lock()
        db.session.commit()
        db.session.remove()
    with live_api.data():
        assert db.session.get(Unit, unit_id).name == "hai"
