"""Roster downloads as CSV and XLSX, with spreadsheet formulas neutralised.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a formula
by Excel and LibreOffice (CSV injection): such text gets a leading apostrophe. Numbers stay
numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from lms.classes.cohorts import RosterRow

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def roster_table(rows: list[RosterRow], sessions: int) -> tuple[list[str], list[list[Any]]]:
    header = [
        _("Full name"),
        _("Email"),
        _("Phone"),
        _("Unit"),
        _("Status"),
        _("Progress (%)"),
        _("Lessons done"),
        _("Quiz (%)"),
        _("Sessions attended"),
        _("Sessions"),
        _("Enrolled on"),
        _("Completed on"),
    ]
    body = []
    for row in rows:
        e, user = row.enrollment, row.user
        body.append(
            [
                user.full_name,
                (user.email or "") if row.show_contacts else "",
                (user.phone or "") if row.show_contacts else "",
                user.unit.code if user.unit else "",
                str(e.status),
                e.progress,
                e.lessons_done,
                round(e.quiz_score * 100, 1) if e.quiz_score is not None else "",
                row.sessions_present,
                sessions,
                e.enrolled_at.date().isoformat(),
                e.completed_at.date().isoformat() if e.completed_at else "",
            ]
        )
    return header, body


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow(["" if v is None else safe_cell(v) for v in row])
    # A BOM so that Excel opens Vietnamese text as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31] or "Roster"
    sheet.append([safe_cell(h) for h in header])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    for column in sheet.columns:
        width = max((len(str(c.value)) for c in column if c.value is not None), default=8)
        sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 8), 50)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
