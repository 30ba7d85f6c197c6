"""The quiz's part in a learner's next step (see :mod:`lms.classes.next_steps`).

An attempt in progress comes before everything but a certificate: a learner who closed the
browser mid-exam must find it again on the course page and on "My learning". The course quiz
is the main action once the lessons are done (an exam, as soon as its window opens), a
secondary one before.
"""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select

from lms.assessment.attempts import attempts_used, open_attempt
from lms.assessment.models import Quiz, QuizKind
from lms.classes import completion
from lms.classes.models import Enrollment, EnrollmentStatus
from lms.classes.next_steps import (
    RANK_QUIZ_DUE,
    RANK_QUIZ_EARLY,
    RANK_RESUME_ATTEMPT,
    Step,
    lessons_left,
)
from lms.db import utcnow
from lms.extensions import db


def quiz_steps(enrollment: Enrollment) -> list[Step]:
    if enrollment.status == EnrollmentStatus.completed:
        return []
    quiz = db.session.scalar(
        select(Quiz).where(
            Quiz.course_id == enrollment.course_id,
            Quiz.is_course_quiz.is_(True),
            Quiz.active.is_(True),
        )
    )
    if quiz is None:
        return []
    attempt = open_attempt(quiz, enrollment.user)
    if attempt is not None and (attempt.deadline is None or attempt.deadline > utcnow()):
        url = url_for("assessment_views.attempt", attempt_id=attempt.id)
        return [Step(RANK_RESUME_ATTEMPT, "attempt", _("Continue the quiz in progress"), url)]
    rules = completion.completion_status(enrollment)["rules"]
    quiz_rule = next((rule for rule in rules if rule["rule"] == "quiz"), None)
    if quiz_rule is not None and quiz_rule["met"]:
        return []
    if quiz.max_attempts is not None and attempts_used(quiz, enrollment.user) >= quiz.max_attempts:
        return []
    # Due once the lessons are read, or at once for an exam whose window is open: the yearly
    # exam is taken in its window, its course's lessons being there to prepare.
    now = utcnow()
    exam_open = (
        quiz.kind == QuizKind.exam
        and quiz.opens_at is not None
        and quiz.opens_at <= now
        and (quiz.closes_at is None or now < quiz.closes_at)
    )
    due = quiz_rule is not None and (exam_open or not lessons_left(enrollment))
    rank = RANK_QUIZ_DUE if due else RANK_QUIZ_EARLY
    url = url_for("assessment_views.quiz", quiz_id=quiz.id)
    return [Step(rank, "quiz", _("Take the quiz"), url)]
