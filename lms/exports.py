"""CSV and XLSX downloads, with spreadsheet formulas neutralised.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a
formula by Excel and LibreOffice (CSV injection); such text gets a leading apostrophe.
Numbers stay numbers.

A :class:`Cell` carries a number (or date) with how the reader sees it: the CSV, which is text,
gets the text in the reader's language (``14,4%``, ``180.010``, ``06/12/2026``); the XLSX gets
the number itself with a number format, which the spreadsheet shows in its own locale.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Response
from openpyxl import Workbook
from openpyxl.styles import Font

from lms import formatting

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Cell:
    """A value with its text (for CSV) and its number format (for XLSX)."""

    value: Any
    text: str
    number_format: str | None = None


def number_cell(value: int | float | None) -> Cell | None:
    if value is None:
        return None
    whole = float(value) == int(value)
    return Cell(value, formatting.number(value), "#,##0" if whole else "#,##0.0")


def percent_cell(value: float | None) -> Cell | None:
    """A share already in percent (``14.4``): ``14,4%`` in CSV, 0.144 formatted as % in XLSX."""
    if value is None:
        return None
    return Cell(round(value / 100, 6), formatting.percent(value), "0.0%")


def date_cell(value: date | None) -> Cell | None:
    if value is None:
        return None
    return Cell(value, formatting.vdate(value), "dd/mm/yyyy")


def safe_cell(value: Any) -> Any:
    if isinstance(value, Cell):
        return value.value
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow(["" if v is None else safe_cell(_text(v)) for v in row])
    # A BOM so that Excel opens Vietnamese text as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _text(value: Any) -> Any:
    return value.text if isinstance(value, Cell) else value


def xlsx_bytes(sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> bytes:
    """One workbook, one sheet per ``(title, header, rows)``."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(title=title[:31])
        sheet.append([safe_cell(h) for h in header])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([safe_cell(v) for v in row])
            for cell, value in zip(sheet[sheet.max_row], row, strict=False):
                if isinstance(value, Cell) and value.number_format:
                    cell.number_format = value.number_format
        for column in sheet.columns:
            width = max((_width(c.value) for c in column if c.value is not None), default=8)
            sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 8), 60)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _width(value: Any) -> int:
    return 10 if isinstance(value, date) else len(str(value))


MEDIA_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "zip": "application/zip",
}
#: What an endpoint with ``?format=csv|xlsx`` documents beside its JSON (``doc(produces=...)``).
TABLE_DOWNLOADS: dict[str, None] = {MEDIA_TYPES["csv"]: None, MEDIA_TYPES["xlsx"]: None}


def download(data: bytes, filename: str, kind: str) -> Response:
    # Werkzeug adds "; charset=utf-8" to a text/* mimetype itself: naming it here doubled it.
    mimetype = MEDIA_TYPES[kind]
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
