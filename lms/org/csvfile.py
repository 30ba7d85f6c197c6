"""Reading the CSV files operators upload: encodings, delimiters, headers, row numbers.

Spreadsheets in Vietnam are saved as UTF-8 (often with a BOM), UTF-16 (Excel's "Unicode
text") or, from older tools, with ``;`` as the delimiter; all of those are read. Anything
else is refused with 400 rather than guessed, because a wrong guess corrupts names.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from flask_babel import gettext as _

from lms.errors import BadRequest, Invalid


def decode(data: bytes) -> str:
    """Decode an uploaded file: UTF-8 (BOM optional) or UTF-16 with a BOM."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise BadRequest(_("The file is not valid UTF-16 text.")) from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadRequest(
            _(
                "The file is not UTF-8 text (error at byte %(pos)s). Save it as CSV UTF-8.",
                pos=exc.start,
            )
        ) from exc


def read_rows(
    text: str, *, required: Iterable[str], optional: Iterable[str] = ()
) -> list[tuple[int, dict[str, str]]]:
    """Parse CSV ``text`` into dicts keyed by the header, values stripped.

    The header must name every ``required`` column and nothing outside ``required`` and
    ``optional``. Each row comes with its number, the one error paths use
    (``rows.<n>.<column>``): 1 for the first row under the header, counting blank rows
    (which are skipped) so that it matches the spreadsheet's row number minus one.
    """
    required, optional = list(required), list(optional)
    if "\x00" in text:
        raise BadRequest(_("The file contains NUL bytes; it is not a CSV text file."))
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    if not first:
        raise Invalid(_("The file is empty."), errors={"file": [_("No header row.")]})
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        records = list(reader)
    except csv.Error as exc:
        raise BadRequest(_("The file is not valid CSV: %(error)s", error=str(exc))) from exc
    while records and not any(cell.strip() for cell in records[0]):
        records.pop(0)
    header = [cell.strip().lower() for cell in records[0]]
    errors: dict[str, list[str]] = {}
    unknown = [name for name in header if name not in required and name not in optional]
    missing = [name for name in required if name not in header]
    if unknown:
        errors["header"] = [_("Unknown columns: %(names)s.", names=", ".join(unknown))]
    if missing:
        errors.setdefault("header", []).append(
            _("Missing columns: %(names)s.", names=", ".join(missing))
        )
    if len(set(header)) != len(header):
        errors.setdefault("header", []).append(_("A column appears twice."))
    if errors:
        raise Invalid(_("The header row is not right."), errors=errors)
    rows: list[tuple[int, dict[str, str]]] = []
    for number, record in enumerate(records[1:], start=1):
        if not any(cell.strip() for cell in record):
            continue
        if len(record) > len(header):
            errors[f"rows.{number}"] = [
                _("%(n)s values for %(m)s columns.", n=len(record), m=len(header))
            ]
        values = {
            name: (record[i].strip() if i < len(record) else "") for i, name in enumerate(header)
        }
        rows.append((number, values))
    if errors:
        raise Invalid(_("Some rows have errors; nothing was imported."), errors=errors)
    if not rows:
        raise Invalid(_("The file has no data rows."), errors={"file": [_("No data rows.")]})
    return rows
