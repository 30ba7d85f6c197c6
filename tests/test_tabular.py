"""The one reader of uploaded tables: encodings, delimiters, NULs, cell sizes, XLSX."""

from __future__ import annotations

import io
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
