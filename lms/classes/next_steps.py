"""The learner's next step on a course: one primary action, the rest secondary.

A course page, "My learning" and a quiz result all answer the same question ("what do I do
now?") and used to answer it differently: after the last lesson the main button still said
"continue" and reopened it, an exam in progress was nowhere, and passing gave no link to the
certificate. The lessons are this domain's; the quiz and the certificate belong to domains
above it, which contribute their steps through providers that ``create_app`` registers
(``lms.NEXT_STEP_PROVIDERS``), so this module never imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext as _

from lms.catalog.models import Lesson
from lms.classes import completion
from lms.classes.models import Enrollment, EnrollmentStatus

#: Lower ranks come first; the first step is the page's primary action.
RANK_CERTIFICATE = 10
RANK_RESUME_ATTEMPT = 20
RANK_QUIZ_DUE = 25
RANK_LESSON = 30
RANK_QUIZ_EARLY = 40
RANK_REVIEW = 90


@dataclass(frozen=True)
class Step:
    rank: int
    kind: str
    label: str
    url: str


Provider = Callable[[Enrollment], "list[Step]"]
PROVIDERS: dict[str, Provider] = {}


def register_provider(name: str, provider: Provider) -> None:
    """Called by ``create_app`` for each entry of ``lms.NEXT_STEP_PROVIDERS``."""
    PROVIDERS[name] = provider


def lessons_left(enrollment: Enrollment, states: dict[int, str] | None = None) -> bool:
    states = completion.lesson_states(enrollment) if states is None else states
    return any(states.get(lesson.id) != "done" for lesson in enrollment.course.lessons)


def continue_lesson(
    enrollment: Enrollment | None, lessons: list[Lesson], states: dict[int, str]
) -> Lesson | None:
    """Where to resume: the last lesson opened if not done, else the first lesson not done."""
    if not lessons:
        return None
    if enrollment is None:
        return lessons[0]
    last = next((x for x in lessons if x.id == enrollment.last_lesson_id), None)
    if last is not None and states.get(last.id) != "done":
        return last
    return next((x for x in lessons if states.get(x.id) != "done"), last or lessons[0])


def steps_for(enrollment: Enrollment, states: dict[int, str] | None = None) -> list[Step]:
    """Every step open to the learner on this enrollment, the primary one first."""
    states = completion.lesson_states(enrollment) if states is None else states
    course = enrollment.course
    steps: list[Step] = []
    if enrollment.status != EnrollmentStatus.withdrawn:
        lesson = continue_lesson(enrollment, course.lessons, states)
        if lesson is not None and lessons_left(enrollment, states):
            label = (
                _("Continue where you stopped")
                if enrollment.last_lesson_id
                else _("Start the first lesson")
            )
            steps.append(Step(RANK_LESSON, "lesson", label, _lesson_url(course.slug, lesson)))
        elif lesson is not None:
            steps.append(
                Step(
                    RANK_REVIEW,
                    "review",
                    _("Read the lessons again"),
                    _lesson_url(course.slug, course.lessons[0]),
                )
            )
        for provider in PROVIDERS.values():
            steps.extend(provider(enrollment))
    return sorted(steps, key=lambda step: step.rank)


def primary(enrollment: Enrollment, states: dict[int, str] | None = None) -> Step | None:
    steps = steps_for(enrollment, states)
    return steps[0] if steps else None


def _lesson_url(slug: str, lesson: Lesson) -> str:
    return url_for("learner_views.lesson", slug=slug, lesson_slug=lesson.slug)
