"""JSON API of the assessment domain under /api/v1: banks, quizzes, attempts, analysis."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from lms.assessment import analysis, attempts, banks, presenters, quizzes
from lms.assessment.models import Attempt, Question, QuestionBank, Quiz
from lms.assessment.schemas import (
    AnalysisSchema,
    AttemptSchema,
    AttemptSummarySchema,
    BankCreateSchema,
    BankDetailSchema,
    BankQuerySchema,
    BankSchema,
    BankUpdateSchema,
    QuestionInputSchema,
    QuestionOutputSchema,
    QuestionUpdateSchema,
    QuizCreateSchema,
    QuizQuerySchema,
    QuizSchema,
    QuizUpdateSchema,
    RegradeSchema,
    ResponsesSchema,
    SavedSchema,
)
from lms.assessment.tx import commit_with_retry
from lms.auth import permissions
from lms.auth.models import Role
from lms.auth.permissions import auth_required, current
from lms.catalog.services import get_course
from lms.db import utcnow
from lms.errors import Invalid, NotFound
from lms.extensions import db
from lms.http import created, load, no_content, paginate, query_args
from lms.openapi import doc
from lms.org.services import get_unit

bp = Blueprint("assessment", __name__, url_prefix="/api/v1")

STAFF = (Role.trainer, Role.admin)
TAGS = ["assessment"]


def _lang() -> str:
    return str(get_locale() or "vi")


def _province(data: dict[str, Any], user: Any) -> Any:
    """The owner named by ``data["province"]`` (a code; null: national), popped from ``data``;
    the user's own province when the field is absent. An unknown code is a field error."""
    if "province" not in data:
        return permissions.home_province(user)
    code = data.pop("province")
    if not code:
        return None
    try:
        return get_unit(code)
    except NotFound as exc:
        raise Invalid(_("Invalid input."), errors={"province": [exc.message]}) from exc


# --- question banks ----------------------------------------------------------------------


@bp.get("/question-banks")
@auth_required(*STAFF)
@doc(
    summary="List question banks",
    tags=TAGS,
    query=BankQuerySchema,
    response=BankSchema,
    paginated=True,
    responses={404: "No such course"},
)
def list_banks() -> ResponseReturnValue:
    args = query_args(BankQuerySchema())
    stmt = banks.banks_query(current())
    if args.get("skill_area"):
        stmt = stmt.where(QuestionBank.skill_area == args["skill_area"])
    if args.get("course"):
        stmt = stmt.where(QuestionBank.course_id == get_course(args["course"]).id)
    return paginate(stmt, BankSchema().dump)


@bp.post("/question-banks")
@auth_required(*STAFF)
@doc(
    summary="Create a question bank",
    tags=TAGS,
    body=BankCreateSchema,
    response=BankSchema,
    status=201,
)
def create_bank() -> ResponseReturnValue:
    data = load(BankCreateSchema())
    user = current()
    bank = banks.create_bank(by=user, province=_province(data, user), **data)
    db.session.commit()
    return created(BankSchema().dump(bank), url_for(".get_bank", bank_id=bank.id))


@bp.get("/question-banks/<int:bank_id>")
@auth_required(*STAFF)
@doc(
    summary="A question bank with its questions (answer keys included)",
    tags=TAGS,
    response=BankDetailSchema,
)
def get_bank(bank_id: int) -> ResponseReturnValue:
    bank = banks.get_bank_for(current(), bank_id)
    body = BankSchema().dump(bank)
    body["questions"] = [
        banks.question_dict(q) | {"version": q.version, "active": q.active} for q in bank.questions
    ]
    return jsonify(body)


@bp.patch("/question-banks/<int:bank_id>")
@auth_required(*STAFF)
@doc(summary="Change a question bank", tags=TAGS, body=BankUpdateSchema, response=BankSchema)
def update_bank(bank_id: int) -> ResponseReturnValue:
    data = load(BankUpdateSchema(), partial=True)
    user = current()
    bank = banks.get_bank_for(user, bank_id)
    if "province" in data:
        data["province"] = _province(data, user)
    bank = banks.update_bank(bank, data, by=user)
    db.session.commit()
    return jsonify(BankSchema().dump(bank))


@bp.delete("/question-banks/<int:bank_id>")
@auth_required(*STAFF)
@doc(
    summary="Delete a question bank no attempt uses",
    tags=TAGS,
    status=204,
    responses={409: "In use"},
)
def delete_bank(bank_id: int) -> ResponseReturnValue:
    user = current()
    banks.delete_bank(banks.get_bank_for(user, bank_id), by=user)
    db.session.commit()
    return no_content()


def _question_body(question: Any) -> dict[str, Any]:
    return banks.question_dict(question) | {"version": question.version, "active": question.active}


