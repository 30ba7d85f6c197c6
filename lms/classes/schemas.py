"""Classes and enrollments: input schemas (strict) and output shapes."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from lms.classes.cohorts import DATE_PAIRS
from lms.classes.models import ClassMode
from lms.constants import TargetGroup
from lms.edge import FullMatch
from lms.errors import N_

CODE = FullMatch(
    r"^[A-Za-z0-9][A-Za-z0-9._-]{1,49}$",
    error=N_("2-50 letters, digits, '.', '_' or '-'."),
)


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class SessionCreateSchema(_Strict):
    date = fields.Date(required=True)
    starts_at = fields.Time(load_default=None, allow_none=True)
    ends_at = fields.Time(load_default=None, allow_none=True)
    topic = fields.String(
        load_default="", validate=validate.Length(max=300, error=N_("At most 300 characters."))
    )
    place = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=300, error=N_("At most 300 characters.")),
    )


class SessionUpdateSchema(SessionCreateSchema):
    date = fields.Date()


class _ClassFields(_Strict):
    title = fields.String(validate=validate.Length(min=1, max=300, error=N_("1-300 characters.")))
    mode = fields.String(
        validate=validate.OneOf(list(ClassMode), error=N_("online, in_person or blended."))
    )
    starts_on = fields.Date(allow_none=True)
    ends_on = fields.Date(allow_none=True)
    place = fields.String(
        allow_none=True, validate=validate.Length(max=300, error=N_("At most 300 characters."))
    )
    capacity = fields.Integer(
        allow_none=True, validate=validate.Range(min=1, max=100_000, error=N_("From 1 to 100000."))
    )
    enrol_opens_on = fields.Date(allow_none=True)
    enrol_closes_on = fields.Date(allow_none=True)
    trainer_ids = fields.List(fields.Integer())
    unit = fields.String(metadata={"description": "Code of the organising unit."})

    @validates_schema
    def _dates(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        for first, last, message in DATE_PAIRS:
            a, b = data.get(first), data.get(last)
            if a is not None and b is not None and b < a:
                errors[last] = [str(message)]
        if errors:
            raise ValidationError(errors)


class ClassCreateSchema(_ClassFields):
    code = fields.String(required=True, validate=CODE)
    course = fields.String(required=True, metadata={"description": "Slug of the course."})
    unit = fields.String(required=True, metadata={"description": "Code of the organising unit."})
    sessions = fields.List(fields.Nested(SessionCreateSchema), load_default=list)


class ClassUpdateSchema(_ClassFields):
    pass


class ClassQuerySchema(_Strict):
    course = fields.String(load_default=None)
    unit = fields.String(load_default=None)
    trainer = fields.String(
        load_default=None, validate=validate.OneOf(["me"], error=N_("Only 'me' is supported."))
    )
    page = fields.Integer(load_default=1)
    per_page = fields.Integer(load_default=50)


class AttendanceEntrySchema(_Strict):
    user_id = fields.Integer(required=True)
    present = fields.Boolean(required=True)
    note = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=500, error=N_("At most 500 characters.")),
    )


class EnrollSchema(_Strict):
    klass = fields.String(
        data_key="class",
        load_default=None,
        allow_none=True,
        metadata={"description": "Code of a class of this course to join."},
    )


class ClassEnrollSchema(_Strict):
    user_id = fields.Integer(load_default=None)
    login = fields.String(
        load_default=None, metadata={"description": "Email or phone number of the person."}
    )

    @validates_schema
    def _one(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data.get("user_id") and not data.get("login"):
            raise ValidationError({"user_id": [N_("Give user_id or login.")]})


class AssignSchema(_Strict):
    unit = fields.String(required=True, metadata={"description": "Unit code (your area)."})
    target_group = fields.String(
        required=True, validate=validate.OneOf(list(TargetGroup), error=N_("Unknown target group."))
    )


class CsvImportQuerySchema(_Strict):
    dry_run = fields.Boolean(load_default=False)
    invite = fields.String(
        load_default=None,
        validate=validate.OneOf(["email", "sms"]),
        metadata={
            "description": "Send the new accounts an activation link by e-mail or a code by "
            "SMS (a printed sheet is on the class page)"
        },
    )


# --- output --------------------------------------------------------------------------------


class TrainerSchema(Schema):
    id = fields.Integer()
    full_name = fields.String()


class EnrolledPersonSchema(Schema):
    id = fields.Integer()
    full_name = fields.String()
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    unit = fields.Function(lambda u: u.unit.code if u.unit else None)
    target_group = fields.String(allow_none=True)


class SessionSchema(Schema):
    id = fields.Integer()
    date = fields.Date()
    starts_at = fields.Time(allow_none=True)
    ends_at = fields.Time(allow_none=True)
    topic = fields.String()
    place = fields.String(allow_none=True)


class ClassSchema(Schema):
    code = fields.String()
    title = fields.String()
    course = fields.Function(lambda c: {"slug": c.course.slug, "title": c.course.title})
    unit = fields.Function(lambda c: {"code": c.unit.code, "name": c.unit.name})
    mode = fields.String()
    starts_on = fields.Date(allow_none=True)
    ends_on = fields.Date(allow_none=True)
    place = fields.String(allow_none=True)
    capacity = fields.Integer(allow_none=True)
    enrol_opens_on = fields.Date(allow_none=True)
    enrol_closes_on = fields.Date(allow_none=True)
    trainers = fields.List(fields.Nested(TrainerSchema))
    sessions = fields.List(fields.Nested(SessionSchema))


class AttendanceMarkSchema(Schema):
    user_id = fields.Integer()
    full_name = fields.String()
    present = fields.Boolean(allow_none=True, metadata={"description": "null: not marked"})
    note = fields.String(allow_none=True)


class SessionAttendanceSchema(Schema):
    session = fields.Nested(SessionSchema)
    attendance = fields.List(fields.Nested(AttendanceMarkSchema))


class ClassSummarySchema(Schema):
    enrolled = fields.Integer(metadata={"description": "Not withdrawn"})
    completed = fields.Integer()
    withdrawn = fields.Integer()
    places_left = fields.Integer(metadata={"description": "-1: no capacity set"})


class ClassDetailSchema(ClassSchema):
    """One class, with its head counts."""

    summary = fields.Nested(ClassSummarySchema)


class EnrollmentSchema(Schema):
    id = fields.Integer()
    user = fields.Nested(EnrolledPersonSchema)
    course = fields.Function(
        lambda e: {"slug": e.course.slug, "title": e.course.title, "title_en": e.course.title_en}
    )
    class_code = fields.Function(lambda e: e.klass.code if e.klass else None)
    status = fields.String()
    source = fields.String()
    registration = fields.String()
    enrolled_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    withdrawn_at = fields.DateTime(allow_none=True)
    progress = fields.Integer()
    lessons_done = fields.Integer()
    quiz_score = fields.Float(allow_none=True)
    quiz_passed = fields.Boolean(allow_none=True)
    attendance_rate = fields.Float(allow_none=True)
    last_lesson = fields.Function(
        lambda e: (
            {"slug": e.last_lesson.slug, "title": e.last_lesson.title} if e.last_lesson else None
        )
    )


class EnrollmentDetailSchema(EnrollmentSchema):
    completion = fields.Dict(metadata={"description": "completion_status(): rules and whether met"})


class RosterRowSchema(EnrollmentSchema):
    sessions_present = fields.Integer()


class CsvImportResultSchema(Schema):
    dry_run = fields.Boolean()
    summary = fields.Dict()
    rows = fields.List(fields.Dict())
