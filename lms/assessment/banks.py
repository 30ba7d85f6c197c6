"""Question banks and questions: import from packages, and the trainers' edits.

Every content change of a question adds a :class:`QuestionVersion`; attempts keep pointing at
the version they drew. A question that leaves its bank while attempts use it is deactivated,
not deleted.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from sqlalchemy import Select, exists, func, select

from lms.assessment.definitions import QuestionData, QuizSettings, validate_question
from lms.assessment.models import (
    AttemptResponse,
    Difficulty,
    Question,
    QuestionBank,
    QuestionVersion,
    Quiz,
    QuizBank,
    QuizKind,
    ReviewPolicy,
)
from lms.auth import permissions
from lms.auth.models import Role, User
from lms.auth.permissions import require_role
from lms.errors import Conflict, Invalid, NotFound
from lms.extensions import db
from lms.locks import insert_unique, lock

if TYPE_CHECKING:
    from lms.catalog.models import Course
    from lms.org.models import Unit

logger = logging.getLogger(__name__)

MANAGERS = (Role.trainer, Role.admin)


# --- banks -------------------------------------------------------------------------------


def get_bank(bank_id: int) -> QuestionBank:
    bank = db.session.get(QuestionBank, bank_id)
    if bank is None:
        raise NotFound(_("Question bank not found."))
    return bank


def get_bank_for(user: User, bank_id: int) -> QuestionBank:
    """The bank if ``user`` may read it (its key included); another province's is unknown."""
    bank = get_bank(bank_id)
    permissions.ensure_can_read_content(user, bank.province, missing=_("Question bank not found."))
    return bank


def banks_query(user: User) -> Select[Any]:
    """The banks ``user`` may read: national ones and their province's."""
    return (
        select(QuestionBank)
        .where(permissions.content_filter(user, QuestionBank.province_id))
        .order_by(QuestionBank.code)
    )


def bank_for_course(course: Course) -> QuestionBank | None:
    return db.session.scalar(select(QuestionBank).where(QuestionBank.course_id == course.id))


def create_bank(
    *,
    code: str,
    title: str,
    by: User,
    title_en: str | None = None,
    skill_area: str | None = None,
    description: str | None = None,
    course: Course | None = None,
    province: Unit | None = None,
) -> QuestionBank:
    """Create a bank owned by ``province`` (None: national, which only admins create)."""
    require_role(by, *MANAGERS)
    permissions.ensure_can_edit_content(by, province)
    if db.session.scalar(select(QuestionBank.id).where(QuestionBank.code == code)):
        raise _bank_code_used(code)
    bank = QuestionBank(
        code=code,
        title=title,
        title_en=title_en,
        skill_area=skill_area,
        description=description,
        course_id=course.id if course else None,
        province=province,
    )
    with insert_unique(lambda: _bank_code_used(code)):  # the same code, in parallel
        db.session.add(bank)
    logger.info("Created question bank %s (%s) by user %s", bank.id, code, by.id)
    return bank


def _bank_code_used(code: str) -> Conflict:
    return Conflict(
        _("A question bank with code %(code)s exists.", code=code),
        errors={"code": [_("Already used.")]},
    )


def update_bank(bank: QuestionBank, changes: dict[str, Any], *, by: User) -> QuestionBank:
    """Change a bank; ``changes["province"]`` (a Unit or None) hands it to another owner,
    which must be one ``by`` may edit too."""
    require_role(by, *MANAGERS)
    permissions.ensure_can_edit_content(by, bank.province)
    if "province" in changes:
        permissions.ensure_can_edit_content(by, changes["province"])
        bank.province = changes["province"]
    for name in ("title", "title_en", "skill_area", "description"):
        if name in changes:
            setattr(bank, name, changes[name])
    db.session.flush()
    logger.info("Updated question bank %s by user %s", bank.id, by.id)
    return bank


def delete_bank(bank: QuestionBank, *, by: User) -> None:
    require_role(by, *MANAGERS)
    permissions.ensure_can_edit_content(by, bank.province)
    if bank.course_id is not None:
        raise Conflict(_("A course's bank comes from its package; re-import the course instead."))
    if lock(bank) is None:  # deleted by a parallel request
        raise NotFound(_("Question bank not found."))
    used = db.session.scalar(
        select(
            exists().where(AttemptResponse.question_id == Question.id, Question.bank_id == bank.id)
        )
    )
    if used:
        raise Conflict(_("Attempts use questions of this bank; it cannot be deleted."))
    db.session.delete(bank)
    db.session.flush()
    logger.info("Deleted question bank %s by user %s", bank.id, by.id)


