"""Learner pages: the catalog, a course, the lesson reader, and "my learning".

They live with enrollments because each shows the learner's own: which courses they follow,
their progress through a course, the lessons they have done (the catalog's data comes from
``lms.catalog.services``, below).
Server-rendered and small, for phones on slow connections: every action is a plain form post
that works without JavaScript.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from lms import periods
from lms.auth.models import Role
from lms.auth.permissions import current
from lms.catalog import services
from lms.catalog.labels import template_helpers
from lms.catalog.models import Course, CourseLevel
from lms.classes import completion, enrollments, next_steps
from lms.classes.models import Class, Enrollment, EnrollmentSource, EnrollmentStatus
from lms.constants import SkillArea, TargetGroup
from lms.errors import DomainError, NotFound
from lms.extensions import db
from lms.http import whole_number

bp = Blueprint("learner_views", __name__)

PER_PAGE = 20

bp.context_processor(template_helpers)


def _may_preview(user: Any) -> bool:
    """Staff may read any course's lessons without enrolling (nothing is recorded)."""
    return bool(user.has_role(Role.admin, Role.trainer, Role.official))


@bp.get("/courses")
def catalog() -> ResponseReturnValue:
    q = (request.args.get("q") or "").strip()[:200]
    target_group = request.args.get("target_group") or None
    skill_area = request.args.get("skill_area") or None
    level = request.args.get("level") or None
    target_group = target_group if target_group in set(TargetGroup) else None
    skill_area = skill_area if skill_area in set(SkillArea) else None
    level = level if level in set(CourseLevel) else None
    page = whole_number(request.args.get("page"), 1, 1, 1_000_000)
    stmt = services.search_courses(
        q=q, target_group=target_group, skill_area=skill_area, level=level
    )
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    courses = list(db.session.scalars(stmt.limit(PER_PAGE).offset((page - 1) * PER_PAGE)))
    mine: dict[int, Enrollment] = {}
    if current_user.is_authenticated and courses:
        rows = db.session.scalars(
            select(Enrollment).where(
                Enrollment.user_id == current_user.id,
                Enrollment.course_id.in_([c.id for c in courses]),
                Enrollment.status != EnrollmentStatus.withdrawn,
            )
        )
        mine = {e.course_id: e for e in rows}
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "catalog/catalog.html",
        courses=courses,
        mine=mine,
        total=total or 0,
        page=page,
        pages=max(1, -(-(total or 0) // PER_PAGE)),
        args=args,
        q=q,
        target_group=target_group,
        skill_area=skill_area,
        level=level,
        target_groups=list(TargetGroup),
        skill_areas=list(SkillArea),
        levels=list(CourseLevel),
    )


def _open_classes(course: Course) -> list[Class]:
    stmt = select(Class).where(Class.course_id == course.id).order_by(Class.starts_on)
    today = periods.today()
    return [k for k in db.session.scalars(stmt) if k.enrol_window_open(today)][:10]


@bp.get("/courses/<slug>")
def course(slug: str) -> ResponseReturnValue:
    the_course = services.get_course(slug)
    enrollment = None
    states: dict[int, str] = {}
    status = None
    if current_user.is_authenticated:
        enrollment = enrollments.enrollment_for(current(), the_course)
        if enrollment is not None:
            states = completion.lesson_states(enrollment)
            status = completion.completion_status(enrollment)
    return render_template(
        "catalog/course.html",
        course=the_course,
        enrollment=enrollment,
        states=states,
        status=status,
        steps=next_steps.steps_for(enrollment, states) if enrollment is not None else [],
        classes=[] if the_course.open else _open_classes(the_course),
    )


@bp.post("/courses/<slug>/enroll")
@login_required
def enroll(slug: str) -> ResponseReturnValue:
    the_course = services.get_course(slug)
    user = current()
    code = request.form.get("class") or None
    try:
        klass = None
        if code:
            klass = db.session.scalar(
                select(Class).where(Class.code == code, Class.course_id == the_course.id)
            )
            if klass is None:
                raise NotFound(_("Class %(code)s not found.", code=code))
        enrollments.enroll(user, the_course, by=user, source=EnrollmentSource.self, klass=klass)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for(".course", slug=slug))
    flash(_("You are enrolled. Start with the first lesson."), "success")
    first = the_course.lessons[0] if the_course.lessons else None
    if first is None:
        return redirect(url_for(".course", slug=slug))
    return redirect(url_for(".lesson", slug=slug, lesson_slug=first.slug))


