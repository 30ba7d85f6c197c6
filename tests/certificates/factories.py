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


#: The course certificate tests issue for (``make_course(**CERTIFIED)``): no lessons, a quiz
#: of 70 %, one indicator of the plans.
CERTIFIED: dict[str, Any] = {
    "title": "Sử dụng dịch vụ công trực tuyến",
    "title_en": "Using online public services",
    "summary": "",
    "lessons": 0,
    "hours": 4,
    "indicators": ("citizens_online_services",),
    "skill_areas": ("online_public_services",),
    "rule": {"lessons": "all", "quiz": 70},
}


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
