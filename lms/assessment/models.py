"""Question banks, questions and their versions, quizzes (and exams), attempts and responses.

A question's content is versioned: an attempt points at the exact :class:`QuestionVersion` it
drew, so editing or re-importing a question never changes how an old attempt is shown or
graded. Responses are rows (one per question of an attempt), so a save is an upsert of a few
rows rather than a read-modify-write of a JSON blob, and item analysis is a SQL aggregate.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import CreatedAt, IntPK, JSONType, Model, UTCDateTime, db, utcnow

if TYPE_CHECKING:
    from lms.auth.models import User
    from lms.catalog.models import Course
    from lms.org.models import Unit


class Difficulty(enum.StrEnum):
    easy = "easy"
    medium = "medium"
    hard = "hard"


class QuizKind(enum.StrEnum):
    quiz = "quiz"
    exam = "exam"


class ReviewPolicy(enum.StrEnum):
    after_submit = "after_submit"
    after_close = "after_close"
    never = "never"


class AttemptStatus(enum.StrEnum):
    open = "open"
    graded = "graded"


class QuestionBank(Model):
    __tablename__ = "question_banks"

    id: Mapped[IntPK]
    #: Stable code: the course slug for a course's bank, e.g. ``std-safety`` for the standard.
    code: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str | None] = mapped_column(String(300))
    #: Set for the bank imported from a course package (one per course).
    course_id: Mapped[int | None] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), unique=True
    )
    #: Set for a bank of the digital-skills standard covering one skill area.
    skill_area: Mapped[str | None] = mapped_column(String(50), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    #: The province whose trainers edit it; None: national (course packages, the standard),
    #: edited by admins only.
    province_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    course: Mapped[Course | None] = relationship()
    province: Mapped[Unit | None] = relationship()
    questions: Mapped[list[Question]] = relationship(
        back_populates="bank", order_by="Question.position", cascade="all, delete-orphan"
    )

    def title_for(self, lang: str) -> str:
        return (self.title_en or self.title) if lang.startswith("en") else self.title

    def __repr__(self) -> str:
        return f"<QuestionBank {self.id} {self.code}>"


class Question(Model):
    __tablename__ = "questions"
    __table_args__ = (UniqueConstraint("bank_id", "key"),)

    id: Mapped[IntPK]
    bank_id: Mapped[int] = mapped_column(
        ForeignKey("question_banks.id", ondelete="CASCADE"), index=True
    )
    #: The ``id`` of the question in questions.yaml; stable across versions.
    key: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(30))
    skill_area: Mapped[str] = mapped_column(String(50))
    difficulty: Mapped[Difficulty] = mapped_column(
        db.Enum(Difficulty, native_enum=False, length=10), default=Difficulty.medium
    )
    points: Mapped[float] = mapped_column(Float, default=1.0)
    position: Mapped[int] = mapped_column(Integer, default=0)
    #: Removed from the package or deleted while attempts still use it: never drawn again.
    active: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("question_versions.id", use_alter=True, name="fk_questions_current_version")
    )
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    bank: Mapped[QuestionBank] = relationship(back_populates="questions")
    current: Mapped[QuestionVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True, lazy="joined"
    )

    def __repr__(self) -> str:
        return f"<Question {self.id} {self.key} v{self.version} bank={self.bank_id}>"


class QuestionVersion(Model):
    """One immutable revision of a question's content: what attempts draw and grade against."""

    __tablename__ = "question_versions"
    __table_args__ = (UniqueConstraint("question_id", "version"),)

    id: Mapped[IntPK]
    question_id: Mapped[int] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(30))
    #: ``{"text", "text_en", "explanation", "explanation_en", "skill_area", "difficulty",
    #: "points", "definition": {type-specific, with the key}}``
    content: Mapped[dict[str, Any]] = mapped_column(JSONType)
    #: SHA-256 of ``content`` (canonical JSON): a re-import that changes nothing adds nothing.
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[CreatedAt]

    def __repr__(self) -> str:
        return f"<QuestionVersion {self.id} q={self.question_id} v{self.version}>"


class QuizBank(Model):
    """The banks a quiz draws from (the course's own bank, or the standard's banks)."""

    __tablename__ = "quiz_banks"
    __table_args__ = (UniqueConstraint("quiz_id", "bank_id"),)

    id: Mapped[IntPK]
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    bank_id: Mapped[int] = mapped_column(
        ForeignKey("question_banks.id", ondelete="CASCADE"), index=True
    )


