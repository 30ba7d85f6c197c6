"""Periods are cut in the province's time zone, in Python and in SQL alike."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

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
