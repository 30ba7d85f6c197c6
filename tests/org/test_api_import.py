from __future__ import annotations

import io
from typing import Any

import pytest
from sqlalchemy import func, select

from lms.extensions import db
from lms.org.models import Unit
from lms.org.services.imports import COLUMNS
from tests.uploads import unreadable

HEADER = ",".join(COLUMNS)
GOOD = f"{HEADER}\nQT-A,Phường A,,commune,QT,,,,,\nQT,Tỉnh Quảng Trị,,province,,,,,QT,15\n"


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(Unit)) or 0


def test_import_csv_body(client: Any, admin: Any, auth_headers: Any) -> None:
    response = client.post(
        "/api/v1/units/import",
        data=GOOD.encode(),
        content_type="text/csv",
        headers=auth_headers(admin),
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"created": 2, "updated": 0, "moved": 0, "unchanged": 0}


def test_import_file_field_with_move_date(client: Any, admin: Any, auth_headers: Any) -> None:
    headers = auth_headers(admin)
    client.post("/api/v1/units/import", data=GOOD, content_type="text/csv", headers=headers)
    moved = GOOD + "QT-B,Phường B,,commune,QT,,,,,\n"
    moved = moved.replace("QT-A,Phường A,,commune,QT", "QT-A,Phường A,,commune,QT-B")
    upload = {"file": (io.BytesIO(moved.encode("utf-16")), "tree.csv")}
    response = client.post(
        "/api/v1/units/import?on=2026-02-01",
        data=upload,
        content_type="multipart/form-data",
        headers=headers,
    )
    assert response.get_json() == {"created": 1, "updated": 1, "moved": 1, "unchanged": 1}
    history = client.get("/api/v1/units/QT-A?include=history", headers=headers).get_json()[
        "history"
    ]
    assert [(h["parent"], h["valid_to"]) for h in history] == [("QT", "2026-01-31"), ("QT-B", None)]


def test_import_rejects_whole_file_with_row_errors(
    client: Any, admin: Any, auth_headers: Any
) -> None:
    bad = GOOD + "QT-C,,,commune,QT-NOPE,,,,,\n"
    response = client.post(
        "/api/v1/units/import", data=bad, content_type="text/csv", headers=auth_headers(admin)
    )
    assert response.status_code == 422
    assert response.get_json()["errors"] == {
        "rows.3.name": ["Missing data for required field."],
    }
    bad = GOOD + "QT-C,C,,commune,QT-NOPE,,,,,\n"
    response = client.post(
        "/api/v1/units/import", data=bad, content_type="text/csv", headers=auth_headers(admin)
    )
    assert response.get_json()["errors"] == {"rows.3.parent_code": ["Unknown unit QT-NOPE."]}
    assert count() == 0


def test_import_refusals(
    client: Any, tree: dict, admin: Any, hp_official: Any, auth_headers: Any
) -> None:
    assert (
        client.post("/api/v1/units/import", data=GOOD, content_type="text/csv").status_code == 401
    )
    official = client.post(
        "/api/v1/units/import",
        data=GOOD,
        content_type="text/csv",
        headers=auth_headers(hp_official),
    )
    assert official.status_code == 403
    from tests.org.conftest import forget_login

    forget_login()
    headers = auth_headers(admin)
    latin = client.post(
        "/api/v1/units/import",
        data=GOOD.encode("utf-8") + "Hải".encode("cp1252", "replace") + b"\xe9",
        content_type="text/csv",
        headers=headers,
    )
    assert latin.status_code == 400
    assert "UTF-8" in latin.get_json()["message"]
    json_body = client.post("/api/v1/units/import", json=[], headers=headers)
    assert json_body.status_code == 400
    no_file = client.post(
        "/api/v1/units/import",
        data={"other": (io.BytesIO(b"x"), "x.csv")},
        content_type="multipart/form-data",
        headers=headers,
    )
    assert no_file.status_code == 400
    header = client.post(
        "/api/v1/units/import", data="code,name\nA,B\n", content_type="text/csv", headers=headers
    )
    assert header.status_code == 422
    assert "header" in header.get_json()["errors"]
    bad_on = client.post(
        "/api/v1/units/import?on=soon", data=GOOD, content_type="text/csv", headers=headers
    )
    assert bad_on.status_code == 422
    cycle = f"{HEADER}\nHP,Thành phố Hải Phòng,,province,HP-LC-1,,,,,\n"
    response = client.post(
        "/api/v1/units/import", data=cycle, content_type="text/csv", headers=headers
    )
    assert response.status_code == 422
    assert "cycle" in response.get_json()["errors"]["rows.1.parent_code"][0]


TREE_FILES = unreadable(HEADER, "QT-A,Phường Lê Lợi,,commune,QT,,,,,")


@pytest.mark.parametrize("fault", list(TREE_FILES))
def test_a_tree_file_that_cannot_be_read_is_400(
    client: Any, admin: Any, auth_headers: Any, fault: str
) -> None:
    before = count()
    response = client.post(
        "/api/v1/units/import",
        data={"file": (io.BytesIO(TREE_FILES[fault]), "tree.csv")},
        content_type="multipart/form-data",
        headers=auth_headers(admin),
    )
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["errors"] == {"file": [response.get_json()["message"]]}
    assert count() == before
