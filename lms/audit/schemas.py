"""Query and output shapes of ``GET /api/v1/audit``."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from lms.audit.constants import AuditAction, action_label


class AuditQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    actor = fields.Integer(metadata={"description": "Id of the person who acted"})
    action = fields.String(
        validate=validate.OneOf(
            [a.value for a in AuditAction], error=_l("Must be one of: {choices}.")
        ),
        metadata={"description": "Action code, e.g. certificate.revoked"},
    )
    date_from = fields.Date(
        data_key="from", metadata={"description": "First day (Vietnam time), YYYY-MM-DD"}
    )
    date_to = fields.Date(
        data_key="to", metadata={"description": "Last day (Vietnam time), YYYY-MM-DD"}
    )
    unit = fields.String(metadata={"description": "Unit code: entries about that unit's subtree"})
    page = fields.Integer()
    per_page = fields.Integer()

    @validates_schema
    def _dates_in_order(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise ValidationError(_("The first day comes after the last."), "from")


class AuditEntrySchema(Schema):
    """One entry; ``unit_code`` is the unit the act concerned, as the tree is now."""

    id = fields.Integer()
    at = fields.DateTime()
    actor_id = fields.Integer(allow_none=True)
    actor_name = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    user_agent = fields.String(allow_none=True)
    request_id = fields.String(allow_none=True)
    action = fields.String()
    action_label = fields.Function(lambda entry: action_label(entry.action))
    target_type = fields.String()
    target_id = fields.String()
    unit_code = fields.Function(lambda entry: entry.unit.code if entry.unit else None)
    summary = fields.String()
    reason = fields.String(allow_none=True)
    details = fields.Dict()
