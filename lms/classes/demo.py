"""Demo classes and enrollments with varied progress, for the journeys of JOURNEYS.md.

- Journey 4: a two-day blended class for department leaders taught by trainer@demo.lms.vn,
  the first day's attendance marked (one leader away on an official mission), the second not.
- An online class of Hồng Bàng's community digital-technology team.
- Journey 3: Hồng Bàng's officials assigned the basic digital-skills course, at every stage.
- Journey 1: learner@demo.lms.vn in the online public services course, 1 of 3 lessons done.

Completions go through the same services as real learners (lessons, then the quiz result),
so ``evaluate_completion`` fires and the certificates domain issues certificates. Idempotent:
a second run finds the leaders' class and adds nothing.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from lms import periods
from lms.auth.models import Role, User
from lms.catalog.models import Course
from lms.classes import cohorts, completion, enrollments
from lms.classes.models import Class, ClassMode, Enrollment, EnrollmentSource
from lms.constants import TargetGroup
from lms.extensions import db
from lms.org.models import Unit

DOMAIN = "demo.lms.vn"
LEADERS_CLASS = "HP-LD-2026-01"
ONLINE_CLASS = "HP-HB-CNS-2026"
LEADERS_COURSE = "chuyen-doi-so-cho-lanh-dao"
PUBLIC_SERVICES = "dich-vu-cong-truc-tuyen"
BASIC_SKILLS = "ky-nang-so-co-ban-cho-can-bo"
COMMUNITY_COURSE = "to-cong-nghe-so-cong-dong"
SEED = 146


def _user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == f"{email}@{DOMAIN}"))


def _course(slug: str) -> Course | None:
    return db.session.scalar(select(Course).where(Course.slug == slug))


def _unit(code: str) -> Unit | None:
    return db.session.scalar(select(Unit).where(Unit.code == code))


def _people(unit: Unit, group: TargetGroup, limit: int) -> list[User]:
    """Passwordless demo people of ``unit`` (and below) in ``group``."""
    return list(
        db.session.scalars(
            select(User)
            .join(Unit, Unit.id == User.unit_id)
            .where(
                Unit.path.startswith(unit.path),
                User.target_group == group,
                User.password_hash.is_(None),
                User.active.is_(True),
            )
            .order_by(User.id)
            .limit(limit)
        )
    )


def _moment(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def _advance(enrollment: Enrollment, stage: str, rng: random.Random, day: date) -> None:
    """Move an enrollment to ``stage``: none, started, lessons (all read), completed."""
    lessons = enrollment.course.lessons
    if stage == "none" or not lessons:
        return
    full = stage in {"lessons", "completed"}
    count = len(lessons) if full else rng.randint(1, max(1, len(lessons) - 1))
    for index, lesson in enumerate(lessons[:count]):
        completion.complete_lesson(enrollment, lesson, at=_moment(day, 8 + index))
    if len(lessons) > count:
        completion.open_lesson(enrollment, lessons[count], at=_moment(day, 8 + count))
    if stage == "completed":
        score = rng.choice((0.7, 0.8, 0.8, 0.9, 1.0))
        completion.record_quiz_result(enrollment, scaled=score, passed=True, at=_moment(day, 16))
    elif stage == "lessons" and rng.random() < 0.5:
        completion.record_quiz_result(enrollment, scaled=0.5, passed=False, at=_moment(day, 16))


def _enrol(
    user: User,
    course: Course,
    *,
    source: EnrollmentSource,
    by: User | None,
    klass: Class | None = None,
    day: date,
) -> Enrollment | None:
    if enrollments.enrollment_for(user, course) is not None:
        return None
    return enrollments.enroll(user, course, by=by, source=source, klass=klass, at=_moment(day, 7))


def _leaders_class(trainer: User, admin: User | None, rng: random.Random, today: date) -> int:
    """Organised by the city for the leaders of all its departments: the trainer (of the
    Department of Science and Technology) teaches it because the city assigned them."""
    course, province = _course(LEADERS_COURSE), _unit("HP")
    if course is None or province is None:
        return 0
    klass = cohorts.create_class(
        code=LEADERS_CLASS,
        course=course,
        unit=province,
        by=admin or trainer,
        trainer_ids=[trainer.id],
        title="Chuyển đổi số cho lãnh đạo các sở, ngành – khoá 1/2026",
        mode=ClassMode.blended,
        starts_on=today - timedelta(days=1),
        ends_on=today,
        place="Hội trường Sở Khoa học và Công nghệ Hải Phòng, tầng 3",
        capacity=30,
        enrol_opens_on=today - timedelta(days=30),
        enrol_closes_on=today,
    )
    first = cohorts.add_session(
        klass,
        on=today - timedelta(days=1),
        starts_at=time(8),
        ends_at=time(16, 30),
        topic="Ngày 1: Tầm nhìn và chiến lược chuyển đổi số",
        by=admin or trainer,
    )
    cohorts.add_session(
        klass,
        on=today,
        starts_at=time(8),
        ends_at=time(16, 30),
        topic="Ngày 2: Dữ liệu, chính quyền số và kế hoạch hành động",
        by=admin or trainer,
    )
    leaders = _people(province, TargetGroup.leader, 14)
    stages = ["completed", "lessons", "lessons", "started", "started", "none"]
    enrolled = []
    for index, leader in enumerate(leaders):
        enrollment = _enrol(
            leader,
            course,
            source=EnrollmentSource.klass,
            by=trainer,
            klass=klass,
            day=today - timedelta(days=20),
        )
        if enrollment is None:
            continue
        _advance(enrollment, stages[index % len(stages)], rng, today - timedelta(days=5))
        enrolled.append(leader)
    marks = [
        {
            "user_id": leader.id,
            "present": index != 2,
            "note": "Đi công tác theo quyết định của UBND thành phố" if index == 2 else None,
        }
        for index, leader in enumerate(enrolled)
    ]
    if marks:
        cohorts.set_attendance(first, marks, by=trainer)
    return len(enrolled)


def _online_class(trainer: User, organiser: User | None, rng: random.Random, today: date) -> int:
    """Set up by Hồng Bàng's official, who assigns the trainer: the ward is outside the
    trainer's own unit, so only its officials (or an admin) can open a class there for them."""
    course, unit = _course(COMMUNITY_COURSE) or _course(PUBLIC_SERVICES), _unit("HP-HONGBANG")
    if course is None or unit is None or organiser is None:
        return 0
    klass = cohorts.create_class(
        code=ONLINE_CLASS,
        course=course,
        unit=unit,
        by=organiser,
        trainer_ids=[trainer.id],
        title="Tổ công nghệ số cộng đồng phường Hồng Bàng – học trực tuyến",
        mode=ClassMode.online,
        starts_on=today - timedelta(days=20),
        ends_on=today + timedelta(days=40),
        capacity=40,
        enrol_opens_on=today - timedelta(days=30),
        enrol_closes_on=today + timedelta(days=30),
    )
    members = _people(unit, TargetGroup.community_tech, 12)
    stages = ["completed", "completed", "started", "lessons", "started", "none"]
    count = 0
    for index, member in enumerate(members):
        enrollment = _enrol(
            member,
            course,
            source=EnrollmentSource.klass,
            by=trainer,
            klass=klass,
            day=today - timedelta(days=18),
        )
        if enrollment is not None:
            _advance(enrollment, stages[index % len(stages)], rng, today - timedelta(days=10))
            count += 1
    return count


