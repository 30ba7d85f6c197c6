"""Headcounts: how many leaders, officials, citizens... a unit has in a year.

They are the denominators of the plans' shares. A rollup adds up a subtree *as the tree
stood in that year*, so a province's 2024 figure counts its 2024 districts even after they
were merged away in 2025.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from sqlalchemy import Select, func, select

from lms.constants import TargetGroup
from lms.edge import ascii_digits
from lms.errors import Forbidden, Invalid
from lms.extensions import db
from lms.locks import lock_name
from lms.org.models import Headcount, Unit
from lms.org.services.tree import can_see, scope_clause, subtree_ids, valid_on_clause

if TYPE_CHECKING:
    from lms.auth.models import User

logger = logging.getLogger(__name__)

FIELDS = ("unit", "target_group", "year", "count")
MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_COUNT = 2_000_000_000
CHUNK = 500
#: Held while headcounts are loaded (see _upsert).
HEADCOUNTS_LOCK = "org.headcounts"


def _whole_number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and ascii_digits(value.strip().lstrip("-")):
        return int(value.strip())
    return None


def _units_by_code(codes: set[str]) -> dict[str, Unit]:
    found: dict[str, Unit] = {}
    ordered = sorted(codes)
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start : start + CHUNK]
        found.update(
            {u.code: u for u in db.session.scalars(select(Unit).where(Unit.code.in_(chunk)))}
        )
    return found


def import_headcounts(
    rows: Sequence[Mapping[str, Any]],
    *,
    by: User | None,
    numbers: Sequence[int] | None = None,
) -> dict[str, int]:
    """Insert or update headcounts, all of them or none.

    Each row is ``{"unit", "target_group", "year", "count"}``. Every row is checked first
    (known unit inside the caller's area, existing during that year, known target group,
    whole numbers, no row twice); any error rejects the whole batch with
    ``rows.<n>.<field>`` paths. Officials may load headcounts for their own subtree only.
    """
    if by is not None and not by.is_admin and not (by.has_role("official") and by.unit):
        raise Forbidden(_("Only administrators and officials can load headcounts."))
    numbers = list(numbers) if numbers is not None else list(range(1, len(rows) + 1))
    if not rows:
        raise Invalid(_("No headcounts given."), errors={"rows": [_("Empty list.")]})
    errors: dict[str, list[str]] = {}
    units = _units_by_code({str(_unit_code(r)) for r in rows if isinstance(r, Mapping)})
    parsed: dict[tuple[int, str, int], tuple[int, int]] = {}
    for n, row in zip(numbers, rows, strict=True):
        where = f"rows.{n}"
        before = len(errors)
        if not isinstance(row, Mapping):
            errors[where] = [_("Must be an object.")]
            continue
        unit_key = "unit_code" if "unit_code" in row else "unit"
        for key in row:
            if key not in (*FIELDS, unit_key):
                errors[f"{where}.{key}"] = [_("Unknown field.")]
        for key in (unit_key, *FIELDS[1:]):
            if row.get(key) in (None, ""):
                errors[f"{where}.{key}"] = [_("Missing data for required field.")]
        code = str(_unit_code(row) or "")
        unit = units.get(code)
        if code and (unit is None or not can_see(by, unit)):
            errors[f"{where}.{unit_key}"] = [_("Unknown unit %(code)s.", code=code)]
            unit = None
        group = str(row.get("target_group") or "")
        if group and group not in TargetGroup.__members__:
            errors[f"{where}.target_group"] = [_("Unknown target group %(code)s.", code=group)]
        year = _whole_number(row.get("year"))
        if row.get("year") not in (None, "") and (year is None or not MIN_YEAR <= year <= MAX_YEAR):
            errors[f"{where}.year"] = [
                _("Must be a year between %(low)s and %(high)s.", low=MIN_YEAR, high=MAX_YEAR)
            ]
            year = None
        count = _whole_number(row.get("count"))
        if row.get("count") not in (None, "") and (count is None or not 0 <= count <= MAX_COUNT):
            errors[f"{where}.count"] = [_("Must be a whole number, 0 or more.")]
        if unit is not None and year is not None and not existed_in(unit, year):
            errors[f"{where}.year"] = [
                _("Unit %(code)s did not exist in %(year)s.", code=unit.code, year=year)
            ]
        if len(errors) > before or unit is None or year is None or count is None:
            continue
        ident = (unit.id, group, year)
        if ident in parsed:
            errors[f"{where}.{unit_key}"] = [
                _("Same unit, target group and year as row %(n)s.", n=parsed[ident][0])
            ]
            continue
        parsed[ident] = (n, count)
    if errors:
        raise Invalid(_("Some rows have errors; nothing was imported."), errors=errors)
    return _upsert({key: value[1] for key, value in parsed.items()})


def _unit_code(row: Mapping[str, Any]) -> Any:
    return row.get("unit_code") if "unit_code" in row else row.get("unit")


def existed_in(unit: Unit, year: int) -> bool:
    """Whether ``unit`` existed on some day of ``year``: a list of that year's units shows it.

    A ward created on 1 July 2025 is no unit of the 2024 tables; a district closed on
    30 June 2025 still is one of 2025's.
    """
    return unit.valid_from <= date(year, 12, 31) and (
        unit.valid_to is None or unit.valid_to >= date(year, 1, 1)
    )


def _upsert(counts: dict[tuple[int, str, int], int]) -> dict[str, int]:
    # Rows are found, then created or changed: one load at a time, so that a file sent twice
    # at once creates each row once (the second finds them unchanged).
    lock_name(HEADCOUNTS_LOCK)
    unit_ids = sorted({key[0] for key in counts})
    existing: dict[tuple[int, str, int], Headcount] = {}
    for start in range(0, len(unit_ids), CHUNK):
        chunk = unit_ids[start : start + CHUNK]
        for row in db.session.scalars(select(Headcount).where(Headcount.unit_id.in_(chunk))):
            existing[(row.unit_id, str(row.target_group), row.year)] = row
    created = updated = 0
    for key, count in counts.items():
        found = existing.get(key)
        if found is None:
            db.session.add(
                Headcount(
                    unit_id=key[0], target_group=TargetGroup(key[1]), year=key[2], count=count
                )
            )
            created += 1
        elif found.count != count:
            found.count = count
            updated += 1
    db.session.flush()
    logger.info("Headcounts imported: %s created, %s updated", created, updated)
    return {"created": created, "updated": updated, "unchanged": len(counts) - created - updated}


def headcount_query(
    by: User | None,
    *,
    unit: Unit | None = None,
    year: int | None = None,
    target_group: TargetGroup | str | None = None,
) -> Select[Headcount]:
    """Headcount rows ``by`` may see, by unit code, year and target group."""
    stmt = select(Headcount).join(Unit, Headcount.unit_id == Unit.id)
    stmt = stmt.where(scope_clause(by, Unit.path))
    if unit is not None:
        stmt = stmt.where(Headcount.unit_id == unit.id)
    if year is not None:
        stmt = stmt.where(Headcount.year == year)
    if target_group is not None:
        stmt = stmt.where(Headcount.target_group == TargetGroup(target_group))
    return stmt.order_by(Unit.code, Headcount.year, Headcount.target_group)


def reference_day(unit: Unit, year: int) -> date | None:
    """The day whose tree counts for ``year``: 31 December, or the unit's last day.

    None when the unit did not exist in that year.
    """
    if not existed_in(unit, year):
        return None
    day = date(year, 12, 31)
    if unit.valid_to is not None and unit.valid_to < day:
        day = unit.valid_to
    return day


def rollup_headcounts(
    unit: Unit, *, year: int | None = None, target_group: TargetGroup | str | None = None
) -> list[dict[str, Any]]:
    """Sum the headcounts of ``unit``'s subtree per year and target group.

    Each year is added up over the tree of its :func:`reference_day`, counting only units
    that existed that day: a unit closed in a merger hands its count over to its successor
    (which reports for the units it absorbed), so nothing is counted twice.
    """
    if year is not None:
        years = [year]
    else:
        years = list(db.session.scalars(select(Headcount.year).distinct().order_by(Headcount.year)))
    out: list[dict[str, Any]] = []
    for each in years:
        day = reference_day(unit, each)
        if day is None:
            continue
        stmt = (
            select(Headcount.target_group, func.sum(Headcount.count), func.count(Headcount.id))
            .join(Unit, Headcount.unit_id == Unit.id)
            .where(
                Headcount.year == each,
                Headcount.unit_id.in_(subtree_ids(unit, on=day)),
                valid_on_clause(Unit, day),
            )
            .group_by(Headcount.target_group)
            .order_by(Headcount.target_group)
        )
        if target_group is not None:
            stmt = stmt.where(Headcount.target_group == TargetGroup(target_group))
        for group, total, units in db.session.execute(stmt):
            out.append(
                {
                    "unit": unit.code,
                    "target_group": str(group),
                    "year": each,
                    "count": int(total or 0),
                    "units": int(units),
                    "as_of": day,
                }
            )
    return out
