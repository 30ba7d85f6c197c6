"""A course whose completion is decided by external content (cmi5) is not completed by lessons."""

from __future__ import annotations

from typing import Any

from lms.classes import completion, enrollments
from lms.classes.models import EnrollmentSource, EnrollmentStatus
from tests.factories import make_course, make_user


def test_lessons_alone_do_not_complete_an_externally_judged_course(db: Any) -> None:
    course = make_course(lessons=1, rule={"lessons": "all", "external": "cmi5"})
    enrollment = enrollments.enroll(make_user(), course, by=None, source=EnrollmentSource.self)
    completion.complete_lesson(enrollment, course.lessons[0])
    assert enrollment.status != EnrollmentStatus.completed
    status = completion.completion_status(enrollment)
    assert [(r["rule"], r["met"]) for r in status["rules"]] == [
        ("lessons", True),
        ("external", False),
    ]
    completion.complete_enrollment(enrollment)  # the cmi5 course block was satisfied
    assert completion.completion_status(enrollment)["met"] is True