def _assigned(official: User | None, rng: random.Random, today: date) -> int:
    """Journey 3: Hồng Bàng's officials in the basic digital-skills course, at every stage."""
    course, unit = _course(BASIC_SKILLS), _unit("HP-HONGBANG")
    if course is None or unit is None:
        return 0
    people = _people(unit, TargetGroup.official, 38)
    enrollments.bulk_enroll(
        course,
        people,
        source=EnrollmentSource.assigned,
        by=official,
        at=_moment(today - timedelta(days=40)),
    )
    stages = ["completed", "completed", "lessons", "started", "started", "none", "none"]
    for index, person in enumerate(people):
        enrollment = enrollments.enrollment_for(person, course)
        if enrollment is not None:
            day = today - timedelta(days=rng.randint(3, 35))
            _advance(enrollment, stages[index % len(stages)], rng, day)
    return len(people)


def _citizens(rng: random.Random, today: date) -> int:
    """Citizens across the demo wards in the online public services course."""
    course = _course(PUBLIC_SERVICES)
    count = 0
    if course is None:
        return 0
    for code in ("HP-LECHAN", "HP-NGOQUYEN", "HP-THUYNGUYEN", "QT-DONGHOI"):
        unit = _unit(code)
        if unit is None:
            continue
        for person in _people(unit, TargetGroup.citizen, 8):
            day = today - timedelta(days=rng.randint(5, 200))
            enrollment = _enrol(person, course, source=EnrollmentSource.self, by=person, day=day)
            if enrollment is None:
                continue
            stage = rng.choice(("completed", "completed", "started", "lessons", "none"))
            _advance(enrollment, stage, rng, day + timedelta(days=rng.randint(0, 4)))
            count += 1
    return count


def _named(today: date) -> list[str]:
    lines = []
    learner, course = _user("learner"), _course(PUBLIC_SERVICES)
    if learner is not None and course is not None:
        enrollment = _enrol(
            learner, course, source=EnrollmentSource.self, by=learner, day=today - timedelta(days=1)
        )
        if enrollment is not None and course.lessons:
            completion.complete_lesson(
                enrollment, course.lessons[0], at=_moment(today - timedelta(days=1), 20)
            )
            lines.append(
                "classes: learner@ has 1 of 3 lessons of the online public services course"
            )
    for email, slug in (
        ("specialist", "chuan-ky-nang-so-cho-can-bo-chuyen-trach"),
        ("teacher", "stem-steam-cho-giao-vien"),
    ):
        user, target = _user(email), _course(slug)
        if user is not None and target is not None:
            _enrol(
                user,
                target,
                source=EnrollmentSource.assigned,
                by=None,
                day=today - timedelta(days=7),
            )
    return lines


def seed() -> list[str]:
    if db.session.scalar(select(Class.id).where(Class.code == LEADERS_CLASS)) is not None:
        return ["classes: demo classes already there"]
    trainer = _user("trainer")
    if trainer is None or not trainer.has_role(Role.trainer):
        return ["classes: no demo trainer (run the auth demo first); no classes added"]
    rng = random.Random(SEED)
    today = periods.today()  # the province's day: classes open and close on it
    admin = _user("admin")
    ward_official = _user("official.hongbang")
    leaders = _leaders_class(trainer, admin, rng, today)
    online = _online_class(trainer, ward_official or admin, rng, today)
    assigned = _assigned(ward_official, rng, today)
    citizens = _citizens(rng, today)
    lines = _named(today)
    db.session.flush()
    return [
        f"classes: {LEADERS_CLASS} ({leaders} leaders, 2 sessions), {ONLINE_CLASS} "
        f"({online} people online), {assigned} officials assigned, {citizens} citizens enrolled",
        *lines,
    ]