# --- questions ---------------------------------------------------------------------------


def get_question(bank: QuestionBank, key: str) -> Question:
    question = db.session.scalar(
        select(Question).where(Question.bank_id == bank.id, Question.key == key)
    )
    if question is None:
        raise NotFound(_("Question not found."))
    return question


def upsert_question(
    bank: QuestionBank, data: QuestionData, *, position: int | None = None
) -> Question:
    """Create the question or, when its content changed, add a new version of it."""
    question = db.session.scalar(
        select(Question).where(Question.bank_id == bank.id, Question.key == data.key)
    )
    digest = data.content_hash
    if question is None:
        question = Question(bank=bank, key=data.key, version=0, position=position or 0)
        db.session.add(question)
    elif question.current is not None and question.current.content_hash == digest:
        question.active = True
        if position is not None:
            question.position = position
        return question
    question.type = data.type
    question.skill_area = data.skill_area
    question.difficulty = Difficulty(data.difficulty)
    question.points = data.points
    question.active = True
    question.version += 1
    if position is not None:
        question.position = position
    db.session.flush()
    version = QuestionVersion(
        question_id=question.id,
        version=question.version,
        type=data.type,
        content=data.content,
        content_hash=digest,
    )
    db.session.add(version)
    db.session.flush()
    question.current = version
    db.session.flush()
    return question


def _validated(raw: dict[str, Any], *, key: str | None = None) -> QuestionData:
    if key is not None:
        raw = {**raw, "id": key}
    data, errors = validate_question(raw)
    if data is None:
        messages: dict[str, list[str]] = {}
        for path, message in errors:
            messages.setdefault(".".join(str(p) for p in path) or "_schema", []).append(message)
        raise Invalid(_("The question is not valid."), errors=messages)
    return data


def create_question(bank: QuestionBank, raw: dict[str, Any], *, by: User) -> Question:
    require_role(by, *MANAGERS)
    permissions.ensure_can_edit_content(by, bank.province)
    data = _validated(raw)
    lock(bank)  # the key check and the next position are decided on the bank's questions
    if db.session.scalar(
        select(Question.id).where(Question.bank_id == bank.id, Question.key == data.key)
    ):
        raise Conflict(
            _("Question id %(key)s is already used in this bank.", key=data.key),
            errors={"id": [_("Already used.")]},
        )
    last = db.session.scalar(select(func.max(Question.position)).where(Question.bank_id == bank.id))
    question = upsert_question(bank, data, position=(last or 0) + 1)
    logger.info("Created question %s in bank %s by user %s", question.key, bank.id, by.id)
    return question


def update_question(question: Question, raw: dict[str, Any], *, by: User) -> Question:
    """Replace the question's content (a new version when it changed)."""
    require_role(by, *MANAGERS)
    permissions.ensure_can_edit_content(by, question.bank.province)
    data = _validated(raw, key=question.key)
    lock(question)  # the next version number is decided on the question as it is now
    upsert_question(question.bank, data)
    logger.info("Updated question %s (v%s) by user %s", question.key, question.version, by.id)
    return question


def delete_question(question: Question, *, by: User) -> None:
    """Delete, or only deactivate when attempts already hold it."""
    require_role(by, *MANAGERS)
    permissions.ensure_can_edit_content(by, question.bank.province)
    used = db.session.scalar(select(exists().where(AttemptResponse.question_id == question.id)))
    if lock(question) is None:  # deleted by a parallel request
        raise NotFound(_("Question not found."))
    if used:
        question.active = False
        logger.info("Deactivated question %s by user %s", question.id, by.id)
    else:
        question.current = None
        db.session.flush()
        db.session.delete(question)
        logger.info("Deleted question %s by user %s", question.id, by.id)
    db.session.flush()


def question_dict(question: Question, lang: str = "vi") -> dict[str, Any]:
    """The full question as a trainer edits it (with the key): questions.yaml's shape."""
    content = question.current.content if question.current else {}
    definition = dict(content.get("definition") or {})
    out: dict[str, Any] = {
        "id": question.key,
        "type": question.type,
        "skill_area": question.skill_area,
        "difficulty": str(question.difficulty),
        "points": question.points,
        "text": content.get("text"),
        "text_en": content.get("text_en"),
        "explanation": content.get("explanation"),
        "explanation_en": content.get("explanation_en"),
    }
    out.update(_authoring_fields(question.type, definition))
    return {k: v for k, v in out.items() if v is not None}


