"""Enrollment services: enrolling, progress, completion rules, signals, statements."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from lms import events, periods
from lms.classes import cohorts, completion, enrollments, statements
from lms.classes.models import EnrollmentSource, EnrollmentStatus
from lms.errors import Conflict, Forbidden, Invalid
from lms.statements import actor_for
from tests.catalog.helpers import make_people
from tests.factories import enrol, make_class, make_course, make_user


@pytest.fixture
def completed_signals() -> Any:
    received: list[int] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        received.append(sender.id)

    events.enrollment_completed.connect(receiver)
    yield received
    events.enrollment_completed.disconnect(receiver)


def test_enroll_creates_an_enrollment_with_a_registration(db: object) -> None:
    course = make_course()
    user = make_user()
    enrollment = enrol(user, course)
    assert enrollment.status == EnrollmentStatus.enrolled
    assert enrollment.source == EnrollmentSource.self
    assert len(enrollment.registration) == 36
    assert enrollments.enrollment_for(user, course) is enrollment


def test_enrolling_twice_raises_conflict(db: object) -> None:
    course = make_course()
    user = make_user()
    enrol(user, course)
    with pytest.raises(Conflict):
        enrol(user, course)


def test_self_enrollment_in_a_closed_course_is_forbidden(db: object) -> None:
    course = make_course(open=False)
    with pytest.raises(Forbidden):
        enrol(make_user(), course)


def test_enroll_when_class_full_raises_conflict(db: object) -> None:
    course = make_course()
    klass = make_class(course, capacity=1)
    enrol(make_user(), course, klass=klass)
    with pytest.raises(Conflict, match="full"):
        enrol(make_user(), course, klass=klass)


def test_enroll_outside_the_window_raises_conflict(db: object) -> None:
    course = make_course()
    yesterday = periods.today() - timedelta(days=1)  # the province's day, not the server's
    klass = make_class(
        course, enrol_opens_on=yesterday - timedelta(days=10), enrol_closes_on=yesterday
    )
    with pytest.raises(Conflict, match="closed"):
        enrol(make_user(), course, klass=klass)
    later = make_class(course, enrol_opens_on=periods.today() + timedelta(days=1))
    with pytest.raises(Conflict, match="closed"):
        enrol(make_user(), course, klass=later)


def test_a_self_enrolled_learner_joins_a_class_with_their_progress(db: object) -> None:
    course = make_course(lessons=2)
    user = make_user()
    enrollment = enrol(user, course)
    completion.complete_lesson(enrollment, course.lessons[0])
    klass = make_class(course)
    joined = enrol(user, course, klass=klass)
    assert joined is enrollment
    assert joined.class_id == klass.id
    assert joined.lessons_done == 1
    with pytest.raises(Conflict):
        enrol(user, course, klass=make_class(course))


def test_class_of_another_course_is_refused(db: object) -> None:
    klass = make_class(make_course())
    with pytest.raises(Invalid):
        enrol(make_user(), make_course(), klass=klass)


def test_completing_every_lesson_completes_the_course_once(
    db: object, completed_signals: list[int]
) -> None:
    course = make_course(lessons=3)
    enrollment = enrol(make_user(), course)
    progress = []
    for lesson in course.lessons:
        completion.complete_lesson(enrollment, lesson)
        progress.append(enrollment.progress)
    assert progress == [33, 66, 100]
    assert enrollment.status == EnrollmentStatus.completed
    assert enrollment.completed_at is not None
    completion.complete_lesson(enrollment, course.lessons[0])
    assert completion.evaluate_completion(enrollment) is True
    assert completed_signals == [enrollment.id]


def test_open_lesson_remembers_where_the_learner_stopped(db: object) -> None:
    course = make_course(lessons=3)
    enrollment = enrol(make_user(), course)
    assert completion.open_lesson(enrollment, course.lessons[1]) is True
    assert completion.open_lesson(enrollment, course.lessons[1]) is False
    assert enrollment.last_lesson_id == course.lessons[1].id
    assert enrollment.status == EnrollmentStatus.in_progress
    assert enrollment.started_at is not None
    assert completion.lesson_states(enrollment) == {course.lessons[1].id: "opened"}


def test_quiz_rule_needs_the_score_and_keeps_the_best(
    db: object, completed_signals: list[int]
) -> None:
    course = make_course(lessons=1, rule={"lessons": "all", "quiz": 70, "attendance": None})
    enrollment = enrol(make_user(), course)
    completion.complete_lesson(enrollment, course.lessons[0])
    assert enrollment.status == EnrollmentStatus.in_progress
    assert enrollment.progress == 50
    completion.record_quiz_result(enrollment, scaled=0.5, passed=False)
    assert enrollment.status == EnrollmentStatus.in_progress
    at = datetime(2026, 5, 4, 3, 2, tzinfo=UTC)
    completion.record_quiz_result(enrollment, scaled=0.7, passed=True, at=at)
    assert enrollment.status == EnrollmentStatus.completed
    assert enrollment.completed_at == at
    completion.record_quiz_result(enrollment, scaled=0.2, passed=False)
    assert (enrollment.quiz_score, enrollment.quiz_passed) == (0.7, True)
    assert completed_signals == [enrollment.id]
    status = completion.completion_status(enrollment)
    assert status == {
        "met": True,
        "rules": [
            {"rule": "lessons", "required": 1, "actual": 1, "met": True},
            {"rule": "quiz", "required": 70, "actual": 70.0, "met": True},
        ],
    }


def test_quiz_score_out_of_range_is_invalid(db: object) -> None:
    enrollment = enrol(make_user(), make_course())
    with pytest.raises(Invalid):
        completion.record_quiz_result(enrollment, scaled=1.5, passed=True)


def test_attendance_rule_counts_sessions_of_the_class(
    db: object, completed_signals: list[int]
) -> None:
    people = make_people()
    course = make_course(lessons=1, rule={"lessons": "all", "attendance": 80}, open=False)
    klass = make_class(course, unit=people["commune"], trainers=[people["trainer"]], sessions=2)
    learner = make_user()
    enrollment = enrol(learner, course, klass=klass, by=people["trainer"])
    completion.complete_lesson(enrollment, course.lessons[0])
    first, second = klass.sessions
    cohorts.set_attendance(first, [{"user_id": learner.id, "present": True}], by=people["trainer"])
    assert enrollment.attendance_rate == 0.5
    assert enrollment.status == EnrollmentStatus.in_progress
    assert completion.completion_status(enrollment)["rules"][1] == {
        "rule": "attendance",
        "required": 80,
        "actual": 50.0,
        "met": False,
        "applies": True,
    }
    cohorts.set_attendance(
        second, [{"user_id": learner.id, "present": True, "note": "đúng giờ"}], by=people["trainer"]
    )
    assert enrollment.status == EnrollmentStatus.completed
    assert completed_signals == [enrollment.id]


def test_attendance_rule_does_not_apply_without_sessions(db: object) -> None:
    course = make_course(lessons=1, rule={"lessons": "all", "attendance": 80})
    enrollment = enrol(make_user(), course)
    completion.complete_lesson(enrollment, course.lessons[0])
    assert enrollment.status == EnrollmentStatus.completed


def test_attendance_for_someone_not_in_the_class_rejects_the_whole_sheet(db: object) -> None:
    people = make_people()
    course = make_course()
    klass = make_class(course, trainers=[people["trainer"]], sessions=1)
    inside = make_user()
    enrol(inside, course, klass=klass, by=people["trainer"])
    outsider = make_user()
    with pytest.raises(Invalid) as caught:
        cohorts.set_attendance(
            klass.sessions[0],
            [{"user_id": inside.id, "present": True}, {"user_id": outsider.id, "present": True}],
            by=people["trainer"],
        )
    assert caught.value.errors == {"rows.2.user_id": ["This person is not enrolled in the class."]}
    assert cohorts.session_attendance(klass.sessions[0]) == {}


def test_withdraw_then_enrol_again_gives_a_new_enrollment(db: object) -> None:
    course = make_course()
    user = make_user()
    first = enrol(user, course)
    enrollments.withdraw(first, by=user)
    assert first.status == EnrollmentStatus.withdrawn
    assert first.withdrawn_at is not None
    with pytest.raises(Conflict):
        enrollments.withdraw(first, by=user)
    with pytest.raises(Conflict):
        completion.complete_lesson(first, course.lessons[0])
    second = enrol(user, course)
    assert second.id != first.id
    assert second.registration != first.registration


def test_complete_and_reopen_for_external_completions(
    db: object, completed_signals: list[int]
) -> None:
    reopened: list[int] = []

    def on_reopen(sender: Any, **kwargs: Any) -> None:
        reopened.append(sender.id)

    events.enrollment_reopened.connect(on_reopen)
    try:
        enrollment = enrol(make_user(), make_course(lessons=3))
        completion.complete_enrollment(enrollment)
        assert enrollment.status == EnrollmentStatus.completed
        completion.reopen_enrollment(enrollment)
        assert enrollment.status == EnrollmentStatus.in_progress
        assert enrollment.progress == 0
    finally:
        events.enrollment_reopened.disconnect(on_reopen)
    assert completed_signals == [enrollment.id]
    assert reopened == [enrollment.id]


def test_bulk_enroll_skips_people_already_enrolled(db: object) -> None:
    course = make_course()
    users = [make_user() for _ in range(3)]
    enrol(users[0], course)
    added = enrollments.bulk_enroll(course, users, source=EnrollmentSource.assigned, by=None)
    assert added == 2
    for user in users:
        assert enrollments.enrollment_for(user, course) is not None


def test_statements_use_adl_verbs_and_the_registration(db: object) -> None:
    course = make_course(lessons=1)
    user = make_user(full_name="Trần Thị Hoa")
    enrollment = enrol(user, course)
    lesson = course.lessons[0]
    actor = actor_for(user)
    assert actor == {
        "objectType": "Agent",
        "name": "Trần Thị Hoa",
        "account": {"homePage": "http://localhost", "name": str(user.id)},
    }
    registered = statements.registered(enrollment)
    assert registered["verb"]["id"] == "http://adlnet.gov/expapi/verbs/registered"
    assert registered["object"]["id"] == course.activity_iri
    assert registered["context"]["registration"] == enrollment.registration
    done = statements.lesson_completed(enrollment, lesson)
    assert done["object"]["id"] == f"{course.activity_iri}/lessons/{lesson.slug}"
    assert done["context"]["contextActivities"]["parent"][0]["id"] == course.activity_iri
    seen = statements.lesson_experienced(enrollment, lesson)
    assert seen["verb"]["id"] == "http://adlnet.gov/expapi/verbs/experienced"
    completed = statements.course_completed(enrollment)
    assert completed["verb"]["id"] == "http://adlnet.gov/expapi/verbs/completed"
    assert completed["result"] == {"completion": True}


def test_learning_events_are_stored_in_the_lrs_with_the_registration(db: object) -> None:
    from sqlalchemy import select

    from lms.extensions import db as _db
    from lms.xapi.models import Statement

    course = make_course(lessons=1)
    enrollment = enrol(make_user(), course)
    completion.complete_lesson(enrollment, course.lessons[0])
    adl = "http://adlnet.gov/expapi/verbs/"
    rows = _db.session.execute(
        select(Statement.verb_id, Statement.object_activity_id)
        .where(Statement.registration == enrollment.registration, Statement.verb_id.startswith(adl))
        .order_by(Statement.seq)
    ).all()
    lesson_iri = f"{course.activity_iri}/lessons/bai-1"
    assert [tuple(r) for r in rows] == [
        (f"{adl}registered", course.activity_iri),
        (f"{adl}experienced", lesson_iri),
        (f"{adl}completed", lesson_iri),
        (f"{adl}completed", course.activity_iri),
    ]
