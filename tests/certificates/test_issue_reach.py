"""Nobody issues another province's serials or counts in another province's figures.

The attack of issue 11: a Quảng Trị trainer issued certificates with Hải Phòng serials that
counted in Hải Phòng's figures (through a class in a Hải Phòng ward, or with an override
reason to a Hải Phòng person who had joined their class).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from lms.auth.models import Role, User
from lms.certificates.models import Certificate
from lms.classes.enrollments import enroll
from lms.classes.models import EnrollmentSource
from lms.extensions import db
from tests.auth.factories import make_demo_tree
from tests.catalog.helpers import login
from tests.certificates.factories import CERTIFIED
from tests.factories import make_class, make_course, make_signer, make_user

Headers = Callable[[User], dict[str, str]]


@pytest.fixture
def world(db: object) -> dict[str, Any]:
    units = make_demo_tree()
    make_signer(units["HP"])
    make_signer(units["QT"], name="Lê Quang Vinh")
    course = make_course(
        **{**CERTIFIED, "indicators": ("leaders_trained",), "rule": {"lessons": "all"}}
    )
    trainer_qt = make_user(roles=(Role.trainer,), unit=units["QT-DONGHOI"])
    klass = make_class(course, units["QT-DONGHOI"], trainers=[trainer_qt])
    leader_hp = make_user("lanhdao@example.vn", unit=units["HP-HONGBANG"], target_group="leader")
    leader_qt = make_user("lanhdao.qt@example.vn", unit=units["QT-DONGHOI"], target_group="leader")
    # The Hải Phòng leader joins the Quảng Trị class on their own; the other is enrolled.
    enrollments = {
        "hp": enroll(leader_hp, course, by=leader_hp, source=EnrollmentSource.self, klass=klass),
        "qt": enroll(leader_qt, course, by=trainer_qt, source=EnrollmentSource.klass, klass=klass),
    }
    return {
        "units": units,
        "course": course,
        "trainer_qt": trainer_qt,
        "official_hp": make_user(roles=(Role.official,), unit=units["HP"]),
        "klass": klass,
        "leader_hp": leader_hp,
        "enrollments": enrollments,
    }


def _held_by(user: User) -> list[Certificate]:
    return list(db.session.scalars(select(Certificate).where(Certificate.user_id == user.id)))


def test_a_trainer_cannot_certify_a_person_of_another_province_with_a_reason(
    client: FlaskClient, world: dict[str, Any], auth_headers: Headers
) -> None:
    enrollment = world["enrollments"]["hp"]
    response = client.post(
        f"/api/v1/enrollments/{enrollment.id}/certificate",
        json={"override_reason": "Đã học đủ."},
        headers=auth_headers(world["trainer_qt"]),
    )
    assert response.status_code == 404
    assert _held_by(world["leader_hp"]) == []


def test_bulk_issue_skips_people_of_another_province(
    client: FlaskClient, world: dict[str, Any], auth_headers: Headers
) -> None:
    enrollments = world["enrollments"]
    response = client.post(
        f"/api/v1/classes/{world['klass'].code}/certificates",
        json={
            "override_reasons": {
                str(enrollments["hp"].id): "Đã học đủ.",
                str(enrollments["qt"].id): "Đi công tác một buổi.",
            }
        },
        headers=auth_headers(world["trainer_qt"]),
    )
    assert response.status_code == 200
    body = response.get_json()
    assert [row["serial"][:8] for row in body["issued"]] == ["QT-2026-"]
    assert [(row["enrollment_id"], row["reason"]) for row in body["skipped"]] == [
        (enrollments["hp"].id, "outside_area")
    ]
    assert _held_by(world["leader_hp"]) == []


def test_no_hai_phong_serial_from_quang_tri(
    client: FlaskClient, world: dict[str, Any], auth_headers: Headers
) -> None:
    """The ways to an HP serial are closed: a class in Hải Phòng cannot be made or moved to,
    and a Hải Phòng official cannot issue in a Quảng Trị class they do not run."""
    headers = auth_headers(world["trainer_qt"])
    made = client.post(
        "/api/v1/classes",
        json={"code": "HP-GIA", "course": world["course"].slug, "unit": "HP-HONGBANG"},
        headers=headers,
    )
    moved = client.patch(
        f"/api/v1/classes/{world['klass'].code}", json={"unit": "HP-HONGBANG"}, headers=headers
    )
    assert (made.status_code, moved.status_code) == (403, 403)
    by_city = client.post(
        f"/api/v1/enrollments/{world['enrollments']['hp'].id}/certificate",
        json={"override_reason": "Đã học đủ."},
        headers=auth_headers(world["official_hp"]),
    )
    assert by_city.status_code == 404
    assert not db.session.scalars(
        select(Certificate).where(Certificate.serial.startswith("HP-"))
    ).all()


def test_the_class_page_issues_only_to_members_one_reaches(
    client: FlaskClient, world: dict[str, Any]
) -> None:
    login(client, world["trainer_qt"])
    response = client.post(
        f"/certificates/classes/{world['klass'].code}",
        data={
            "enrollment_id": str(world["enrollments"]["hp"].id),
            "override_reason": "Đã học đủ.",
        },
    )
    assert response.status_code == 302
    assert _held_by(world["leader_hp"]) == []
