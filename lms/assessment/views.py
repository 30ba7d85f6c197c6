"""Browser pages: a quiz's page, taking an attempt, its result, the trainers' banks and analysis.

Taking a quiz is one page driven by ``static/js/assessment.js`` through the JSON API (autosave,
countdown from the server's time, resume); everything else is rendered on the server.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from sqlalchemy import select

from lms.assessment import analysis, attempts, presenters, quizzes
from lms.assessment import banks as bank_svc
from lms.assessment.definitions import validate_question
from lms.assessment.items import TYPES
from lms.assessment.models import AttemptStatus, QuestionBank, Quiz
from lms.assessment.tx import commit_with_retry
from lms.auth import permissions
from lms.auth.models import Role
from lms.auth.permissions import current, require_role
from lms.catalog.services import get_course
from lms.catalog.yamlines import YamlLoadError
from lms.catalog.yamlines import load as load_yaml
from lms.classes import enrollments, next_steps
from lms.classes.cohorts import manageable_classes
from lms.classes.models import Class, ClassSession
from lms.constants import SKILL_AREA_LABELS, SkillArea, label
from lms.db import utcnow
from lms.edge import INT32
from lms.errors import DomainError, Invalid
from lms.extensions import db
from lms.http import whole_number

bp = Blueprint("assessment_views", __name__)

STAFF = (Role.trainer, Role.admin)


def _lang() -> str:
    return str(get_locale() or "vi")


#: Difficulties in words (the code stays in the YAML a trainer writes).
DIFFICULTY_LABELS = {"easy": _l("Easy"), "medium": _l("Medium"), "hard": _l("Hard")}


def _type_label(key: str) -> str:
    """A question type in words: its ``label`` (an English msgid) through the catalog."""
    item = TYPES.get(str(key))
    return _(item.label) if item is not None else str(key)


def _common() -> dict[str, Any]:
    return {
        "area_label": lambda code: label(SKILL_AREA_LABELS, code),
        "type_label": _type_label,
        "difficulty_label": lambda code: str(DIFFICULTY_LABELS.get(str(code), code or "")),
        "lang": _lang(),
    }


def _course_url(quiz: Quiz) -> str | None:
    """The course page, when the catalog has one (it owns that endpoint)."""
    if quiz.course is None or "learner_views.course" not in current_app.view_functions:
        return None
    return url_for("learner_views.course", slug=quiz.course.slug)


# --- learners ----------------------------------------------------------------------------


@bp.route("/quizzes/<int:quiz_id>", methods=["GET", "POST"])
@login_required
def quiz(quiz_id: int) -> ResponseReturnValue:
    """The quiz's page; trainers also set its window and class session here (POST)."""
    the_quiz = quizzes.get_quiz(quiz_id)
    user = current()
    staff = user.has_role(*STAFF) and permissions.can_edit_content(user, the_quiz.province)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        require_role(user, *STAFF)
        permissions.ensure_can_edit_content(user, the_quiz.province)
        try:
            quizzes.update_quiz(the_quiz, _settings_form(), by=user)
            db.session.commit()
            flash(_("Quiz settings saved."), "success")
            return redirect(url_for(".quiz", quiz_id=quiz_id))
        except DomainError as exc:
            db.session.rollback()
            the_quiz = quizzes.get_quiz(quiz_id)
            errors = exc.errors or {"_schema": [exc.message]}
    data = presenters.quiz_for_learner(the_quiz, user)
    db.session.commit()  # an attempt found past its time limit was just graded
    return render_template(
        "assessment/quiz.html",
        quiz=the_quiz,
        data=data,
        course_url=_course_url(the_quiz),
        staff=staff,
        sessions=_sessions(the_quiz, user) if staff else [],
        local=_local_input,
        errors=errors,
        **_common(),
    )


def _local_input(value: datetime | None) -> str:
    """A UTC datetime as the value of a ``datetime-local`` input (Vietnam time)."""
    return value.astimezone(quizzes.LOCAL_TZ).strftime("%Y-%m-%dT%H:%M") if value else ""


def _parse_local(raw: str | None, field: str) -> datetime | None:
    if not raw:
        return None
    try:
        parsed = datetime.strptime(raw, "%Y-%m-%dT%H:%M")
    except ValueError:
        raise Invalid(_("Invalid input."), errors={field: [_("Not a date and time.")]}) from None
    return parsed.replace(tzinfo=quizzes.LOCAL_TZ).astimezone(UTC)


def _settings_form() -> dict[str, Any]:
    session_raw = request.form.get("session_id", "")
    return {
        "opens_at": _parse_local(request.form.get("opens_at"), "opens_at"),
        "closes_at": _parse_local(request.form.get("closes_at"), "closes_at"),
        "session_id": whole_number(session_raw, 0, 1, INT32[1]) or None,
    }


