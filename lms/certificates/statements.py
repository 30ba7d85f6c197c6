"""xAPI statements for certificates issued and revoked, stored in the LMS's own LRS.

The object is the certificate itself (its id is the public verification URL, its type
``https://lms146.vn/xapi/activities/certificate``), with the course as the parent activity,
so an LRS query by course (``related_activities``) finds them too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import current_app

from lms.certificates import content
from lms.certificates.constants import (
    ACTIVITY_TYPE_CERTIFICATE,
    ACTIVITY_TYPE_COURSE,
    EXT_REASON,
    EXT_SERIAL,
    EXT_UNIT,
    VERB_DISPLAY,
    VERB_EARNED,
    VERB_REVOKED,
)
from lms.statements import actor_for
from lms.xapi import services as lrs

if TYPE_CHECKING:
    from lms.auth.models import User
    from lms.certificates.models import Certificate
    from lms.classes.models import Enrollment


def _base_url() -> str:
    return str(current_app.config.get("BASE_URL", "")).rstrip("/")


def _object(cert: Certificate) -> dict[str, Any]:
    name = {"vi-VN": f"Giấy chứng nhận {cert.serial}: {cert.course_title}"}
    name["en-US"] = f"Certificate {cert.serial}: {cert.course_title_en or cert.course_title}"
    return {
        "objectType": "Activity",
        "id": content.verify_url(_base_url(), cert.serial),
        "definition": {"type": ACTIVITY_TYPE_CERTIFICATE, "name": name},
    }


def _context(cert: Certificate, registration: str | None) -> dict[str, Any]:
    course = cert.course
    parent: dict[str, Any] = {
        "objectType": "Activity",
        "id": course.activity_iri,
        "definition": {"type": ACTIVITY_TYPE_COURSE},
    }
    extensions: dict[str, Any] = {EXT_SERIAL: cert.serial}
    if cert.holder_unit is not None:
        extensions[EXT_UNIT] = cert.holder_unit.code
    ctx: dict[str, Any] = {
        "contextActivities": {"parent": [parent]},
        "extensions": extensions,
        "language": "vi-VN",
    }
    if registration:
        ctx["registration"] = registration
    return ctx


def issued_statement(cert: Certificate, enrollment: Enrollment | None) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "actor": actor_for(cert.user),
        "verb": {"id": VERB_EARNED, "display": VERB_DISPLAY[VERB_EARNED]},
        "object": _object(cert),
        "context": _context(cert, enrollment.registration if enrollment is not None else None),
        "timestamp": content.iso(cert.issued_at),
    }
    result: dict[str, Any] = {"completion": True, "success": True}
    if cert.score is not None:
        result["score"] = {"scaled": round(max(0.0, min(1.0, cert.score)), 4)}
    statement["result"] = result
    return statement


def revoked_statement(cert: Certificate, by: User | None) -> dict[str, Any]:
    registration = cert.enrollment.registration if cert.enrollment is not None else None
    ctx = _context(cert, registration)
    if by is not None:
        ctx["instructor"] = actor_for(by)
    ctx["extensions"][EXT_REASON] = cert.revoked_reason or ""
    return {
        "actor": actor_for(cert.user),
        "verb": {"id": VERB_REVOKED, "display": VERB_DISPLAY[VERB_REVOKED]},
        "object": _object(cert),
        "context": ctx,
        "timestamp": content.iso(cert.revoked_at or cert.issued_at),
    }


def record_issued(cert: Certificate, enrollment: Enrollment | None) -> None:
    lrs.record(issued_statement(cert, enrollment))


def record_revoked(cert: Certificate, by: User | None) -> None:
    lrs.record(revoked_statement(cert, by))
