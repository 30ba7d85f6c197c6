"""Days, months and years as the province lives them: times stored in UTC, cut in local time.

The figures, the certificate's year and every "in 2025" or "in January" are decided here and
nowhere else, in ``LMS_TIMEZONE`` (``Asia/Ho_Chi_Minh`` by default). A completion at 00:30 on
1 January in Vietnam is 17:30 on 31 December in UTC: it belongs to January of the new year,
and its year and month are read from the same local time.

SQL never converts time zones here (SQLite cannot, and a per-row conversion would defeat the
indexes on the timestamps): a period is turned into its two UTC instants instead, so a filter
is a plain range on the stored column, and a month is a ``CASE`` over twelve such instants.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from sqlalchemy import case

DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"


@cache
def _zone(name: str) -> tzinfo:
    return ZoneInfo(name)


def zone() -> tzinfo:
    """The province's time zone (``LMS_TIMEZONE``)."""
    name = DEFAULT_TIMEZONE
    if has_app_context():
        name = current_app.config.get("TIMEZONE") or DEFAULT_TIMEZONE
    return _zone(name)


def local(moment: datetime) -> datetime:
    """``moment`` (aware) as the local wall-clock time."""
    return moment.astimezone(zone())


def local_day(moment: datetime) -> date:
    return local(moment).date()


def local_year(moment: datetime) -> int:
    return local(moment).year


def local_month(moment: datetime) -> int:
    return local(moment).month


def today() -> date:
    """Today in the province (not on the server's clock nor in UTC)."""
    return datetime.now(UTC).astimezone(zone()).date()


def current_year() -> int:
    return today().year


def day_start(day: date) -> datetime:
    """The UTC instant at which local ``day`` begins."""
    return datetime(day.year, day.month, day.day, tzinfo=zone()).astimezone(UTC)


def day_end(day: date) -> datetime:
    """The UTC instant at which local ``day`` ends (the start of the next day, exclusive)."""
    return day_start(day + timedelta(days=1))


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """``[start, end)`` of local ``year`` in UTC, for ``column >= start AND column < end``."""
    return day_start(date(year, 1, 1)), day_start(date(year + 1, 1, 1))


def month_starts(year: int) -> list[datetime]:
    """The UTC instants at which the local months of ``year`` begin, and the next year."""
    return [day_start(date(year, m, 1)) for m in range(1, 13)] + [year_bounds(year)[1]]


def month_of(column: Any, year: int) -> Any:
    """SQL: the local month (1..12) of ``column``, for rows already limited to ``year``."""
    starts = month_starts(year)
    return case(*((column < starts[m], m) for m in range(1, 12)), else_=12)


def month_of_years(column: Any, first: int, last: int) -> Any:
    """SQL: the local month (1..12) of ``column`` for rows of the years ``first..last``."""
    whens: list[tuple[Any, int]] = []
    for year in range(first, last + 1):
        starts = month_starts(year)
        whens.extend((column < starts[m], m) for m in range(1, 13))
    return case(*whens, else_=12)
