"""One rule for phone numbers: every way in stores and finds the same form."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient
from openpyxl import Workbook
from sqlalchemy import select

from lms.auth.models import User
from lms.auth.services import set_password
from lms.extensions import db
from tests.auth.conftest import PASSWORD
from tests.factories import make_class, make_course

Headers = Callable[[User], dict[str, str]]


def test_users_import_keeps_the_leading_zero_so_the_person_can_log_in(
    client: FlaskClient, people: dict[str, User], auth_headers: Headers
) -> None:
    body = (
        "email,phone,full_name,unit_code,target_group,roles\n"
        ",912346611,Đỗ Văn Tư,HP-HONGBANG,community_tech,\n"
        ",+84 988.000.222,Lê Thị Năm,HP-HONGBANG,community_tech,\n"
    )
    response = client.post(
        "/api/v1/users/import",
        data=body.encode(),
        content_type="text/csv",
        headers=auth_headers(people["official_hb"]),
    )
    assert response.status_code == 201, response.get_json()
    tu = db.session.scalar(select(User).where(User.phone == "0912346611"))
    assert tu is not None
    assert tu.full_name == "Đỗ Văn Tư"
    assert db.session.scalar(select(User).where(User.phone == "0988000222")) is not None
    set_password(tu, PASSWORD)
    db.session.commit()
    for typed in ("0912346611", "0912 346 611", "+84912346611", "912346611"):
        response = client.post("/login", data={"login": typed, "password": PASSWORD})
        assert response.status_code == 302, typed
        client.post("/logout")


def test_every_import_refuses_a_number_that_is_not_a_mobile(
    client: FlaskClient, people: dict[str, User], auth_headers: Headers, units: Any
) -> None:
    headers = auth_headers(people["official_hb"])
    body = "email,phone,full_name,unit_code\n,0912 345 6,Sai Số,HP-HONGBANG\n"
    response = client.post(
        "/api/v1/users/import", data=body.encode(), content_type="text/csv", headers=headers
    )
    assert response.status_code == 422
    assert "rows.2.phone" in response.get_json()["errors"]
    course = make_course(open=False)
    klass = make_class(course, unit=units["HP-HONGBANG"])
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Họ và tên", "Số điện thoại"])
    sheet.append(["Sai Số", "0912 345 6"])
    sheet.append(["Đúng Số", 912000333])  # a number cell: the zero is gone
    buffer = io.BytesIO()
    book.save(buffer)
    response = client.post(
        f"/api/v1/classes/{klass.code}/enrollments/import",
        query_string={"dry_run": "true"},
        data={"file": (io.BytesIO(buffer.getvalue()), "lop.xlsx")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 422, response.get_json()
    errors = response.get_json()["errors"]
    # Spreadsheet row numbers (the header is row 1): the wrong number is on row 2.
    assert "rows.2.phone" in errors
    assert "rows.3.phone" not in errors


def test_users_api_stores_one_form_and_refuses_a_short_number(
    client: FlaskClient, people: dict[str, User], auth_headers: Headers
) -> None:
    headers = auth_headers(people["official_hb"])
    base = {"full_name": "Bà Sáu", "unit_code": "HP-HONGBANG"}
    response = client.post("/api/v1/users", json=base | {"phone": "0912 345 6"}, headers=headers)
    assert response.status_code == 422
    assert "phone" in response.get_json()["errors"]
    response = client.post(
        "/api/v1/users", json=base | {"phone": "84 977 123 456"}, headers=headers
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["phone"] == "0977123456"
    # The same number in another spelling is the same person.
    response = client.post("/api/v1/users", json=base | {"phone": "977.123.456"}, headers=headers)
    assert response.status_code == 409


def test_registering_twice_in_two_spellings_is_refused(client: FlaskClient, units: Any) -> None:
    form = {
        "full_name": "Bà Hoa",
        "password": "mat khau 146",
        "password2": "mat khau 146",
        "consent": "1",
    }
    assert client.post("/register", data=form | {"login": "+84 977 000 146"}).status_code == 302
    client.post("/logout")
    response = client.post("/register", data=form | {"login": "0977000146"})
    assert "Đã có người dùng với số điện thoại này." in response.get_data(as_text=True)
    response = client.post("/register", data=form | {"login": "0977 000 14"})
    assert response.status_code == 422


def test_login_field_takes_an_email_or_a_phone_without_an_email_keyboard(
    client: FlaskClient, db: object
) -> None:
    html = client.get("/login").get_data(as_text=True)
    field = html[html.index('<input id="login"') :].split(">", 1)[0]
    assert 'type="text"' in field
    assert 'autocomplete="username"' in field
    assert "inputmode" not in field