def _authoring_fields(type_key: str, definition: dict[str, Any]) -> dict[str, Any]:
    """Turn a stored definition back into the fields an author writes."""
    if type_key in ("single_choice", "multiple_choice"):
        out: dict[str, Any] = {
            "options": [
                {k: v for k, v in o.items() if v is not None and not (k == "correct" and not v)}
                for o in definition["options"]
            ]
        }
        if type_key == "multiple_choice":
            out["scoring"] = definition.get("scoring", "all_or_nothing")
        return out
    if type_key == "matching":
        right = {r["id"]: r for r in definition["right"]}
        pairs = []
        for left in definition["left"]:
            r = right[definition["key"][left["id"]]]
            pair = {"left": left["text"], "right": r["text"]}
            if left.get("text_en"):
                pair["left_en"] = left["text_en"]
            if r.get("text_en"):
                pair["right_en"] = r["text_en"]
            pairs.append(pair)
        return {"pairs": pairs, "scoring": definition.get("scoring", "all_or_nothing")}
    if type_key == "ordering":
        out = {"items": [i["text"] for i in definition["items"]]}
        if any(i.get("text_en") for i in definition["items"]):
            out["items_en"] = [i.get("text_en") or i["text"] for i in definition["items"]]
        out["scoring"] = definition.get("scoring", "all_or_nothing")
        return out
    if type_key == "numeric":
        return {"answer": float(definition["answer"]), "tolerance": float(definition["tolerance"])}
    return dict(definition)


# --- import from a course package --------------------------------------------------------


def import_course_bank(
    course: Course, questions: list[QuestionData], settings: QuizSettings | None
) -> QuestionBank:
    """Bring the course's bank and quiz in line with its package, keeping old attempts valid."""
    bank = bank_for_course(course)
    if bank is None:
        code = course.slug
        if db.session.scalar(select(QuestionBank.id).where(QuestionBank.code == code)):
            code = f"course-{course.slug}"
        bank = QuestionBank(code=code, title=course.title, course_id=course.id)
        db.session.add(bank)
        db.session.flush()
    bank.title, bank.title_en = course.title, course.title_en
    keys = set()
    for position, data in enumerate(questions, start=1):
        upsert_question(bank, data, position=position)
        keys.add(data.key)
    for question in db.session.scalars(select(Question).where(Question.bank_id == bank.id)):
        if question.key not in keys:
            question.active = False
    quiz = db.session.scalar(
        select(Quiz).where(Quiz.course_id == course.id, Quiz.is_course_quiz.is_(True))
    )
    if settings is None:
        if quiz is not None:
            quiz.active = False
    else:
        if quiz is None:
            slug = course.slug
            if db.session.scalar(select(Quiz.id).where(Quiz.slug == slug)):
                slug = f"course-{course.slug}"
            quiz = Quiz(slug=slug, course_id=course.id, is_course_quiz=True)
            db.session.add(quiz)
        apply_settings(quiz, settings)
        quiz.active = True
        db.session.flush()
        if not db.session.scalar(
            select(QuizBank.id).where(QuizBank.quiz_id == quiz.id, QuizBank.bank_id == bank.id)
        ):
            db.session.add(QuizBank(quiz_id=quiz.id, bank_id=bank.id))
    db.session.flush()
    logger.info(
        "Imported question bank of course %s: %s questions, quiz %s",
        course.slug,
        len(questions),
        quiz.id if quiz else None,
    )
    return bank


def apply_settings(quiz: Quiz, settings: QuizSettings) -> None:
    quiz.title = settings.title
    quiz.title_en = settings.title_en
    quiz.question_count = settings.question_count
    quiz.pools = list(settings.pools)
    quiz.time_limit_minutes = settings.time_limit_minutes
    quiz.max_attempts = settings.max_attempts
    quiz.pass_mark = settings.pass_mark
    quiz.review = ReviewPolicy(settings.review)
    quiz.kind = QuizKind(settings.kind)
    quiz.shuffle_questions = settings.shuffle_questions
    quiz.shuffle_options = settings.shuffle_options
