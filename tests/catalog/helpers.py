"""Test helpers for courses, classes and enrollments (plain functions: flush, never commit)."""

from __future__ import annotations

import itertools
import shutil
from datetime import date
from pathlib import Path
from typing import Any

from lms.auth.models import Role, User
from lms.catalog.importer import import_path
from lms.catalog.models import Course
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
    from lms.classes.services import enroll

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
