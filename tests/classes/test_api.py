"""Classes and enrollments API: CRUD, permissions, sessions, attendance, refusals."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from lms.classes import enrollments
from lms.classes.models import EnrollmentStatus
from tests.catalog.helpers import make_people
from tests.factories import enrol, make_class, make_course, make_user


@pytest.fixture
def people(db: object) -> dict[str, Any]:
    return make_people()


def class_body(course_slug: str, unit_code: str, **extra: Any) -> dict[str, Any]:
    return {
        "code": "LD-2026-01",
        "course": course_slug,
        "unit": unit_code,
        "title": "Lớp lãnh đạo sở",
        "mode": "in_person",
        "starts_on": "2026-03-02",
        "ends_on": "2026-03-03",
        "place": "Hội trường tầng 3",
        "capacity": 30,
        "sessions": [
            {"date": "2026-03-02", "starts_at": "08:00", "ends_at": "11:30", "topic": "Tầm nhìn"},
            {"date": "2026-03-03", "starts_at": "08:00", "ends_at": "11:30", "topic": "Kế hoạch"},
        ],
        **extra,
    }


def test_official_creates_a_class_with_sessions(
    client: FlaskClient, auth_headers, people: dict[str, Any]
) -> None:  # type: ignore[no-untyped-def]
    course = make_course(open=False)
    body = class_body(course.slug, people["commune"].code, trainer_ids=[people["trainer"].id])
    response = client.post("/api/v1/classes", json=body, headers=auth_headers(people["official"]))
    assert response.status_code == 201, response.json
    assert response.headers["Location"].endswith("/api/v1/classes/LD-2026-01")
    data = response.json
    assert data["course"]["slug"] == course.slug
    assert [s["topic"] for s in data["sessions"]] == ["Tầm nhìn", "Kế hoạch"]
    assert data["sessions"][0]["starts_at"] == "08:00:00"
    assert data["trainers"] == [
        {"id": people["trainer"].id, "full_name": people["trainer"].full_name}
    ]
    assert data["summary"] == {"enrolled": 0, "completed": 0, "withdrawn": 0, "places_left": 30}


def test_trainer_who_creates_a_class_teaches_it(
    client: FlaskClient, auth_headers, people: dict[str, Any]
) -> None:  # type: ignore[no-untyped-def]
    course = make_course()
    response = client.post(
        "/api/v1/classes",
        json=class_body(course.slug, people["commune"].code, sessions=[]),
        headers=auth_headers(people["trainer"]),
    )
    assert response.status_code == 201
    assert [t["id"] for t in response.json["trainers"]] == [people["trainer"].id]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"code": "x"}, "code"),
        ({"code": "LD-2026-01\n"}, "code"),
        ({"mode": "telepathy"}, "mode"),
        ({"capacity": 0}, "capacity"),
        ({"ends_on": "2026-01-01"}, "ends_on"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_create_class_with_bad_fields_is_422(
    client: FlaskClient, auth_headers, people: dict[str, Any], change: dict, field: str
) -> None:  # type: ignore[no-untyped-def]
    course = make_course()
    body = class_body(course.slug, people["commune"].code) | change
    response = client.post("/api/v1/classes", json=body, headers=auth_headers(people["admin"]))
    assert response.status_code == 422
    assert field in response.json["errors"]


def test_duplicate_class_code_is_409(
    client: FlaskClient, auth_headers, people: dict[str, Any]
) -> None:  # type: ignore[no-untyped-def]
    course = make_course()
    make_class(course, code="LD-2026-01")
    response = client.post(
        "/api/v1/classes",
        json=class_body(course.slug, people["commune"].code),
        headers=auth_headers(people["admin"]),
    )
    assert response.status_code == 409
    assert response.json["errors"] == {"code": ["Already used."]}


def test_official_cannot_create_a_class_outside_their_area(
    client: FlaskClient, auth_headers, people: dict[str, Any]
) -> None:  # type: ignore[no-untyped-def]
    course = make_course()
    response = client.post(
        "/api/v1/classes",
        json=class_body(course.slug, people["other"].code),
        headers=auth_headers(people["official"]),
    )
    assert response.status_code == 403


def test_learners_cannot_use_the_classes_api(
    client: FlaskClient, auth_headers, people: dict[str, Any]
) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/api/v1/classes").status_code == 401
    response = client.get("/api/v1/classes", headers=auth_headers(people["learner"]))
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("admin", {"A", "B", "C"}),
        ("official", {"A"}),
        ("province_official", {"A", "B"}),
        ("trainer", {"C"}),
        ("other_trainer", set()),
    ],
)
def test_class_list_is_limited_to_what_you_manage(
    client: FlaskClient, auth_headers, people: dict[str, Any], who: str, sees: set[str]
) -> None:  # type: ignore[no-untyped-def]
    course = make_course()
    make_class(course, code="A", unit=people["commune"])
    make_class(course, code="B", unit=people["other"])
    make_class(course, code="C", trainers=[people["trainer"]])
    response = client.get("/api/v1/classes", headers=auth_headers(people[who]))
    assert response.status_code == 200
    assert {c["code"] for c in response.json["items"]} == sees


def test_class_list_filters(client: FlaskClient, auth_headers, people: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    one, two = make_course(), make_course()
    make_class(one, code="A", unit=people["commune"], trainers=[people["trainer"]])
    make_class(two, code="B", unit=people["other"])
    headers = auth_headers(people["admin"])

    def codes(query: str) -> set[str]:
        response = client.get(f"/api/v1/classes?{query}", headers=headers)
        return {c["code"] for c in response.json["items"]}

    assert codes(f"course={two.slug}") == {"B"}
    assert codes(f"unit={people['commune'].code}") == {"A"}
    assert codes(f"unit={people['province'].code}") == {"A", "B"}
    assert codes("trainer=me") == set()
    trainer = auth_headers(people["trainer"])
    response = client.get("/api/v1/classes?trainer=me", headers=trainer)
    assert {c["code"] for c in response.json["items"]} == {"A"}


def test_someone_elses_class_is_404(
    client: FlaskClient, auth_headers, people: dict[str, Any]
) -> None:  # type: ignore[no-untyped-def]
    klass = make_class(make_course(), unit=people["other"])
    for who in ("official", "trainer"):
        response = client.get(f"/api/v1/classes/{klass.code}", headers=auth_headers(people[who]))
        assert response.status_code == 404


def test_patch_class_and_capacity_cannot_go_below_enrolled(
    client: FlaskClient, auth_headers, people: dict[str, Any]
) -> None:  # type: ignore[no-untyped-def]
    course = make_course()
    klass = make_class(course, unit=people["commune"], capacity=5)
    for _ in range(3):
        enrol(make_user(), course, klass=klass)
    headers = auth_headers(people["official"])
    response = client.patch(f"/api/v1/classes/{klass.code}", json={"capacity": 2}, headers=headers)
    assert response.status_code == 409
    response = client.patch(
        f"/api/v1/classes/{klass.code}",
        json={"capacity": 3, "place": "Phòng 2", "trainer_ids": [people["trainer"].id]},
        headers=headers,
    )
    assert response.status_code == 200
    assert response.json["place"] == "Phòng 2"
    assert response.json["summary"]["places_left"] == 0


def test_sessions_crud_and_attendance(
    client: FlaskClient, auth_headers, people: dict[str, Any]
) -> None:  # type: ignore[no-untyped-def]
    course = make_course(lessons=1, rule={"lessons": "all", "attendance": 100}, open=False)
    klass = make_class(course, trainers=[people["trainer"]])
    learners = [make_user(), make_user()]
    for learner in learners:
        enrol(learner, course, klass=klass, by=people["trainer"])
    headers = auth_headers(people["trainer"])
    response = client.post(
        f"/api/v1/classes/{klass.code}/sessions",
        json={"date": "2026-03-02", "starts_at": "08:00", "ends_at": "11:00", "topic": "Buổi 1"},
        headers=headers,
    )
    assert response.status_code == 201
    session_id = response.json["id"]
    response = client.patch(
        f"/api/v1/classes/{klass.code}/sessions/{session_id}",
        json={"topic": "Buổi sáng"},
        headers=headers,
    )
    assert response.json["topic"] == "Buổi sáng"
    bad = client.post(
        f"/api/v1/classes/{klass.code}/sessions",
        json={"date": "2026-03-02", "starts_at": "11:00", "ends_at": "08:00"},
        headers=headers,
    )
    assert bad.status_code == 422
    url = f"/api/v1/classes/{klass.code}/sessions/{session_id}/attendance"
    response = client.put(
        url,
        json=[
            {"user_id": learners[0].id, "present": True, "note": None},
            {"user_id": learners[1].id, "present": False, "note": "Đi công tác"},
        ],
        headers=headers,
    )
    assert response.status_code == 200, response.json
    marks = {row["user_id"]: (row["present"], row["note"]) for row in response.json["attendance"]}
    assert marks == {learners[0].id: (True, None), learners[1].id: (False, "Đi công tác")}
    roster = client.get(f"/api/v1/classes/{klass.code}/roster", headers=headers).json
    rates = {row["user"]["id"]: row["attendance_rate"] for row in roster}
    assert rates == {learners[0].id: 1.0, learners[1].id: 0.0}
    assert {row["user"]["id"]: row["sessions_present"] for row in roster}[learners[0].id] == 1
    not_a_list = client.put(url, json={"user_id": 1}, headers=headers)
    assert not_a_list.status_code == 400
    missing_field = client.put(url, json=[{"user_id": learners[0].id}], headers=headers)
    assert missing_field.status_code == 422
    assert "0.present" in missing_field.json["errors"]
    deleted = client.delete(f"/api/v1/classes/{klass.code}/sessions/{session_id}", headers=headers)
    assert deleted.status_code == 204
    assert client.get(url, headers=headers).status_code == 404


def test_enrol_one_person_into_a_class_by_login(
    client: FlaskClient, auth_headers, people: dict[str, Any]
) -> None:  # type: ignore[no-untyped-def]
    course = make_course()
    klass = make_class(course, trainers=[people["trainer"]], capacity=1)
    person = make_user("hoa@example.vn", unit=klass.unit)
    headers = auth_headers(people["trainer"])
    url = f"/api/v1/classes/{klass.code}/enrollments"
    response = client.post(url, json={"login": "HOA@example.vn"}, headers=headers)
    assert response.status_code == 201
    assert response.json["class_code"] == klass.code
    assert response.json["source"] == "class"
    again = client.post(url, json={"user_id": person.id}, headers=headers)
    assert again.status_code == 409
    full = client.post(url, json={"user_id": make_user(unit=klass.unit).id}, headers=headers)
    assert full.status_code == 409
    assert full.json["errors"] == {"class": ["The class is full."]}
    unknown = client.post(url, json={"login": "nobody@example.vn"}, headers=headers)
    assert unknown.status_code == 404


def test_self_enroll_and_refusals(client: FlaskClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
    open_course = make_course()
    closed_course = make_course(open=False)
    learner = make_user()
    headers = auth_headers(learner)
    response = client.post(f"/api/v1/courses/{open_course.slug}/enroll", headers=headers)
    assert response.status_code == 201
    assert response.json["status"] == "enrolled"
    assert response.json["source"] == "self"
    twice = client.post(f"/api/v1/courses/{open_course.slug}/enroll", headers=headers)
    assert twice.status_code == 409
    closed = client.post(f"/api/v1/courses/{closed_course.slug}/enroll", headers=headers)
    assert closed.status_code == 403
    assert client.post(f"/api/v1/courses/{open_course.slug}/enroll").status_code == 401
    assert client.post("/api/v1/courses/khong-co/enroll", headers=headers).status_code == 404


def test_self_enroll_into_a_class_respects_window_and_capacity(
    client: FlaskClient, auth_headers
) -> None:  # type: ignore[no-untyped-def]
    course = make_course(open=False)
    past = date.today() - timedelta(days=1)
    closed = make_class(course, enrol_closes_on=past)
    full = make_class(course, capacity=1)
    enrol(make_user(), course, klass=full)
    ok = make_class(course)
    headers = auth_headers(make_user())
    url = f"/api/v1/courses/{course.slug}/enroll"
    response = client.post(url, json={"class": closed.code}, headers=headers)
    assert (response.status_code, response.json["errors"]) == (
        409,
        {"class": ["The enrollment window is closed."]},
    )
    response = client.post(url, json={"class": full.code}, headers=headers)
    assert response.status_code == 409
    response = client.post(url, json={"class": ok.code}, headers=headers)
    assert response.status_code == 201
    assert response.json["class_code"] == ok.code


def test_learner_completes_lessons_and_sees_progress(client: FlaskClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
    course = make_course(lessons=2)
    learner = make_user()
    enrollment = enrol(learner, course)
    headers = auth_headers(learner)
    base = f"/api/v1/enrollments/{enrollment.id}/lessons"
    opened = client.post(f"{base}/bai-2/open", headers=headers)
    assert opened.json["last_lesson"] == {"slug": "bai-2", "title": "Bài 2"}
    response = client.post(f"{base}/bai-1/complete", headers=headers)
    assert response.status_code == 200
    assert (response.json["progress"], response.json["status"]) == (50, "in_progress")
    assert response.json["completion"]["met"] is False
    response = client.post(f"{base}/bai-2/complete", headers=headers)
    assert (response.json["progress"], response.json["status"]) == (100, "completed")
    assert client.post(f"{base}/khong-co/complete", headers=headers).status_code == 404
    mine = client.get("/api/v1/me/enrollments", headers=headers).json
    assert [(e["course"]["slug"], e["progress"]) for e in mine["items"]] == [(course.slug, 100)]


def test_only_the_learner_records_their_progress(
    client: FlaskClient, auth_headers, people: dict[str, Any]
) -> None:  # type: ignore[no-untyped-def]
    course = make_course()
    klass = make_class(course, trainers=[people["trainer"]])
    enrollment = enrol(people["learner"], course, klass=klass)
    url = f"/api/v1/enrollments/{enrollment.id}/lessons/bai-1/complete"
    assert client.post(url, headers=auth_headers(people["trainer"])).status_code == 403
    assert client.post(url, headers=auth_headers(make_user())).status_code == 404
    detail = client.get(
        f"/api/v1/enrollments/{enrollment.id}", headers=auth_headers(people["trainer"])
    )
    assert detail.status_code == 200
    assert detail.json["completion"]["rules"][0]["rule"] == "lessons"


def test_withdrawals(client: FlaskClient, auth_headers, people: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    course = make_course()
    klass = make_class(course, trainers=[people["trainer"]])
    mine = enrol(people["learner"], course)
    other = enrol(make_user(), course, klass=klass)
    stranger = enrol(make_user(), course)
    response = client.post(
        f"/api/v1/enrollments/{mine.id}/withdraw", headers=auth_headers(people["learner"])
    )
    assert (response.status_code, response.json["status"]) == (200, "withdrawn")
    again = client.post(
        f"/api/v1/enrollments/{mine.id}/withdraw", headers=auth_headers(people["learner"])
    )
    assert again.status_code == 409
    by_trainer = client.post(
        f"/api/v1/enrollments/{other.id}/withdraw", headers=auth_headers(people["trainer"])
    )
    assert by_trainer.status_code == 200
    not_theirs = client.post(
        f"/api/v1/enrollments/{stranger.id}/withdraw", headers=auth_headers(people["trainer"])
    )
    assert not_theirs.status_code == 404
    assert enrollments.enrollment_for(people["learner"], course) is None
    assert stranger.status == EnrollmentStatus.enrolled


def test_openapi_describes_the_endpoints(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").json
    for path in (
        "/api/v1/courses",
        "/api/v1/courses/{slug}",
        "/api/v1/courses/import",
        "/api/v1/classes",
        "/api/v1/classes/{code}/roster",
        "/api/v1/classes/{code}/sessions/{session_id}/attendance",
        "/api/v1/classes/{code}/enrollments/import",
        "/api/v1/courses/{slug}/assign",
        "/api/v1/me/enrollments",
        "/api/v1/enrollments/{enrollment_id}/lessons/{lesson_slug}/complete",
    ):
        assert path in spec["paths"], path
