"""Assigned enrollment: a target group of an official's area, through a background job."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from lms.classes import enrollments
from lms.classes.models import EnrollmentSource
from tests.catalog.helpers import make_people
from tests.factories import make_course, make_unit, make_user


@pytest.fixture
def area(db: object) -> dict[str, Any]:
    people = make_people()
    hamlet = make_unit(parent=people["commune"], name="Tổ dân phố 1")
    officials = [make_user(unit=people["commune"], target_group="official") for _ in range(3)]
    officials.append(make_user(unit=hamlet, target_group="official"))
    officials.append(make_user(unit=people["commune"], target_group="official", active=False))
    elsewhere = make_user(unit=people["other"], target_group="official")
    citizen = make_user(unit=people["commune"], target_group="citizen")
    return people | {"officials": officials, "elsewhere": elsewhere, "citizen": citizen}


def test_official_enrols_a_target_group_of_their_area(
    client: FlaskClient, auth_headers, area: dict[str, Any]
) -> None:  # type: ignore[no-untyped-def]
    course = make_course(open=False)
    enrollments.enroll(
        area["officials"][0], course, by=area["admin"], source=EnrollmentSource.assigned
    )
    headers = auth_headers(area["official"])
    response = client.post(
        f"/api/v1/courses/{course.slug}/assign",
        json={"unit": area["commune"].code, "target_group": "official"},
        headers=headers,
    )
    assert response.status_code == 202, response.json
    job = response.json
    assert job["status"] == "done"
    assert job["result"] == {
        "course": course.slug,
        "unit": area["commune"].code,
        "target_group": "official",
        "people": 4,
        "enrolled": 3,
        "already_enrolled": 1,
    }
    assert (job["done"], job["total"], job["percent"]) == (4, 4, 100)
    polled = client.get(response.headers["Location"], headers=headers)
    assert polled.json["id"] == job["id"]
    for user in area["officials"][:4]:
        enrollment = enrollments.enrollment_for(user, course)
        assert enrollment is not None
    assert enrollments.enrollment_for(area["officials"][1], course).source == "assigned"
    assert enrollments.enrollment_for(area["officials"][4], course) is None
    assert enrollments.enrollment_for(area["elsewhere"], course) is None
    assert enrollments.enrollment_for(area["citizen"], course) is None


def test_assigning_outside_your_area_is_forbidden(
    client: FlaskClient, auth_headers, area: dict[str, Any]
) -> None:  # type: ignore[no-untyped-def]
    course = make_course()
    response = client.post(
        f"/api/v1/courses/{course.slug}/assign",
        json={"unit": area["other"].code, "target_group": "official"},
        headers=auth_headers(area["official"]),
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"unit": "KHONG-CO", "target_group": "official"}, 404),
        ({"unit": "X", "target_group": "aliens"}, 422),
        ({"unit": "X"}, 422),
    ],
)
def test_bad_assignments(
    client: FlaskClient, auth_headers, area: dict[str, Any], body: dict, status: int
) -> None:  # type: ignore[no-untyped-def]
    course = make_course()
    response = client.post(
        f"/api/v1/courses/{course.slug}/assign", json=body, headers=auth_headers(area["admin"])
    )
    assert response.status_code == status


@pytest.mark.parametrize("role", ["trainer", "learner"])
def test_only_officials_and_admins_assign(
    client: FlaskClient, auth_headers, area: dict[str, Any], role: str
) -> None:  # type: ignore[no-untyped-def]
    course = make_course()
    response = client.post(
        f"/api/v1/courses/{course.slug}/assign",
        json={"unit": area["commune"].code, "target_group": "official"},
        headers=auth_headers(area[role]),
    )
    assert response.status_code == 403
