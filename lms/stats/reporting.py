"""Reporting up the tree: when a unit's annual report is due, how it is headed and numbered,
and which units below have sent theirs.

The plans (Hải Phòng, Quảng Bình) have every department, district and commune report to the
Department by 10 December (or the day the province sets, ``Unit.report_day``), and the
Department compile the province's report for the People's Committee and the ministry by
15 December. A unit *submits* its report by closing its year (:func:`lms.stats.services.
close_year`): its figures are frozen, the report gets its document number, and its parent
sees it as sent, on time or late.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from lms import periods
from lms.auth.models import User
from lms.collation import vi_sort_key
from lms.db import utcnow
from lms.extensions import db
from lms.locks import lock
from lms.org import services as org
from lms.org.models import Unit, UnitKind
from lms.stats.models import ReportNumber, ReportSettings, StatSnapshot
from lms.stats.rollups import TreeAtYearEnd
from lms.text import fold

#: Day of December by which units report to their parent when no unit above sets one.
DEFAULT_REPORT_DAY = 10
#: Day of December by which a province reports to its People's Committee and the ministry.
PROVINCE_REPORT_DAY = 15
#: Day of December from which a year's report can be submitted.
OPENS_DAY = 1
#: The units that report to their parent: departments and other agencies, districts (before
#: 2025), communes and wards. Schools and enterprises report through their agency.
REPORTING_KINDS = (UnitKind.agency, UnitKind.district, UnitKind.commune)

#: The fields of :class:`ReportSettings` a unit's officials edit, in the form's order.
SETTING_FIELDS = (
    "parent_body",
    "issuer",
    "symbol",
    "place",
    "signer_authority",
    "signer_title",
    "signer_name",
    "recipients",
)


# --- time --------------------------------------------------------------------------------------


def local_now(now: datetime | None = None) -> datetime:
    """``now`` (default: this moment) in the province's time zone (:mod:`lms.periods`)."""
    return periods.local(now or datetime.now(UTC))


def local_today(now: datetime | None = None) -> date:
    return local_now(now).date()


def stamp(moment: datetime) -> str:
    """``08/12/2026 09:15 (GMT+07:00)``: a moment as people of the province read it."""
    local = local_now(moment)
    offset = local.strftime("%z")
    return f"{local:%d/%m/%Y %H:%M} (GMT{offset[:3]}:{offset[3:]})"


def opens_on(year: int) -> date:
    return date(year, 12, OPENS_DAY)


def deadline(unit: Unit, year: int) -> date:
    """The day by which ``unit`` sends its report of ``year`` to the level above.

    A province: 15 December. Any other unit: the ``report_day`` of the nearest unit above that
    sets one (the province in practice), else 10 December.
    """
    if unit.kind == UnitKind.province or unit.parent_id is None:
        return date(year, 12, PROVINCE_REPORT_DAY)
    return _due_to(org.ancestors(unit), year)


def _due_to(above: list[Unit], year: int) -> date:
    """The deadline of a unit whose ancestors, root first, are ``above``."""
    for unit in reversed(above):
        if unit.report_day:
            return date(year, 12, unit.report_day)
    return date(year, 12, DEFAULT_REPORT_DAY)


