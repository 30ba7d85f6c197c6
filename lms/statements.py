"""The LMS's xAPI vocabulary: ADL verbs, its learners as agents, its courses and lessons as
activities.

Every domain that writes statements about its own facts (classes: registered, experienced,
completed; assessment: attempted, answered, passed/failed; certificates: earned, revoked; the
bridge's results files) builds them from these pieces and records them through the LRS's
service, :func:`lms.xapi.services.record` / :func:`~lms.xapi.services.record_many`, so that
other systems reading the LRS see the LMS's learners exactly as they see a MOOC platform's.
This module imports no domain: it reads the fields of the objects it is given.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import current_app

if TYPE_CHECKING:
    from lms.auth.models import User
    from lms.catalog.models import Course, Lesson

ADL = "http://adlnet.gov/expapi/verbs/"
ADL_W3ID = "https://w3id.org/xapi/adl/verbs/"

VERB_REGISTERED = f"{ADL}registered"
VERB_LAUNCHED = f"{ADL}launched"
VERB_INITIALIZED = f"{ADL}initialized"
VERB_EXPERIENCED = f"{ADL}experienced"
VERB_ATTEMPTED = f"{ADL}attempted"
VERB_ANSWERED = f"{ADL}answered"
VERB_COMPLETED = f"{ADL}completed"
VERB_PASSED = f"{ADL}passed"
VERB_FAILED = f"{ADL}failed"
VERB_TERMINATED = f"{ADL}terminated"
VERB_VOIDED = f"{ADL}voided"
VERB_SATISFIED = f"{ADL_W3ID}satisfied"
VERB_ABANDONED = f"{ADL_W3ID}abandoned"
VERB_WAIVED = f"{ADL_W3ID}waived"

ACTIVITY_COURSE = "http://adlnet.gov/expapi/activities/course"
ACTIVITY_LESSON = "http://adlnet.gov/expapi/activities/lesson"
ACTIVITY_ASSESSMENT = "http://adlnet.gov/expapi/activities/assessment"
ACTIVITY_QUESTION = "http://adlnet.gov/expapi/activities/cmi.interaction"

VERB_NAMES: dict[str, tuple[str, str]] = {
    VERB_REGISTERED: ("registered", "đã đăng ký"),
    VERB_LAUNCHED: ("launched", "đã mở"),
    VERB_INITIALIZED: ("initialized", "đã bắt đầu"),
    VERB_EXPERIENCED: ("experienced", "đã xem"),
    VERB_ATTEMPTED: ("attempted", "đã làm"),
    VERB_ANSWERED: ("answered", "đã trả lời"),
    VERB_COMPLETED: ("completed", "đã hoàn thành"),
    VERB_PASSED: ("passed", "đã đạt"),
    VERB_FAILED: ("failed", "chưa đạt"),
    VERB_TERMINATED: ("terminated", "đã kết thúc"),
    VERB_SATISFIED: ("satisfied", "đã đáp ứng"),
    VERB_ABANDONED: ("abandoned", "đã bỏ dở"),
    VERB_WAIVED: ("waived", "được miễn"),
    VERB_VOIDED: ("voided", "đã huỷ"),
}


def verb(iri: str) -> dict[str, Any]:
    """A verb object with English and Vietnamese display names."""
    en, vi = VERB_NAMES.get(iri, (iri.rsplit("/", 1)[-1], iri.rsplit("/", 1)[-1]))
    return {"id": iri, "display": {"en-US": en, "vi-VN": vi}}


def base_url() -> str:
    return str(current_app.config.get("BASE_URL", "http://localhost")).rstrip("/")


def actor_for(user: User) -> dict[str, Any]:
    """The LMS's xAPI agent for ``user``: an account on this LMS, keyed by the user id."""
    return {
        "objectType": "Agent",
        "name": user.full_name,
        "account": {"homePage": base_url(), "name": str(user.id)},
    }


def _names(vi: str, en: str | None) -> dict[str, str]:
    names = {"vi-VN": vi}
    if en:
        names["en-US"] = en
    return names


def course_activity(course: Course) -> dict[str, Any]:
    return {
        "objectType": "Activity",
        "id": course.activity_iri,
        "definition": {"type": ACTIVITY_COURSE, "name": _names(course.title, course.title_en)},
    }


def lesson_iri(course: Course, lesson: Lesson) -> str:
    return f"{course.activity_iri}/lessons/{lesson.slug}"


def lesson_activity(course: Course, lesson: Lesson) -> dict[str, Any]:
    return {
        "objectType": "Activity",
        "id": lesson_iri(course, lesson),
        "definition": {"type": ACTIVITY_LESSON, "name": _names(lesson.title, lesson.title_en)},
    }
