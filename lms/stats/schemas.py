"""Input and output shapes of the statistics API."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from lms.constants import IndicatorCode, TargetGroup
from lms.edge import FullMatch
from lms.errors import N_
from lms.stats.models import IndicatorKind, IndicatorPeriod

FORMATS = ("json", "csv", "xlsx")


class StatsQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    unit = fields.String(load_default=None, metadata={"description": "Unit code (default: yours)"})
    year = fields.Integer(load_default=None, validate=validate.Range(min=2000, max=2100))
    format = fields.String(load_default="json", validate=validate.OneOf(FORMATS))


class CompletionsQuerySchema(StatsQuerySchema):
    group_by = fields.String(
        load_default="unit", validate=validate.OneOf(("unit", "target_group", "course", "month"))
    )


class AnnualReportQuerySchema(StatsQuerySchema):
    format = fields.String(load_default="pdf", validate=validate.OneOf(("json", "pdf", "xlsx")))
    closed = fields.Boolean(
        load_default=None,
        metadata={
            "description": "true: the report as submitted (404 if not); false: the live draft; "
            "default: as submitted once submitted, else the draft"
        },
    )


class FigureSchema(Schema):
    indicator_id = fields.Integer()
    code = fields.String()
    title = fields.String()
    title_en = fields.String(allow_none=True)
    kind = fields.String()
    period = fields.String()
    target_group = fields.String(allow_none=True)
    numerator = fields.Integer()
    denominator = fields.Integer(allow_none=True)
    value = fields.Float(allow_none=True)
    target = fields.Float(allow_none=True)
    on_track = fields.Boolean(allow_none=True)
    forecast = fields.Float(allow_none=True)
    unassigned = fields.Integer()


class IndicatorFiguresSchema(Schema):
    unit = fields.String()
    unit_name = fields.String()
    year = fields.Integer()
    closed = fields.Boolean()
    items = fields.List(fields.Nested(FigureSchema))


class BreakdownRowSchema(Schema):
    key = fields.String()
    label = fields.String()
    unit_code = fields.String(allow_none=True)
    completions = fields.Integer()
    certificates = fields.Integer()


class BreakdownSchema(Schema):
    unit = fields.String()
    year = fields.Integer()
    group_by = fields.String()
    items = fields.List(fields.Nested(BreakdownRowSchema))
    funnel = fields.Dict(keys=fields.String(), values=fields.Integer())


class TargetsField(fields.Dict):
    """``{"2025": 100, "2030": 100}``: targets by year."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            keys=fields.String(
                validate=FullMatch(r"^(19|20|21)[0-9]{2}$", error=N_("Not a year."))
            ),
            values=fields.Float(validate=validate.Range(min=0)),
            **kwargs,
        )


class IndicatorSchema(Schema):
    id = fields.Integer(dump_only=True)
    plan_unit = fields.Function(lambda i: i.plan_unit.code, dump_only=True)
    code = fields.String()
    title = fields.String()
    title_en = fields.String(allow_none=True)
    kind = fields.String()
    period = fields.String()
    target_group = fields.String(allow_none=True)
    qualifying_code = fields.String()
    unit_kind = fields.String(allow_none=True)
    position = fields.Integer()
    targets = fields.Function(lambda i: {str(t.year): t.value for t in i.targets})


