"""Input and output shapes of the certificates API."""

from __future__ import annotations

from typing import Any

from flask import current_app
from marshmallow import RAISE, Schema, fields, validate

from lms.certificates import content
from lms.certificates.models import Certificate, CertificateStatus
from lms.certificates.services import local_date
from lms.edge import FullMatch
from lms.errors import N_

_STATUSES = [s.value for s in CertificateStatus]


class CertificateQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    user = fields.Integer(metadata={"description": "Holder's user id"})
    course = fields.String(
        validate=validate.Length(max=100), metadata={"description": "Course slug"}
    )
    unit = fields.String(
        validate=validate.Length(max=50),
        metadata={"description": "Unit code: issued by, or to people of, that unit's subtree"},
    )
    year = fields.Integer(validate=validate.Range(min=2000, max=2100))
    status = fields.String(
        validate=validate.OneOf(_STATUSES, error=N_("Must be one of: valid, revoked."))
    )
    page = fields.Integer()
    per_page = fields.Integer()


class IssueSchema(Schema):
    class Meta:
        unknown = RAISE

    override_reason = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=2000, error=N_("At most 2000 characters.")),
        metadata={"description": "Required when the completion rule is not met; kept."},
    )


class BulkIssueSchema(Schema):
    class Meta:
        unknown = RAISE

    override_reasons = fields.Dict(
        keys=fields.String(validate=FullMatch(r"^[0-9]+$", error=N_("Must be an enrollment id."))),
        values=fields.String(validate=validate.Length(min=1, max=2000)),
        load_default=dict,
        metadata={
            "description": "Enrollment id -> written reason, for those who did not meet "
            "the completion rule but should get a certificate."
        },
    )


class RevokeSchema(Schema):
    class Meta:
        unknown = RAISE

    reason = fields.String(
        required=True,
        validate=validate.Length(min=3, max=2000, error=N_("Give a reason (3–2000 characters).")),
    )


class VerifyRequestSchema(Schema):
    class Meta:
        unknown = RAISE

    credential = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100_000),
        metadata={"description": "The credential as a VC-JWT (compact JWS)."},
    )


class _UnitRefSchema(Schema):
    code = fields.String(allow_none=True)
    name = fields.String()


class _PersonSchema(Schema):
    name = fields.String()
    title = fields.String()


class _CourseRefSchema(Schema):
    slug = fields.String()
    title = fields.String()
    title_en = fields.String(allow_none=True)


class _HolderSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    subject_id = fields.String(allow_none=True, metadata={"description": "credentialSubject.id"})
    identity = fields.String(allow_none=True, metadata={"description": "sha256$ hash of the name"})
    salt = fields.String(allow_none=True, metadata={"description": "Salt of that hash"})
    unit = fields.String(allow_none=True, metadata={"description": "Unit code when issued"})
    target_group = fields.String(allow_none=True)


class CertificateSchema(Schema):
    serial = fields.String()
    status = fields.String(metadata={"description": "valid | revoked"})
    holder = fields.Nested(_HolderSchema)
    course = fields.Nested(_CourseRefSchema)
    hours = fields.Float()
    score = fields.Float(
        allow_none=True,
        metadata={"description": "Best quiz result, 0..1 rounded to 4 places: the signed value"},
    )
    issued_at = fields.DateTime()
    issued_on = fields.Date()
    year = fields.Integer()
    issuing_unit = fields.Nested(_UnitRefSchema)
    signer = fields.Nested(_PersonSchema)
    indicators = fields.List(fields.String())
    enrollment_id = fields.Integer(allow_none=True)
    override_reason = fields.String(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)
    revoked_reason = fields.String(allow_none=True)
    kid = fields.String()
    signature = fields.String()
    proof = fields.Dict(
        metadata={"description": "Signed payload, signature and key: see README, Signing"}
    )
    links = fields.Dict(keys=fields.String(), values=fields.String())


class BulkIssueResultSchema(Schema):
    issued = fields.List(fields.Dict())
    skipped = fields.List(fields.Dict())


class VerdictSchema(Schema):
    code = fields.Integer()
    status = fields.String(metadata={"description": "valid | revoked | unknown | invalid"})
    message = fields.String()
    serial = fields.String(allow_none=True)
    checks = fields.Dict(keys=fields.String(), values=fields.Boolean())
    problems = fields.List(fields.String())
    certificate = fields.Dict()


def dump_certificate(cert: Certificate) -> dict[str, Any]:
    base = str(current_app.config.get("BASE_URL", "")).rstrip("/")
    api = f"{base}/api/v1/certificates/{cert.serial}"
    data = {
        "serial": cert.serial,
        "status": cert.status.value,
        "holder": {
            "id": cert.user_id,
            "name": cert.holder_name,
            "unit": cert.holder_unit.code if cert.holder_unit is not None else None,
            "target_group": cert.holder_target_group.value if cert.holder_target_group else None,
            "subject_id": cert.subject_id,
            "identity": content.holder_identity(cert) if cert.holder_salt else None,
            "salt": cert.holder_salt,
        },
        "course": {
            "slug": cert.course_slug,
            "title": cert.course_title,
            "title_en": cert.course_title_en,
        },
        "hours": cert.hours,
        "score": content.signed_score(cert.score),
        "issued_at": cert.issued_at,
        "issued_on": local_date(cert.issued_at),
        "year": cert.year,
        "issuing_unit": {
            "code": cert.issuing_unit.code if cert.issuing_unit is not None else None,
            "name": cert.issuing_unit_name,
        },
        "signer": {"name": cert.signer_name, "title": cert.signer_title},
        "indicators": list(cert.indicators or []),
        "enrollment_id": cert.enrollment_id,
        "override_reason": cert.override_reason,
        "revoked_at": cert.revoked_at,
        "revoked_reason": cert.revoked_reason,
        "kid": cert.kid,
        "signature": cert.signature,
        "proof": content.proof(cert, base, public=False),
        "links": {
            "pdf": f"{api}.pdf",
            "credential": f"{api}/credential",
            "verify": content.verify_url(base, cert.serial),
        },
    }
    return CertificateSchema().dump(data)