class Quiz(Model):
    """A quiz, or an exam (a quiz with a window, bound to a class session)."""

    __tablename__ = "quizzes"

    id: Mapped[IntPK]
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str | None] = mapped_column(String(300))
    course_id: Mapped[int | None] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), index=True
    )
    #: True for the quiz a course package defines (``GET /courses/<slug>/quiz``).
    is_course_quiz: Mapped[bool] = mapped_column(default=False)
    kind: Mapped[QuizKind] = mapped_column(
        db.Enum(QuizKind, native_enum=False, length=10), default=QuizKind.quiz
    )
    #: Questions per attempt; None = every active question of the banks (after the pools).
    question_count: Mapped[int | None] = mapped_column(Integer)
    #: ``[{"skill_area": ..., "difficulty": ..., "count": n}]`` drawn before the rest.
    pools: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    time_limit_minutes: Mapped[int | None] = mapped_column(Integer)
    max_attempts: Mapped[int | None] = mapped_column(Integer)
    #: Percent of the maximum score needed to pass.
    pass_mark: Mapped[int] = mapped_column(Integer, default=70)
    review: Mapped[ReviewPolicy] = mapped_column(
        db.Enum(ReviewPolicy, native_enum=False, length=20), default=ReviewPolicy.after_submit
    )
    shuffle_questions: Mapped[bool] = mapped_column(default=True)
    shuffle_options: Mapped[bool] = mapped_column(default=True)
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The class session an exam belongs to: its class's learners take it in the window.
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("class_sessions.id", ondelete="SET NULL"), index=True
    )
    #: A quiz no longer in its package: kept for its attempts, not startable.
    active: Mapped[bool] = mapped_column(default=True)
    #: The province whose trainers set it up; None: national (a course package's quiz).
    province_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    course: Mapped[Course | None] = relationship()
    province: Mapped[Unit | None] = relationship()
    banks: Mapped[list[QuestionBank]] = relationship(
        secondary="quiz_banks", order_by="QuestionBank.id"
    )

    def title_for(self, lang: str) -> str:
        return (self.title_en or self.title) if lang.startswith("en") else self.title

    def __repr__(self) -> str:
        return f"<Quiz {self.id} {self.slug} {self.kind}>"


class Attempt(Model):
    __tablename__ = "attempts"
    __table_args__ = (
        UniqueConstraint("quiz_id", "user_id", "number"),
        # At most one open attempt per learner and quiz, even with two devices starting at once.
        Index(
            "uq_attempts_one_open",
            "quiz_id",
            "user_id",
            unique=True,
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
        Index("ix_attempts_open_deadline", "status", "deadline"),
    )

    id: Mapped[IntPK]
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    enrollment_id: Mapped[int | None] = mapped_column(
        ForeignKey("enrollments.id", ondelete="SET NULL"), index=True
    )
    #: 1 for the learner's first attempt at this quiz.
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[AttemptStatus] = mapped_column(
        db.Enum(AttemptStatus, native_enum=False, length=10), default=AttemptStatus.open
    )
    #: Seed of the draw and shuffles, so the drawing can be explained and reproduced.
    seed: Mapped[int] = mapped_column(Integer)
    #: ``[{"key", "question_id", "version_id", "presentation"}]`` in the order shown.
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When the time limit (or the quiz's closing) ends the attempt; None = no limit.
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Graded because time ran out, not because the learner submitted.
    expired: Mapped[bool] = mapped_column(default=False)
    score: Mapped[float | None] = mapped_column(Float)
    max_score: Mapped[float | None] = mapped_column(Float)
    scaled: Mapped[float | None] = mapped_column(Float)
    passed: Mapped[bool | None] = mapped_column()
    #: ``{skill_area: {"score", "max", "scaled"}}``
    area_scores: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    #: The enrollment's registration (xAPI context), copied so statements need no join.
    registration: Mapped[str | None] = mapped_column(String(36))

    quiz: Mapped[Quiz] = relationship()
    user: Mapped[User] = relationship()

    @property
    def keys(self) -> list[str]:
        return [item["key"] for item in self.items]

    def __repr__(self) -> str:
        return f"<Attempt {self.id} quiz={self.quiz_id} user={self.user_id} {self.status}>"


class AttemptResponse(Model):
    """The learner's answer to one question of an attempt, and (once graded) its credit."""

    __tablename__ = "attempt_responses"
    __table_args__ = (UniqueConstraint("attempt_id", "key"),)

    id: Mapped[IntPK]
    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("attempts.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(150))
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), index=True)
    #: The normalised answer; None when the learner left it empty.
    answer: Mapped[Any | None] = mapped_column(JSONType)
    saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    score: Mapped[float | None] = mapped_column(Float)
    max_score: Mapped[float | None] = mapped_column(Float)
    correct: Mapped[bool | None] = mapped_column()

    def __repr__(self) -> str:
        return f"<AttemptResponse {self.id} attempt={self.attempt_id} {self.key}>"
