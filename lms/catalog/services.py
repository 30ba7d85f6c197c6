"""Catalog reads: a course by slug, the searchable, filterable list, lessons."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, case, select

from lms.catalog.models import Course, CourseAsset, Lesson
from lms.catalog.text import search_terms
from lms.errors import NotFound
from lms.extensions import db


def get_course(slug: str) -> Course:
    """Return the course with ``slug`` or raise NotFound."""
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        raise NotFound(_("Course %(slug)s not found.", slug=slug))
    return course


def get_lesson(course: Course, slug: str, *, include_inactive: bool = False) -> Lesson:
    stmt = select(Lesson).where(Lesson.course_id == course.id, Lesson.slug == slug)
    if not include_inactive:
        stmt = stmt.where(Lesson.active.is_(True))
    lesson = db.session.scalar(stmt)
    if lesson is None:
        raise NotFound(_("Lesson %(slug)s not found.", slug=slug))
    return lesson


def get_asset(course: Course, path: str) -> CourseAsset:
    asset = db.session.scalar(
        select(CourseAsset).where(CourseAsset.course_id == course.id, CourseAsset.path == path)
    )
    if asset is None:
        raise NotFound(_("File not found."))
    return asset


def search_courses(
    *,
    q: str | None = None,
    target_group: str | None = None,
    skill_area: str | None = None,
    level: str | None = None,
    open_only: bool = False,
) -> Select[Any]:
    """The catalog query: every word of ``q`` must appear, diacritics and case ignored.

    ``search_text`` is stored folded, so "ky nang so" finds "Kỹ năng số" with a plain LIKE
    on SQLite and PostgreSQL alike.
    """
    stmt = select(Course).where(Course.published.is_(True))
    words = search_terms(q)
    for word in words:
        stmt = stmt.where(Course.search_text.contains(word, autoescape=True))
    if target_group:
        stmt = stmt.where(Course.facets.contains(f"|tg:{target_group}|", autoescape=True))
    if skill_area:
        stmt = stmt.where(Course.facets.contains(f"|sa:{skill_area}|", autoescape=True))
    if level:
        stmt = stmt.where(Course.level == level)
    if open_only:
        stmt = stmt.where(Course.open.is_(True))
    if words:
        # The whole phrase in the slug (which is the folded title) ranks first: "dich vu cong"
        # puts "Sử dụng dịch vụ công trực tuyến" before courses that only mention it.
        phrase = Course.slug.contains("-".join(words), autoescape=True)
        return stmt.order_by(case((phrase, 0), else_=1), Course.title, Course.id)
    return stmt.order_by(Course.title, Course.id)


def lesson_neighbours(course: Course, lesson: Lesson) -> tuple[Lesson | None, Lesson | None]:
    lessons = course.lessons
    index = next((i for i, item in enumerate(lessons) if item.id == lesson.id), None)
    if index is None:
        return None, None
    previous = lessons[index - 1] if index > 0 else None
    following = lessons[index + 1] if index + 1 < len(lessons) else None
    return previous, following