class IndicatorCreateSchema(Schema):
    class Meta:
        unknown = RAISE

    plan_unit = fields.String(required=True, metadata={"description": "Province code"})
    code = fields.String(
        required=True,
        validate=FullMatch(r"^[a-z][a-z0-9_]{1,49}$", error=N_("Use a-z, 0-9 and _.")),
    )
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    title_en = fields.String(load_default=None, validate=validate.Length(max=300))
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in IndicatorKind]))
    period = fields.String(
        load_default=IndicatorPeriod.cumulative.value,
        validate=validate.OneOf([p.value for p in IndicatorPeriod]),
    )
    target_group = fields.String(
        load_default=None, validate=validate.OneOf([t.value for t in TargetGroup])
    )
    qualifying_code = fields.String(
        load_default=None, validate=validate.OneOf([c.value for c in IndicatorCode])
    )
    unit_kind = fields.String(load_default=None, validate=validate.OneOf(("school", "commune")))
    position = fields.Integer(load_default=0)
    targets = TargetsField(load_default=dict)

    @validates_schema
    def _kind_needs(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("kind") == IndicatorKind.share_of_headcount and not data.get("target_group"):
            raise ValidationError(N_("A share of headcount needs a target group."), "target_group")
        if data.get("kind") == IndicatorKind.share_of_units and not data.get("unit_kind"):
            raise ValidationError(N_("A share of units needs a unit kind."), "unit_kind")


class IndicatorUpdateSchema(Schema):
    class Meta:
        unknown = RAISE

    title = fields.String(validate=validate.Length(min=1, max=300))
    title_en = fields.String(allow_none=True, validate=validate.Length(max=300))
    position = fields.Integer()
    targets = TargetsField()


class IndicatorListQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    unit = fields.String(load_default=None)


class CloseYearSchema(Schema):
    class Meta:
        unknown = RAISE

    unit = fields.String(required=True)
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))
    note = fields.String(load_default=None, validate=validate.Length(max=500))


class SnapshotSchema(Schema):
    id = fields.Integer()
    unit = fields.Function(lambda s: s.unit.code)
    year = fields.Integer()
    closed_at = fields.DateTime()
    closed_by = fields.Function(lambda s: s.closed_by_id)
    note = fields.String(allow_none=True)
    number = fields.Integer(allow_none=True)
    payload = fields.Dict()


class ReopenSchema(Schema):
    class Meta:
        unknown = RAISE

    reason = fields.String(
        required=True,
        validate=validate.Length(min=5, max=500),
        metadata={"description": "Why the submitted report is taken back (audit log)"},
    )


class ReportSettingsSchema(Schema):
    """How a unit's annual report is headed and signed; "" where the default applies."""

    class Meta:
        unknown = RAISE

    unit = fields.String(dump_only=True)
    parent_body = fields.String(validate=validate.Length(max=200))
    issuer = fields.String(validate=validate.Length(max=200))
    symbol = fields.String(
        validate=[
            validate.Length(max=30),
            FullMatch(r"^[0-9A-Za-zĐđ&.-]*$", error=N_("Letters, digits, &, . and - only.")),
        ]
    )
    place = fields.String(validate=validate.Length(max=100))
    signer_authority = fields.String(validate=validate.Length(max=200))
    signer_title = fields.String(validate=validate.Length(max=100))
    signer_name = fields.String(validate=validate.Length(max=100))
    recipients = fields.List(
        fields.String(validate=validate.Length(min=1, max=200)),
        validate=validate.Length(max=30),
        metadata={"description": "Nơi nhận, one recipient an item"},
    )


class ReportSettingsUpdateSchema(ReportSettingsSchema):
    unit_code = fields.String(required=True, data_key="unit", load_only=True)


class SubmissionRowSchema(Schema):
    code = fields.String()
    name = fields.String()
    kind = fields.String()
    deadline = fields.Date()
    status = fields.String(metadata={"description": "on_time, late, missing or overdue"})
    submitted_at = fields.DateTime(allow_none=True)
    number = fields.Integer(allow_none=True)
    number_text = fields.String(allow_none=True)


class SubmittedSchema(Schema):
    """The unit's own report as sent (its data is the annual report with ``closed=true``)."""

    year = fields.Integer()
    closed_at = fields.DateTime()
    closed_by = fields.Function(lambda s: s.closed_by_id)
    note = fields.String(allow_none=True)
    number = fields.Integer(allow_none=True)
    number_text = fields.Function(
        lambda s: ((s.payload or {}).get("document") or {}).get("number_text")
    )


class SubmissionsSchema(Schema):
    unit = fields.String()
    year = fields.Integer()
    opens_on = fields.Date()
    deadline = fields.Date()
    submitted = fields.Nested(SubmittedSchema, allow_none=True)
    missing = fields.List(fields.String())
    units = fields.List(fields.Nested(SubmissionRowSchema))
