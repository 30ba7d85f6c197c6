"""Trainers' and officials' pages: classes, attendance sheet, exports, enrolment, progress."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook

from lms.classes import cohorts
from tests.catalog.helpers import login, make_people
from tests.factories import enrol, make_class, make_course, make_user


@pytest.fixture
def people(db: object) -> dict[str, Any]:
    return make_people()


def test_trainer_sees_their_classes_only(client: FlaskClient, people: dict[str, Any]) -> None:
    course = make_course()
    make_class(course, code="MINE", title="Lớp của tôi", trainers=[people["trainer"]])
    make_class(course, code="THEIRS", title="Lớp khác", trainers=[people["other_trainer"]])
    login(client, people["trainer"])
    page = client.get("/trainer/classes").text
    assert "Lớp của tôi" in page
    assert "Lớp khác" not in page
    assert client.get("/classes/THEIRS").status_code == 404


def test_learners_get_403_on_trainer_pages(client: FlaskClient, people: dict[str, Any]) -> None:
    login(client, people["learner"])
    assert client.get("/trainer/classes").status_code == 403
    assert client.get("/enrol").status_code == 403


def test_create_class_with_sessions_through_the_form(
    client: FlaskClient, people: dict[str, Any]
) -> None:
    course = make_course(open=False)
    login(client, people["trainer"])
    assert client.get("/classes/new").status_code == 200
    form = {
        "course": course.slug,
        "code": "LD-01",
        "unit": people["commune"].code,
        "title": "Lớp lãnh đạo",
        "mode": "in_person",
        "capacity": "25",
        "starts_on": "2026-03-02",
        "ends_on": "2026-03-03",
        "session_date": ["2026-03-02", "2026-03-03", ""],
        "session_start": ["08:00", "08:00", "08:00"],
        "session_end": ["11:30", "11:30", "11:30"],
        "session_topic": ["Tầm nhìn", "Kế hoạch", ""],
    }
    response = client.post("/classes/new", data=form)
    assert response.status_code == 302, response.text
    klass = cohorts.get_class("LD-01")
    assert [s.topic for s in klass.sessions] == ["Tầm nhìn", "Kế hoạch"]
    assert [t.id for t in klass.trainers] == [people["trainer"].id]
    page = client.get("/classes/LD-01").text
    assert "Tầm nhìn" in page
    assert "Take attendance" in page


def test_create_class_form_shows_errors_next_to_fields(
    client: FlaskClient, people: dict[str, Any]
) -> None:
    login(client, people["trainer"])
    response = client.post(
        "/classes/new", data={"code": "x", "course": "", "unit": people["commune"].code}
    )
    assert response.status_code == 422
    assert 'id="code-error"' in response.text


def test_attendance_sheet_saves_toggles_and_notes(
    client: FlaskClient, people: dict[str, Any]
) -> None:
    course = make_course(lessons=1, rule={"lessons": "all", "attendance": 50}, open=False)
    klass = make_class(course, trainers=[people["trainer"]], sessions=2)
    here, away = make_user(full_name="Nguyễn Có Mặt"), make_user(full_name="Trần Vắng Mặt")
    for person in (here, away):
        enrol(person, course, klass=klass, by=people["trainer"])
    login(client, people["trainer"])
    url = f"/classes/{klass.code}/sessions/{klass.sessions[0].id}/attendance"
    page = client.get(url).text
    assert "Nguyễn Có Mặt" in page
    assert 'name="present"' in page
    response = client.post(url, data={"present": [str(here.id)], f"note-{away.id}": "Đi công tác"})
    assert response.status_code == 302
    marks = cohorts.session_attendance(klass.sessions[0])
    assert {m.enrollment_id: (m.present, m.note) for m in marks.values()} == {
        enrol_id(here, course): (True, None),
        enrol_id(away, course): (False, "Đi công tác"),
    }
    page = client.get(url).text
    assert "Đi công tác" in page


def enrol_id(user: Any, course: Any) -> int:
    from lms.classes.enrollments import enrollment_for

    return enrollment_for(user, course).id


def test_roster_exports_escape_formulas(client: FlaskClient, people: dict[str, Any]) -> None:
    course = make_course()
    klass = make_class(course, trainers=[people["trainer"]])
    enrol(make_user(full_name='=HYPERLINK("http://evil")'), course, klass=klass)
    enrol(make_user(full_name="Lê Văn Bình"), course, klass=klass)
    login(client, people["trainer"])
    csv_response = client.get(f"/classes/{klass.code}/roster.csv")
    assert csv_response.mimetype == "text/csv"
    assert csv_response.headers["Content-Type"] == "text/csv; charset=utf-8"  # one charset
    text = csv_response.data.decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    assert "Lê Văn Bình" in text
    assert csv_response.headers["Content-Disposition"] == (
        f'attachment; filename="roster-{klass.code}.csv"'
    )
    xlsx = client.get(f"/classes/{klass.code}/roster.xlsx")
    assert xlsx.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet.title == klass.code
    names = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert '\'=HYPERLINK("http://evil")' in names
    assert "Lê Văn Bình" in names


def test_import_page_points_to_the_api(client: FlaskClient, people: dict[str, Any]) -> None:
    klass = make_class(make_course(), trainers=[people["trainer"]])
    login(client, people["trainer"])
    page = client.get(f"/classes/{klass.code}/import").text
    assert f'data-api="/api/v1/classes/{klass.code}/enrollments/import"' in page
    # The preview's columns in words; the file's codes stay in the instructions only.
    assert "<th>Full name</th>" in page
    assert "<th>full_name</th>" not in page
    assert '"community_tech": "Community digital-technology teams"' in page
    # "Nothing was imported" is the server's message; the page does not repeat it.
    assert "upload it again. Nothing was imported." not in page


def test_class_page_says_what_an_import_did(client: FlaskClient, people: dict[str, Any]) -> None:
    klass = make_class(make_course(), trainers=[people["trainer"]])
    login(client, people["trainer"])
    page = client.get(f"/classes/{klass.code}?imported=12&skipped=1").text
    assert "The file was imported: 12 people added to the class, 1 already in it." in page
    assert 'id="import-done"' not in client.get(f"/classes/{klass.code}").text


def test_class_dates_out_of_order_are_said_in_words(
    client: FlaskClient, people: dict[str, Any]
) -> None:
    course = make_course(open=False)
    login(client, people["trainer"])
    form = {"course": course.slug, "code": "LD-02", "unit": people["commune"].code,
            "title": "Lớp", "starts_on": "2026-03-03", "ends_on": "2026-03-02"}  # fmt: skip
    response = client.post("/classes/new", data=form)
    assert response.status_code == 422
    assert "The class cannot end before it starts." in response.text
    assert "starts_on." not in response.text


def test_official_enrol_page_and_progress_page(client: FlaskClient, people: dict[str, Any]) -> None:
    course = make_course(title="Kỹ năng số cho cán bộ", lessons=2)
    inside = make_user(unit=people["commune"], full_name="Người Trong Xã")
    outside = make_user(unit=people["other"], full_name="Người Xã Khác")
    enrollment = enrol(inside, course)
    from lms.classes.completion import complete_lesson

    complete_lesson(enrollment, course.lessons[0])
    enrol(outside, course)
    login(client, people["official"])
    page = client.get("/enrol").text
    assert "Kỹ năng số cho cán bộ" in page
    assert people["commune"].code in page
    progress = client.get(f"/enrol/progress?course={course.slug}").text
    assert "Người Trong Xã" in progress
    assert "Người Xã Khác" not in progress
    assert 'aria-valuenow="50"' in progress
    only_done = client.get("/enrol/progress?status=completed").text
    assert "Nobody matches." in only_done
