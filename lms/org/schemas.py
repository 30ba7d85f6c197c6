"""Input and output shapes of the units and headcounts API."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from lms.constants import TargetGroup
from lms.edge import FullMatch
from lms.org.models import UnitKind
from lms.org.services.imports import CODE_RE, PREFIX_RE

_KINDS = [kind.value for kind in UnitKind]
_GROUPS = [group.value for group in TargetGroup]

_code_rule = FullMatch(
    CODE_RE, error=_l("Use 1-50 letters, digits, '-', '_' or '.', starting with a letter or digit.")
)


class _Input(Schema):
    class Meta:
        unknown = RAISE


class UnitRefSchema(Schema):
    code = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    name_en = fields.String(dump_only=True, allow_none=True)
    kind = fields.String(dump_only=True)


class UnitPlacementSchema(Schema):
    parent = fields.String(dump_only=True, allow_none=True, metadata={"description": "Code"})
    path_codes = fields.List(fields.String(), dump_only=True)
    valid_from = fields.Date(dump_only=True)
    valid_to = fields.Date(dump_only=True, allow_none=True)


class UnitSchema(Schema):
    id = fields.Integer(dump_only=True)
    code = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    name_en = fields.String(dump_only=True, allow_none=True)
    kind = fields.String(dump_only=True)
    parent = fields.String(dump_only=True, allow_none=True, metadata={"description": "Code"})
    depth = fields.Integer(dump_only=True)
    valid_from = fields.Date(dump_only=True)
    valid_to = fields.Date(dump_only=True, allow_none=True)
    successor = fields.String(dump_only=True, allow_none=True, metadata={"description": "Code"})
    serial_prefix = fields.String(dump_only=True, allow_none=True)
    report_day = fields.Integer(dump_only=True, allow_none=True)
    current = fields.Boolean(dump_only=True, metadata={"description": "Exists today"})
    children = fields.List(fields.Nested(UnitRefSchema), dump_only=True)
    ancestors = fields.List(fields.Nested(UnitRefSchema), dump_only=True)
    history = fields.List(fields.Nested(UnitPlacementSchema), dump_only=True)


def _check_period(data: dict[str, Any]) -> None:
    start, end = data.get("valid_from"), data.get("valid_to")
    if start and end and end < start:
        raise ValidationError(str(_l("Must not be before valid_from.")), "valid_to")


class _UnitFields(_Input):
    name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200, error=_l("Must be 1-200 characters.")),
    )
    name_en = fields.String(
        allow_none=True, validate=validate.Length(max=200, error=_l("At most 200 characters."))
    )
    kind = fields.String(required=True, validate=validate.OneOf(_KINDS))
    parent = fields.String(allow_none=True, metadata={"description": "Parent unit code"})
    valid_from = fields.Date(allow_none=True)
    valid_to = fields.Date(allow_none=True)
    serial_prefix = fields.String(
        allow_none=True,
        validate=FullMatch(PREFIX_RE, error=_l("Use 1-10 capital letters or digits.")),
    )
    report_day = fields.Integer(
        allow_none=True,
        validate=validate.Range(min=1, max=31, error=_l("Must be a day of the month, 1-31.")),
    )

    @validates_schema
    def _period(self, data: dict[str, Any], **kwargs: Any) -> None:
        _check_period(data)


class UnitCreateSchema(_UnitFields):
    code = fields.String(required=True, validate=_code_rule)


class UnitUpdateSchema(_UnitFields):
    """Loaded with ``partial=True``; ``parent`` moves the subtree from ``on`` (default today)."""

    on = fields.Date(metadata={"description": "Date of a move (default today)"})


class UnitMergeSchema(_Input):
    into = fields.String(required=True, metadata={"description": "Successor unit code"})
    on = fields.Date(required=True, metadata={"description": "First day of the merged unit"})


class _Paged(_Input):
    page = fields.Integer()
    per_page = fields.Integer()


class UnitListQuery(_Paged):
    parent = fields.String(metadata={"description": "Parent unit code"})
    kind = fields.String(validate=validate.OneOf(_KINDS))
    q = fields.String(metadata={"description": "Words of the code or name, accents optional"})
    include_closed = fields.Boolean(load_default=False)
    on = fields.Date(metadata={"description": "Read the tree of this day"})


class UnitGetQuery(_Input):
    include = fields.List(
        fields.String(validate=validate.OneOf(["children", "ancestors", "history"])),
        metadata={"description": "children, ancestors, history (repeat or comma-separate)"},
    )
    include_closed = fields.Boolean(load_default=False)


class UnitImportQuery(_Input):
    on = fields.Date(metadata={"description": "Date of the moves the file makes (default today)"})


class UnitImportResultSchema(Schema):
    created = fields.Integer(dump_only=True)
    updated = fields.Integer(dump_only=True)
    moved = fields.Integer(dump_only=True)
    unchanged = fields.Integer(dump_only=True)


class HeadcountSchema(Schema):
    unit = fields.String(dump_only=True, metadata={"description": "Unit code"})
    unit_name = fields.String(dump_only=True)
    target_group = fields.String(dump_only=True)
    year = fields.Integer(dump_only=True)
    count = fields.Integer(dump_only=True)
    units = fields.Integer(dump_only=True, metadata={"description": "Rollup: units counted"})
    as_of = fields.Date(dump_only=True, metadata={"description": "Rollup: the tree's day"})


class HeadcountInSchema(_Input):
    """One row of ``POST /headcounts`` (documentation; rows are checked one by one)."""

    unit = fields.String(required=True)
    target_group = fields.String(required=True, validate=validate.OneOf(_GROUPS))
    year = fields.Integer(required=True)
    count = fields.Integer(required=True)


class HeadcountQuery(_Paged):
    unit = fields.String(metadata={"description": "Unit code"})
    year = fields.Integer(validate=validate.Range(min=2000, max=2100))
    target_group = fields.String(validate=validate.OneOf(_GROUPS))
    rollup = fields.Boolean(
        load_default=False, metadata={"description": "Sum the unit's subtree as of each year"}
    )


class HeadcountImportResultSchema(Schema):
    created = fields.Integer(dump_only=True)
    updated = fields.Integer(dump_only=True)
    unchanged = fields.Integer(dump_only=True)
