"""Test helpers for courses, classes and enrollments (plain functions: flush, never commit)."""

from __future__ import annotations

import itertools
import shutil
from datetime import date
from pathlib import Path
from typing import Any

from lms.auth.models import Role, User
from lms.catalog.importer import facets, import_path, search_text
from lms.catalog.models import Course, CourseLevel, Lesson
from lms.classes.models import Class, ClassMode, ClassSession, Enrollment, EnrollmentSource
from lms.extensions import db
from lms.org.models import Unit
from tests.factories import make_unit, make_user

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "courses"
GOOD = FIXTURES / "good"
BROKEN = FIXTURES / "broken"

_seq = itertools.count(1)


def import_good() -> dict[str, Course]:
    import_path(GOOD)
    return {c.slug: c for c in db.session.scalars(db.select(Course))}


def copy_package(slug: str, tmp_path: Path) -> Path:
    target = tmp_path / slug
    shutil.copytree(GOOD / slug, target)
    return target


def make_course(
    slug: str | None = None,
    *,
    lessons: int = 3,
    rule: dict[str, Any] | None = None,
    open: bool = True,
    title: str | None = None,
    summary: str = "Khoá học thử nghiệm.",
    target_groups: tuple[str, ...] = ("citizen",),
    skill_areas: tuple[str, ...] = ("safety",),
    level: str = "basic",
) -> Course:
    n = next(_seq)
    slug = slug or f"khoa-hoc-{n}"
    title = title or f"Khoá học {n}"
    course = Course(
        slug=slug,
        title=title,
        summary=summary,
        target_groups=list(target_groups),
        skill_areas=list(skill_areas),
        level=CourseLevel(level),
        hours=2.0,
        indicators=[],
        open=open,
        gives_certificate=True,
        completion_rule=rule or {"lessons": "all", "quiz": None, "attendance": None},
        activity_iri=f"https://lms146.test/xapi/activities/course/{slug}",
        external_activity_iris=[],
        version=1,
        search_text=search_text(title, None, summary, slug),
        facets=facets(list(target_groups), list(skill_areas)),
        lesson_count=lessons,
    )
    for i in range(1, lessons + 1):
        course.all_lessons.append(
            Lesson(
                slug=f"bai-{i}",
                position=i,
                title=f"Bài {i}",
                minutes=5,
                body_md=f"Nội dung bài {i}.",
                body_html=f"<p>Nội dung bài {i}.</p>",
            )
        )
    db.session.add(course)
    db.session.flush()
    db.session.expire(course, ["lessons"])
    return course


def make_class(
    course: Course,
    *,
    unit: Unit | None = None,
    trainers: list[User] | None = None,
    code: str | None = None,
    sessions: int = 0,
    **fields: Any,
) -> Class:
    n = next(_seq)
    klass = Class(
        code=code or f"LOP-{n:04d}",
        course=course,
        unit=unit or make_unit(),
        title=fields.pop("title", f"Lớp {n}"),
        mode=fields.pop("mode", ClassMode.blended),
        **fields,
    )
    klass.trainers = list(trainers or [])
    for i in range(sessions):
        klass.sessions.append(ClassSession(date=date(2026, 3, 2 + i), topic=f"Buổi {i + 1}"))
    db.session.add(klass)
    db.session.flush()
    return klass


def enrol(
    user: User, course: Course, *, klass: Class | None = None, by: User | None = None
) -> Enrollment:
    from lms.classes.enrollments import enroll

    source = EnrollmentSource.klass if klass else EnrollmentSource.self
    return enroll(user, course, by=by or user, source=source, klass=klass)


def make_people() -> dict[str, Any]:
    """A province with two communes, an official of one commune, a trainer, an admin."""
    province = make_unit(kind="province", name="Tỉnh Thử")
    commune = make_unit(parent=province, name="Phường Một")
    other = make_unit(parent=province, name="Phường Hai")
    return {
        "province": province,
        "commune": commune,
        "other": other,
        "admin": make_user(roles=(Role.admin,)),
        "official": make_user(roles=(Role.official,), unit=commune),
        "province_official": make_user(roles=(Role.official,), unit=province),
        "trainer": make_user(roles=(Role.trainer,), unit=commune),
        "other_trainer": make_user(roles=(Role.trainer,)),
        "learner": make_user(roles=(Role.learner,), unit=commune, target_group="citizen"),
    }


def login(client: Any, user: User, password: str = "correct horse battery") -> None:
    """Log in through the real form, as a browser would."""
    response = client.post("/login", data={"login": user.email or user.phone, "password": password})
    assert response.status_code in {302, 303}, response.text