@bp.get("/question-banks/<int:bank_id>/questions")
@auth_required(*STAFF)
@doc(summary="Questions of a bank", tags=TAGS, response=QuestionOutputSchema, paginated=True)
def list_questions(bank_id: int) -> ResponseReturnValue:
    bank = banks.get_bank_for(current(), bank_id)
    stmt = (
        select(Question).where(Question.bank_id == bank.id).order_by(Question.position, Question.id)
    )
    return paginate(stmt, _question_body)


@bp.post("/question-banks/<int:bank_id>/questions")
@auth_required(*STAFF)
@doc(
    summary="Add a question",
    tags=TAGS,
    body=QuestionInputSchema,
    response=QuestionOutputSchema,
    status=201,
)
def create_question(bank_id: int) -> ResponseReturnValue:
    user = current()
    bank = banks.get_bank_for(user, bank_id)
    question = banks.create_question(bank, load(QuestionInputSchema()), by=user)
    db.session.commit()
    return created(
        _question_body(question),
        url_for(".get_question", bank_id=bank.id, key=question.key),
    )


@bp.get("/question-banks/<int:bank_id>/questions/<key>")
@auth_required(*STAFF)
@doc(summary="One question (with its key)", tags=TAGS, response=QuestionOutputSchema)
def get_question(bank_id: int, key: str) -> ResponseReturnValue:
    return jsonify(_question_body(banks.get_question(banks.get_bank_for(current(), bank_id), key)))


@bp.put("/question-banks/<int:bank_id>/questions/<key>")
@auth_required(*STAFF)
@doc(
    summary="Replace a question's content (a new version; old attempts keep theirs)",
    tags=TAGS,
    body=QuestionUpdateSchema,
    response=QuestionOutputSchema,
)
def update_question(bank_id: int, key: str) -> ResponseReturnValue:
    user = current()
    question = banks.get_question(banks.get_bank_for(user, bank_id), key)
    banks.update_question(question, load(QuestionUpdateSchema()), by=user)
    db.session.commit()
    return jsonify(_question_body(question))


@bp.delete("/question-banks/<int:bank_id>/questions/<key>")
@auth_required(*STAFF)
@doc(summary="Delete a question (deactivated if attempts hold it)", tags=TAGS, status=204)
def delete_question(bank_id: int, key: str) -> ResponseReturnValue:
    user = current()
    banks.delete_question(banks.get_question(banks.get_bank_for(user, bank_id), key), by=user)
    db.session.commit()
    return no_content()


# --- quizzes -----------------------------------------------------------------------------


@bp.get("/quizzes")
@auth_required(*STAFF)
@doc(
    summary="List quizzes and exams",
    tags=TAGS,
    query=QuizQuerySchema,
    response=QuizSchema,
    paginated=True,
    responses={404: "No such course"},
)
def list_quizzes() -> ResponseReturnValue:
    args = query_args(QuizQuerySchema())
    course_id = None
    if args.get("course"):
        course_id = get_course(args["course"]).id
    stmt = quizzes.list_quizzes_stmt(current(), course_id=course_id, kind=args.get("kind"))
    return paginate(stmt, presenters.quiz_for_staff)


@bp.post("/quizzes")
@auth_required(*STAFF)
@doc(
    summary="Create a quiz or an exam",
    tags=TAGS,
    body=QuizCreateSchema,
    response=QuizSchema,
    status=201,
    responses={404: "No such course or class session"},
)
def create_quiz() -> ResponseReturnValue:
    data = load(QuizCreateSchema())
    user = current()
    quiz = quizzes.create_quiz(data, by=user, province=_province(data, user))
    db.session.commit()
    return created(presenters.quiz_for_staff(quiz), url_for(".get_quiz", quiz_id=quiz.id))


def _quiz_body(quiz: Quiz) -> dict[str, Any]:
    user = current()
    body = presenters.quiz_for_learner(quiz, user)
    if user.has_role(*STAFF) and permissions.can_read_content(user, quiz.province):
        body |= presenters.quiz_for_staff(quiz)
    db.session.commit()  # an attempt found past its time limit was just graded
    return body


@bp.get("/quizzes/<int:quiz_id>")
@auth_required()
@doc(summary="A quiz: settings and my attempts (no questions)", tags=TAGS, response=QuizSchema)
def get_quiz(quiz_id: int) -> ResponseReturnValue:
    return jsonify(_quiz_body(quizzes.get_quiz(quiz_id)))


@bp.patch("/quizzes/<int:quiz_id>")
@auth_required(*STAFF)
@doc(
    summary="Change a quiz (window, class session, pools...)",
    tags=TAGS,
    body=QuizUpdateSchema,
    response=QuizSchema,
)
def update_quiz(quiz_id: int) -> ResponseReturnValue:
    user = current()
    quiz = quizzes.get_quiz(quiz_id)
    changes = load(QuizUpdateSchema(), partial=True)
    if "province" in changes:
        changes["province"] = _province(changes, user)
    quiz = quizzes.update_quiz(quiz, changes, by=user)
    db.session.commit()
    return jsonify(presenters.quiz_for_staff(quiz))


