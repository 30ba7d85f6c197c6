"""JSON API of classes and enrollments under /api/v1."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lms.auth import access, permissions
from lms.auth.models import Role, User
from lms.auth.permissions import auth_required, can_manage_class, current, user_in_scope
from lms.catalog.schemas import CourseDetailSchema
from lms.catalog.services import get_course, get_lesson
from lms.classes import assign, cohorts, completion, csvimport, enrollments
from lms.classes.models import Enrollment, EnrollmentSource
from lms.classes.schemas import (
    AssignSchema,
    AttendanceEntrySchema,
    ClassCreateSchema,
    ClassDetailSchema,
    ClassEnrollSchema,
    ClassQuerySchema,
    ClassSchema,
    ClassUpdateSchema,
    CsvImportQuerySchema,
    CsvImportResultSchema,
    EnrollmentDetailSchema,
    EnrollmentSchema,
    EnrollSchema,
    RosterRowSchema,
    SessionAttendanceSchema,
    SessionCreateSchema,
    SessionSchema,
    SessionUpdateSchema,
)
from lms.errors import BadRequest, Forbidden, NotFound, error_body
from lms.extensions import db
from lms.http import created, json_body, load, no_content, optional_json_body, paginate, query_args
from lms.jobs.schemas import JobSchema
from lms.messages import services as messages
from lms.openapi import doc
from lms.org.services import get_unit
from lms.tabular import UNREADABLE

bp = Blueprint("classes", __name__, url_prefix="/api/v1")

MANAGERS = (Role.admin, Role.official, Role.trainer)


def _class_body(klass: Any) -> dict[str, Any]:
    body: dict[str, Any] = ClassSchema().dump(klass)
    body["summary"] = cohorts.class_summary(klass)
    return body


# --- classes ---------------------------------------------------------------------------------


@bp.get("/classes")
@auth_required(*MANAGERS)
@doc(
    summary="Classes you manage",
    tags=["classes"],
    query=ClassQuerySchema,
    response=ClassSchema,
    paginated=True,
    responses={404: "No such course or unit"},
)
def list_classes() -> ResponseReturnValue:
    args = query_args(ClassQuerySchema())
    user = current()
    stmt = cohorts.list_classes(
        user,
        course=get_course(args["course"]) if args["course"] else None,
        unit=get_unit(args["unit"]) if args["unit"] else None,
        trainer_me=args["trainer"] == "me",
    )
    return paginate(stmt, ClassSchema().dump)


@bp.post("/classes")
@auth_required(*MANAGERS)
@doc(
    summary="Create a class (with its sessions)",
    tags=["classes"],
    body=ClassCreateSchema,
    response=ClassDetailSchema,
    status=201,
    responses={404: "No such course or unit", 409: "The code is already used"},
)
def create_class() -> ResponseReturnValue:
    data = load(ClassCreateSchema())
    user = current()
    sessions = data.pop("sessions", [])
    klass = cohorts.create_class(
        code=data.pop("code"),
        course=get_course(data.pop("course")),
        unit=get_unit(data.pop("unit")),
        by=user,
        trainer_ids=data.pop("trainer_ids", []),
        **data,
    )
    for item in sessions:
        cohorts.add_session(klass, on=item.pop("date"), by=user, **item)
    db.session.commit()
    return created(_class_body(klass), url_for("classes.get_class", code=klass.code))


@bp.get("/classes/<code>")
@auth_required(*MANAGERS)
@doc(
    summary="A class",
    tags=["classes"],
    response=ClassDetailSchema,
    responses={404: "No such class"},
)
def get_class(code: str) -> ResponseReturnValue:
    return jsonify(_class_body(cohorts.get_class_for(current(), code)))


@bp.patch("/classes/<code>")
@auth_required(*MANAGERS)
@doc(summary="Change a class", tags=["classes"], body=ClassUpdateSchema, response=ClassDetailSchema)
def update_class(code: str) -> ResponseReturnValue:
    user = current()
    klass = cohorts.get_class_for(user, code)
    changes = load(ClassUpdateSchema())
    if "unit" in changes:
        changes["unit"] = get_unit(changes["unit"])
    cohorts.update_class(klass, changes, by=user)
    db.session.commit()
    return jsonify(_class_body(klass))


@bp.get("/classes/<code>/roster")
@auth_required(*MANAGERS)
@doc(
    summary="The class's people with their progress",
    tags=["classes"],
    response=RosterRowSchema,
    many=True,
)
def roster(code: str) -> ResponseReturnValue:
    user = current()
    klass = cohorts.get_class_for(user, code)
    out = []
    for row in cohorts.roster(klass, viewer=user):
        item = _dump(row.enrollment, row.show_contacts)
        item["sessions_present"] = row.sessions_present
        out.append(item)
    return jsonify(out)


# --- sessions and attendance ---------------------------------------------------------------


@bp.post("/classes/<code>/sessions")
@auth_required(*MANAGERS)
@doc(
    summary="Add a session", tags=["classes"], body=SessionCreateSchema, response=SessionSchema,
    status=201,
)  # fmt: skip
def add_session(code: str) -> ResponseReturnValue:
    user = current()
    klass = cohorts.get_class_for(user, code)
    data = load(SessionCreateSchema())
    session = cohorts.add_session(klass, on=data.pop("date"), by=user, **data)
    db.session.commit()
    return created(
        SessionSchema().dump(session),
        url_for("classes.session_attendance", code=code, session_id=session.id),
    )


@bp.patch("/classes/<code>/sessions/<int:session_id>")
@auth_required(*MANAGERS)
@doc(summary="Change a session", tags=["classes"], body=SessionUpdateSchema, response=SessionSchema)
def update_session(code: str, session_id: int) -> ResponseReturnValue:
    user = current()
    klass = cohorts.get_class_for(user, code)
    session = cohorts.get_session(klass, session_id)
    cohorts.update_session(session, load(SessionUpdateSchema(), partial=True), by=user)
    db.session.commit()
    return jsonify(SessionSchema().dump(session))


@bp.delete("/classes/<code>/sessions/<int:session_id>")
@auth_required(*MANAGERS)
@doc(summary="Delete a session (and its attendance)", tags=["classes"], status=204)
def delete_session(code: str, session_id: int) -> ResponseReturnValue:
    user = current()
    klass = cohorts.get_class_for(user, code)
    cohorts.delete_session(cohorts.get_session(klass, session_id), by=user)
    db.session.commit()
    return no_content()


def _attendance_body(session: Any) -> dict[str, Any]:
    rows = cohorts.session_attendance(session)
    people = []
    for item in cohorts.roster(session.klass, include_withdrawn=False):
        mark = rows.get(item.enrollment.id)
        people.append(
            {
                "user_id": item.user.id,
                "full_name": item.user.full_name,
                "present": mark.present if mark else None,
                "note": mark.note if mark else None,
            }
        )
    return {"session": SessionSchema().dump(session), "attendance": people}


@bp.get("/classes/<code>/sessions/<int:session_id>/attendance")
@auth_required(*MANAGERS)
@doc(summary="Attendance of a session", tags=["classes"], response=SessionAttendanceSchema)
def session_attendance(code: str, session_id: int) -> ResponseReturnValue:
    klass = cohorts.get_class_for(current(), code)
    return jsonify(_attendance_body(cohorts.get_session(klass, session_id)))


@bp.put("/classes/<code>/sessions/<int:session_id>/attendance")
@auth_required(*MANAGERS)
@doc(
    summary="Mark attendance of a session",
    tags=["classes"],
    response=SessionAttendanceSchema,
    body=AttendanceEntrySchema(many=True),
    description='Body: a JSON list of {"user_id", "present", "note"}; all rows or none.',
)
def set_attendance(code: str, session_id: int) -> ResponseReturnValue:
    user = current()
    klass = cohorts.get_class_for(user, code)
    session = cohorts.get_session(klass, session_id)
    body = json_body()
    if not isinstance(body, list):
        raise BadRequest(_('Send a JSON list of {"user_id", "present", "note"}.'))
    entries = load(AttendanceEntrySchema(many=True), body)
    cohorts.set_attendance(session, entries, by=user)
    db.session.commit()
    return jsonify(_attendance_body(session))


# --- enrolling ---------------------------------------------------------------------------------


@bp.post("/classes/<code>/enrollments")
@auth_required(*MANAGERS)
@doc(
    summary="Enrol one person in the class",
    tags=["classes"],
    body=ClassEnrollSchema,
    response=EnrollmentSchema,
    status=201,
    responses={409: "Already enrolled, class full or enrollment closed"},
)
def enrol_in_class(code: str) -> ResponseReturnValue:
    user = current()
    klass = cohorts.get_class_for(user, code)
    data = load(ClassEnrollSchema())
    person = cohorts.person_to_enrol(klass, by=user, user_id=data["user_id"], login=data["login"])
    enrollment = enrollments.enroll(
        person, klass.course, by=user, source=EnrollmentSource.klass, klass=klass
    )
    db.session.commit()
    return created(
        EnrollmentSchema().dump(enrollment),
        url_for("classes.get_enrollment", enrollment_id=enrollment.id),
    )


@bp.post("/classes/<code>/enrollments/import")
@auth_required(*MANAGERS)
@doc(
    summary="Enrol people from a CSV or XLSX file (preview with ?dry_run=true)",
    tags=["classes"],
    query=CsvImportQuerySchema,
    content_type="multipart/form-data",
    response=CsvImportResultSchema,
    responses={
        400: UNREADABLE,
        409: "The class is full or its enrollment window is closed",
        422: "Rows with errors: `errors` maps rows.<n>.<field> to messages, `rows` holds the "
        "cells as read; nothing imported",
    },
)
def import_enrollments(code: str) -> ResponseReturnValue:
    """Columns: email, phone, full_name, unit_code, target_group (field ``file``, or a raw
    ``text/csv`` body). Accepted whole or rejected whole."""
    user = current()
    klass = cohorts.get_class_for(user, code)
    args = query_args(CsvImportQuerySchema())
    upload = request.files.get("file")
    if upload is not None:
        data, filename = upload.read(), upload.filename
    elif request.mimetype in {"text/csv", "text/plain"}:
        data, filename = request.get_data(), None
    else:
        raise BadRequest(_("Send the file in the form field 'file'."))
    try:
        result = csvimport.import_enrollments(
            klass, data, by=user, filename=filename, dry_run=args["dry_run"]
        )
    except csvimport.RowsInvalid as exc:
        db.session.rollback()
        response = jsonify(error_body(422, exc.message, exc.errors) | {"rows": exc.rows})
        response.status_code = 422
        return response
    if args["dry_run"]:
        db.session.rollback()
        return jsonify(result)
    if args["invite"]:
        new = [row["user_id"] for row in result["rows"] if row["action"] == "create"]
        people = db.session.scalars(select(User).where(User.id.in_(new))).all()
        issued, _skipped = access.issue_invitations(people, args["invite"], by=user)
        result["invited"] = len(issued)
    db.session.commit()
    messages.dispatch()
    return jsonify(result)


@bp.get("/courses/<slug>")
@doc(
    summary="A course with its outline",
    tags=["catalog"],
    response=CourseDetailSchema,
    public=True,
    responses={404: "No such course"},
)
def course_detail(slug: str) -> ResponseReturnValue:
    """The catalog's course, and the caller's enrollment in it when they are signed in."""
    course = get_course(slug)
    body: dict[str, Any] = CourseDetailSchema().dump(course)
    body["enrollment"] = None
    if current_user.is_authenticated:
        enrollment = enrollments.enrollment_for(current(), course)
        if enrollment is not None:
            body["enrollment"] = {
                "id": enrollment.id,
                "status": str(enrollment.status),
                "progress": enrollment.progress,
                "class_code": enrollment.klass.code if enrollment.klass else None,
            }
    return jsonify(body)


@bp.post("/courses/<slug>/enroll")
@auth_required()
@doc(
    summary="Enrol yourself in a course (or in one of its classes)",
    tags=["enrollments"],
    body=EnrollSchema,
    body_required=False,
    response=EnrollmentSchema,
    status=201,
    responses={
        403: "The course is not open to self-enrollment",
        409: "Already enrolled, class full or enrollment closed",
    },
)
def enroll(slug: str) -> ResponseReturnValue:
    user = current()
    course = get_course(slug)
    data = load(EnrollSchema(), optional_json_body())
    klass = None
    if data["klass"]:
        klass = cohorts.get_class(data["klass"])
        if klass.course_id != course.id:
            raise NotFound(_("Class %(code)s not found.", code=data["klass"]))
    enrollment = enrollments.enroll(
        user, course, by=user, source=EnrollmentSource.self, klass=klass
    )
    db.session.commit()
    return created(
        EnrollmentSchema().dump(enrollment),
        url_for("classes.get_enrollment", enrollment_id=enrollment.id),
    )


@bp.post("/courses/<slug>/assign")
@auth_required(Role.admin, Role.official)
@doc(
    summary="Enrol every person of a target group in your area (a background job)",
    tags=["enrollments"],
    body=AssignSchema,
    response=JobSchema,
    status=202,
    description="Poll /api/v1/jobs/<id> for progress; the result counts who was enrolled.",
)
def assign_course(slug: str) -> ResponseReturnValue:
    data = load(AssignSchema())
    job = assign.assign_course(
        get_course(slug), get_unit(data["unit"]), data["target_group"], by=current()
    )
    response = jsonify(JobSchema().dump(job))
    response.status_code = 202
    response.headers["Location"] = url_for("jobs.get_job", job_id=job.id)
    return response


# --- enrollments and progress -------------------------------------------------------------------


def can_view_enrollment(user: User, enrollment: Enrollment) -> bool:
    if enrollment.user_id == user.id or user.is_admin:
        return True
    if enrollment.klass is not None and can_manage_class(user, enrollment.klass):
        return True
    return Role.official in user.roles and user_in_scope(user, enrollment.user)


def _dump(enrollment: Enrollment, show_contacts: bool) -> dict[str, Any]:
    body: dict[str, Any] = EnrollmentSchema().dump(enrollment)
    if not show_contacts:
        body["user"]["email"] = body["user"]["phone"] = None
    return body


def _dump_for(enrollment: Enrollment, viewer: User) -> dict[str, Any]:
    """An enrollment as ``viewer`` may see it: the person's email and phone only when they
    are within the viewer's reach (a class's trainer sees the name of someone who joined from
    another area, not how to reach them)."""
    if enrollment.klass is not None:
        visible = permissions.class_reach(viewer, enrollment.klass)(enrollment.user)
    else:
        visible = permissions.person_in_reach(viewer, enrollment.user)
    return _dump(enrollment, visible)


def _visible_enrollment(enrollment_id: int) -> Enrollment:
    enrollment = enrollments.get_enrollment(enrollment_id)
    if not can_view_enrollment(current(), enrollment):
        raise NotFound(_("Enrollment not found."))
    return enrollment


def _own_enrollment(enrollment_id: int) -> Enrollment:
    enrollment = _visible_enrollment(enrollment_id)
    if enrollment.user_id != current().id:
        raise Forbidden(_("Only the learner can record their own progress."))
    return enrollment


def _detail(enrollment: Enrollment) -> dict[str, Any]:
    body = _dump_for(enrollment, current())
    body["completion"] = completion.completion_status(enrollment)
    return body


@bp.get("/me/enrollments")
@auth_required()
@doc(
    summary="Your enrollments, most recently active first",
    tags=["enrollments"],
    response=EnrollmentSchema,
    paginated=True,
)
def my_enrollments() -> ResponseReturnValue:
    return paginate(enrollments.my_enrollments(current()), EnrollmentSchema().dump)


@bp.get("/enrollments/<int:enrollment_id>")
@auth_required()
@doc(summary="An enrollment with its completion rules", tags=["enrollments"],
     response=EnrollmentDetailSchema)  # fmt: skip
def get_enrollment(enrollment_id: int) -> ResponseReturnValue:
    return jsonify(_detail(_visible_enrollment(enrollment_id)))


@bp.post("/enrollments/<int:enrollment_id>/withdraw")
@auth_required()
@doc(
    summary="Withdraw (yourself, or someone from a class you manage)",
    tags=["enrollments"],
    response=EnrollmentSchema,
    responses={409: "Already withdrawn or completed"},
)
def withdraw(enrollment_id: int) -> ResponseReturnValue:
    user = current()
    enrollment = _visible_enrollment(enrollment_id)
    if enrollment.user_id != user.id and not (
        user.is_admin
        or (enrollment.klass is not None and can_manage_class(user, enrollment.klass))
        or (Role.official in user.roles and user_in_scope(user, enrollment.user))
    ):
        raise Forbidden(_("You do not have permission to do this."))
    enrollments.withdraw(enrollment, by=user)
    db.session.commit()
    return jsonify(_dump_for(enrollment, user))


@bp.post("/enrollments/<int:enrollment_id>/lessons/<lesson_slug>/open")
@auth_required()
@doc(summary="Record that you opened a lesson (where you stopped)", tags=["enrollments"],
     response=EnrollmentSchema)  # fmt: skip
def open_lesson(enrollment_id: int, lesson_slug: str) -> ResponseReturnValue:
    enrollment = _own_enrollment(enrollment_id)
    completion.open_lesson(enrollment, get_lesson(enrollment.course, lesson_slug))
    db.session.commit()
    return jsonify(EnrollmentSchema().dump(enrollment))


@bp.post("/enrollments/<int:enrollment_id>/lessons/<lesson_slug>/complete")
@auth_required()
@doc(
    summary="Mark a lesson complete",
    tags=["enrollments"],
    response=EnrollmentDetailSchema,
    responses={409: "The enrollment was withdrawn"},
)
def complete_lesson(enrollment_id: int, lesson_slug: str) -> ResponseReturnValue:
    enrollment = _own_enrollment(enrollment_id)
    completion.complete_lesson(enrollment, get_lesson(enrollment.course, lesson_slug))
    db.session.commit()
    return jsonify(_detail(enrollment))
