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


def test_activation_sheet_in_vietnamese_order(
    client: FlaskClient, units: dict[str, Unit], people: dict[str, User]
) -> None:
    """The printed slips and the XLSX go by ward, then by person, as the ward reads its lists:
    by code points "Phường Đồ Sơn" came after "Phường Hải An" and "Đỗ Thị Ánh" after "Vũ"."""
    import io

    from openpyxl import load_workbook

    from tests.auth.conftest import login

    wards = {}
    for code, name in (
        ("HP-Y-KM", "Phường Kinh Môn"),
        ("HP-Y-HA", "Phường Hải An"),
        ("HP-Y-DS", "Phường Đồ Sơn"),
        ("HP-Y-KA", "Phường Kiến An"),
    ):
        wards[name] = org.create_unit(
            code=code, name=name, kind="commune", parent=units["HP"], by=None
        )
    chosen = []
    for n, (ward, name) in enumerate(
        (
            ("Phường Kinh Môn", "Vũ Thị Dung"),
            ("Phường Đồ Sơn", "Phạm Văn Đức"),
            ("Phường Hải An", "Ngô Văn Kính"),
            ("Phường Đồ Sơn", "Đỗ Thị Ánh"),
            ("Phường Kiến An", "Đặng Thị Kiều"),
            ("Phường Hải An", "Bùi Văn Hải"),
            ("Phường Kinh Môn", "Lê Văn An"),
        )
    ):
        chosen.append(
            make_user(f"sheet{n}@example.vn", password=None, full_name=name, unit=wards[ward])
        )
    db.session.flush()
    login(client, people["official_hp"])
    xlsx = client.post(
        "/users/access",
        data={"channel": "sheet", "format": "xlsx", "user": [u.id for u in chosen]},
    )
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet is not None
    got = [(row[1].value, row[0].value) for row in sheet.iter_rows(min_row=2)]
    assert got == [
        ("Phường Đồ Sơn", "Đỗ Thị Ánh"),
        ("Phường Đồ Sơn", "Phạm Văn Đức"),
        ("Phường Hải An", "Bùi Văn Hải"),
        ("Phường Hải An", "Ngô Văn Kính"),
        ("Phường Kiến An", "Đặng Thị Kiều"),
        ("Phường Kinh Môn", "Lê Văn An"),
        ("Phường Kinh Môn", "Vũ Thị Dung"),
    ]
