"""Shapes of the LRS-client administration API (/api/v1/lrs-clients)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import RAISE, Schema, fields, validate

from lms.xapi.constants import Scope

_SCOPES = [s.value for s in Scope]


def _scopes_field(**kwargs: object) -> fields.List:
    return fields.List(
        fields.String(validate=validate.OneOf(_SCOPES, error=_l("Must be one of: {choices}."))),
        metadata={"description": "xAPI scopes: " + ", ".join(_SCOPES)},
        **kwargs,  # type: ignore[arg-type]
    )


class LrsClientCreateSchema(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200, error=_l("Name must be 1–200 characters.")),
    )
    scopes = _scopes_field(
        load_default=None,
        # Communication 4.2.s5.b2: no scope given means statements/write + statements/read/mine.
    )
    authority = fields.Dict(
        load_default=None,
        metadata={"description": "The Agent stamped as authority (default: the client itself)"},
    )


class LrsClientUpdateSchema(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(
        validate=validate.Length(min=1, max=200, error=_l("Name must be 1–200 characters."))
    )
    scopes = _scopes_field()
    authority = fields.Dict()
    active = fields.Boolean()


class LrsClientSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String()
    key = fields.String(metadata={"description": "The HTTP Basic user name"})
    scopes = fields.List(fields.String())
    authority = fields.Dict()
    active = fields.Boolean()
    created_at = fields.String(allow_none=True)
    revoked_at = fields.String(allow_none=True)
    expires_at = fields.String(
        allow_none=True, metadata={"description": "Credentials for a learner's browser expire"}
    )
    binding = fields.Dict(
        allow_none=True,
        metadata={"description": "Credentials for a learner's browser: what they may touch"},
    )
    endpoint = fields.String(metadata={"description": "The LRS endpoint to give the client"})


class LrsClientCreatedSchema(LrsClientSchema):
    secret = fields.String(
        metadata={"description": "The HTTP Basic password; shown only in this response"}
    )