@bp.get("/courses/<slug>/lessons/<lesson_slug>")
@login_required
def lesson(slug: str, lesson_slug: str) -> ResponseReturnValue:
    the_course = services.get_course(slug)
    the_lesson = services.get_lesson(the_course, lesson_slug)
    user = current()
    enrollment = enrollments.enrollment_for(user, the_course)
    if enrollment is None and not _may_preview(user):
        flash(_("Enrol in the course to read its lessons."), "error")
        return redirect(url_for(".course", slug=slug))
    states: dict[int, str] = {}
    if enrollment is not None:
        completion.open_lesson(enrollment, the_lesson)
        db.session.commit()
        states = completion.lesson_states(enrollment)
    previous, following = services.lesson_neighbours(the_course, the_lesson)
    lessons = the_course.lessons
    return render_template(
        "catalog/lesson.html",
        course=the_course,
        lesson=the_lesson,
        enrollment=enrollment,
        done=states.get(the_lesson.id) == "done",
        previous=previous,
        following=following,
        number=next(i for i, x in enumerate(lessons, 1) if x.id == the_lesson.id),
        count=len(lessons),
    )


@bp.post("/courses/<slug>/lessons/<lesson_slug>/complete")
@login_required
def complete(slug: str, lesson_slug: str) -> ResponseReturnValue:
    the_course = services.get_course(slug)
    the_lesson = services.get_lesson(the_course, lesson_slug)
    enrollment = enrollments.enrollment_for(current(), the_course)
    if enrollment is None:
        flash(_("Enrol in the course to read its lessons."), "error")
        return redirect(url_for(".course", slug=slug))
    was_completed = enrollment.status == EnrollmentStatus.completed
    try:
        completion.complete_lesson(enrollment, the_lesson)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for(".lesson", slug=slug, lesson_slug=lesson_slug))
    if enrollment.status == EnrollmentStatus.completed and not was_completed:
        flash(_("Congratulations! You have completed the course."), "success")
        return redirect(url_for(".course", slug=slug))
    following = services.lesson_neighbours(the_course, the_lesson)[1]
    if following is not None and request.form.get("stay") != "1":
        return redirect(url_for(".lesson", slug=slug, lesson_slug=following.slug))
    return redirect(url_for(".course", slug=slug))


@bp.get("/courses/<slug>/assets/<path:path>")
def asset(slug: str, path: str) -> ResponseReturnValue:
    the_course = services.get_course(slug)
    item = services.get_asset(the_course, path)
    response = Response(item.data, mimetype=item.content_type)
    response.headers["Cache-Control"] = "public, max-age=86400"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.set_etag(item.sha256)
    return response.make_conditional(request)


@bp.get("/my-learning")
@login_required
def my_learning() -> ResponseReturnValue:
    user = current()
    items = list(db.session.scalars(enrollments.my_enrollments(user).limit(200)))
    active = [
        e for e in items if e.status in {EnrollmentStatus.enrolled, EnrollmentStatus.in_progress}
    ]
    finished = [e for e in items if e not in active]
    steps = {e.id: next_steps.steps_for(e) for e in active + finished}
    # The card at the top: an attempt in progress first, else the course last worked on.
    resume = next(
        (e for e in active if steps[e.id] and steps[e.id][0].kind == "attempt"),
        next((e for e in active if e.last_lesson_id is not None), active[0] if active else None),
    )
    if resume is None:
        # Nothing left to learn: the certificate is what there is to do (a course completed by
        # a MOOC platform's records had no step on this page at all).
        resume = next(
            (e for e in finished if steps[e.id] and steps[e.id][0].kind == "certificate"), None
        )
    return render_template(
        "catalog/my_learning.html",
        active=active,
        finished=finished,
        resume=resume,
        steps=steps,
    )
