"""Catalog schemas: the list's query string and the shapes of courses and lessons."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from lms.catalog.models import CourseLevel
from lms.constants import SkillArea, TargetGroup
from lms.errors import N_


class CourseQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    q = fields.String(
        load_default=None,
        validate=validate.Length(max=200, error=N_("At most 200 characters.")),
        metadata={"description": "Words to find; case and Vietnamese diacritics are ignored."},
    )
    target_group = fields.String(
        load_default=None,
        validate=validate.OneOf(list(TargetGroup), error=N_("Unknown target group.")),
    )
    skill_area = fields.String(
        load_default=None, validate=validate.OneOf(list(SkillArea), error=N_("Unknown skill area."))
    )
    level = fields.String(
        load_default=None, validate=validate.OneOf(list(CourseLevel), error=N_("Unknown level."))
    )
    open = fields.Boolean(load_default=None, metadata={"description": "Only self-enrol courses."})
    page = fields.Integer(load_default=1)
    per_page = fields.Integer(load_default=50)


class LessonSummarySchema(Schema):
    slug = fields.String()
    position = fields.Integer()
    title = fields.String()
    title_en = fields.String(allow_none=True)
    minutes = fields.Integer()


class CourseSchema(Schema):
    slug = fields.String()
    title = fields.String()
    title_en = fields.String(allow_none=True)
    summary = fields.String()
    summary_en = fields.String(allow_none=True)
    target_groups = fields.List(fields.String())
    skill_areas = fields.List(fields.String())
    level = fields.String()
    hours = fields.Float()
    indicators = fields.List(fields.String())
    open = fields.Boolean()
    gives_certificate = fields.Boolean()
    completion_rule = fields.Dict()
    activity_iri = fields.String()
    version = fields.Integer()
    lesson_count = fields.Integer()
    updated_at = fields.DateTime()


class CourseEnrollmentBriefSchema(Schema):
    id = fields.Integer()
    status = fields.String()
    progress = fields.Integer()
    class_code = fields.Function(lambda e: e.klass.code if e.klass else None)


class CourseDetailSchema(CourseSchema):
    external_activity_iris = fields.List(fields.String())
    lessons = fields.List(fields.Nested(LessonSummarySchema))
    enrollment = fields.Nested(
        CourseEnrollmentBriefSchema,
        allow_none=True,
        metadata={"description": "The caller's live enrollment, when logged in and enrolled."},
    )


class ImportResultSchema(Schema):
    slug = fields.String()
    course_id = fields.Integer()
    version = fields.Integer()
    status = fields.String(metadata={"description": "created | updated | unchanged"})
    lessons = fields.Integer()
    lessons_deactivated = fields.List(fields.String())
