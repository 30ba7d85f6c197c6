"""Periods are cut in the province's time zone, in Python and in SQL alike."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import literal, select

from lms import periods
from lms.db import UTCDateTime
from lms.extensions import db as _db

NEW_YEAR_0030_ICT = datetime(2024, 12, 31, 17, 30, tzinfo=UTC)  # 00:30 on 1 January 2025


def test_a_moment_after_local_midnight_is_in_the_new_year_and_its_january() -> None:
    assert periods.local_day(NEW_YEAR_0030_ICT) == date(2025, 1, 1)
    assert (periods.local_year(NEW_YEAR_0030_ICT), periods.local_month(NEW_YEAR_0030_ICT)) == (
        2025,
        1,
    )
    start, end = periods.year_bounds(2025)
    assert start == datetime(2024, 12, 31, 17, tzinfo=UTC)
    assert end == datetime(2025, 12, 31, 17, tzinfo=UTC)
    assert start <= NEW_YEAR_0030_ICT < end


def test_the_month_is_cut_locally_in_sql(db: Any) -> None:
    def month(moment: datetime, year: int) -> int:
        value = literal(moment, UTCDateTime())
        return int(_db.session.scalar(select(periods.month_of(value, year))))

    assert month(NEW_YEAR_0030_ICT, 2025) == 1
    assert month(datetime(2025, 3, 31, 17, 0, tzinfo=UTC), 2025) == 4  # 00:00 on 1 April
    assert month(datetime(2025, 3, 31, 16, 59, tzinfo=UTC), 2025) == 3
    assert month(datetime(2025, 12, 31, 16, 59, tzinfo=UTC), 2025) == 12
    value = literal(NEW_YEAR_0030_ICT, UTCDateTime())
    assert _db.session.scalar(select(periods.month_of_years(value, 2024, 2025))) == 1


def test_the_zone_is_a_setting(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    with app.app_context():
        monkeypatch.setitem(app.config, "TIMEZONE", "UTC")
        assert periods.local_day(NEW_YEAR_0030_ICT) == date(2024, 12, 31)
        monkeypatch.setitem(app.config, "TIMEZONE", "Asia/Ho_Chi_Minh")
        assert periods.local_day(NEW_YEAR_0030_ICT) == date(2025, 1, 1)


@pytest.mark.parametrize("zone", ["Asia/Ho_Chi_Minh", "Europe/Paris", "UTC"])
def test_the_local_day_in_sql_is_the_local_day(
    db: Any, app: Flask, monkeypatch: pytest.MonkeyPatch, zone: str
) -> None:
    """The day SQL gives a stored instant is Python's, also across summer time changes."""
    monkeypatch.setitem(app.config, "TIMEZONE", zone)
    dialect = _db.session.get_bind().dialect.name
    moments = [
        NEW_YEAR_0030_ICT,
        datetime(2024, 12, 31, 16, 59, 59, tzinfo=UTC),
        datetime(2024, 12, 31, 23, 30, tzinfo=UTC),
        datetime(2025, 3, 29, 22, 59, tzinfo=UTC),  # Paris: 23:59 on 29 March
        datetime(2025, 3, 30, 0, 30, tzinfo=UTC),  # Paris: summer time from 01:00 UTC
        datetime(2025, 3, 30, 22, 30, tzinfo=UTC),  # Paris: 00:30 on 31 March
        datetime(2025, 10, 25, 22, 30, tzinfo=UTC),  # Paris: 00:30 on 26 October
        datetime(2025, 10, 26, 23, 30, tzinfo=UTC),  # Paris: 00:30 on 27 October (winter)
        datetime(2025, 12, 31, 22, 59, tzinfo=UTC),
    ]
    for moment in moments:
        value = literal(moment, UTCDateTime())
        got = _db.session.scalar(select(periods.local_day_of_years(value, 2024, 2025, dialect)))
        day = got if isinstance(got, date) else date.fromisoformat(got)
        assert day == periods.local_day(moment), (zone, moment)


def _zone_across_the_date_line() -> str:
    """A zone whose day is not the server's today: one of two zones 26 hours apart always is."""
    server_today = date.today()
    for name in ("Pacific/Kiritimati", "Etc/GMT+12"):
        if datetime.now(UTC).astimezone(ZoneInfo(name)).date() != server_today:
            return name
    raise AssertionError("unreachable: the two zones are never on the same day")


def test_today_is_the_provinces_day_everywhere(
    db: Any, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A unit created, a merger, a move or a class window "today" is the province's today.

    The server's clock (UTC in the containers) is still yesterday from 00:00 to 07:00 in
    Viet Nam: a commune opened on 1 July read as not yet open, a move or a merger made at
    00:30 on 1 July was dated 30 June, a class closing on 30 June still took enrolments.
    """
    from lms.auth.services import current_communes
    from lms.classes.enrollments import check_class_open
    from lms.errors import Conflict
    from lms.org import services as org
    from lms.org.services.tree import today as tree_today
    from tests.factories import make_class, make_course, make_unit

    monkeypatch.setitem(app.config, "TIMEZONE", _zone_across_the_date_line())
    today = periods.today()
    assert today != date.today()
    assert tree_today() == today
    province = make_unit(kind="province", name="Tỉnh Mới", valid_from=date(2020, 1, 1))
    opened = make_unit(parent=province, name="Xã Mở Hôm Nay", valid_from=today)
    closed = make_unit(parent=province, name="Xã Đóng Hôm Qua", valid_from=date(2020, 1, 1))
    closed.valid_to = today - timedelta(days=1)
    _db.session.flush()
    assert opened.is_current()
    assert not closed.is_current()
    listed = set(_db.session.scalars(org.units_valid_on()))
    assert opened in listed
    assert closed not in listed
    communes = {u for _, units in current_communes() for u in units}
    assert opened in communes
    assert closed not in communes
    klass = make_class(make_course(), opened, enrol_closes_on=today - timedelta(days=1))
    with pytest.raises(Conflict):
        check_class_open(klass)
