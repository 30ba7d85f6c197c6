"""JSON API of the certificates domain under /api/v1."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from lms.auth.models import Role
from lms.auth.permissions import auth_required, current
from lms.certificates import content, pdfs, queries, services, verification
from lms.certificates.schemas import (
    BulkIssueResultSchema,
    BulkIssueSchema,
    CertificateQuerySchema,
    CertificateSchema,
    IssueSchema,
    RevokeSchema,
    VerdictSchema,
    VerifyRequestSchema,
    dump_certificate,
)
from lms.classes.cohorts import get_class_for
from lms.classes.enrollments import get_enrollment
from lms.errors import BadRequest, NotFound
from lms.extensions import db
from lms.http import load, optional_json_body, paginate, query_args
from lms.jobs import services as jobs
from lms.jobs.schemas import JobSchema
from lms.openapi import doc

bp = Blueprint("certificates", __name__, url_prefix="/api/v1")

TAGS = ["certificates"]

_COMPLETION = {
    "type": "object",
    "description": "Whether the completion rule is met, and each of its parts",
    "properties": {"met": {"type": "boolean"}, "rules": {"type": "array", "items": {}}},
}
CREDENTIAL = {
    "type": "object",
    "properties": {"jwt": {"type": "string"}, "credential": {"type": "object"}},
}
ENROLLMENT_CERTIFICATE = {
    "type": "object",
    "properties": {
        "certificate": {
            "allOf": [{"$ref": "#/components/schemas/Certificate"}],
            "nullable": True,
        },
        "completion": _COMPLETION,
    },
}
CLASS_CERTIFICATES = {
    "type": "object",
    "properties": {
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "enrollment_id": {"type": "integer"},
                    "user_id": {"type": "integer"},
                    "full_name": {"type": "string"},
                    "enrollment_status": {"type": "string"},
                    "completion": _COMPLETION,
                    "certificate": {"type": "string", "nullable": True},
                    "certificate_status": {"type": "string", "nullable": True},
                },
            },
        },
        "total": {"type": "integer"},
    },
}
MAX_UPLOAD = 5 * 1024 * 1024


@bp.get("/certificates")
@auth_required()
@doc(
    summary="Certificates you may see (officials: their subtree; learners: their own)",
    tags=TAGS,
    query=CertificateQuerySchema,
    response=CertificateSchema,
    paginated=True,
    responses={404: "No such user, course or unit"},
)
def list_certificates() -> ResponseReturnValue:
    args = query_args(CertificateQuerySchema())
    stmt = queries.certificate_query(
        current(),
        user_id=args.get("user"),
        course=args.get("course"),
        unit=args.get("unit"),
        year=args.get("year"),
        status=args.get("status"),
    )
    return paginate(stmt, dump_certificate)


@bp.get("/certificates/<serial>")
@auth_required()
@doc(summary="One certificate", tags=TAGS, response=CertificateSchema, responses={404: "Unknown"})
def get_certificate(serial: str) -> ResponseReturnValue:
    return jsonify(dump_certificate(queries.get_visible(serial, current())))


@bp.get("/certificates/<serial>.pdf")
@auth_required()
@doc(
    summary="The certificate as PDF (holder, class trainers, unit officials, admins)",
    tags=TAGS,
    produces={"application/pdf": None},
    responses={404: "Unknown, or not yours to see"},
)
def certificate_pdf(serial: str) -> ResponseReturnValue:
    """A4 landscape, Vietnamese, with the QR code of the public verification page."""
    cert = queries.get_visible(serial, current())
    pdf = pdfs.certificate_pdf(cert)
    db.session.commit()
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{cert.serial}.pdf"'
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.get("/certificates/<serial>/credential")
@auth_required()
@doc(
    summary="The certificate as an Open Badges 3.0 credential (VC-JWT, EdDSA)",
    tags=TAGS,
    produces={
        "application/json": CREDENTIAL,
        "application/vc+jwt": {"type": "string", "description": "The bare JWT"},
    },
    responses={404: "Unknown, or not yours to see"},
)
def certificate_credential(serial: str) -> ResponseReturnValue:
    """JSON ``{"jwt", "credential"}``; with ``Accept: application/vc+jwt`` the bare JWT.

    Check it offline with the keys at ``/.well-known/lms-keys.json`` (``kid`` in the header).
    """
    cert = queries.get_visible(serial, current())
    token = pdfs.credential_token(cert)
    db.session.commit()
    if request.accept_mimetypes.best_match(["application/json", "application/vc+jwt"]) == (
        "application/vc+jwt"
    ):
        return Response(token, mimetype="application/vc+jwt")
    return jsonify({"jwt": token, "credential": content.credential(cert, pdfs.base_url())})


@bp.get("/certificates/<serial>/verify")
@doc(
    summary="Check a certificate by its serial (public)",
    tags=TAGS,
    response=VerdictSchema,
    public=True,
    responses={404: "No certificate has this serial (status unknown)"},
)
def verify_serial(serial: str) -> ResponseReturnValue:
    """``status``: ``valid``, ``revoked`` (with date and reason) or ``unknown`` (404)."""
    verdict = verification.verify_serial(serial)
    return jsonify(verdict.to_dict()), verdict.code


@bp.post("/certificates/verify")
@doc(
    summary="Check a credential JWT or a certificate PDF (public)",
    tags=TAGS,
    body=VerifyRequestSchema,
    response=VerdictSchema,
    public=True,
    responses={404: "Unknown serial", 422: "Altered, or signed by someone else"},
)
def verify_upload() -> ResponseReturnValue:
    """JSON ``{"credential": "<JWT>"}``, or ``multipart/form-data`` with ``file`` (the PDF or
    a text file holding the JWT). Any change to the credential or the PDF is detected."""
    if request.files.get("file") is not None:
        data = request.files["file"].read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            raise BadRequest(_("The file is too large (limit 5 MB)."))
        verdict = verification.verify_upload(data)
    elif request.form.get("credential"):
        verdict = verification.verify_credential(request.form["credential"])
    else:
        verdict = verification.verify_credential(load(VerifyRequestSchema())["credential"])
    return jsonify(verdict.to_dict()), verdict.code


verify_upload._csrf_exempt = True  # type: ignore[attr-defined]


@bp.post("/certificates/<serial>/revoke")
@auth_required(Role.admin, Role.official)
@doc(
    summary="Revoke a certificate (admins, officials of the issuing unit's subtree)",
    tags=TAGS,
    body=RevokeSchema,
    response=CertificateSchema,
    responses={404: "Unknown", 409: "Already revoked"},
)
def revoke(serial: str) -> ResponseReturnValue:
    user = current()
    data = load(RevokeSchema())
    cert = queries.get_visible(serial, user)
    services.revoke_certificate(cert, by=user, reason=data["reason"])
    db.session.commit()
    return jsonify(dump_certificate(cert))


@bp.get("/enrollments/<int:enrollment_id>/certificate")
@auth_required()
@doc(
    summary="An enrollment's certificate and completion rule",
    tags=TAGS,
    produces={"application/json": ENROLLMENT_CERTIFICATE},
)
def enrollment_certificate(enrollment_id: int) -> ResponseReturnValue:
    """``{"certificate": {...} | null, "completion": {"met", "rules": [...]}}``."""
    user = current()
    enrollment = get_enrollment(enrollment_id)
    if enrollment.user_id != user.id and not services.can_issue_for(user, enrollment):
        raise NotFound(_("Enrollment not found."))
    cert = services.certificate_for_enrollment(enrollment.id)
    return jsonify(
        {
            "certificate": dump_certificate(cert) if cert is not None else None,
            "completion": services.completion_status(enrollment),
        }
    )


@bp.post("/enrollments/<int:enrollment_id>/certificate")
@auth_required(Role.admin, Role.trainer, Role.official)
@doc(
    summary="Issue an enrollment's certificate by hand",
    tags=TAGS,
    body=IssueSchema,
    body_required=False,
    response=CertificateSchema,
    status=201,
    responses={
        200: "Already issued: the existing certificate",
        409: "Course gives no certificate, or enrollment withdrawn",
        422: "Completion rule not met and no override_reason",
    },
)
def issue(enrollment_id: int) -> ResponseReturnValue:
    """When the completion rule is not met, ``override_reason`` (kept) is required."""
    user = current()
    data = load(IssueSchema(), optional_json_body())
    enrollment = get_enrollment(enrollment_id)
    if not services.can_issue_for(user, enrollment):
        raise NotFound(_("Enrollment not found."))
    cert, created = services.issue_certificate(
        enrollment, by=user, override_reason=data.get("override_reason")
    )
    db.session.commit()
    response = jsonify(dump_certificate(cert))
    if created:
        response.status_code = 201
        response.headers["Location"] = f"/api/v1/certificates/{cert.serial}"
    return response


@bp.get("/classes/<code>/certificates")
@auth_required(Role.admin, Role.trainer, Role.official)
@doc(
    summary="A class's learners with their completion rule and certificate",
    tags=TAGS,
    produces={"application/json": CLASS_CERTIFICATES},
)
def class_certificates(code: str) -> ResponseReturnValue:
    user = current()
    rows = queries.class_overview(get_class_for(user, code), by=user)
    return jsonify({"items": rows, "total": len(rows)})


@bp.post("/classes/<code>/certificates")
@auth_required(Role.admin, Role.trainer, Role.official)
@doc(
    summary="Issue certificates to a whole class",
    tags=TAGS,
    body=BulkIssueSchema,
    body_required=False,
    response=BulkIssueResultSchema,
    responses={409: "The course gives no certificate"},
)
def issue_class(code: str) -> ResponseReturnValue:
    """Everyone who met the completion rule, plus those given an override reason; the others
    are listed in ``skipped`` with the reason (``rule_not_met``, ``already_issued``,
    ``outside_area``: a person of another area, who joined the class on their own)."""

    user = current()
    klass = get_class_for(user, code)
    data = load(BulkIssueSchema(), optional_json_body())
    reasons = {int(k): v for k, v in data["override_reasons"].items()}
    result = services.issue_for_class(klass, by=user, override_reasons=reasons)
    db.session.commit()
    return jsonify(result)


@bp.post("/classes/<code>/certificates/jobs")
@auth_required(Role.admin, Role.trainer, Role.official)
@doc(
    summary="Issue certificates to a whole class in the background, with progress",
    tags=TAGS,
    body=BulkIssueSchema,
    response=JobSchema,
    status=202,
    responses={409: "The course gives no certificate, or the unit has no signer"},
    description="Poll /api/v1/jobs/<id>: done/total as people are processed; the result is "
    "the same as the immediate bulk issue's (issued, skipped with reasons).",
)
def issue_class_job(code: str) -> ResponseReturnValue:
    user = current()
    klass = get_class_for(user, code)
    data = load(BulkIssueSchema(), request.get_json(silent=True) or {})
    services.check_class_issue(klass, by=user)  # refused now, not in the job
    job = jobs.submit(
        services.JOB_KIND,
        {"class_id": klass.id, "by_id": user.id, "override_reasons": data["override_reasons"]},
        by_id=user.id,
    )
    response = jsonify(JobSchema().dump(job))
    response.status_code = 202
    response.headers["Location"] = url_for("jobs.get_job", job_id=job.id)
    return response
