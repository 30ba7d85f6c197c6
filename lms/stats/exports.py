"""The indicator table and the breakdowns as CSV and XLSX, for the person who downloads them.

Headers are in the reader's language, indicators, units and target groups are named (the code
of an indicator stays in a last column, to match files across years), and numbers are
:mod:`lms.exports` cells: ``14,4%`` and ``180.010`` in the CSV, numbers with a format in the
XLSX. A year that is over has results, not a forecast: its table has no forecast column and
says whether the target was met.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from lms.constants import TARGET_GROUP_LABELS, label
from lms.exports import Cell, number_cell, percent_cell
from lms.formatting import locale
from lms.org.models import Unit
from lms.stats.queries import BreakdownRow, Figure

Table = tuple[list[str], list[list[Any]]]


def _assessment(figure: Figure, past: bool) -> str:
    if figure.on_track is None:
        return ""
    if past:
        return _("target met") if figure.on_track else _("target not met")
    return _("on track") if figure.on_track else _("behind")


def _title(figure: Figure) -> str:
    if figure.title_en and locale().language == "en":
        return figure.title_en
    return figure.title


def _amount(figure: Figure, value: float | None) -> Cell | None:
    """A share as a percentage; a head count as a number of people."""
    if figure.kind == "count_people":
        return number_cell(round(value) if value is not None else None)
    return percent_cell(value)


def figures_table(unit: Unit, year: int, figures: list[Figure], *, past: bool) -> Table:
    header = [
        _("Unit"),
        _("Year"),
        _("Indicator"),
        _("Target group"),
        _("Achieved"),
        _("Total"),
        _("Result"),
        _("Target"),
    ]
    if not past:
        header.append(_("Forecast at the cut-off"))
    header += [_("Assessment"), _("Without a unit or group"), _("Indicator code")]
    rows: list[list[Any]] = []
    for f in figures:
        row: list[Any] = [
            unit.name,
            year,
            _title(f),
            label(TARGET_GROUP_LABELS, f.target_group) if f.target_group else "",
            number_cell(f.numerator),
            number_cell(f.denominator),
            _amount(f, f.value),
            _amount(f, f.target),
        ]
        if not past:
            row.append(_amount(f, f.forecast))
        row += [_assessment(f, past), number_cell(f.unassigned), f.code]
        rows.append(row)
    return header, rows


DIMENSIONS = {
    "unit": lambda: _("Unit"),
    "target_group": lambda: _("Target group"),
    "course": lambda: _("Course"),
    "month": lambda: _("Month"),
}

SHEETS = {
    "unit": lambda: _("By unit"),
    "target_group": lambda: _("By target group"),
    "course": lambda: _("By course"),
    "month": lambda: _("By month"),
}


def _row_label(row: BreakdownRow, group_by: str) -> str:
    if group_by == "target_group":
        if row.key == "unassigned":
            return _("No target group")
        return label(TARGET_GROUP_LABELS, row.key)
    return row.label


def breakdown_table(rows: list[BreakdownRow], group_by: str) -> Table:
    header = [DIMENSIONS[group_by](), _("Course completions"), _("Certificates issued")]
    body: list[list[Any]] = [
        [_row_label(r, group_by), number_cell(r.completions), number_cell(r.certificates)]
        for r in rows
    ]
    return header, body


def figures_sheet_name(year: int) -> str:
    return _("Indicators %(year)s", year=year)


def breakdown_sheet_name(group_by: str) -> str:
    return SHEETS[group_by]()
