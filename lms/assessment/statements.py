"""xAPI statements of attempts: attempted, answered (one per question), passed or failed.

Built from the LMS's vocabulary (:mod:`lms.statements`: actor, verbs) and recorded in the LRS
(:func:`lms.xapi.services.record_many`) in the transaction that starts or grades the attempt,
each with the enrollment's registration. Question activities carry their interaction
definition (type, choices, text) and ``answered`` its response and result, but never
``correctResponsesPattern``: the answer key lives only in the question bank, so no LRS read (a
statement, a canonical definition from ``/xapi/activities``) can reveal it while the quiz can
still be attempted.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask import current_app

from lms.assessment.grading import Result
from lms.assessment.items import TYPES
from lms.assessment.items.base import lang_map
from lms.assessment.versions import load_versions
from lms.db import utcnow
from lms.statements import (
    VERB_ATTEMPTED,
    VERB_FAILED,
    VERB_PASSED,
    actor_for,
    course_activity,
    verb,
)
from lms.xapi import services as lrs

if TYPE_CHECKING:
    from lms.assessment.models import Attempt, Quiz
    from lms.auth.models import User

ADL = "http://adlnet.gov/expapi/verbs/"
#: The interaction property holding the answer key: kept out of every statement.
ANSWER_KEY = "correctResponsesPattern"
VERB_ANSWERED = f"{ADL}answered"
ACTIVITY_ASSESSMENT = "http://adlnet.gov/expapi/activities/assessment"


def quiz_iri(quiz: Quiz) -> str:
    """The course quiz is ``<course IRI>/quiz`` (CONTRACTS.md); other quizzes and exams are
    named by their slug so that they never collide with it."""
    if quiz.course is not None and quiz.is_course_quiz:
        return f"{quiz.course.activity_iri}/quiz"
    if quiz.course is not None:
        return f"{quiz.course.activity_iri}/exams/{quiz.slug}"
    base = str(current_app.config.get("BASE_URL", "http://localhost")).rstrip("/")
    return f"{base}/xapi/activities/quiz/{quiz.slug}"


def question_iri(quiz: Quiz, key: str) -> str:
    return f"{quiz_iri(quiz)}/questions/{key}"


def skill_area_extension() -> str:
    base = str(current_app.config.get("BASE_URL", "http://localhost")).rstrip("/")
    return f"{base}/xapi/extensions/skill-area-scores"


def quiz_activity(quiz: Quiz) -> dict[str, Any]:
    return {
        "objectType": "Activity",
        "id": quiz_iri(quiz),
        "definition": {"type": ACTIVITY_ASSESSMENT, "name": lang_map(quiz.title, quiz.title_en)},
    }


def iso_duration(seconds: float) -> str:
    """ISO 8601 duration (``PT1H2M3.5S``), as xAPI's result.duration wants."""
    seconds = max(0.0, round(seconds, 2))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    out = "PT"
    if hours:
        out += f"{int(hours)}H"
    if minutes:
        out += f"{int(minutes)}M"
    if secs or out == "PT":
        out += f"{secs:g}S"
    return out


def _context(attempt: Attempt, quiz: Quiz, *, parent: dict[str, Any] | None) -> dict[str, Any]:
    context: dict[str, Any] = {"platform": "LMS 146", "language": "vi-VN"}
    if attempt.registration:
        context["registration"] = attempt.registration
    activities: dict[str, Any] = {}
    if parent is not None:
        activities["parent"] = [parent]
    if quiz.course is not None:
        activities["grouping"] = [course_activity(quiz.course)]
    if activities:
        context["contextActivities"] = activities
    return context


def _stamp(at: datetime | None) -> str:
    return (at or utcnow()).isoformat()


def attempted(attempt: Attempt, user: User, quiz: Quiz) -> dict[str, Any]:
    return {
        "actor": actor_for(user),
        "verb": verb(VERB_ATTEMPTED),
        "object": quiz_activity(quiz),
        "context": _context(attempt, quiz, parent=None),
        "timestamp": _stamp(attempt.started_at),
    }


def graded(attempt: Attempt, result: Result, answers: dict[str, Any]) -> list[dict[str, Any]]:
    """``answered`` for every question, then ``passed``/``failed`` for the quiz."""
    quiz = attempt.quiz
    actor = actor_for(attempt.user)
    parent = quiz_activity(quiz)
    context = _context(attempt, quiz, parent=parent)
    versions = load_versions(attempt.items)
    at = _stamp(attempt.submitted_at)
    out: list[dict[str, Any]] = []
    by_key = {r.key: r for r in result.items}
    for item in attempt.items:
        version = versions[item["version_id"]]
        item_type = TYPES[version.type]
        answer = answers.get(item["key"])
        item_result = by_key[item["key"]]
        definition = item_type.to_xapi_interaction(version.definition, "vi")
        definition.pop(ANSWER_KEY, None)
        definition["name"] = lang_map(version.content["text"][:200], None)
        definition["description"] = lang_map(
            version.content["text"], version.content.get("text_en")
        )
        statement_result: dict[str, Any] = {
            "response": item_type.xapi_response(version.definition, answer),
            "success": item_result.correct,
            "score": {
                "raw": item_result.score,
                "min": 0,
                "max": item_result.max_score,
                "scaled": round(item_result.score / item_result.max_score, 4)
                if item_result.max_score
                else 0,
            },
        }
        out.append(
            {
                "actor": actor,
                "verb": {
                    "id": VERB_ANSWERED,
                    "display": {"en-US": "answered", "vi-VN": "đã trả lời"},
                },
                "object": {
                    "objectType": "Activity",
                    "id": question_iri(quiz, item["key"]),
                    "definition": definition,
                },
                "result": statement_result,
                "context": context,
                "timestamp": at,
            }
        )
    duration = (
        (attempt.submitted_at - attempt.started_at).total_seconds() if attempt.submitted_at else 0
    )
    out.append(
        {
            "actor": actor,
            "verb": verb(VERB_PASSED if result.passed else VERB_FAILED),
            "object": parent,
            "result": {
                "score": {
                    "scaled": round(result.scaled, 4),
                    "raw": result.score,
                    "min": 0,
                    "max": result.max_score,
                },
                "success": result.passed,
                "completion": True,
                "duration": iso_duration(duration),
                "extensions": {skill_area_extension(): result.areas},
            },
            "context": _context(attempt, quiz, parent=None),
            "timestamp": at,
        }
    )
    return out


def record_attempted(attempt: Attempt, user: User, quiz: Quiz) -> None:
    lrs.record(attempted(attempt, user, quiz))


def record_graded(attempt: Attempt, result: Result, answers: dict[str, Any]) -> None:
    lrs.record_many(graded(attempt, result, answers))
