"""Courses, classes and enrollments for the certificate tests (flush, never commit)."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from lms.auth.models import User
from lms.catalog.models import Course
from lms.classes.models import Class, Enrollment, EnrollmentSource, EnrollmentStatus
from lms.db import utcnow
from lms.extensions import db
from lms.org.models import Unit

_seq = itertools.count(1)


def make_course(
    *,
    title: str = "Sử dụng dịch vụ công trực tuyến",
    title_en: str | None = "Using online public services",
    hours: float = 4,
    gives_certificate: bool = True,
    indicators: tuple[str, ...] = ("citizens_online_services",),
    rule: dict[str, Any] | None = None,
) -> Course:
    n = next(_seq)
    course = Course(
        slug=f"khoa-{n}",
        title=title,
        title_en=title_en,
        summary="",
        target_groups=["citizen"],
        skill_areas=["online_public_services"],
        hours=hours,
        indicators=list(indicators),
        open=True,
        gives_certificate=gives_certificate,
        completion_rule=rule if rule is not None else {"lessons": "all", "quiz": 70},
        activity_iri=f"https://lms146.vn/xapi/activities/course/khoa-{n}",
        external_activity_iris=[],
    )
    db.session.add(course)
    db.session.flush()
    return course


def make_class(course: Course, unit: Unit, *, trainers: list[User] | None = None) -> Class:
    n = next(_seq)
    klass = Class(
        code=f"LOP-{n}",
        course=course,
        unit=unit,
        title=f"Lớp {n}",
        starts_on=date(2026, 3, 2),
        ends_on=date(2026, 3, 3),
    )
    klass.trainers = list(trainers or [])
    db.session.add(klass)
    db.session.flush()
    return klass


def make_enrollment(
    user: User,
    course: Course,
    *,
    klass: Class | None = None,
    status: EnrollmentStatus = EnrollmentStatus.in_progress,
    quiz_score: float | None = 0.85,
) -> Enrollment:
    enrollment = Enrollment(
        user=user,
        course=course,
        klass=klass,
        status=status,
        source=EnrollmentSource.klass if klass is not None else EnrollmentSource.self,
        quiz_score=quiz_score,
        quiz_passed=quiz_score is not None and quiz_score >= 0.7,
        completed_at=utcnow() if status == EnrollmentStatus.completed else None,
    )
    db.session.add(enrollment)
    db.session.flush()
    return enrollment
