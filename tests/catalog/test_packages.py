"""The course package validator and importer: every error with file and line; safe updates."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from lms.catalog import packages
from lms.catalog.importer import import_package, import_path
from lms.catalog.models import Course, CourseAsset, Lesson
from lms.catalog.packages import PackageError, PackageInvalid, register_part
from lms.catalog.validation import validate_package
from lms.classes import completion, enrollments
from tests.catalog.helpers import BROKEN, GOOD, copy_package
from tests.factories import enrol, make_user

REAL_COURSES = Path(__file__).resolve().parents[2] / "courses"


def problems(name: str) -> list[tuple[str, int | None, str]]:
    data, errors = validate_package(BROKEN / name, expected_slug=name)
    assert data is None
    return [(e.file, e.line, e.message) for e in errors]


def test_import_folder_of_packages_creates_courses_and_lessons(db: object) -> None:
    results = import_path(GOOD)
    assert {r.slug: r.status for r in results} == {
        "ky-nang-so-co-ban": "created",
        "lanh-dao-chuyen-doi-so": "created",
    }
    course = db.session.scalar(select(Course).where(Course.slug == "ky-nang-so-co-ban"))
    assert course.title == "Kỹ năng số cơ bản"
    assert course.title_en == "Basic digital skills"
    assert course.target_groups == ["citizen", "official"]
    assert course.completion_rule == {"lessons": "all", "quiz": None, "attendance": None}
    assert course.external_activity_iris == ["https://mooc.test/course/ky-nang-so"]
    assert [lesson.slug for lesson in course.lessons] == [
        "dien-thoai-thong-minh",
        "tim-kiem-thong-tin",
        "an-toan-tren-mang",
    ]
    assert course.lessons[0].minutes == 10
    assert course.search_text.startswith("ky nang so co ban")
    assert "|tg:citizen|" in course.facets


def test_lesson_html_is_rendered_and_assets_are_served_from_the_course(db: object) -> None:
    import_path(GOOD)
    lesson = db.session.scalar(select(Lesson).where(Lesson.slug == "dien-thoai-thong-minh"))
    assert "<strong>tra cứu</strong>" in lesson.body_html
    assert 'src="/courses/ky-nang-so-co-ban/assets/man-hinh.png"' in lesson.body_html
    asset = db.session.scalar(select(CourseAsset).where(CourseAsset.path == "man-hinh.png"))
    assert asset.content_type == "image/png"
    assert asset.data.startswith(b"\x89PNG")


def test_reimport_without_changes_keeps_the_version(db: object) -> None:
    import_path(GOOD)
    again = import_path(GOOD)
    assert {r.status for r in again} == {"unchanged"}
    assert {r.version for r in again} == {1}


def test_reimport_with_changes_bumps_version_and_keeps_progress(db: object, tmp_path: Path) -> None:
    package = copy_package("ky-nang-so-co-ban", tmp_path)
    import_package(package)
    course = db.session.scalar(select(Course).where(Course.slug == "ky-nang-so-co-ban"))
    learner = make_user()
    enrollment = enrol(learner, course)
    first, removed = course.lessons[0], course.lessons[2]
    completion.complete_lesson(enrollment, first)
    completion.complete_lesson(enrollment, removed)
    assert enrollment.lessons_done == 2

    (package / "lessons" / "03-an-toan-tren-mang.md").unlink()
    lesson = package / "lessons" / "01-dien-thoai-thong-minh.md"
    lesson.write_text(lesson.read_text().replace("Làm quen", "Bắt đầu"))
    (package / "lessons" / "05-mat-khau.md").write_text(
        "---\ntitle: Mật khẩu mạnh\nminutes: 5\n---\n\nDùng mật khẩu dài.\n"
    )
    result = import_package(package)

    assert (result.status, result.version) == ("updated", 2)
    assert result.lessons_deactivated == ["an-toan-tren-mang"]
    db.session.refresh(course)
    assert [lesson.slug for lesson in course.lessons] == [
        "dien-thoai-thong-minh",
        "tim-kiem-thong-tin",
        "mat-khau",
    ]
    assert course.lessons[0].id == first.id
    assert "Bắt đầu" in course.lessons[0].body_html
    old = db.session.get(Lesson, removed.id)
    assert old is not None
    assert not old.active
    db.session.refresh(enrollment)
    assert enrollment.status == "in_progress"
    assert enrollment.lessons_done == 1
    assert enrollments.enrollment_for(learner, course) is enrollment


def test_missing_fields_unknown_codes_and_bad_values_are_all_reported_with_lines(
    db: object,
) -> None:
    found = problems("thieu-truong")
    assert ("course.yaml", 1, "missing required field 'title'") in found
    assert ("course.yaml", 1, "missing required field 'level'") in found
    assert ("course.yaml", 4, "target_groups: unknown target group 'aliens'") in found
    assert ("course.yaml", 5, "skill_areas: unknown skill area 'cooking'") in found
    assert ("course.yaml", 7, "indicators: unknown indicator 'happiness'") in found
    assert ("course.yaml", 8, "open: must be true or false") in found
    assert ("course.yaml", 12, "completion.attendance: must be a percentage from 1 to 100") in found
    assert ("course.yaml", 13, "completion: unknown rule 'speed'") in found
    assert ("course.yaml", 14, "activity_iri: must be an http(s) IRI") in found
    assert ("course.yaml", 15, "unknown field 'colour'") in found


def test_yaml_syntax_error_is_reported_with_its_line(db: object) -> None:
    [(file, line, message)] = problems("yaml-loi")
    assert file == "course.yaml"
    assert line == 6
    assert message.startswith("YAML error")


def test_lesson_errors_are_reported_per_file_and_line(db: object) -> None:
    found = problems("bai-hoc-loi")
    assert ("course.yaml", 2, "title.vi: missing Vietnamese text") in found
    assert (
        "course.yaml",
        12,
        "completion.lessons: 9 lessons required but the package has 4",
    ) in found
    assert ("course.yaml", 13, "completion.quiz: the package has no questions.yaml") in found
    assert (
        "lessons/01-khong-front-matter.md",
        1,
        "missing front matter: the file must start with a '---' line",
    ) in found
    yaml_error = [f for f in found if f[0] == "lessons/02-yaml-hong.md"]
    assert yaml_error[0][1] == 3
    assert yaml_error[0][2].startswith("YAML error")
    assert ("lessons/03-thieu-tieu-de.md", 1, "title: missing lesson title") in found
    assert (
        "lessons/03-thieu-tieu-de.md",
        3,
        "minutes: must be a whole number from 1 to 600",
    ) in found
    assert ("lessons/03-thieu-tieu-de.md", 4, "unknown front-matter field 'author'") in found
    assert (
        "lessons/04-lien-ket-xau.md",
        8,
        "link 'javascript:alert(1)' must be http(s): or relative",
    ) in found
    assert (
        "lessons/04-lien-ket-xau.md",
        10,
        "assets/khong-co.png not found in the package",
    ) in found
    assert (
        "lessons/ghi-chu.txt",
        None,
        "not a lesson file: expected lessons/NN-<slug>.md",
    ) in found


def test_slug_must_match_the_folder(db: object) -> None:
    assert problems("sai-ten") == [
        ("course.yaml", 1, "slug 'ten-khac' must equal the folder name 'sai-ten'")
    ]


def test_a_broken_package_in_a_folder_imports_nothing(db: object, tmp_path: Path) -> None:
    shutil.copytree(GOOD / "ky-nang-so-co-ban", tmp_path / "ky-nang-so-co-ban")
    shutil.copytree(BROKEN / "sai-ten", tmp_path / "sai-ten")
    with pytest.raises(PackageInvalid) as caught:
        import_path(tmp_path)
    assert [str(p) for p in caught.value.problems] == [
        "sai-ten/course.yaml:1: slug 'ten-khac' must equal the folder name 'sai-ten'"
    ]
    assert caught.value.errors == {
        "sai-ten/course.yaml:1": ["slug 'ten-khac' must equal the folder name 'sai-ten'"]
    }
    assert db.session.scalar(select(Course.id)) is None


def test_activity_iri_used_by_another_course_is_refused(db: object, tmp_path: Path) -> None:
    import_path(GOOD)
    package = copy_package("ky-nang-so-co-ban", tmp_path)
    shutil.move(package, tmp_path / "ban-sao")
    course_yaml = tmp_path / "ban-sao" / "course.yaml"
    course_yaml.write_text(
        course_yaml.read_text()
        .replace("slug: ky-nang-so-co-ban", "slug: ban-sao")
        .replace("https://mooc.test/course/ky-nang-so", "https://mooc.test/other")
    )
    with pytest.raises(PackageInvalid) as caught:
        import_package(tmp_path / "ban-sao")
    assert [p.message for p in caught.value.problems] == [
        "https://lms146.test/xapi/activities/course/ky-nang-so-co-ban is already used by "
        "ky-nang-so-co-ban"
    ]


def test_registered_parts_are_validated_together_and_applied_after_the_course(
    db: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    applied: list[tuple[str, str]] = []

    def validate(package_dir: Path) -> list[PackageError]:
        text = (package_dir / "extra.yaml").read_text()
        return [PackageError("extra.yaml", 2, "bad extra")] if "bad" in text else []

    def apply(course: Course, package_dir: Path) -> None:
        assert course.id is not None
        applied.append((course.slug, (package_dir / "extra.yaml").read_text()))

    monkeypatch.setattr(packages, "PARTS", dict(packages.PARTS))
    register_part("extra.yaml", validate=validate, apply=apply)
    package = copy_package("ky-nang-so-co-ban", tmp_path)
    (package / "extra.yaml").write_text("a: 1\nb: bad\n")
    (package / "lessons" / "01-dien-thoai-thong-minh.md").write_text("no front matter\n")
    with pytest.raises(PackageInvalid) as caught:
        import_package(package)
    assert [(p.file, p.line) for p in caught.value.problems] == [
        ("extra.yaml", 2),
        ("lessons/01-dien-thoai-thong-minh.md", 1),
    ]
    assert applied == []

    shutil.rmtree(package)
    package = copy_package("ky-nang-so-co-ban", tmp_path)
    (package / "extra.yaml").write_text("a: 1\n")
    import_package(package)
    assert applied == [("ky-nang-so-co-ban", "a: 1\n")]


def test_the_real_course_catalog_is_valid(db: object) -> None:
    """The starter catalog in courses/ imports cleanly: at least the plan's 8 courses."""
    folders = [p for p in REAL_COURSES.iterdir() if p.is_dir() and (p / "course.yaml").exists()]
    results = import_path(REAL_COURSES)
    assert len(results) == len(folders)
    assert len(results) >= 8
    for course in db.session.scalars(select(Course)):
        assert course.lessons, course.slug
        assert "<script" not in "".join(lesson.body_html for lesson in course.lessons)
