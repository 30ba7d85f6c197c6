"""Plain factory functions: keyword overrides, sensible defaults, flush, never commit."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import date
from typing import Any

from lms.auth.models import Role, User, UserRole
from lms.catalog.importer import facets, search_text
from lms.catalog.models import Course, CourseLevel, Lesson
from lms.classes.models import (
    Class,
    ClassMode,
    ClassSession,
    Enrollment,
    EnrollmentSource,
    EnrollmentStatus,
)
from lms.constants import TargetGroup
from lms.db import utcnow
from lms.extensions import db
from lms.org.models import Unit, UnitKind, UnitPlacement

_seq = itertools.count(1)


def make_unit(
    code: str | None = None,
    *,
    parent: Unit | None = None,
    kind: UnitKind | str = UnitKind.commune,
    name: str | None = None,
    valid_from: date = date(2020, 1, 1),
    **kwargs: Any,
) -> Unit:
    n = next(_seq)
    unit = Unit(
        code=code or f"U{n:05d}",
        name=name or f"Đơn vị {n}",
        kind=UnitKind(kind),
        parent=parent,
        path="",
        depth=(parent.depth + 1) if parent else 0,
        valid_from=valid_from,
        **kwargs,
    )
    db.session.add(unit)
    db.session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    db.session.add(
        UnitPlacement(
            unit_id=unit.id, parent_id=unit.parent_id, path=unit.path, valid_from=valid_from
        )
    )
    db.session.flush()
    return unit


def make_user(
    email: str | None = None,
    *,
    roles: tuple[Role | str, ...] = (Role.learner,),
    unit: Unit | None = None,
    target_group: TargetGroup | str | None = None,
    password: str | None = "correct horse battery",
    full_name: str | None = None,
    **kwargs: Any,
) -> User:
    from lms.auth.services import hash_password

    n = next(_seq)
    user = User(
        email=email if email is not None else f"user{n}@example.vn",
        full_name=full_name or f"Nguyễn Văn {n}",
        unit=unit,
        target_group=TargetGroup(target_group) if target_group else None,
        password_hash=hash_password(password) if password else None,
        **kwargs,
    )
    user.role_rows = [UserRole(role=Role(r)) for r in roles]
    db.session.add(user)
    db.session.flush()
    return user


def make_token(user: Any) -> str:
    from lms.auth.services import create_token

    token, _ = create_token(user)
    return token


def make_course(
    slug: str | None = None,
    *,
    title: str | None = None,
    title_en: str | None = None,
    summary: str = "Khoá học thử nghiệm.",
    lessons: int = 3,
    rule: dict[str, Any] | None = None,
    open: bool = True,
    gives_certificate: bool = True,
    hours: float = 2.0,
    indicators: Sequence[str] = (),
    target_groups: Sequence[str] = ("citizen",),
    skill_areas: Sequence[str] = ("safety",),
    level: str = "basic",
    external: Sequence[str] = (),
) -> Course:
    """A published course with ``lessons`` short lessons; by default completed by its lessons.

    ``rule`` is the completion rule as a package writes it (default: every lesson);
    ``external`` lists the activity IRIs platforms report the course under.
    """
    n = next(_seq)
    slug = slug or f"khoa-hoc-{n}"
    title = title or f"Khoá học {n}"
    course = Course(
        slug=slug,
        title=title,
        title_en=title_en,
        summary=summary,
        target_groups=list(target_groups),
        skill_areas=list(skill_areas),
        level=CourseLevel(level),
        hours=hours,
        indicators=list(indicators),
        open=open,
        gives_certificate=gives_certificate,
        completion_rule=rule or {"lessons": "all", "quiz": None, "attendance": None},
        activity_iri=f"https://lms146.vn/xapi/activities/course/{slug}",
        external_activity_iris=list(external),
        version=1,
        search_text=search_text(title, title_en, summary, slug),
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
    unit: Unit | None = None,
    *,
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
        enrolled_unit_id=user.unit_id,
        completed_unit_id=user.unit_id if status == EnrollmentStatus.completed else None,
        completed_target_group=user.target_group if status == EnrollmentStatus.completed else None,
    )
    db.session.add(enrollment)
    db.session.flush()
    return enrollment


def make_signer(
    unit: Unit | None = None,
    *,
    name: str = "Trần Văn Đức",
    title: str = "Giám đốc Sở Khoa học và Công nghệ",
    authority: str | None = None,
) -> Any:
    """A certificate template naming who signs for ``unit``'s subtree (None: everywhere).

    Certificates are issued only when a signer is configured, as in production.
    """
    from lms.certificates.models import CertificateTemplate

    template = CertificateTemplate(
        name=f"Người ký {unit.code if unit is not None else 'mặc định'}",
        unit_id=unit.id if unit is not None else None,
        signer_name=name,
        signer_title=title,
        signer_authority=authority,
    )
    db.session.add(template)
    db.session.flush()
    return template
