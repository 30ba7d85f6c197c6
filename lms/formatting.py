"""How numbers, shares, head counts, dates and times read: one module for pages, files and PDFs.

Officials compare what the dashboard, the CSV, the XLSX and the PDF say; when each formats on
its own, one shows ``13.3%`` and ``180010`` and the other ``14,4%`` and ``180.010``. Everything
a person reads goes through these functions (templates through the filters that
:func:`init_app` registers), in the reader's language: Babel's ``vi`` locale by default
(``180.010``, ``14,4%``), ``en`` for a reader who chose English (``180,010``, ``14.4%``).
Dates are ``dd/mm/yyyy`` in both, as in every Vietnamese document; times are shown in the
province's zone (``LMS_TIMEZONE``) with the zone written out, never as UTC.

Outside a request (a PDF built by a job, a command) the locale is the configured default.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from typing import Any

from babel import Locale
from babel.dates import format_datetime as _babel_datetime
from babel.numbers import format_decimal, format_percent
from flask import Flask, current_app, has_app_context, has_request_context
from flask_babel import get_locale, get_translations

from lms import periods

DEFAULT_LOCALE = "vi"
DASH = "—"  # what an empty cell reads as, everywhere

Number = int | float | Decimal


def locale(lang: str | None = None) -> Locale:
    """The reader's locale: ``lang`` if given, else the request's, else the configured one."""
    if lang:
        return Locale.parse(lang)
    if has_request_context():
        found = get_locale()
        if found is not None:
            return found
    if has_app_context():
        return Locale.parse(current_app.config.get("BABEL_DEFAULT_LOCALE") or DEFAULT_LOCALE)
    return Locale.parse(DEFAULT_LOCALE)


def local_zone() -> tzinfo:
    """The province's time zone: :func:`lms.periods.zone`, where days and years are cut."""
    return periods.zone()


def local_today() -> date:
    """Today in the province (at 06:00 in Viet Nam it is still yesterday in UTC)."""
    return periods.today()


def number(value: Number | str | None, digits: int = 0, *, lang: str | None = None) -> str:
    """``180010`` -> ``180.010``; with ``digits``, that many decimals (``12,5``).

    Whole numbers stored as floats (a target of ``24.0`` people) read as whole numbers.
    """
    if value is None:
        return DASH
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return str(value)  # a template handed text (a rule's "Completed"): shown as it is
    if digits == 0 and float(value) != int(value):
        digits = 1
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=locale(lang), decimal_quantization=True)


def decimal(value: Number | str | None, most: int = 2, *, lang: str | None = None) -> str:
    """A quantity kept with its decimals, up to ``most`` and none when whole: points of a
    quiz read ``6,5``, ``0,25`` and ``7`` (``6.5`` in English), never ``6.5`` in Vietnamese."""
    if value is None:
        return DASH
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return str(value)
    pattern = "#,##0" + ("." + "#" * most if most else "")
    return format_decimal(value, format=pattern, locale=locale(lang))


def percent(value: Number | str | None, digits: int = 1, *, lang: str | None = None) -> str:
    """A share already in percent (``14.4``) -> ``14,4%`` (``14.4%`` in English)."""
    if value is None:
        return DASH
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return str(value)
    pattern = "#,##0" + ("." + "0" * digits if digits else "") + "%"
    return format_percent(Decimal(str(value)) / 100, format=pattern, locale=locale(lang))


def people(value: Number | str | None, *, lang: str | None = None) -> str:
    """A head count: ``24 người`` / ``24 people``, never ``24.0``."""
    if value is None:
        return DASH
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return str(value)
    count = round(float(value))
    text = number(count, lang=lang)
    # Flask-Babel's ngettext fills ``num`` with the bare number (``180010``): ask the catalog.
    return str(get_translations().ungettext("%(num)s person", "%(num)s people", count)) % {
        "num": text
    }


def vdate(value: date | datetime | str | None) -> str:
    """``dd/mm/yyyy``; a moment is first put in the province's zone (its local day)."""
    if value is None or value == "":
        return DASH
    if isinstance(value, str):
        value = _parse(value)
    if isinstance(value, datetime):
        value = to_local(value).date()
    return value.strftime("%d/%m/%Y")


def vdatetime(value: date | datetime | str | None, *, lang: str | None = None) -> str:
    """A moment in the province's zone with the zone shown: ``06/12/2026 11:22 (GMT+07:00)``."""
    if value is None or value == "":
        return DASH
    moment = _parse(value) if isinstance(value, str) else value
    if not isinstance(moment, datetime):
        return vdate(moment)
    local = to_local(moment)
    zone = _babel_datetime(local, "ZZZZ", tzinfo=local.tzinfo, locale=locale(lang))
    return f"{local.strftime('%d/%m/%Y %H:%M')} ({zone})"


def to_local(moment: datetime) -> datetime:
    """``moment`` in the province's zone; a naive value is UTC, as the database stores it."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(local_zone())


def _parse(text: str) -> date | datetime:
    """An ISO date or moment, as JSON payloads (closed years) keep them."""
    if len(text) <= 10:
        return date.fromisoformat(text)
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


FILTERS: dict[str, Any] = {
    "number": number,
    "decimal": decimal,
    "percent": percent,
    "people": people,
    "vdate": vdate,
    "vdatetime": vdatetime,
}


def init_app(app: Flask) -> None:
    """Register the filters once: ``{{ n|number }}``, ``{{ share|percent }}``, ..."""
    app.jinja_env.filters.update(FILTERS)
