"""A person's date of birth: given by whoever adds them (API, /users import, class import), or
by the person; printed on certificates (issue 17), in their copy of their data, gone when they
are deleted. Dates are read day first, as Vietnamese documents write them."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from lms import periods
from lms.auth import importer
from lms.auth.models import User
from lms.auth.text import NotABirthDate, parse_birth_date
from lms.extensions import db
from lms.org.models import Unit
from tests.factories import make_class, make_course

Headers = Callable[[User], dict[str, str]]


@pytest.mark.parametrize(
    ("typed", "born"),
    [
        ("03/04/1990", date(1990, 4, 3)),
        ("3/4/1990", date(1990, 4, 3)),
        ("03-04-1990", date(1990, 4, 3)),
        ("03.04.1990", date(1990, 4, 3)),
        ("1990-04-03", date(1990, 4, 3)),  # an API, or a spreadsheet's date cell
        (" 29/02/2000 ", date(2000, 2, 29)),
        ("", None),
        (None, None),
    ],
)
def test_dates_of_birth_are_read_day_first(typed: str | None, born: date | None) -> None:
    assert parse_birth_date(typed) == born


@pytest.mark.parametrize(
    "typed",
    ["31/02/1990", "29/02/2001", "1990", "04/1990", "1990/04/03", "03/04/90", "x", "01/01/1899"],
)
def test_what_is_not_a_date_of_birth_is_refused(typed: str) -> None:
    with pytest.raises(NotABirthDate):
        parse_birth_date(typed)


def test_a_date_of_birth_in_the_future_is_refused(app: object) -> None:
    tomorrow = periods.today() + timedelta(days=1)
    with pytest.raises(NotABirthDate):
        parse_birth_date(tomorrow.strftime("%d/%m/%Y"))
    assert parse_birth_date(periods.today().strftime("%d/%m/%Y")) == periods.today()


def test_an_official_gives_a_date_of_birth_and_the_person_corrects_it(
    client: FlaskClient, people: dict[str, User], auth_headers: Headers
) -> None:
    body = {"email": "tam@example.vn", "full_name": "Lê Văn Tám", "unit_code": "HP-HONGBANG"}
    headers = auth_headers(people["official_hb"])
    response = client.post(
        "/api/v1/users", json=body | {"birth_date": "1985-12-01"}, headers=headers
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["birth_date"] == "1985-12-01"
    tam = db.session.get(User, response.get_json()["id"])
    assert tam is not None
    assert tam.birth_date == date(1985, 12, 1)

    hoa = people["learner_hb"]
    own = auth_headers(hoa)
    response = client.patch(
        f"/api/v1/users/{hoa.id}", json={"birth_date": "1992-07-15"}, headers=own
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["birth_date"] == "1992-07-15"
    response = client.patch(f"/api/v1/users/{hoa.id}", json={"birth_date": None}, headers=own)
    assert response.get_json()["birth_date"] is None


@pytest.mark.parametrize("value", ["2999-01-01", "1850-05-05", "03/04/1990", 1990])
def test_the_api_refuses_what_cannot_be_a_date_of_birth(
    client: FlaskClient, people: dict[str, User], auth_headers: Headers, value: object
) -> None:
    hoa = people["learner_hb"]
    response = client.patch(
        f"/api/v1/users/{hoa.id}",
        json={"birth_date": value},
        headers=auth_headers(hoa) | {"Accept-Language": "vi"},
    )
    assert response.status_code == 422, response.get_json()
    assert "birth_date" in response.get_json()["errors"]


def test_the_users_import_reads_dates_of_birth_and_names_the_bad_cell(
    client: FlaskClient, people: dict[str, User], auth_headers: Headers
) -> None:
    headers = auth_headers(people["official_hb"]) | {"Accept-Language": "vi"}
    text = (
        "email,full_name,unit_code,birth_date\n"
        "an@example.vn,Nguyễn Văn An,HP-HONGBANG,03/04/1990\n"
        "binh@example.vn,Lê Thị Bình,HP-HONGBANG,31/02/1990\n"
    )
    response = client.post("/api/v1/users/import", data=text.encode(), content_type="text/csv",
                           headers=headers)  # fmt: skip
    assert response.status_code == 422
    assert response.get_json()["errors"]["rows.3.birth_date"] == [
        "Ghi ngày sinh theo dạng ngày/tháng/năm (dd/mm/yyyy)."
    ]
    text = text.replace("31/02/1990", "")
    response = client.post("/api/v1/users/import", data=text.encode(), content_type="text/csv",
                           headers=headers)  # fmt: skip
    assert response.status_code == 201, response.get_json()
    an = db.session.scalar(select(User).where(User.email == "an@example.vn"))
    binh = db.session.scalar(select(User).where(User.email == "binh@example.vn"))
    assert an is not None
    assert binh is not None
    assert (an.birth_date, binh.birth_date) == (date(1990, 4, 3), None)


def test_a_big_users_import_keeps_dates_of_birth_through_its_job(
    client: FlaskClient, people: dict[str, User], auth_headers: Headers
) -> None:
    rows = [
        f"born{n}@example.vn,Người số {n},HP-HONGBANG,0{1 + n % 9}/01/1980"
        for n in range(importer.ASYNC_THRESHOLD + 1)
    ]
    text = "email,full_name,unit_code,birth_date\n" + "\n".join(rows) + "\n"
    response = client.post("/api/v1/users/import", data=text.encode(), content_type="text/csv",
                           headers=auth_headers(people["official_hb"]))  # fmt: skip
    assert response.status_code == 202, response.get_json()
    assert response.get_json()["status"] == "done"
    born = db.session.scalar(select(User.birth_date).where(User.email == "born10@example.vn"))
    assert born == date(1980, 1, 2)


def test_a_class_import_gives_new_people_their_date_of_birth(
    client: FlaskClient, people: dict[str, User], auth_headers: Headers, units: dict[str, Unit]
) -> None:
    klass = make_class(make_course(open=False), unit=units["HP-HONGBANG"],
                       trainers=[people["trainer"]], capacity=20)  # fmt: skip
    db.session.commit()
    text = "Họ và tên;Số điện thoại;Ngày sinh\nPhạm Thị Hoa;0912000111;05/09/1978\n"
    response = client.post(
        f"/api/v1/classes/{klass.code}/enrollments/import",
        data={"file": (io.BytesIO(text.encode("utf-8-sig")), "lop.csv")},
        headers=auth_headers(people["official_hb"]),
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["rows"][0]["birth_date"] == "1978-09-05"
    hoa = db.session.scalar(select(User).where(User.phone == "0912000111"))
    assert hoa is not None
    assert hoa.birth_date == date(1978, 9, 5)