@bp.get("/courses/<slug>/quiz")
@auth_required()
@doc(
    summary="The course's quiz: settings and my attempts (no questions, no key)",
    tags=TAGS,
    response=QuizSchema,
)
def course_quiz(slug: str) -> ResponseReturnValue:
    return jsonify(_quiz_body(quizzes.course_quiz(get_course(slug))))


@bp.get("/quizzes/<int:quiz_id>/analysis")
@auth_required(*STAFF)
@doc(
    summary="Item analysis: per question and the score histogram",
    tags=TAGS,
    response=AnalysisSchema,
)
def quiz_analysis(quiz_id: int) -> ResponseReturnValue:
    return jsonify(analysis.analyse(quizzes.get_quiz_for_staff(current(), quiz_id), lang=_lang()))


@bp.get("/quizzes/<int:quiz_id>/attempts")
@auth_required()
@doc(
    summary="Attempts at a quiz (mine; every learner's for trainers)",
    tags=TAGS,
    paginated=True,
    response=AttemptSummarySchema,
)
def list_attempts(quiz_id: int) -> ResponseReturnValue:
    quiz = quizzes.get_quiz(quiz_id)
    stmt = attempts.visible_attempts(quiz, current())
    return paginate(stmt, lambda a: presenters.attempt_summary(a) | {"user_id": a.user_id})


@bp.post("/quizzes/<int:quiz_id>/attempts")
@auth_required()
@doc(
    summary="Start an attempt, or get the open one (questions without the key)",
    tags=TAGS,
    response=AttemptSchema,
    status=201,
    responses={
        200: "An attempt was already open: it is returned to resume",
        409: "No attempts left or quiz closed",
    },
)
def start_attempt(quiz_id: int) -> ResponseReturnValue:
    user = current()
    now = utcnow()
    lang = _lang()

    def work() -> tuple[dict[str, Any], bool]:
        attempt, is_new = attempts.start_attempt(quizzes.get_quiz(quiz_id), user, now=now)
        # Built before the commit expires the rows: no reloading them to answer.
        return presenters.attempt_view(attempt, user, lang=lang, now=now), is_new

    body, is_new = commit_with_retry(work)
    if is_new:
        return created(body, url_for(".get_attempt", attempt_id=body["id"]))
    return jsonify(body)


# --- attempts ----------------------------------------------------------------------------


@bp.get("/attempts/<int:attempt_id>")
@auth_required()
@doc(
    summary="An attempt: to resume it, or its result (review per the policy)",
    tags=TAGS,
    response=AttemptSchema,
)
def get_attempt(attempt_id: int) -> ResponseReturnValue:
    user = current()
    now = utcnow()

    def work() -> Attempt:
        attempt = attempts.get_attempt(attempt_id)
        attempts.ensure_owner(attempt, user, allow_staff=True)
        return attempts.refresh_if_expired(attempt, now=now)

    attempt = commit_with_retry(work)
    return jsonify(presenters.attempt_view(attempt, user, lang=_lang(), now=now))


@bp.put("/attempts/<int:attempt_id>/responses")
@auth_required()
@doc(
    summary="Save answers (merged with those saved before)",
    tags=TAGS,
    body=ResponsesSchema,
    response=SavedSchema,
    responses={
        409: "Attempt submitted, or its time is up (it was graded)",
        422: "Wrong answer shape; field responses.<key>",
    },
)
def save_responses(attempt_id: int) -> ResponseReturnValue:
    data = load(ResponsesSchema())
    user = current()
    now = utcnow()

    def work() -> tuple[dict[str, Any], int | None]:
        return attempts.save_answers(attempt_id, user, data["responses"], now=now)

    saved, remaining = commit_with_retry(work)
    return jsonify(
        {"saved": sorted(saved), "saved_at": now.isoformat(), "remaining_seconds": remaining}
    )


@bp.post("/attempts/<int:attempt_id>/submit")
@auth_required()
@doc(
    summary="Submit and grade (idempotent: again returns the same result)",
    tags=TAGS,
    response=AttemptSchema,
)
def submit_attempt(attempt_id: int) -> ResponseReturnValue:
    user = current()
    now = utcnow()
    lang = _lang()

    def work() -> dict[str, Any]:
        attempt = attempts.submit_attempt(attempts.get_attempt(attempt_id), user, now=now)
        return presenters.attempt_view(attempt, user, lang=lang, now=now)

    return jsonify(commit_with_retry(work))


@bp.post("/attempts/<int:attempt_id>/regrade")
@auth_required(Role.admin)
@doc(
    summary="Grade an attempt again and store the result if it differs",
    tags=TAGS,
    response=RegradeSchema,
)
def regrade_attempt(attempt_id: int) -> ResponseReturnValue:
    result, changed = attempts.regrade(attempts.get_attempt(attempt_id), apply=True)
    db.session.commit()
    return jsonify(
        {
            "changed": changed,
            "score": result.score,
            "max_score": result.max_score,
            "passed": result.passed,
        }
    )
