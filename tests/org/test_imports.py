from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from lms.errors import BadRequest, Forbidden, Invalid
from lms.extensions import db
from lms.org import services
from lms.org.csvfile import read_rows
from lms.org.models import Unit, UnitPlacement
from lms.org.services.imports import COLUMNS, REQUIRED_COLUMNS
from lms.tabular import decode

HEADER = ",".join(COLUMNS)

TREE_CSV = f"""{HEADER}
QT-DONGHOI,Phường Đồng Hới,Dong Hoi Ward,commune,QT,2025-07-01,,,,
QT,Tỉnh Quảng Trị,Quang Tri Province,province,,,,,QT,15
QT-SKHCN,Sở Khoa học và Công nghệ,,agency,QT,,,,,

QB,Tỉnh Quảng Bình,,province,,,2025-06-30,QT,QB,15
"""


def parse(text: str) -> tuple[list[dict[str, str]], list[int]]:
    rows = read_rows(text, required=REQUIRED_COLUMNS, optional=COLUMNS)
    return [r for _n, r in rows], [n for n, _r in rows]


def run(text: str, **kwargs: Any) -> dict[str, int]:
    rows, numbers = parse(text)
    return services.import_units(rows, numbers=numbers, by=None, **kwargs)


def unit_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Unit)) or 0


def test_import_creates_parents_after_children(db: Any) -> None:
    assert run(TREE_CSV) == {"created": 4, "updated": 0, "moved": 0, "unchanged": 0}
    qt, ward = services.get_unit("QT"), services.get_unit("QT-DONGHOI")
    assert ward.parent is qt
    assert ward.path == f"/{qt.id}/{ward.id}/"
    assert ward.depth == 1
    assert (ward.valid_from, ward.name_en) == (date(2025, 7, 1), "Dong Hoi Ward")
    assert (qt.serial_prefix, qt.report_day) == ("QT", 15)
    qb = services.get_unit("QB")
    assert (qb.valid_to, qb.successor) == (date(2025, 6, 30), qt)
    assert services.get_unit("QT-SKHCN").valid_from == date(2000, 1, 1)
    placements = db.session.scalar(select(func.count()).select_from(UnitPlacement))
    assert placements == 4


def test_reimport_is_unchanged_and_updates_and_moves(db: Any) -> None:
    run(TREE_CSV)
    assert run(TREE_CSV) == {"created": 0, "updated": 0, "moved": 0, "unchanged": 4}
    changed = TREE_CSV.replace(
        "QT-SKHCN,Sở Khoa học và Công nghệ,,agency,QT", "QT-SKHCN,Sở KH&CN,,agency,QT-DONGHOI"
    )
    assert run(changed, on=date(2026, 1, 1)) == {
        "created": 0,
        "updated": 1,
        "moved": 1,
        "unchanged": 3,
    }
    unit = services.get_unit("QT-SKHCN")
    assert (unit.name, unit.parent.code, unit.depth) == ("Sở KH&CN", "QT-DONGHOI", 2)
    ids = select(Unit.code).where(
        Unit.id.in_(services.subtree_ids(services.get_unit("QT-DONGHOI"), on=date(2025, 12, 31)))
    )
    assert set(db.session.scalars(ids)) == {"QT-DONGHOI"}


def test_bad_rows_are_all_reported_and_nothing_is_written(db: Any) -> None:
    text = f"""{HEADER}
A,Tỉnh A,,province,,,,,,
B,,,planet,NOPE,2025-13-01,,,abc,40
C,Xã C,,commune,A,2025-01-01,2024-01-01,A,,
A,Again,,commune,,,,,,
bad code,x,,commune,,,,,,
"""
    with pytest.raises(Invalid) as err:
        run(text)
    assert err.value.errors == {
        "rows.2.name": ["Missing data for required field."],
        "rows.2.kind": [
            "Must be one of: province, district, commune, agency, school, enterprise, other."
        ],
        "rows.2.valid_from": ["Not a date; write YYYY-MM-DD."],
        "rows.2.serial_prefix": ["Use 1-10 capital letters or digits."],
        "rows.2.report_day": ["Must be a day of the month, 1-31."],
        "rows.3.valid_to": ["Must not be before valid_from."],
        "rows.4.code": ["Same code as row 1."],
        "rows.5.code": [
            "Use 1-50 letters, digits, '-', '_' or '.', starting with a letter or digit."
        ],
    }
    assert unit_count() == 0