def date_line(place: str, day: date) -> str:
    """ "Hải Phòng, ngày 08 tháng 12 năm 2026": Decree 30 writes days below 10 and the months
    January and February with a leading zero, other months without."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    line = f"ngày {day.day:02d} tháng {month} năm {day.year}"
    return f"{place}, {line}" if place else line[0].upper() + line[1:]


def number_text(number: int | None, symbol: str) -> str:
    """``Số: 05/BC-SKHCN``; a draft leaves the number blank for the clerk, as paper does."""
    shown = f"{number:02d}" if number is not None else "\u2003\u2003"
    return f"Số: {shown}/BC-{symbol}" if symbol else f"Số: {shown}/BC"


# --- settings ----------------------------------------------------------------------------------


def settings_for(unit: Unit) -> ReportSettings | None:
    return db.session.scalar(select(ReportSettings).where(ReportSettings.unit_id == unit.id))


def _symbol(unit: Unit) -> str:
    return "".join(ch for ch in fold(unit.code).upper() if ch.isalnum())[:30]


def document(unit: Unit, *, number: int | None = None, day: date | None = None) -> dict[str, Any]:
    """The header and signature block of ``unit``'s report: its settings, with defaults
    (the unit's name, its province, a symbol from its code) where none are set."""
    settings = settings_for(unit)
    values = {name: (getattr(settings, name) if settings else "") or "" for name in SETTING_FIELDS}
    province = org.province_of(unit)
    parent = unit.parent
    if not values["issuer"]:
        values["issuer"] = unit.name.upper()
    if not values["parent_body"] and parent is not None:
        values["parent_body"] = parent.name.upper()
    if not values["symbol"]:
        values["symbol"] = _symbol(unit)
    if not values["place"]:
        values["place"] = _place(province)
    day = day or local_today()
    return {
        **values,
        "recipients": [r.strip() for r in values["recipients"].splitlines() if r.strip()],
        "number": number,
        "number_text": number_text(number, values["symbol"]),
        "date": day.isoformat(),
        "date_line": date_line(values["place"], day),
        "configured": settings is not None,
    }


def _place(province: Unit) -> str:
    """ "Hải Phòng" for "Thành phố Hải Phòng", "Quảng Trị" for "Tỉnh Quảng Trị"."""
    name = province.name
    for prefix in ("Thành phố ", "Tỉnh ", "TP. ", "TP "):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def missing_settings(unit: Unit) -> list[str]:
    """What the unit has not said yet for its report to be signed and sent as it is."""
    settings = settings_for(unit)
    labels = {
        "signer_title": _("the signer's title"),
        "signer_name": _("the signer's name"),
        "recipients": _("the recipients"),
        "symbol": _("the unit's abbreviation in the document number"),
    }
    return [
        str(label)
        for name, label in labels.items()
        if settings is None or not (getattr(settings, name) or "").strip()
    ]


def save_settings(unit: Unit, data: dict[str, Any], *, by: User) -> ReportSettings:
    """Create or change ``unit``'s settings; parallel first saves make one row."""
    lock(unit)  # one writer of a unit's settings at a time: the first save creates the row
    settings = settings_for(unit)
    if settings is None:
        settings = ReportSettings(unit_id=unit.id)
        db.session.add(settings)
    for name in SETTING_FIELDS:
        if name in data:
            value = data[name]
            if isinstance(value, list):
                value = "\n".join(v.strip() for v in value if v.strip())
            setattr(settings, name, (value or "").strip())
    settings.updated_at = utcnow()
    settings.updated_by_id = by.id
    db.session.flush()
    return settings


def next_number(unit: Unit, year: int) -> int:
    """The next document number of ``unit`` in ``year``: one conditional UPDATE, so parallel
    callers each get their own number and none is given twice."""
    table = ReportNumber.__table__
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    db.session.execute(
        insert(table)
        .values(unit_id=unit.id, year=year, last=0)
        .on_conflict_do_nothing(index_elements=["unit_id", "year"])
    )
    return int(
        db.session.execute(
            update(table)
            .where(table.c.unit_id == unit.id, table.c.year == year)
            .values(last=table.c.last + 1)
            .returning(table.c.last)
        ).scalar_one()
    )


# --- who has reported --------------------------------------------------------------------------


@dataclass
class UnitSubmission:
    """Where one unit below stands with its report of a year."""

    code: str
    name: str
    kind: str
    deadline: date
    #: ``on_time``, ``late`` (sent after its deadline), ``missing`` (not yet, still in time),
    #: ``overdue`` (not sent and past its deadline).
    status: str
    submitted_at: datetime | None = None
    number: int | None = None
    number_text: str | None = None
    snapshot: StatSnapshot | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "kind": self.kind,
            "deadline": self.deadline.isoformat(),
            "status": self.status,
            "submitted_at": self.submitted_at.isoformat() if self.submitted_at else None,
            "number": self.number,
            "number_text": self.number_text,
        }


