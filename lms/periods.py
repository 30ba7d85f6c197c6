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
from sqlalchemy import Date, case, cast, func, literal

DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"


@cache
def _zone(name: str) -> tzinfo:
    return ZoneInfo(name)


def zone_name() -> str:
    """The name of the province's time zone (``LMS_TIMEZONE``)."""
    if has_app_context():
        return str(current_app.config.get("TIMEZONE") or DEFAULT_TIMEZONE)
    return DEFAULT_TIMEZONE


def zone() -> tzinfo:
    """The province's time zone (``LMS_TIMEZONE``)."""
    return _zone(zone_name())


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


@cache
def _offsets(name: str, first: int, last: int) -> list[tuple[datetime | None, int]]:
    """The zone's offsets from UTC over the local years ``first..last``: (until, seconds),
    each in force up to the next one's instant (None: to the end)."""
    tz = _zone(name)
    start = datetime(first, 1, 1, tzinfo=tz).astimezone(UTC) - timedelta(days=1)
    end = datetime(last + 1, 1, 1, tzinfo=tz).astimezone(UTC) + timedelta(days=1)

    def offset(moment: datetime) -> int:
        delta = moment.astimezone(tz).utcoffset()
        return int(delta.total_seconds()) if delta is not None else 0

    out: list[tuple[datetime | None, int]] = []
    moment, current = start, offset(start)
    while moment < end:
        following = moment + timedelta(hours=6)  # zones change at most twice a year
        if offset(following) != current:
            low, high = moment, following  # bisect to the second of the change
            while high - low > timedelta(seconds=1):
                middle = low + timedelta(seconds=(high - low).total_seconds() // 2)
                low, high = (middle, high) if offset(middle) == current else (low, middle)
            out.append((high, current))
            current = offset(high)
            following = high
        moment = following
    out.append((None, current))
    return out


def local_day_of_years(column: Any, first: int, last: int, dialect: str) -> Any:
    """SQL: the local day of ``column`` (a UTC instant in the local years ``first..last``).

    For orderings by day (the earliest certificate of a day is the one with the lower id):
    the zone's offsets over those years are added as a ``CASE`` over the instants they change
    at, never a per-row time-zone lookup, on SQLite (``date(..., '+25200 seconds')``, text
    ``YYYY-MM-DD``) as on PostgreSQL (a ``date``).
    """
    spans = _offsets(zone_name(), first, last)
    if dialect == "sqlite":
        shifts = [(until, literal(f"{seconds:+d} seconds")) for until, seconds in spans]
    else:
        shifts = [(until, literal(timedelta(seconds=seconds))) for until, seconds in spans]
    shift: Any = shifts[-1][1]
    if len(shifts) > 1:
        shift = case(*((column < until, value) for until, value in shifts[:-1]), else_=shift)
    if dialect == "sqlite":
        return func.date(column, shift)
    return cast(func.timezone("UTC", column) + shift, Date)
