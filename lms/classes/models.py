"""Classes (a run of a course for a group), their sessions and attendance, and enrollments."""

from __future__ import annotations

import enum
from datetime import date, datetime, time
from typing import TYPE_CHECKING

from sqlalchemy import (
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.constants import TargetGroup
from lms.db import CreatedAt, IntPK, Model, UTCDateTime, db, new_uuid, utcnow

if TYPE_CHECKING:
    from lms.auth.models import User
    from lms.catalog.models import Course, Lesson
    from lms.org.models import Unit


class ClassMode(enum.StrEnum):
    online = "online"
    in_person = "in_person"
    blended = "blended"


class EnrollmentStatus(enum.StrEnum):
    enrolled = "enrolled"
    in_progress = "in_progress"
    completed = "completed"
    failed = "failed"
    withdrawn = "withdrawn"


class EnrollmentSource(enum.StrEnum):
    self = "self"
    assigned = "assigned"
    # "class" is a keyword; the member is spelt klass, its value stays "class".
    klass = "class"
    import_ = "import"
    xapi = "xapi"


class_trainers = Table(
    "class_trainers",
    db.metadata,
    Column("class_id", ForeignKey("classes.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Class(Model):
    __tablename__ = "classes"

    id: Mapped[IntPK]
    code: Mapped[str] = mapped_column(String(50), unique=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    #: The organising unit: officials of its subtree manage the class.
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    mode: Mapped[ClassMode] = mapped_column(
        db.Enum(ClassMode, native_enum=False, length=20), default=ClassMode.online
    )
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    place: Mapped[str | None] = mapped_column(String(300))
    #: None: no limit.
    capacity: Mapped[int | None] = mapped_column(Integer)
    enrol_opens_on: Mapped[date | None] = mapped_column(Date)
    enrol_closes_on: Mapped[date | None] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[CreatedAt]

    course: Mapped[Course] = relationship(lazy="joined")
    unit: Mapped[Unit] = relationship(lazy="joined")
    trainers: Mapped[list[User]] = relationship(secondary=class_trainers, order_by="User.id")
    sessions: Mapped[list[ClassSession]] = relationship(
        back_populates="klass",
        cascade="all, delete-orphan",
        order_by="(ClassSession.date, ClassSession.starts_at, ClassSession.id)",
    )

    def enrol_window_open(self, on: date) -> bool:
        if self.enrol_opens_on is not None and on < self.enrol_opens_on:
            return False
        return self.enrol_closes_on is None or on <= self.enrol_closes_on

    def __repr__(self) -> str:
        return f"<Class {self.id} {self.code} course={self.course_id}>"


class ClassSession(Model):
    """A dated, in-person (or live online) meeting of a class; attendance is taken per session."""

    __tablename__ = "class_sessions"

    id: Mapped[IntPK]
    class_id: Mapped[int] = mapped_column(ForeignKey("classes.id", ondelete="CASCADE"), index=True)
    date: Mapped[date] = mapped_column(Date)
    starts_at: Mapped[time | None] = mapped_column(Time)
    ends_at: Mapped[time | None] = mapped_column(Time)
    topic: Mapped[str] = mapped_column(String(300), default="")
    place: Mapped[str | None] = mapped_column(String(300))

    klass: Mapped[Class] = relationship(back_populates="sessions")

    def __repr__(self) -> str:
        return f"<ClassSession {self.id} class={self.class_id} {self.date}>"


class Enrollment(Model):
    __tablename__ = "enrollments"
    __table_args__ = (
        # One live enrollment per person and course; withdrawn ones are history.
        Index(
            "uq_enrollments_user_course_live",
            "user_id",
            "course_id",
            unique=True,
            postgresql_where=text("status <> 'withdrawn'"),
            sqlite_where=text("status <> 'withdrawn'"),
        ),
        Index("ix_enrollments_course_status", "course_id", "status"),
        Index("ix_enrollments_user_status", "user_id", "status"),
    )

    id: Mapped[IntPK]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"))
    class_id: Mapped[int | None] = mapped_column(ForeignKey("classes.id"), index=True)
    status: Mapped[EnrollmentStatus] = mapped_column(
        db.Enum(EnrollmentStatus, native_enum=False, length=20),
        default=EnrollmentStatus.enrolled,
    )
    source: Mapped[EnrollmentSource] = mapped_column(
        db.Enum(
            EnrollmentSource,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=EnrollmentSource.self,
    )
    #: The xAPI ``context.registration`` of every statement about this enrollment.
    registration: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Where the person was when they enrolled and when they completed (their unit and target
    #: group then): the figures count each event there for good, whoever moves afterwards.
    enrolled_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    completed_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    completed_target_group: Mapped[TargetGroup | None] = mapped_column(
        db.Enum(TargetGroup, native_enum=False, length=30)
    )
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: 0-100, kept up to date by every progress event.
    progress: Mapped[int] = mapped_column(Integer, default=0)
    lessons_done: Mapped[int] = mapped_column(Integer, default=0)
    #: Best quiz result, scaled 0..1.
    quiz_score: Mapped[float | None] = mapped_column(Float)
    quiz_passed: Mapped[bool | None] = mapped_column()
    #: Share of the class's sessions attended, 0..1; None without sessions.
    attendance_rate: Mapped[float | None] = mapped_column(Float)
    #: Where the learner stopped: the last lesson opened.
    last_lesson_id: Mapped[int | None] = mapped_column(
        ForeignKey("lessons.id", ondelete="SET NULL")
    )
    last_activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    enrolled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
    course: Mapped[Course] = relationship(lazy="joined")
    klass: Mapped[Class | None] = relationship()
    last_lesson: Mapped[Lesson | None] = relationship()

    @property
    def active(self) -> bool:
        return self.status != EnrollmentStatus.withdrawn

    def __repr__(self) -> str:
        return f"<Enrollment {self.id} user={self.user_id} course={self.course_id}>"


class LessonProgress(Model):
    __tablename__ = "lesson_progress"
    __table_args__ = (UniqueConstraint("enrollment_id", "lesson_id"),)

    id: Mapped[IntPK]
    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("enrollments.id", ondelete="CASCADE"), index=True
    )
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"), index=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Attendance(Model):
    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("session_id", "enrollment_id"),)

    id: Mapped[IntPK]
    session_id: Mapped[int] = mapped_column(
        ForeignKey("class_sessions.id", ondelete="CASCADE"), index=True
    )
    enrollment_id: Mapped[int] = mapped_column(
        ForeignKey("enrollments.id", ondelete="CASCADE"), index=True
    )
    present: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str | None] = mapped_column(String(500))
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