def reporting_units(unit: Unit, year: int) -> list[Unit]:
    """The units that report to ``unit`` for ``year``: its children of a reporting kind in the
    tree as it stood at the end of that year (now, for this year), that still existed then."""
    paths = TreeAtYearEnd().paths(year)
    own = paths.get(unit.id, unit.path)
    depth = own.strip("/").count("/") + 1
    ids = [
        uid
        for uid, path in paths.items()
        if path.startswith(own) and path.strip("/").count("/") == depth
    ]
    if not ids:
        return []
    end = date(year, 12, 31)
    rows = db.session.scalars(
        select(Unit).where(
            Unit.id.in_(ids),
            Unit.kind.in_([str(k) for k in REPORTING_KINDS]),
            Unit.valid_from <= end,
            (Unit.valid_to.is_(None)) | (Unit.valid_to >= end),
        )
    )
    return sorted(rows, key=lambda u: vi_sort_key(u.name))


def submissions(unit: Unit, year: int, *, now: datetime | None = None) -> list[UnitSubmission]:
    """Each unit reporting to ``unit`` with the state of its report of ``year``."""
    units = reporting_units(unit, year)
    if not units:
        return []
    snapshots = {
        s.unit_id: s
        for s in db.session.scalars(
            select(StatSnapshot).where(
                StatSnapshot.year == year, StatSnapshot.unit_id.in_([u.id for u in units])
            )
        )
    }
    today = local_today(now)
    due_here = _due_to([*org.ancestors(unit), unit], year)  # the same for all of them
    rows = []
    for child in units:
        due = due_here if child.kind != UnitKind.province else deadline(child, year)
        snap = snapshots.get(child.id)
        if snap is None:
            rows.append(
                UnitSubmission(
                    child.code,
                    child.name,
                    str(child.kind),
                    due,
                    "overdue" if today > due else "missing",
                )
            )
            continue
        sent = local_today(snap.closed_at)
        doc = (snap.payload or {}).get("document") or {}
        rows.append(
            UnitSubmission(
                child.code,
                child.name,
                str(child.kind),
                due,
                "late" if sent > due else "on_time",
                submitted_at=snap.closed_at,
                number=snap.number,
                number_text=doc.get("number_text"),
                snapshot=snap,
            )
        )
    return rows


STATUS_LABELS = {
    "on_time": "Đã gửi đúng hạn",
    "late": "Gửi muộn",
    "missing": "Chưa gửi",
    "overdue": "Quá hạn, chưa gửi",
}


def settings_view(unit: Unit) -> dict[str, Any]:
    """The settings as stored ("" where unset, the default then applies), recipients a list."""
    settings = settings_for(unit)
    values = {name: (getattr(settings, name) if settings else "") or "" for name in SETTING_FIELDS}
    values["recipients"] = [r for r in values["recipients"].splitlines() if r.strip()]
    return {"unit": unit.code, **values}


def still_missing(
    unit: Unit, year: int, figures: list[dict[str, Any]], rows: list[UnitSubmission]
) -> list[str]:
    """What stands between ``unit``'s report and one that can be sent as it is: settings not
    made, indicators without a denominator, units below that have not reported."""
    items = [_("Report settings: %(what)s not set.", what=what) for what in missing_settings(unit)]
    for figure in figures:
        if figure["kind"] != "count_people" and not figure["denominator"]:
            items.append(
                _(
                    "No headcount (denominator) for “%(title)s” in %(year)s.",
                    title=figure["title"],
                    year=year,
                )
            )
    waiting = [r.name for r in rows if r.status in ("missing", "overdue")]
    if waiting:
        items.append(
            _(
                "%(count)s of %(total)s units have not submitted: %(names)s.",
                count=len(waiting),
                total=len(rows),
                names=", ".join(waiting[:10]) + (" …" if len(waiting) > 10 else ""),
            )
        )
    return items
