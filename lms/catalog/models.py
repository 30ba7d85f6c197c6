"""Courses, their lessons and assets, as imported from the course packages in ``courses/``."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    and_,
)
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship

from lms.db import CreatedAt, IntPK, JSONType, Model, UTCDateTime, db, utcnow


class CourseLevel(enum.StrEnum):
    basic = "basic"
    intermediate = "intermediate"
    advanced = "advanced"


class Course(Model):
    __tablename__ = "courses"
    id: Mapped[IntPK]
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str | None] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    summary_en: Mapped[str | None] = mapped_column(Text)
    #: Target-group codes (``lms.constants.TargetGroup``).
    target_groups: Mapped[list[str]] = mapped_column(JSONType, default=list)
    #: Skill-area codes (``lms.constants.SkillArea``).
    skill_areas: Mapped[list[str]] = mapped_column(JSONType, default=list)
    level: Mapped[CourseLevel] = mapped_column(
        db.Enum(CourseLevel, native_enum=False, length=20), default=CourseLevel.basic, index=True
    )
    hours: Mapped[float] = mapped_column(Float, default=0.0)
    #: Indicator codes the course counts toward (``lms.constants.IndicatorCode``).
    indicators: Mapped[list[str]] = mapped_column(JSONType, default=list)
    #: Anyone may self-enrol; otherwise classes and assigned enrollment only.
    open: Mapped[bool] = mapped_column(default=True)
    gives_certificate: Mapped[bool] = mapped_column(default=True)
    #: ``{"lessons": "all" | int, "quiz": int | None, "attendance": int | None}``
    completion_rule: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    activity_iri: Mapped[str] = mapped_column(String(500), unique=True)
    external_activity_iris: Mapped[list[str]] = mapped_column(JSONType, default=list)
    #: Bumped by an import only when the package's content changed.
    version: Mapped[int] = mapped_column(Integer, default=1)
    #: SHA-256 of every file of the package, to tell a changed package from a re-run.
    content_hash: Mapped[str | None] = mapped_column(String(64))
    #: Title, summary and slug folded (lowercase, no diacritics, đ -> d): the catalog search
    #: is a plain ``LIKE`` on it, the same on SQLite and PostgreSQL.
    search_text: Mapped[str] = mapped_column(Text, default="")
    #: ``|tg:citizen|sa:safety|``: target groups and skill areas, filterable with LIKE on
    #: SQLite and PostgreSQL alike (JSON containment differs between them).
    facets: Mapped[str] = mapped_column(String(1000), default="|")
    #: Active lessons, kept by the importer so that lists need no count per course.
    lesson_count: Mapped[int] = mapped_column(Integer, default=0)
    #: Hidden courses stay readable by their learners but leave the catalog.
    published: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    #: Active lessons in reading order (read-only; lessons removed from the package stay as
    #: inactive rows so that progress recorded against them stays valid).
    lessons: Mapped[list[Lesson]] = relationship(
        primaryjoin=lambda: and_(Course.id == foreign(Lesson.course_id), Lesson.active.is_(True)),
        order_by=lambda: Lesson.position,
        viewonly=True,
    )
    all_lessons: Mapped[list[Lesson]] = relationship(
        back_populates="course",
        order_by=lambda: Lesson.position,
        cascade="all, delete-orphan",
    )

    def title_for(self, lang: str) -> str:
        return (self.title_en or self.title) if lang.startswith("en") else self.title

    def summary_for(self, lang: str) -> str:
        return (self.summary_en or self.summary) if lang.startswith("en") else self.summary

    def __repr__(self) -> str:
        return f"<Course {self.id} {self.slug} v{self.version}>"


class Lesson(Model):
    __tablename__ = "lessons"
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[IntPK]
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str | None] = mapped_column(String(300))
    minutes: Mapped[int] = mapped_column(Integer, default=0)
    #: Bodies are deferred: outlines and progress pages list lessons without their text.
    body_md: Mapped[str] = mapped_column(Text, default="", deferred=True)
    #: Rendered and sanitised at import time; safe to output unescaped.
    body_html: Mapped[str] = mapped_column(Text, default="", deferred=True)
    active: Mapped[bool] = mapped_column(default=True)

    course: Mapped[Course] = relationship(back_populates="all_lessons")

    def title_for(self, lang: str) -> str:
        return (self.title_en or self.title) if lang.startswith("en") else self.title

    def __repr__(self) -> str:
        return f"<Lesson {self.id} {self.slug} course={self.course_id}>"


class CourseAsset(Model):
    """An image of a package's ``assets/`` folder, kept in the database.

    The web tier is stateless and packages arrive as uploads, so assets live with the course
    rows rather than on one host's disk.
    """

    __tablename__ = "course_assets"
    __table_args__ = (UniqueConstraint("course_id", "path"),)

    id: Mapped[IntPK]
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    #: Path inside ``assets/``, e.g. ``anh-1.png``.
    path: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(100))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
