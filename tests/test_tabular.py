"""The one reader of uploaded tables: encodings, delimiters, NULs, cell sizes, XLSX."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from datetime import date, datetime

import pytest
from flask import Flask
from flask_babel import force_locale
from openpyxl import Workbook

from lms import tabular
from lms.errors import BadRequest
from lms.tabular import Unreadable, read_csv, read_table, read_xlsx
from tests.uploads import unreadable, windows_1258

ROWS = [["email", "full_name"], ["an@example.vn", "Nguyễn Văn An"]]


@pytest.fixture(autouse=True)
def _english(app: Flask) -> Iterator[None]:
    with app.test_request_context(), force_locale("en"):
        yield


@pytest.mark.parametrize(
    "data",
    [
        "email,full_name\nan@example.vn,Nguyễn Văn An\n".encode(),
        "\ufeffemail,full_name\r\nan@example.vn,Nguyễn Văn An\r\n".encode(),
        "email,full_name\nan@example.vn,Nguyễn Văn An\n".encode("utf-16"),
        "email,full_name\nan@example.vn,Nguyễn Văn An\n".encode("utf-16-be").join(
            [b"\xfe\xff", b""]
        ),
        "email;full_name\nan@example.vn;Nguyễn Văn An\n".encode(),
        "email\tfull_name\nan@example.vn\tNguyễn Văn An\n".encode("utf-16"),
        " email , full_name \n an@example.vn ,  Nguyễn Văn An \n".encode(),
    ],
    ids=["utf-8", "utf-8-bom-crlf", "utf-16-le", "utf-16-be", "semicolons", "tabs", "spaces"],
)
def test_csv_in_the_encodings_and_delimiters_spreadsheets_write(data: bytes) -> None:
    assert read_csv(data) == ROWS


def test_delimiter_is_decided_by_the_header_outside_quotes() -> None:
    assert tabular.delimiter('"Họ, tên";email\n') == ";"
    assert tabular.delimiter("\n\nemail\n") == ","
    assert read_csv(b'"ho, ten";email\n"Le, A";a@x.vn\n') == [
        ["ho, ten", "email"],
        ["Le, A", "a@x.vn"],
    ]


def test_blank_rows_are_kept_so_row_numbers_match_the_spreadsheet() -> None:
    assert read_csv(b"a,b\n\n1,2\n") == [["a", "b"], [], ["1", "2"]]


def test_windows_1258_is_refused_with_the_line_and_what_to_do() -> None:
    data = windows_1258("email,full_name\nan@example.vn,Nguyễn Văn An\n")
    with pytest.raises(Unreadable) as err:
        read_csv(data)
    assert err.value.status_code == 400
    assert isinstance(err.value, BadRequest)
    assert err.value.line == 2
    assert "Windows-1258" in err.value.message
    assert 'Save it as "CSV UTF-8"' in err.value.message
    assert err.value.errors == {"file": [err.value.message]}


def test_nul_bytes_are_refused_naming_the_line() -> None:
    with pytest.raises(Unreadable, match="Line 3 of the file contains a NUL") as err:
        read_csv(b"a,b\n1,2\n3,\x004\n")
    assert err.value.line == 3


def test_utf16_without_its_mark_reads_as_nul_bytes() -> None:
    with pytest.raises(Unreadable, match="NUL"):
        read_csv("a,b\n".encode("utf-16-le"))


def test_a_cell_over_the_limit_names_row_and_column() -> None:
    long = "x" * (tabular.MAX_CELL + 1)
    with pytest.raises(Unreadable) as err:
        read_csv(f"a,b\n1,2\n3,{long}\n".encode())
    assert (err.value.row, err.value.column) == (3, 2)
    assert err.value.message == "Row 3, column 2 has a value longer than 32,767 characters."
    assert read_csv(f"a\n{'x' * tabular.MAX_CELL}\n".encode())[1][0] == "x" * tabular.MAX_CELL


def test_a_cell_past_the_csv_modules_own_limit_is_the_same_400() -> None:
    with pytest.raises(Unreadable) as err:
        read_csv(f"a,b\n1,{'x' * 200_000}\n".encode())
    assert err.value.row == 2
    assert "longer than 32,767 characters" in err.value.message


def test_the_message_is_vietnamese_for_vietnamese_readers() -> None:
    with force_locale("vi"):
        with pytest.raises(Unreadable) as err:
            read_csv(windows_1258("a\nLê Văn Tám\n"))
        assert "không phải văn bản UTF-8" in err.value.message
        with pytest.raises(Unreadable) as err:
            read_csv(f"a\n{'x' * 40_000}\n".encode())
        assert err.value.message == "Hàng 2, cột 1 có một giá trị dài hơn 32.767 ký tự."


@pytest.mark.parametrize("fault", list(unreadable("a,b", "1,Lê Văn Tám")))
def test_every_unreadable_file_is_one_400(fault: str) -> None:
    data = unreadable("a,b", "1,Lê Văn Tám")[fault]
    with pytest.raises(Unreadable) as err:
        read_table(data, "upload.csv")
    assert err.value.status_code == 400


def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_xlsx_cells_read_as_the_text_a_person_sees() -> None:
    data = _xlsx(
        [
            ["phone", "on", "at", "score", "empty"],
            [912345678.0, date(2026, 3, 1), datetime(2026, 3, 2, 9, 30), 7.5, None],
        ]
    )
    assert read_xlsx(data) == [
        ["phone", "on", "at", "score", "empty"],
        ["912345678", "2026-03-01", "2026-03-02", "7.5", ""],
    ]
    assert read_table(data) == read_table(data, "x.xlsx") == read_xlsx(data)


def test_a_broken_xlsx_is_400() -> None:
    with pytest.raises(Unreadable, match=r"not a valid \.xlsx"):
        read_table(b"not a zip", "results.xlsx")


def test_a_workbook_sent_where_csv_is_expected_says_so() -> None:
    with pytest.raises(Unreadable, match="Excel workbook"):
        read_csv(_xlsx(ROWS))


_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_PARTS = {
    "[Content_Types].xml": (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
    ),
    "_rels/.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Target="xl/workbook.xml" Type="http://schemas.openxmlformats'
        '.org/officeDocument/2006/relationships/officeDocument"/></Relationships>'
    ),
    "xl/workbook.xml": (
        f"<workbook {_NS} "
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="http://schemas'
        '.openxmlformats.org/officeDocument/2006/relationships/worksheet"/></Relationships>'
    ),
}


def _raw_xlsx(sheet_data: str, *, dimension: str | None = None, padding: int = 0) -> bytes:
    """An .xlsx written by hand, as an attacker would: its sheet XML is exactly this."""
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    sheet = f"<worksheet {_NS}>{dim}<sheetData>{sheet_data}</sheetData>{' ' * padding}</worksheet>"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, text in {**_PARTS, "xl/worksheets/sheet1.xml": sheet}.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def test_a_declared_dimension_past_the_limits_does_not_pad_the_rows() -> None:
    """A sheet may declare any size; past the limits the rows are read as far as their cells
    go (a CSV's rows are ragged the same way)."""
    data = _raw_xlsx(
        f'<row r="1">{_cell("A1", "a")}{_cell("B1", "b")}</row><row r="2">{_cell("A2", "1")}</row>',
        dimension="A1:XFD1048576",
    )
    assert read_xlsx(data) == [["a", "b"], ["1"]]


def test_a_tiny_xlsx_claiming_a_million_rows_is_refused() -> None:
    """1.5 KB that declared A1:XFD1048576 and a last cell made the reader build 17 billion
    cells (the worker ran out of memory)."""
    data = _raw_xlsx(
        f'<row r="1">{_cell("A1", "a")}</row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>',
        dimension="A1:XFD1048576",
    )
    assert len(data) < 2_000
    with pytest.raises(Unreadable, match="more than 200,000 rows"):
        read_xlsx(data)


def test_an_xlsx_with_too_many_cells_is_refused() -> None:
    """Each row as wide as its last cell: 300 rows ending in column XFD are 4.9 million."""
    rows = "".join(f'<row r="{n}"><c r="XFD{n}"><v>1</v></c></row>' for n in range(1, 300))
    with pytest.raises(Unreadable, match="more than 4,000,000 cells"):
        read_xlsx(_raw_xlsx(rows))


def test_an_xlsx_that_unpacks_past_the_limit_is_refused_before_it_is_parsed() -> None:
    data = _raw_xlsx(f'<row r="1">{_cell("A1", "a")}</row>', padding=tabular.MAX_UNPACKED)
    assert len(data) < tabular.MAX_UNPACKED // 100
    with pytest.raises(Unreadable, match="unpacks to more than 64 MB"):
        read_xlsx(data)


def test_a_csv_of_millions_of_blank_lines_is_refused_before_it_is_parsed() -> None:
    """19 MB of newlines (under the upload limit) took 1.4 GB to hold as rows."""
    with pytest.raises(Unreadable, match="more than 200,000 rows"):
        read_csv(b"a\n" + b"\n" * tabular.MAX_ROWS)


def test_a_csv_row_of_millions_of_cells_is_refused_before_it_is_parsed() -> None:
    with pytest.raises(Unreadable, match="more than 4,000,000 cells"):
        read_csv(b"a;b\n" + b";" * tabular.MAX_CELLS)


def test_a_csv_at_the_row_limit_is_read() -> None:
    rows = read_csv(b"a\n" + b"1\n" * (tabular.MAX_ROWS - 1))
    assert len(rows) == tabular.MAX_ROWS


def test_a_cell_naming_a_shared_string_that_is_not_there_is_400() -> None:
    """openpyxl raised IndexError (a 500) for ``t="s"`` past the shared strings."""
    with pytest.raises(Unreadable, match=r"not a valid \.xlsx"):
        read_xlsx(_raw_xlsx('<row r="1"><c r="A1" t="s"><v>99</v></c></row>'))
