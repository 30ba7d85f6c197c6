"""Shapes of the learning bridge's API: input schemas (unknown fields refused) and outputs."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import RAISE, Schema, fields, validate

from lms.constants import TargetGroup
from lms.learning.cmi5.runtime import WAIVE_REASONS
from lms.learning.models import IdentityKind, UnmatchedReason

_GROUPS = [g.value for g in TargetGroup]
_COURSES = (
    "Slugs of the courses the platform may report (any of their activity IRIs); "
    "its statements about other courses are held for review. Empty: none."
)
_UNITS = (
    "Codes of the units (each with its subtree) whose learners the platform may create "
    "and affect; statements about anyone else are held for review. Empty: none."
)


class _Input(Schema):
    class Meta:
        unknown = RAISE


class ActivityIrisSchema(_Input):
    iris = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "The course's IRIs on other platforms (replaces the list)"},
    )


class ActivityIrisOutSchema(Schema):
    slug = fields.String()
    activity_iri = fields.String()
    external_activity_iris = fields.List(fields.String())


class PlatformCreateSchema(_Input):
    client_id = fields.Integer(required=True, metadata={"description": "An LRS client's id"})
    name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200, error=_l("Name must be 1–200 characters.")),
    )
    home_page = fields.String(
        required=True,
        validate=validate.Length(min=8, max=500),
        metadata={"description": "The account.homePage of the platform's learners"},
    )
    courses = fields.List(
        fields.String(),
        load_default=list,
        metadata={"description": _COURSES},
    )
    units = fields.List(fields.String(), load_default=list, metadata={"description": _UNITS})
    provision_unknown = fields.Boolean(load_default=False)
    default_target_group = fields.String(
        load_default=TargetGroup.citizen.value,
        allow_none=True,
        validate=validate.OneOf(_GROUPS, error=_l("Must be one of: {choices}.")),
    )


class PlatformUpdateSchema(_Input):
    name = fields.String(validate=validate.Length(min=1, max=200))
    home_page = fields.String(validate=validate.Length(min=8, max=500))
    courses = fields.List(fields.String(), metadata={"description": _COURSES + " Replaces."})
    units = fields.List(fields.String(), metadata={"description": _UNITS + " Replaces."})
    provision_unknown = fields.Boolean()
    default_target_group = fields.String(
        allow_none=True, validate=validate.OneOf(_GROUPS, error=_l("Must be one of: {choices}."))
    )
    active = fields.Boolean()


class PlatformSchema(Schema):
    id = fields.Integer()
    client_id = fields.Integer()
    client_key = fields.String(allow_none=True)
    name = fields.String()
    home_page = fields.String()
    provision_unknown = fields.Boolean()
    default_target_group = fields.String(allow_none=True)
    courses = fields.List(fields.String(), metadata={"description": _COURSES})
    units = fields.List(fields.String(), metadata={"description": _UNITS})
    active = fields.Boolean()
    created_at = fields.String(allow_none=True)


class StatusSchema(Schema):
    last_stored_seq = fields.Integer()
    last_processed_seq = fields.Integer()
    partitions = fields.List(
        fields.Integer(),
        metadata={"description": "Each partition's cursor (LMS_BRIDGE_PARTITIONS), in order."},
    )
    pending = fields.Integer(
        metadata={
            "description": "Statements not yet read that may change something (the LMS's own "
            "statements, which only record what it did, are in own_unread)"
        }
    )
    own_unread = fields.Integer(
        metadata={"description": "The LMS's own statements not yet read: they change nothing"}
    )
    lag_seconds = fields.Float(metadata={"description": "Age of the oldest pending statement"})
    oldest_pending_stored = fields.String(allow_none=True)
    gaps = fields.Integer()
    unmatched_open = fields.Integer()
    ignored_by_rule = fields.Integer(
        metadata={
            "description": "Statements about courses from clients that may not move figures "
            "(neither a source platform nor a cmi5 session): stored, never applied"
        }
    )
    ignored_sources = fields.List(
        fields.Dict(),
        metadata={"description": "Who sent them: authority, client_key, statements, last_stored"},
    )
    activity_mappings = fields.Integer()
    last_run = fields.Dict(allow_none=True)
    mode = fields.String(metadata={"description": "eager (in-process) or celery"})


class RunResultSchema(StatusSchema):
    processed = fields.Integer(metadata={"description": "Statements processed by this run"})


class RunSchema(_Input):
    limit = fields.Integer(load_default=None, validate=validate.Range(min=1, max=1_000_000))


class UnmatchedQuerySchema(_Input):
    resolved = fields.Boolean(load_default=False)
    reason = fields.String(
        load_default=None, validate=validate.OneOf([r.value for r in UnmatchedReason])
    )
    page = fields.Integer()
    per_page = fields.Integer()


class UnmatchedSchema(Schema):
    id = fields.Integer()
    statement_id = fields.String()
    seq = fields.Integer()
    stored = fields.String()
    reason = fields.String()
    detail = fields.String()
    actor = fields.Dict()
    actor_ifi = fields.String()
    activity_iri = fields.String()
    verb = fields.String()
    course_id = fields.Integer(allow_none=True)
    platform_id = fields.Integer(allow_none=True)
    resolved_at = fields.String(allow_none=True)
    resolution = fields.String(allow_none=True)
    user_id = fields.Integer(allow_none=True)


class RetrySchema(_Input):
    platform_id = fields.Integer(
        load_default=None, metadata={"description": "Only this platform's held statements"}
    )
    reason = fields.String(
        load_default=None, validate=validate.OneOf([r.value for r in UnmatchedReason])
    )
    limit = fields.Integer(load_default=1000, validate=validate.Range(min=1, max=10_000))


class RetryOutSchema(Schema):
    applied = fields.Integer()
    still_held = fields.Integer()
    remaining = fields.Integer(metadata={"description": "Matching held statements not tried yet"})


class ResolveResultSchema(Schema):
    applied = fields.Integer(metadata={"description": "Statements of the actor applied now"})
    still_held = fields.Integer()
    item = fields.Nested(UnmatchedSchema)


class ResolveSchema(_Input):
    user_id = fields.Integer(required=True, metadata={"description": "The learner to link"})


class DismissSchema(_Input):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class IdentityQuerySchema(_Input):
    user_id = fields.Integer(required=True)


class IdentityCreateSchema(_Input):
    user_id = fields.Integer(required=True)
    kind = fields.String(
        required=True,
        validate=validate.OneOf(
            [k.value for k in IdentityKind], error=_l("Must be one of: {choices}.")
        ),
    )
    value = fields.String(
        required=True,
        validate=validate.Length(min=1, max=512),
        metadata={"description": "mailto:…, 40 hex, <homePage>|<name>, or an OpenID URI"},
    )


class IdentitySchema(Schema):
    id = fields.Integer(allow_none=True)
    kind = fields.String()
    value = fields.String()
    source = fields.String()
    implicit = fields.Boolean()
    platform_id = fields.Integer(allow_none=True)


class ImportSchema(Schema):
    id = fields.Integer()
    filename = fields.String()
    status = fields.String()
    platform_id = fields.Integer(allow_none=True)
    provision = fields.Boolean()
    rows = fields.Integer()
    summary = fields.Dict()
    created_at = fields.String(allow_none=True)
    decided_at = fields.String(allow_none=True)
    preview = fields.List(fields.Dict())


class Cmi5ImportSchema(Schema):
    slug = fields.String()
    course_id = fields.Integer()
    version = fields.Integer()
    status = fields.String()
    aus = fields.Integer()
    activity_iri = fields.String()


class WaiveSchema(_Input):
    user_id = fields.Integer(required=True)
    reason = fields.String(
        load_default="Administrative",
        validate=validate.OneOf(WAIVE_REASONS, error=_l("Must be one of: {choices}.")),
    )


class AuSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    title_en = fields.String(allow_none=True)
    activity_id = fields.String()
    publisher_id = fields.String()
    move_on = fields.String()
    mastery_score = fields.Float(allow_none=True)
    launch_method = fields.String()
    satisfied = fields.Boolean()
    completed = fields.Boolean()
    passed = fields.Boolean()
    waived = fields.Boolean()
