"""Learner pages: catalog search, course page, lesson reader, my learning, assets."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lms.auth.models import Role
from lms.classes import enrollments
from lms.classes.models import EnrollmentStatus
from tests.catalog.helpers import import_good, login
from tests.factories import enrol, make_course, make_user


def test_catalog_page_finds_courses_typed_without_diacritics(client: FlaskClient) -> None:
    import_good()
    page = client.get("/courses?q=ky+nang+so").text
    assert "Basic digital skills" in page
    assert "Leading digital transformation" not in page
    assert "1 course found" in page


def test_catalog_page_is_vietnamese_by_default(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_LOCALE", "vi")
    import_good()
    page = client.get("/courses?level=intermediate").text
    assert "Lãnh đạo chuyển đổi số" in page
    assert 'lang="vi"' in page
    assert "Tìm khoá học" in page
    assert "Tìm thấy 1 khoá học" in page


def test_catalog_filters_and_pages(client: FlaskClient) -> None:
    for i in range(25):
        make_course(title=f"Khoá {i:02d}")
    first = client.get("/courses").text
    assert "Page 1 of 2" in first
    assert 'rel="next"' in first
    second = client.get("/courses?page=2").text
    assert "Khoá 24" in second
    assert client.get("/courses?level=bogus&page=x").status_code == 200


def test_course_page_for_visitors_and_learners(client: FlaskClient) -> None:
    courses = import_good()
    page = client.get("/courses/ky-nang-so-co-ban").text
    assert "Log in to enrol" in page
    assert "The smartphone" in page
    learner = make_user()
    login(client, learner)
    page = client.get("/courses/ky-nang-so-co-ban").text
    assert 'id="enroll"' in page
    closed = client.get("/courses/lanh-dao-chuyen-doi-so").text
    assert "taken through a class or your unit" in closed
    assert 'id="enroll"' not in closed
    assert courses


def test_enrol_read_complete_and_see_progress(client: FlaskClient) -> None:
    courses = import_good()
    learner = make_user()
    login(client, learner)
    response = client.post("/courses/ky-nang-so-co-ban/enroll")
    assert response.headers["Location"].endswith(
        "/courses/ky-nang-so-co-ban/lessons/dien-thoai-thong-minh"
    )
    lesson = client.get(response.headers["Location"]).text
    assert "<strong>tra cứu</strong>" in lesson
    assert "Lesson 1 of 3" in lesson
    assert 'id="mark-complete"' in lesson
    done = client.post("/courses/ky-nang-so-co-ban/lessons/dien-thoai-thong-minh/complete")
    assert done.headers["Location"].endswith("/lessons/tim-kiem-thong-tin")
    mine = client.get("/my-learning").text
    assert 'aria-valuenow="33"' in mine
    assert "Continue where you stopped" in mine
    assert "/courses/ky-nang-so-co-ban/lessons/tim-kiem-thong-tin" in mine
    course = courses["ky-nang-so-co-ban"]
    enrollment = enrollments.enrollment_for(learner, course)
    assert enrollment.last_lesson.slug == "dien-thoai-thong-minh"
    for slug in ("tim-kiem-thong-tin", "an-toan-tren-mang"):
        client.post(f"/courses/ky-nang-so-co-ban/lessons/{slug}/complete")
    assert enrollment.status == EnrollmentStatus.completed
    page = client.get("/courses/ky-nang-so-co-ban").text
    assert 'aria-valuenow="100"' in page
    assert "Lessons completed: 3 of 3" in page


def test_lesson_reader_needs_an_enrollment(client: FlaskClient) -> None:
    import_good()
    assert client.get("/courses/ky-nang-so-co-ban/lessons/tim-kiem-thong-tin").status_code == 302
    login(client, make_user())
    response = client.get("/courses/ky-nang-so-co-ban/lessons/tim-kiem-thong-tin")
    assert response.headers["Location"].endswith("/courses/ky-nang-so-co-ban")


def test_trainers_preview_lessons_without_being_recorded(client: FlaskClient) -> None:
    import_good()
    login(client, make_user(roles=(Role.trainer,)))
    page = client.get("/courses/lanh-dao-chuyen-doi-so/lessons/tam-nhin").text
    assert "Preview: you are not enrolled" in page


def test_lesson_page_escapes_what_the_author_wrote(client: FlaskClient) -> None:
    course = make_course(lessons=1)
    course.lessons[0].body_html = "<p>ok</p>"
    learner = make_user()
    enrol(learner, course)
    login(client, learner)
    page = client.get(f"/courses/{course.slug}/lessons/bai-1").text
    assert "<p>ok</p>" in page
    assert "<script>alert" not in page


def test_asset_is_served_with_caching_headers(client: FlaskClient) -> None:
    import_good()
    response = client.get("/courses/ky-nang-so-co-ban/assets/man-hinh.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    again = client.get(
        "/courses/ky-nang-so-co-ban/assets/man-hinh.png",
        headers={"If-None-Match": response.headers["ETag"]},
    )
    assert again.status_code == 304
    assert client.get("/courses/ky-nang-so-co-ban/assets/khong-co.png").status_code == 404


def test_my_learning_without_enrollments_points_to_the_catalog(client: FlaskClient) -> None:
    login(client, make_user())
    page = client.get("/my-learning").text
    assert "You are not enrolled in any course yet." in page
    assert client.get("/logout").status_code in {302, 405}