def _sessions(the_quiz: Quiz, user: Any) -> list[Any]:
    """Sessions of the classes of the quiz's course that ``user`` runs, for binding an exam."""
    if the_quiz.course_id is None:
        return []

    run = manageable_classes(user).with_only_columns(Class.id).order_by(None)
    return list(
        db.session.scalars(
            select(ClassSession)
            .join(Class, Class.id == ClassSession.class_id)
            .where(Class.course_id == the_quiz.course_id, ClassSession.class_id.in_(run))
            .order_by(ClassSession.date.desc())
            .limit(200)
        )
    )


@bp.get("/courses/<slug>/quiz")
@login_required
def course_quiz(slug: str) -> ResponseReturnValue:
    the_quiz = quizzes.course_quiz(get_course(slug))
    return redirect(url_for(".quiz", quiz_id=the_quiz.id))


@bp.post("/quizzes/<int:quiz_id>/start")
@login_required
def start(quiz_id: int) -> ResponseReturnValue:
    user = current()
    try:
        attempt, _created = commit_with_retry(
            lambda: attempts.start_attempt(quizzes.get_quiz(quiz_id), user, now=utcnow())
        )
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for(".quiz", quiz_id=quiz_id))
    return redirect(url_for(".attempt", attempt_id=attempt.id))


@bp.get("/attempts/<int:attempt_id>")
@login_required
def attempt(attempt_id: int) -> ResponseReturnValue:
    user = current()
    now = utcnow()

    def work() -> Any:
        found = attempts.get_attempt(attempt_id)
        attempts.ensure_owner(found, user, allow_staff=True)
        return attempts.refresh_if_expired(found, now=now)

    found = commit_with_retry(work)
    if found.status == AttemptStatus.open and found.user_id == user.id:
        return render_template("assessment/take.html", attempt=found, quiz=found.quiz)
    view = presenters.attempt_view(found, user, lang=_lang(), now=now)
    steps: list[next_steps.Step] = []
    course = found.quiz.course
    if found.user_id == user.id and course is not None:
        # After the result, the same next step as the course page: the certificate once passed.
        enrollment = enrollments.enrollment_for(user, course)
        if enrollment is not None:
            steps = next_steps.steps_for(enrollment)
    return render_template(
        "assessment/result.html",
        attempt=found,
        quiz=found.quiz,
        view=view,
        review=_review_rows(view),
        steps=steps,
        **_common(),
    )


def _choice_text(question: dict[str, Any], option_id: Any) -> str:
    for option in question.get("options", []):
        if option["id"] == option_id:
            return str(option["text"])
    return str(option_id)


def _readable(question: dict[str, Any], value: Any) -> str | list[str]:
    """An answer (the learner's or the key) as text a person reads on the result page."""
    if value is None or value == [] or value == {}:
        return _("(no answer)")
    kind = question["type"]
    if kind == "single_choice":
        return _choice_text(question, value)
    if kind == "multiple_choice":
        return [_choice_text(question, v) for v in value]
    if kind == "true_false":
        return _("True") if value else _("False")
    if kind == "matching":
        lefts = {i["id"]: i["text"] for i in question["left"]}
        rights = {i["id"]: i["text"] for i in question["right"]}
        return [f"{lefts.get(k, k)} → {rights.get(v, v)}" for k, v in value.items()]
    if kind == "ordering":
        texts = {i["id"]: i["text"] for i in question["items"]}
        return [texts.get(v, v) for v in value]
    if kind == "fill_in" and isinstance(value, list):
        return " / ".join(str(v) for v in value)
    return str(value)


def _review_rows(view: dict[str, Any]) -> list[dict[str, Any]]:
    if not view.get("review"):
        return []
    questions = {q["key"]: q for q in view["questions"]}
    rows = []
    for item in view["review"]:
        question = questions[item["key"]]
        rows.append(
            {
                "number": question["number"],
                "text": question["text"],
                "skill_area": question["skill_area"],
                "correct": item["correct"],
                "score": item["score"],
                "max_score": item["max_score"],
                "yours": _readable(question, view["responses"].get(item["key"])),
                "key": _readable(question, item["correct_response"])
                if "correct_response" in item
                else None,
                "tolerance": item.get("tolerance"),
                "explanation": item.get("explanation"),
            }
        )
    return rows


# --- trainers ----------------------------------------------------------------------------


def _staff() -> Any:
    user = current()
    require_role(user, *STAFF)
    return user


