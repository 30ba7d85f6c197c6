"""The tables people upload, CSV or XLSX: one reader and one error policy for every import.

Officials export from Excel, LibreOffice or Google Sheets, and each saves CSV its own way:
UTF-8 with or without a byte-order mark, UTF-16 with one (Excel's "Unicode text"), ``,`` or
``;`` or a tab between the cells. All of those are read. Anything else (Windows-1258 or another
legacy code page, a UTF-16 file without its mark, a binary file) is refused rather than guessed,
because a wrong guess silently corrupts Vietnamese names. A file that cannot be read as a table
raises :class:`Unreadable`, which every API answers with 400 and a message that says what to do
and where (line, row, column); problems *in* the rows (a bad email on row 3) are each import's
own checks and stay 422.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from datetime import date, datetime
from typing import Any

from flask_babel import format_decimal
from flask_babel import gettext as _

from lms.errors import BadRequest

#: The longest text a cell may hold: Excel's own limit, so no file a spreadsheet saved is refused.
MAX_CELL = 32_767
#: Rows read from one file, blank ones included: twice the largest import (users, 100,000).
MAX_ROWS = 200_000
#: Cells read from one file (each row as wide as its last cell): 100,000 rows of 40 columns.
MAX_CELLS = 4_000_000
#: What the parts of an .xlsx may unpack to. A 20 MB upload can inflate a thousandfold, and
#: openpyxl holds the shared strings in memory; 100,000 rows of ten cells take about 40 MB.
MAX_UNPACKED = 64 * 1024 * 1024
#: The 400 every import documents in the OpenAPI description.
UNREADABLE = (
    "The file cannot be read as a table: neither CSV in UTF-8 or UTF-16 (with its byte-order "
    "mark) nor .xlsx, a NUL character, a cell over 32,767 characters, more than 200,000 rows "
    "or 4,000,000 cells, or an .xlsx unpacking to more than 64 MB; nothing written"
)
_XLSX_MAGIC = b"PK\x03\x04"
_XLS_MAGIC = b"\xd0\xcf\x11\xe0"  # the binary .xls of Excel 97-2003 (an OLE container)
_DELIMITERS = (",", ";", "\t")


class Unreadable(BadRequest):
    """The upload cannot be read as a table; 400, with the place of the problem when known.

    ``line`` is a line of the text file (encoding and NUL problems), ``row``/``column`` a cell
    as a spreadsheet numbers it (row 1 is the first row of the file, the header).
    """

    def __init__(
        self,
        message: str,
        *,
        line: int | None = None,
        row: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(message, errors={"file": [message]})
        self.line = line
        self.row = row
        self.column = column


def decode(data: bytes) -> str:
    """The text of an uploaded CSV: UTF-8 (BOM optional) or UTF-16 with a BOM."""
    if data.startswith(_XLSX_MAGIC):
        raise Unreadable(
            _('This is an Excel workbook (.xlsx), not CSV text. Save it as "CSV UTF-8".')
        )
    if data.startswith(_XLS_MAGIC):
        raise Unreadable(_('This is an old Excel workbook (.xls). Save it as "CSV UTF-8".'))
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise Unreadable(
                _('The file is not valid UTF-16 text. Save it as "CSV UTF-8".')
            ) from exc
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise Unreadable(
                _(
                    "The file is not UTF-8 text (first bad byte on line %(line)s): it is saved "
                    'in another encoding, such as Windows-1258. Save it as "CSV UTF-8" and '
                    "upload it again.",
                    line=line,
                ),
                line=line,
            ) from exc
    return text


def delimiter(text: str) -> str:
    """``,``, ``;`` or tab: whichever splits the first non-blank line into the most cells.

    Spreadsheets in locales with a decimal comma write ``;``; "Unicode text" writes tabs. The
    header decides, parsed as CSV so that a quoted ``"Họ, tên"`` does not count; a tie (one
    column) is a comma.
    """
    first = next((line for line in io.StringIO(text, newline="") if line.strip()), "")

    def cells(candidate: str) -> int:
        try:
            return len(next(csv.reader([first], delimiter=candidate), []))
        except csv.Error:
            return 0

    return max(_DELIMITERS, key=cells)


def read_csv(data: bytes) -> list[list[str]]:
    """Rows of stripped cells from CSV bytes, row 1 first (blank rows kept, so numbers hold)."""
    return parse_csv(decode(data))


def parse_csv(text: str) -> list[list[str]]:
    """Rows of stripped cells from already decoded CSV text (see :func:`read_csv`)."""
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise Unreadable(
            _(
                "Line %(line)s of the file contains a NUL character: it is not CSV text "
                '(perhaps UTF-16 without a byte-order mark). Save it as "CSV UTF-8".',
                line=line,
            ),
            line=line,
        )
    # Bounded before parsing: every row ends at a line break and every cell at a delimiter,
    # so these counts (done in C) bound what the csv module would build. 19 MB of newlines
    # were 1.4 GB of rows.
    lines = max(text.count("\n"), text.count("\r"))
    if lines > MAX_ROWS:
        raise _too_big_rows()
    sep = delimiter(text)
    if lines + text.count(sep) >= MAX_CELLS:
        raise _too_big_cells()
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    rows: list[list[str]] = []
    try:
        for record in reader:
            rows.append(_checked([cell.strip() for cell in record], len(rows) + 1))
    except csv.Error as exc:
        row = len(rows) + 1
        if "field larger than field limit" in str(exc):
            raise _too_long(row, None) from exc
        raise Unreadable(
            _("Row %(row)s is not valid CSV: %(error)s", row=row, error=str(exc)), row=row
        ) from exc
    return rows


def read_xlsx(data: bytes) -> list[list[str]]:
    """Rows of text cells of the first sheet (read-only, cached values rather than formulas).

    A workbook is a zip of XML that says its own size: the parts' unpacked sizes are checked
    before anything is parsed (zipfile stops a part at the size it declares), the sheet's
    declared dimension is ignored when it is past the limits (openpyxl pads every row to it,
    and a 1.5 KB file declaring ``A1:XFD1048576`` is 17 billion cells), and rows and cells are
    counted as they are read.
    """
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    rows: list[list[str]] = []
    cells = 0
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED:
                raise Unreadable(
                    _(
                        "The spreadsheet unpacks to more than %(n)s MB.",
                        n=format_decimal(MAX_UNPACKED // (1024 * 1024)),
                    )
                )
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            width, height = sheet.max_column or 0, sheet.max_row or 0
            if height > MAX_ROWS or width * height > MAX_CELLS:
                sheet.reset_dimensions()  # each row as wide as its own last cell
            for values in sheet.iter_rows(values_only=True):
                cells += len(values)
                if len(rows) >= MAX_ROWS:
                    raise _too_big_rows()
                if cells > MAX_CELLS:
                    raise _too_big_cells()
                rows.append(_checked([_text(v) for v in values], len(rows) + 1))
        finally:
            book.close()
    # A broken sheet surfaces while reading: the XML parsers' errors derive from SyntaxError,
    # a cell naming a shared string past the list is an IndexError inside openpyxl.
    except (
        zipfile.BadZipFile,
        InvalidFileException,
        KeyError,
        IndexError,
        ValueError,
        OSError,
        SyntaxError,
    ) as exc:
        raise Unreadable(
            _("The spreadsheet could not be read: it is not a valid .xlsx file.")
        ) from exc
    return rows


def read_table(data: bytes, filename: str | None = None) -> list[list[str]]:
    """CSV or XLSX (by the file's first bytes, or its ``.xlsx`` name) as rows of cells."""
    if data.startswith(_XLSX_MAGIC) or (filename or "").lower().endswith(".xlsx"):
        return read_xlsx(data)
    return read_csv(data)


def _text(value: Any) -> str:
    """A spreadsheet value as the text a person sees: whole numbers without ``.0``, ISO dates."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _checked(cells: list[str], row: int) -> list[str]:
    for index, cell in enumerate(cells, start=1):
        if len(cell) > MAX_CELL:
            raise _too_long(row, index)
    return cells


def _too_big_rows() -> Unreadable:
    return Unreadable(_("The file has more than %(n)s rows.", n=format_decimal(MAX_ROWS)))


def _too_big_cells() -> Unreadable:
    return Unreadable(_("The file has more than %(n)s cells.", n=format_decimal(MAX_CELLS)))


def _too_long(row: int, column: int | None) -> Unreadable:
    limit = format_decimal(MAX_CELL)
    if column is None:
        message = _("Row %(row)s has a value longer than %(n)s characters.", row=row, n=limit)
    else:
        message = _(
            "Row %(row)s, column %(column)s has a value longer than %(n)s characters.",
            row=row,
            column=column,
            n=limit,
        )
    return Unreadable(message, row=row, column=column)
