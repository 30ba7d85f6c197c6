"""Trainers act within their own unit subtree, or on classes an official assigned them to.

The attacks of issue 11: a Quảng Trị trainer created a class in a Hải Phòng ward (201),
enrolled anyone by id or email (and learned from 404 vs 201 whether an email had an account),
and read phones and emails on the roster.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from lms.auth.models import Role, User
from lms.classes.models import Class, Enrollment
from lms.extensions import db
from tests.auth.factories import make_demo_tree
from tests.catalog.helpers import login
from tests.factories import enrol, make_class, make_course, make_user

Headers = Callable[[User], dict[str, str]]


@pytest.fixture
def world(db: object) -> dict[str, Any]:
    units = make_demo_tree()
    course = make_course(open=True)
    trainer_qt = make_user("trainer.qt@example.vn", roles=(Role.trainer,), unit=units["QT-DONGHOI"])
    return {
        "units": units,
        "course": course,
        "trainer_qt": trainer_qt,
        "trainer_hp": make_user(
            "trainer.hp@example.vn", roles=(Role.trainer,), unit=units["HP-SKHCN"]
        ),
        "official_hb": make_user(
            "official.hb@example.vn", roles=(Role.official,), unit=units["HP-HONGBANG"]
        ),
        "citizen_hp": make_user(
            "nguyen.hoa@example.vn",
            unit=units["HP-HONGBANG"],
            phone="0912345678",
            full_name="Nguyễn Thị Hoa",
        ),
        "citizen_qt": make_user(
            "khoa@example.vn", unit=units["QT-DONGHOI"], phone="0987654321", full_name="Phạm Khoa"
        ),
        "qt_class": make_class(course, unit=units["QT-DONGHOI"], trainers=[trainer_qt]),
    }


def _classes() -> int:
    return int(db.session.scalar(select(func.count()).select_from(Class)) or 0)


def test_a_trainer_of_another_province_cannot_create_a_class_in_a_hai_phong_ward(
    client: FlaskClient, world: dict[str, Any], auth_headers: Headers
) -> None:
    before = _classes()
    body = {"code": "QT-HP-01", "course": world["course"].slug, "title": "Lớp lạ"}
    headers = auth_headers(world["trainer_qt"])
    response = client.post("/api/v1/classes", json=body | {"unit": "HP-HONGBANG"}, headers=headers)
    assert response.status_code == 403
    assert response.get_json()["message"] == "This unit is outside your area."
    assert _classes() == before
    own = client.post("/api/v1/classes", json=body | {"unit": "QT-DONGHOI"}, headers=headers)
    assert own.status_code == 201
    assert own.get_json()["trainers"][0]["id"] == world["trainer_qt"].id


def test_the_new_class_form_refuses_a_unit_of_another_province(
    client: FlaskClient, world: dict[str, Any]
) -> None:
    login(client, world["trainer_qt"])
    form = client.get("/classes/new").get_data(as_text=True)
    assert 'value="QT-DONGHOI"' in form
    assert 'value="HP-HONGBANG"' not in form
    before = _classes()
    response = client.post(
        "/classes/new",
        data={"code": "QT-HP-02", "course": world["course"].slug, "unit": "HP-HONGBANG"},
    )
    assert response.status_code == 422
    assert "This unit is outside your area." in response.get_data(as_text=True)
    assert _classes() == before


def test_a_trainer_cannot_move_their_class_into_another_province(
    client: FlaskClient, world: dict[str, Any], auth_headers: Headers
) -> None:
    klass = world["qt_class"]
    response = client.patch(
        f"/api/v1/classes/{klass.code}",
        json={"unit": "HP-HONGBANG"},
        headers=auth_headers(world["trainer_qt"]),
    )
    assert response.status_code == 403
    assert db.session.get(Class, klass.id).unit.code == "QT-DONGHOI"


def test_enrolling_someone_of_another_area_answers_exactly_like_an_unknown_person(
    client: FlaskClient, world: dict[str, Any], auth_headers: Headers
) -> None:
    url = f"/api/v1/classes/{world['qt_class'].code}/enrollments"
    headers = auth_headers(world["trainer_qt"])
    hoa = world["citizen_hp"]
    unknown_id = hoa.id + 10_000
    answers = [
        client.post(url, json=body, headers=headers)
        for body in (
            {"login": hoa.email},
            {"login": "khong.co.ai@example.vn"},
            {"login": hoa.phone},
            {"login": "0900000000"},
            {"user_id": hoa.id},
            {"user_id": unknown_id},
        )
    ]
    assert {a.status_code for a in answers} == {404}
    assert len({a.get_data() for a in answers}) == 1  # not a byte of difference
    assert db.session.scalar(select(Enrollment.id).where(Enrollment.user_id == hoa.id)) is None
    own = client.post(url, json={"login": world["citizen_qt"].email}, headers=headers)
    assert own.status_code == 201


def test_a_trainer_names_co_trainers_only_within_reach(
    client: FlaskClient, world: dict[str, Any], auth_headers: Headers
) -> None:
    url = f"/api/v1/classes/{world['qt_class'].code}"
    headers = auth_headers(world["trainer_qt"])
    stranger = world["trainer_hp"]
    named = client.patch(url, json={"trainer_ids": [stranger.id]}, headers=headers)
    unknown = client.patch(url, json={"trainer_ids": [stranger.id + 10_000]}, headers=headers)
    assert named.status_code == unknown.status_code == 422
    assert named.get_json()["errors"]["trainer_ids"] == [f"Unknown user(s): {stranger.id}."]
    assert "Nguyễn" not in named.get_data(as_text=True)  # no names of other areas


def test_roster_shows_contacts_only_of_members_one_reaches(
    client: FlaskClient, world: dict[str, Any], auth_headers: Headers
) -> None:
    klass, hoa, khoa = world["qt_class"], world["citizen_hp"], world["citizen_qt"]
    # Hoa of Hải Phòng joins the Quảng Trị class herself; Khoa is enrolled by his trainer.
    joined = client.post(
        f"/api/v1/courses/{world['course'].slug}/enroll",
        json={"class": klass.code},
        headers=auth_headers(hoa),
    )
    assert joined.status_code == 201
    enrol(khoa, world["course"], klass=klass, by=world["trainer_qt"])
    headers = auth_headers(world["trainer_qt"])
    roster = {
        row["user"]["full_name"]: row["user"]
        for row in client.get(f"/api/v1/classes/{klass.code}/roster", headers=headers).get_json()
    }
    assert (roster["Nguyễn Thị Hoa"]["email"], roster["Nguyễn Thị Hoa"]["phone"]) == (None, None)
    assert roster["Phạm Khoa"]["email"] == "khoa@example.vn"
    one = client.get(f"/api/v1/enrollments/{joined.get_json()['id']}", headers=headers)
    assert one.status_code == 200
    assert one.get_json()["user"]["email"] is None
    # Hoa herself still sees her own contacts.
    mine = client.get(f"/api/v1/enrollments/{joined.get_json()['id']}", headers=auth_headers(hoa))
    assert mine.get_json()["user"]["email"] == "nguyen.hoa@example.vn"

    login(client, world["trainer_qt"])
    page = client.get(f"/classes/{klass.code}").get_data(as_text=True)
    export = client.get(f"/classes/{klass.code}/roster.csv").get_data(as_text=True)
    for text in (page, export):
        assert "Nguyễn Thị Hoa" in text
        assert "nguyen.hoa@example.vn" not in text
        assert "0912345678" not in text
        assert "khoa@example.vn" in text


def test_an_import_refuses_people_and_units_of_another_area(
    client: FlaskClient, world: dict[str, Any], auth_headers: Headers
) -> None:
    text = (
        "email,phone,full_name,unit_code,target_group\n"
        "nguyen.hoa@example.vn,,,,\n"
        "moi@example.vn,,Người Mới,HP-HONGBANG,citizen\n"
        "khoa@example.vn,,,,\n"
    )
    response = client.post(
        f"/api/v1/classes/{world['qt_class'].code}/enrollments/import",
        data={"file": (io.BytesIO(text.encode()), "ds.csv")},
        content_type="multipart/form-data",
        headers=auth_headers(world["trainer_qt"]),
    )
    assert response.status_code == 422
    assert response.get_json()["errors"] == {
        "rows.2.email": ["This person is outside your area."],
        "rows.3.unit_code": ["This unit is outside your area."],
    }
    assert db.session.scalar(select(User.id).where(User.email == "moi@example.vn")) is None


def test_a_trainer_assigned_by_the_wards_official_runs_the_class_there(
    client: FlaskClient, world: dict[str, Any], auth_headers: Headers
) -> None:
    """The other half of the rule: a ward's official opens a class and assigns a trainer of
    another unit (the Department of Science and Technology); the trainer enrols the ward's
    people and sees their contacts."""
    trainer = world["trainer_hp"]
    created = client.post(
        "/api/v1/classes",
        json={
            "code": "HB-CNS-01",
            "course": world["course"].slug,
            "unit": "HP-HONGBANG",
            "trainer_ids": [trainer.id],
        },
        headers=auth_headers(world["official_hb"]),
    )
    assert created.status_code == 201, created.get_json()
    headers = auth_headers(trainer)
    enrolled = client.post(
        "/api/v1/classes/HB-CNS-01/enrollments",
        json={"login": "nguyen.hoa@example.vn"},
        headers=headers,
    )
    assert enrolled.status_code == 201
    roster = client.get("/api/v1/classes/HB-CNS-01/roster", headers=headers).get_json()
    assert roster[0]["user"]["phone"] == "0912345678"
    # ...but not a class of their own elsewhere in the city: the ward is not their unit.
    own = client.post(
        "/api/v1/classes",
        json={"code": "HB-CNS-02", "course": world["course"].slug, "unit": "HP-HONGBANG"},
        headers=headers,
    )
    assert own.status_code == 403
