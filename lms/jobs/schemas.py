from marshmallow import Schema, fields


class JobSchema(Schema):
    id = fields.String(dump_only=True)
    kind = fields.String(dump_only=True)
    status = fields.String(dump_only=True)
    done = fields.Integer(dump_only=True)
    total = fields.Integer(dump_only=True)
    percent = fields.Integer(dump_only=True)
    result = fields.Dict(dump_only=True, allow_none=True)
    error = fields.String(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)
    finished_at = fields.DateTime(dump_only=True, allow_none=True)
