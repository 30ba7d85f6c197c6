"""Quizzes and exams: the course quiz from its package, and exams set up by trainers.

An exam is a quiz of kind ``exam`` with a window (opens_at..closes_at), usually bound to a class
session: the learners of that class take it during the window, and its result reports a score
per skill area of the digital-skills standard.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import Select, select

from lms.assessment.banks import MANAGERS
from lms.assessment.definitions import validate_pools
from lms.assessment.models import QuestionBank, Quiz, QuizKind, ReviewPolicy
from lms.auth import permissions
from lms.auth.models import User
from lms.auth.permissions import require_role
from lms.catalog.services import get_course
from lms.classes.models import ClassSession
from lms.errors import Conflict, Forbidden, Invalid, NotFound
from lms.extensions import db
from lms.locks import insert_unique

if TYPE_CHECKING:
    from lms.catalog.models import Course
    from lms.org.models import Unit

logger = logging.getLogger(__name__)

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

SIMPLE_FIELDS = (
    "title",
    "title_en",
    "question_count",
    "time_limit_minutes",
    "max_attempts",
    "pass_mark",
    "shuffle_questions",
    "shuffle_options",
    "opens_at",
    "closes_at",
)


def get_quiz(quiz_id: int) -> Quiz:
    quiz = db.session.get(Quiz, quiz_id)
    if quiz is None:
        raise NotFound(_("Quiz not found."))
    return quiz


def course_quiz(course: Course) -> Quiz:
    quiz = db.session.scalar(
        select(Quiz).where(
            Quiz.course_id == course.id, Quiz.is_course_quiz.is_(True), Quiz.active.is_(True)
        )
    )
    if quiz is None:
        raise NotFound(_("This course has no quiz."))
    return quiz


def session_window(session: Any) -> tuple[datetime, datetime]:
    """A class session's day and hours (Vietnam time) as an aware UTC window."""
    start = datetime.combine(session.date, session.starts_at or time(0, 0), LOCAL_TZ)
    end = datetime.combine(session.date, session.ends_at or time(23, 59, 59), LOCAL_TZ)
    if end <= start:
        end = start + timedelta(hours=2)
    return start.astimezone(UTC), end.astimezone(UTC)


def get_quiz_for_staff(user: User, quiz_id: int) -> Quiz:
    """A quiz whose staff side (settings, banks, item analysis) ``user`` may read.

    Every logged-in person sees a quiz's rules, so the quiz of another province is visible
    but not theirs: 403, not 404.
    """
    quiz = get_quiz(quiz_id)
    if not permissions.can_read_content(user, quiz.province):
        raise Forbidden(_("This question bank or quiz belongs to another province."))
    return quiz


def quizzes_query(user: User) -> Select[Any]:
    """The quizzes ``user`` manages or reads as staff: national ones and their province's."""
    return select(Quiz).where(permissions.content_filter(user, Quiz.province_id))


def _banks(codes: list[str], by: User) -> list[QuestionBank]:
    """The banks named in a quiz; one ``by`` may not read is as unknown as a missing one."""
    banks = list(
        db.session.scalars(
            select(QuestionBank).where(
                QuestionBank.code.in_(codes),
                permissions.content_filter(by, QuestionBank.province_id),
            )
        )
    )
    unknown = sorted(set(codes) - {b.code for b in banks})
    if unknown:
        raise Invalid(
            _("Unknown question bank."),
            errors={"banks": [_("Unknown bank: %(codes)s.", codes=", ".join(unknown))]},
        )
    return banks


