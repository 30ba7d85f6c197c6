"""Enrolling by parallel identical requests: one enrollment per person, never past capacity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select

from lms.auth.models import Role, User
from lms.catalog.models import Course, Lesson
from lms.classes import enrollments as enrolling
from lms.classes.models import (
    Attendance,
    Class,
    ClassSession,
    Enrollment,
    EnrollmentSource,
    EnrollmentStatus,
    LessonProgress,
)
from lms.constants import TargetGroup
from lms.org.models import UnitKind
from lms.xapi.models import Statement
from tests.certificates.factories import CERTIFIED
from tests.factories import make_class, make_course, make_unit, make_user
from tests.races import PARALLEL, LiveApi, fire, fresh, multipart, one_winner, outcome


@dataclass
class Setting:
    course: str
    course_id: int
    klass: str
    lesson: str
    unit: str
    official: str
    learners: list[int]
    tokens: dict[int, str]


def setup(live: LiveApi, *, learners: int = 1, capacity: int | None = None) -> Setting:
    """A commune with an official, an open course with one lesson and a class; committed."""
    with live.data() as db:
        commune = make_unit(fresh("X"), kind=UnitKind.commune, serial_prefix="RC")
        course = make_course(**{**CERTIFIED, "rule": {"lessons": "all"}})
        course.slug = fresh("khoa")
        course.activity_iri = f"https://lms146.vn/xapi/activities/course/{course.slug}"
        lesson = Lesson(course=course, slug="bai-1", position=1, title="Bài 1", minutes=5)
        db.session.add(lesson)
        klass = make_class(course, commune)
        klass.code, klass.capacity = fresh("LOP"), capacity
        klass.enrol_opens_on = klass.enrol_closes_on = None
        official = make_user(f"{fresh('cb')}@example.vn", roles=(Role.official,), unit=commune)
        people = [
            make_user(f"{fresh('hv')}@example.vn", unit=commune, target_group="community_tech")
            for _ in range(learners)
        ]
        setting = Setting(
            course=course.slug,
            course_id=course.id,
            klass=klass.code,
            lesson=lesson.slug,
            unit=commune.code,
            official=str(official.id),
            learners=[p.id for p in people],
            tokens={},
        )
        official_id = official.id
    setting.official = live.token(official_id)
    setting.tokens = {uid: live.token(uid) for uid in setting.learners}
    return setting


def enrollments(live: LiveApi, course_id: int, *where: Any) -> list[Enrollment]:
    with live.data() as db:
        rows = db.session.scalars(
            select(Enrollment).where(
                Enrollment.course_id == course_id,
                Enrollment.status != EnrollmentStatus.withdrawn,
                *where,
            )
        ).all()
        db.session.expunge_all()
        return list(rows)


def registrations(live: LiveApi, course_id: int) -> int:
    """``registered`` statements about the course: one per enrollment."""
    with live.data() as db:
        iri = db.session.scalar(select(Course.activity_iri).where(Course.id == course_id))
        return int(
            db.session.scalar(
                select(func.count())
                .select_from(Statement)
                .where(
                    Statement.verb_id == "http://adlnet.gov/expapi/verbs/registered",
                    Statement.object_activity_id == iri,
                )
            )
            or 0
        )


def test_parallel_self_enrolments_enrol_once(live_api: LiveApi) -> None:
    s = setup(live_api)
    (learner,) = s.learners
    replies = live_api.race(
        "POST", f"/api/v1/courses/{s.course}/enroll", token=s.tokens[learner], json={}
    )
    one_winner(replies, won=201, lost=409)
    assert len(enrollments(live_api, s.course_id)) == 1
    assert registrations(live_api, s.course_id) == 1


def test_parallel_class_enrolments_by_an_official_enrol_once(live_api: LiveApi) -> None:
    s = setup(live_api)
    (learner,) = s.learners
    replies = live_api.race(
        "POST",
        f"/api/v1/classes/{s.klass}/enrollments",
        token=s.official,
        json={"user_id": learner},
    )
    one_winner(replies, won=201, lost=409)
    assert len(enrollments(live_api, s.course_id)) == 1


def test_parallel_joins_of_a_self_enrolled_learner_move_the_enrollment_once(
    live_api: LiveApi,
) -> None:
    """Someone following the course alone joins the class once; the others hear 409."""
    s = setup(live_api)
    (learner,) = s.learners
    with live_api.data() as db:
        enrolling.enroll(
            db.session.get(User, learner),
            db.session.get(Course, s.course_id),
            by=None,
            source=EnrollmentSource.self,
        )
    replies = live_api.race(
        "POST",
        f"/api/v1/classes/{s.klass}/enrollments",
        token=s.official,
        json={"user_id": learner},
    )
    one_winner(replies, won=201, lost=409)
    (enrollment,) = enrollments(live_api, s.course_id)
    assert enrollment.class_id is not None


def test_parallel_enrolments_never_pass_the_capacity(live_api: LiveApi) -> None:
    """20 different people for 5 places: 5 enrolled, 15 told the class is full."""
    s = setup(live_api, learners=PARALLEL, capacity=5)

    def enrol(index: int) -> Any:
        learner = s.learners[index]
        return live_api.request(
            "POST",
            f"/api/v1/courses/{s.course}/enroll",
            token=s.tokens[learner],
            json={"class": s.klass},
        )

    replies = fire(PARALLEL, enrol)
    assert outcome(replies) == {201: 5, 409: PARALLEL - 5}, replies
    assert {r.json["message"] for r in replies if r.status == 409} == {
        f"Class {s.klass} is full (5 places)."
    }
    assert len(enrollments(live_api, s.course_id)) == 5


def test_parallel_class_file_imports_enrol_each_person_once(live_api: LiveApi) -> None:
    """A file sent 20 times at once is applied once; the others find everyone in the class."""
    s = setup(live_api, learners=2)
    with live_api.data() as db:
        emails = [db.session.get(User, uid).email for uid in s.learners]
    new_email = f"{fresh('moi')}@example.vn"
    csv = "email,full_name\n" + "".join(f"{e},\n" for e in emails) + f"{new_email},Người Mới\n"
    body, content_type = multipart({}, {"file": ("lop.csv", csv.encode())})
    replies = live_api.race(
        "POST",
        f"/api/v1/classes/{s.klass}/enrollments/import",
        token=s.official,
        body=body,
        content_type=content_type,
    )
    assert outcome(replies) == {200: PARALLEL}, replies
    summaries = [r.json["summary"] for r in replies]
    applied = [x for x in summaries if x.get("skip", 0) == 0]
    assert len(applied) == 1, summaries
    assert all(x.get("skip") == 3 for x in summaries if x not in applied), summaries
    rows = enrollments(live_api, s.course_id)
    assert len(rows) == 3
    with live_api.data() as db:
        assert db.session.scalar(select(func.count()).where(User.email == new_email)) == 1


def test_parallel_group_assignments_enrol_each_person_once(live_api: LiveApi) -> None:
    s = setup(live_api, learners=3)
    replies = live_api.race(
        "POST",
        f"/api/v1/courses/{s.course}/assign",
        token=s.official,
        json={"unit": s.unit, "target_group": TargetGroup.community_tech.value},
    )
    assert outcome(replies) == {202: PARALLEL}, replies
    results = [r.json for r in replies]
    assert all(job["status"] == "done" for job in results), results
    assert sum(job["result"]["enrolled"] for job in results) == 3
    assert len(enrollments(live_api, s.course_id)) == 3


def test_parallel_lesson_completions_record_it_once(live_api: LiveApi) -> None:
    """A double (or twentyfold) tap on "done": every answer is the same, one record."""
    s = setup(live_api)
    (learner,) = s.learners
    with live_api.data() as db:
        enrollment = enrolling.enroll(
            db.session.get(User, learner),
            db.session.get(Course, s.course_id),
            by=None,
            source=EnrollmentSource.self,
        )
        enrollment_id = enrollment.id
    replies = live_api.race(
        "POST",
        f"/api/v1/enrollments/{enrollment_id}/lessons/{s.lesson}/complete",
        token=s.tokens[learner],
    )
    assert outcome(replies) == {200: PARALLEL}, replies
    assert {r.json["status"] for r in replies} == {"completed"}
    with live_api.data() as db:
        count = db.session.scalar(
            select(func.count()).where(LessonProgress.enrollment_id == enrollment_id)
        )
        assert count == 1


def test_parallel_withdrawals_withdraw_once(live_api: LiveApi) -> None:
    s = setup(live_api)
    (learner,) = s.learners
    with live_api.data() as db:
        enrollment = enrolling.enroll(
            db.session.get(User, learner),
            db.session.get(Course, s.course_id),
            by=None,
            source=EnrollmentSource.self,
        )
        enrollment_id = enrollment.id
    replies = live_api.race(
        "POST", f"/api/v1/enrollments/{enrollment_id}/withdraw", token=s.tokens[learner]
    )
    one_winner(replies, won=200, lost=409)


def test_parallel_class_creations_create_one_class(live_api: LiveApi) -> None:
    s = setup(live_api)
    code = fresh("LOP")
    replies = live_api.race(
        "POST",
        "/api/v1/classes",
        token=s.official,
        json={"code": code, "course": s.course, "unit": s.unit, "title": "Lớp song song"},
    )
    one_winner(replies, won=201, lost=409)
    with live_api.data() as db:
        assert db.session.scalar(select(func.count()).where(Class.code == code)) == 1


def test_parallel_attendance_markings_keep_one_mark_each(live_api: LiveApi) -> None:
    """The tablet's form sent 20 times at once: the same answer, one mark per person."""
    s = setup(live_api, learners=2)
    with live_api.data() as db:
        klass = db.session.scalar(select(Class).where(Class.code == s.klass))
        for uid in s.learners:
            enrolling.enroll(
                db.session.get(User, uid),
                klass.course,
                by=None,
                source=EnrollmentSource.klass,
                klass=klass,
            )
        meeting = ClassSession(class_id=klass.id, date=date(2026, 3, 2), topic="Buổi 1")
        db.session.add(meeting)
        db.session.flush()
        session_id = meeting.id
    marks = [{"user_id": uid, "present": True} for uid in s.learners]
    replies = live_api.race(
        "PUT",
        f"/api/v1/classes/{s.klass}/sessions/{session_id}/attendance",
        token=s.official,
        json=marks,
    )
    assert outcome(replies) == {200: PARALLEL}, replies
    with live_api.data() as db:
        rows = db.session.scalar(select(func.count()).where(Attendance.session_id == session_id))
        assert rows == 2


def test_parallel_session_deletions_delete_it_once(live_api: LiveApi) -> None:
    s = setup(live_api)
    with live_api.data() as db:
        klass = db.session.scalar(select(Class).where(Class.code == s.klass))
        meeting = ClassSession(class_id=klass.id, date=date(2026, 3, 2), topic="Buổi 1")
        db.session.add(meeting)
        db.session.flush()
        session_id = meeting.id
    replies = live_api.race(
        "DELETE", f"/api/v1/classes/{s.klass}/sessions/{session_id}", token=s.official
    )
    one_winner(replies, won=204, lost=404)
