"""The header and row numbers of the CSV files the tree and headcount imports read.

Decoding and splitting the file (encodings, delimiters, NUL bytes, cell sizes) is
:mod:`lms.tabular`'s, as for every import; this module checks the columns and numbers the rows.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _

from lms.errors import Invalid
from lms.tabular import parse_csv


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
    records = parse_csv(text)
    while records and not any(records[0]):
        records.pop(0)
    if not records:
        raise Invalid(_("The file is empty."), errors={"file": [_("No header row.")]})
    header = [cell.lower() for cell in records[0]]
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
        if not any(record):
            continue
        if len(record) > len(header):
            errors[f"rows.{number}"] = [
                _("%(n)s values for %(m)s columns.", n=len(record), m=len(header))
            ]
        values = {name: (record[i] if i < len(record) else "") for i, name in enumerate(header)}
        rows.append((number, values))
    if errors:
        raise Invalid(_("Some rows have errors; nothing was imported."), errors=errors)
    if not rows:
        raise Invalid(_("The file has no data rows."), errors={"file": [_("No data rows.")]})
    return rows