def test_unknown_references_and_successor_rules(db: Any) -> None:
    text = f"""{HEADER}
A,Tỉnh A,,province,,,,,,
B,Xã B,,commune,NOPE,,,,,
C,Xã C,,commune,A,,2025-06-30,GONE,,
D,Xã D,,commune,A,,,A,,
E,Xã E,,commune,A,,2025-06-30,E,,
"""
    with pytest.raises(Invalid) as err:
        run(text)
    assert err.value.errors == {
        "rows.2.parent_code": ["Unknown unit NOPE."],
        "rows.3.successor_code": ["Unknown unit GONE."],
        "rows.4.successor_code": ["A successor needs valid_to (the last day)."],
        "rows.5.successor_code": ["A unit cannot succeed itself."],
    }
    assert unit_count() == 0


def test_cycles_are_detected_in_the_file_and_through_the_database(db: Any) -> None:
    text = f"""{HEADER}
A,A,,province,C,,,,,
B,B,,district,A,,,,,
C,C,,commune,B,,,,,
D,D,,commune,D,,,,,
"""
    with pytest.raises(Invalid) as err:
        run(text)
    assert set(err.value.errors) == {f"rows.{n}.parent_code" for n in (1, 2, 3, 4)}
    assert "cycle" in err.value.errors["rows.1.parent_code"][0]
    run(f"{HEADER}\nP,P,,province,,,,,,\nQ,Q,,district,P,,,,,\nR,R,,commune,Q,,,,,\n")
    with pytest.raises(Invalid) as err:  # P under R, while Q (not in the file) stays under P
        run(f"{HEADER}\nP,P,,province,R,,,,,\nR,R,,commune,Q,,,,,\n")
    assert "P → R → Q → P" in err.value.errors["rows.1.parent_code"][0]


def test_swapping_parent_and_child_works_in_one_file(db: Any) -> None:
    run(f"{HEADER}\nP,P,,province,,,,,,\nQ,Q,,district,P,,,,,\nR,R,,commune,Q,,,,,\n")
    result = run(f"{HEADER}\nQ,Q,,district,R,,,,,\nR,R,,commune,P,,,,,\n", on=date(2026, 1, 1))
    assert result["moved"] == 2
    q, r, p = services.get_unit("Q"), services.get_unit("R"), services.get_unit("P")
    assert q.path == f"/{p.id}/{r.id}/{q.id}/"


def test_moves_that_break_history_are_row_errors(db: Any) -> None:
    run(f"{HEADER}\nP,P,,province,,,,,,\nQ,Q,,district,P,,,,,\nS,S,,province,,,,,,\n")
    services.move_unit(services.get_unit("Q"), services.get_unit("S"), on=date(2026, 5, 1), by=None)
    with pytest.raises(Invalid) as err:
        run(f"{HEADER}\nQ,Q,,district,P,,,,,\n", on=date(2026, 1, 1))
    assert "date order" in err.value.errors["rows.1.parent_code"][0]


def test_officials_cannot_import_trees(db: Any) -> None:
    from lms.auth.models import Role
    from tests.factories import make_unit, make_user

    official = make_user(roles=(Role.official,), unit=make_unit("X"))
    rows, numbers = parse(TREE_CSV)
    with pytest.raises(Forbidden):
        services.import_units(rows, numbers=numbers, by=official)


# --- the CSV reader -----------------------------------------------------------------------------


def test_decode_accepts_utf8_bom_and_utf16_and_refuses_the_rest() -> None:
    assert decode("\ufeffcode,name".encode()) == "code,name"
    assert decode("code,Hải".encode("utf-16")) == "code,Hải"
    with pytest.raises(BadRequest, match="UTF-8"):
        decode("Hải Phòng".encode("windows-1252", errors="replace"))


def test_read_rows_header_problems() -> None:
    with pytest.raises(Invalid) as err:
        read_rows("code,name,colour\nA,B,red\n", required=REQUIRED_COLUMNS, optional=COLUMNS)
    assert err.value.errors["header"] == [
        "Unknown columns: colour.",
        "Missing columns: kind, parent_code.",
    ]
    with pytest.raises(Invalid):
        read_rows("", required=REQUIRED_COLUMNS)
    with pytest.raises(Invalid):
        read_rows(f"{HEADER}\n", required=REQUIRED_COLUMNS, optional=COLUMNS)


def test_read_rows_semicolons_blank_lines_and_numbers() -> None:
    rows = read_rows(
        "code;name;kind;parent_code\nA;Tỉnh A;province;\n\nB;Xã B;commune;A\n",
        required=REQUIRED_COLUMNS,
    )
    assert [n for n, _ in rows] == [1, 3]
    assert rows[1][1] == {"code": "B", "name": "Xã B", "kind": "commune", "parent_code": "A"}
    with pytest.raises(Invalid) as err:
        read_rows("code,name,kind,parent_code\nA,B,C,D,E\n", required=REQUIRED_COLUMNS)
    assert "rows.1" in err.value.errors
