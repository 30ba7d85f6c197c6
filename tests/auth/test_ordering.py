"""People and wards in Vietnamese alphabetical order: the users list (paged in the database,
on SQLite and PostgreSQL alike) and the sign-up form's ward picker."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import insert

from lms.auth.models import Role, User
from lms.extensions import db
from lms.org import services as org
from lms.org.models import Unit
from tests.auth.conftest import PASSWORD
from tests.factories import make_user

#: The order a Vietnamese list of people is read in: by given name, then family and middle.
PEOPLE = [
    "Lê Văn An",
    "Nguyễn Thị An",
    "Đỗ Thị Ánh",
    "Trần Văn Bình",
    "Vũ Thị Dung",
    "Phạm Văn Đức",
    "Hoàng Thị Hà",
    "Bùi Văn Hải",
    "Đặng Thị Kiều",
    "Ngô Văn Kính",
]


def test_people_page_in_vietnamese_order(client: FlaskClient, units: dict[str, Unit]) -> None:
    unit = units["HP-HONGBANG"]
    admin = make_user("admin.sort@example.vn", roles=(Role.admin,), unit=unit, full_name="Ư")
    for n, name in enumerate(reversed(PEOPLE)):
        make_user(f"p{n}@example.vn", full_name=name, unit=unit)
    # A row written by a bulk insert (an import) gets its sort key too.
    db.session.execute(
        insert(User).values(email="bulk@example.vn", full_name="Mai Văn Bách", unit_id=unit.id)
    )
    db.session.flush()
    expected = [*PEOPLE[:3], "Mai Văn Bách", *PEOPLE[3:], "Ư"]  # Ư: the admin, last
    token = client.post(
        "/api/v1/auth/tokens", json={"login": admin.email, "password": PASSWORD}
    ).json["token"]
    response = client.get("/api/v1/users?per_page=6", headers={"Authorization": f"Bearer {token}"})
    first = [u["full_name"] for u in response.json["items"]]
    response = client.get(
        "/api/v1/users?per_page=6&page=2", headers={"Authorization": f"Bearer {token}"}
    )
    second = [u["full_name"] for u in response.json["items"]]
    assert first + second == expected


def test_ward_picker_in_vietnamese_order(client: FlaskClient, units: dict[str, Unit]) -> None:
    province = units["HP"]
    for code, name in (
        ("HP-X-KM", "Phường Kinh Môn"),
        ("HP-X-DS", "Phường Đồ Sơn"),
        ("HP-X-DK", "Phường Dương Kinh"),
        ("HP-X-KA", "Phường Kiến An"),
        ("HP-X-HA", "Phường Hải An"),
    ):
        org.create_unit(code=code, name=name, kind="commune", parent=province, by=None)
    db.session.flush()
    html = client.get("/register").text
    group = html[html.index(f'<optgroup label="{province.name}">') :]
    group = group[: group.index("</optgroup>")]
    names = [n for n in re.findall(r">([^<]+)</option>", group) if n.startswith("Phường ")]
    mine = [
        n
        for n in names
        if n.split(" ", 1)[1] in {"Kinh Môn", "Đồ Sơn", "Dương Kinh", "Kiến An", "Hải An"}
    ]
    assert mine == [
        "Phường Dương Kinh",
        "Phường Đồ Sơn",
        "Phường Hải An",
        "Phường Kiến An",
        "Phường Kinh Môn",
    ]