def _apply(quiz: Quiz, data: dict[str, Any], by: User) -> None:
    """Check everything first, then change the quiz: a refused change leaves it as it was."""
    opens = data.get("opens_at", quiz.opens_at)
    closes = data.get("closes_at", quiz.closes_at)
    if opens and closes and opens >= closes:
        raise Invalid(
            _("The quiz must open before it closes."),
            errors={"closes_at": [_("Must be after opens_at.")]},
        )
    pools = None
    if "pools" in data:
        errors: list[tuple[tuple[str | int, ...], str]] = []
        pools = validate_pools(data["pools"], errors)
        if errors:
            raise Invalid(
                _("Invalid input."),
                errors={".".join(str(p) for p in path): [msg] for path, msg in errors},
            )
    chosen_banks = _banks(list(data["banks"]), by) if "banks" in data else None
    course = quiz.course
    if "course" in data:
        course = get_course(data["course"]) if data["course"] else None
    session = _resolve_session(data["session_id"], course, by) if data.get("session_id") else None
    for name in SIMPLE_FIELDS:
        if name in data:
            setattr(quiz, name, data[name])
    if "kind" in data:
        quiz.kind = QuizKind(data["kind"])
    if "review" in data:
        quiz.review = ReviewPolicy(data["review"])
    if pools is not None:
        quiz.pools = pools
    quiz.course = course
    if chosen_banks is not None:
        quiz.banks = chosen_banks
    if "session_id" in data:
        set_window = data.get("opens_at") is None and data.get("closes_at") is None
        _bind_session(quiz, session, set_window=set_window)


def _resolve_session(session_id: int | None, course: Course | None, by: User) -> Any:
    """The class session to bind (checked against the quiz's course), or None. A session of a
    class ``by`` does not run is as unknown as a missing one."""
    if session_id is None:
        return None

    session = db.session.get(ClassSession, session_id)
    if session is None or not permissions.can_manage_class(by, session.klass):
        raise Invalid(_("Invalid input."), errors={"session_id": [_("Unknown class session.")]})
    if course is not None and course.id != session.klass.course_id:
        raise Invalid(
            _("Invalid input."),
            errors={"session_id": [_("The session's class is for another course.")]},
        )
    return session


def _bind_session(quiz: Quiz, session: Any, *, set_window: bool) -> None:
    if session is None:
        quiz.session_id = None
        return
    if quiz.course is None:
        quiz.course = session.klass.course
    quiz.session_id = session.id
    if set_window and quiz.opens_at is None and quiz.closes_at is None:
        quiz.opens_at, quiz.closes_at = session_window(session)


def create_quiz(data: dict[str, Any], *, by: User, province: Unit | None = None) -> Quiz:
    """Create a quiz or exam drawing from existing banks (the standard exam, for one), owned
    by ``province`` (None: national, which only admins create)."""
    require_role(by, *MANAGERS)
    permissions.ensure_can_edit_content(by, province)
    if db.session.scalar(select(Quiz.id).where(Quiz.slug == data["slug"])):
        raise Conflict(_("A quiz with this slug exists."), errors={"slug": [_("Already used.")]})
    quiz = Quiz(slug=data["slug"], title=data["title"], is_course_quiz=False, province=province)
    _apply(quiz, data, by)
    with insert_unique(_slug_used):  # the same slug created by a parallel request
        db.session.add(quiz)
    logger.info("Created quiz %s (%s, %s) by user %s", quiz.id, quiz.slug, quiz.kind, by.id)
    return quiz


def _slug_used() -> Conflict:
    return Conflict(_("A quiz with this slug exists."), errors={"slug": [_("Already used.")]})


def update_quiz(quiz: Quiz, changes: dict[str, Any], *, by: User) -> Quiz:
    """Change a quiz; ``changes["province"]`` (a Unit or None) hands it to another owner."""
    require_role(by, *MANAGERS)
    permissions.ensure_can_edit_content(by, quiz.province)
    if "province" in changes:
        permissions.ensure_can_edit_content(by, changes["province"])
    _apply(quiz, changes, by)
    if "province" in changes:
        quiz.province = changes["province"]
    db.session.flush()
    logger.info("Updated quiz %s by user %s: %s", quiz.id, by.id, sorted(changes))
    return quiz


def list_quizzes_stmt(user: User, *, course_id: int | None = None, kind: str | None = None) -> Any:
    stmt = quizzes_query(user).order_by(Quiz.id)
    if course_id is not None:
        stmt = stmt.where(Quiz.course_id == course_id)
    if kind is not None:
        stmt = stmt.where(Quiz.kind == kind)
    return stmt