@bp.route("/question-banks", methods=["GET", "POST"])
@login_required
def banks() -> ResponseReturnValue:
    """The trainers' question banks and quizzes (the nav entry ``assessment_views.banks``)."""
    user = _staff()
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            bank = bank_svc.create_bank(
                code=request.form.get("code", "").strip(),
                title=request.form.get("title", "").strip(),
                title_en=request.form.get("title_en", "").strip() or None,
                skill_area=request.form.get("skill_area") or None,
                by=user,
                province=permissions.home_province(user),
            )
            db.session.commit()
            flash(_("Question bank created."), "success")
            return redirect(url_for(".bank", bank_id=bank.id))
        except DomainError as exc:
            db.session.rollback()
            errors = exc.errors or {"_schema": [exc.message]}
    rows = db.session.scalars(bank_svc.banks_query(user)).all()
    all_quizzes = db.session.scalars(
        quizzes.quizzes_query(user).order_by(Quiz.kind, Quiz.slug)
    ).all()
    return render_template(
        "assessment/banks.html",
        bank_rows=rows,
        quizzes=all_quizzes,
        areas=[(a.value, label(SKILL_AREA_LABELS, a.value)) for a in SkillArea],
        errors=errors,
        form=request.form,
        **_common(),
    )


@bp.route("/question-banks/<int:bank_id>", methods=["GET", "POST"])
@login_required
def bank(bank_id: int) -> ResponseReturnValue:
    user = _staff()
    the_bank = bank_svc.get_bank_for(user, bank_id)
    problems: list[str] = []
    source = ""
    if request.method == "POST":
        permissions.ensure_can_edit_content(user, the_bank.province)
        action = request.form.get("action", "save")
        try:
            if action == "delete":
                question = bank_svc.get_question(the_bank, request.form.get("key", ""))
                bank_svc.delete_question(question, by=user)
                db.session.commit()
                flash(_("Question deleted."), "success")
                return redirect(url_for(".bank", bank_id=bank_id))
            source = request.form.get("yaml", "")
            problems = _save_yaml_question(the_bank, source, user)
            if not problems:
                db.session.commit()
                flash(_("Question saved."), "success")
                return redirect(url_for(".bank", bank_id=bank_id))
        except DomainError as exc:
            db.session.rollback()
            problems = [exc.message, *[f"{k}: {' '.join(v)}" for k, v in exc.errors.items()]]
    edit_key = request.args.get("edit")
    if edit_key and not source:
        import yaml

        question = bank_svc.get_question(the_bank, edit_key)
        source = yaml.safe_dump(
            bank_svc.question_dict(question), allow_unicode=True, sort_keys=False
        )
    rows = [{"question": q, "data": bank_svc.question_dict(q, _lang())} for q in the_bank.questions]
    return render_template(
        "assessment/bank.html",
        bank=the_bank,
        rows=rows,
        problems=problems,
        source=source,
        types=list(TYPES),
        editable=permissions.can_edit_content(user, the_bank.province),
        **_common(),
    )


def _save_yaml_question(bank: QuestionBank, source: str, user: Any) -> list[str]:
    """Create or replace a question written as in questions.yaml; problems with lines."""
    try:
        doc = load_yaml(source)
    except YamlLoadError as exc:
        return [f"{_('Line')} {exc.line}: {exc.message}" if exc.line else exc.message]
    data = doc.data
    if isinstance(data, list) and len(data) == 1:
        data = data[0]
        doc = type(doc)(data=data, lines={k[1:]: v for k, v in doc.lines.items() if k})
    _parsed, errors = validate_question(data)
    if errors:
        return [f"{_('Line')} {doc.line(*path)}: {message}" for path, message in errors]
    key = str(data["id"])
    existing = db.session.scalar(
        select(bank_svc.Question).where(
            bank_svc.Question.bank_id == bank.id, bank_svc.Question.key == key
        )
    )
    if existing is None:
        bank_svc.create_question(bank, dict(data), by=user)
    else:
        bank_svc.update_question(existing, dict(data), by=user)
    return []


@bp.get("/quizzes/<int:quiz_id>/analysis")
@login_required
def quiz_analysis(quiz_id: int) -> ResponseReturnValue:
    the_quiz = quizzes.get_quiz_for_staff(_staff(), quiz_id)
    data = analysis.analyse(the_quiz, lang=_lang())
    return render_template(
        "assessment/analysis.html",
        quiz=the_quiz,
        data=data,
        chart=_histogram_svg(data["histogram"]),
        **_common(),
    )


def _histogram_svg(bins: list[dict[str, Any]]) -> dict[str, Any]:
    """Geometry of the score histogram, drawn as inline SVG by the template."""
    width, height, pad = 320, 160, 24
    top = max((b["count"] for b in bins), default=0) or 1
    bar = (width - pad) / len(bins)
    bars = []
    for index, b in enumerate(bins):
        h = (height - 2 * pad) * b["count"] / top
        bars.append(
            {
                "x": round(pad + index * bar + 2, 1),
                "y": round(height - pad - h, 1),
                "w": round(bar - 4, 1),
                "h": round(h, 1),
                "count": b["count"],
                "label": f"{b['from']}",
                "range": f"{b['from']}–{b['to']}%",
                "lx": round(pad + index * bar + bar / 2, 1),
            }
        )
    return {"width": width, "height": height, "pad": pad, "bars": bars, "top": top}
