"""Browser pages of the certificates domain, and the public verification endpoints.

``/verify/<serial>`` and ``/.well-known/lms-keys.json`` need no login: anyone holding a
certificate (an employer, a grandson with a phone) can check it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from lms.auth.permissions import current
from lms.certificates import content, keys, pdfs, queries, services, verification
from lms.certificates.qr import qr_svg
from lms.classes.cohorts import get_class_for
from lms.classes.enrollments import get_enrollment
from lms.edge import INT32
from lms.errors import DomainError, NotFound
from lms.extensions import db
from lms.http import whole_number
from lms.org.services import find_unit

bp = Blueprint("certificates_views", __name__)

MAX_UPLOAD = 5 * 1024 * 1024


def _public_json(body: Any, status: int = 200) -> Response:
    """Public documents other systems fetch from their own pages: open to any origin."""
    response = jsonify(body)
    response.status_code = status
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/.well-known/lms-keys.json")
def jwks() -> ResponseReturnValue:
    """Every public key that ever signed a certificate (JWKS, OKP/Ed25519)."""
    return _public_json(keys.jwks())


@bp.get("/issuers/<code>")
def issuer_profile(code: str) -> ResponseReturnValue:
    """The Open Badges ``Profile`` of an issuing unit (the ``issuer.id`` of credentials)."""
    base = pdfs.base_url()
    unit = find_unit(code) if code != "lms" else None
    if code != "lms" and unit is None:
        raise NotFound(_("Unit %(code)s not found.", code=code))
    return _public_json(
        {
            "@context": ["https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
            "id": content.issuer_id(base, code),
            "type": ["Profile"],
            "name": unit.name if unit is not None else "LMS 146",
            "url": base,
            "publicKeys": f"{base}/.well-known/lms-keys.json",
        }
    )


def _verdict_page(
    verdict: verification.Verdict, *, serial: str | None = None
) -> ResponseReturnValue:
    return (
        render_template(
            "certificates/verify.html",
            verdict=verdict,
            view=verdict.to_dict().get("certificate"),
            serial=serial or verdict.serial,
        ),
        verdict.code,
    )


@bp.get("/verify")
def verify_form() -> ResponseReturnValue:
    serial = (request.args.get("serial") or "").strip()
    if serial:
        return redirect(url_for("certificates_views.verify", serial=serial.upper()))
    return render_template("certificates/verify.html", verdict=None, view=None, serial=None)


@bp.post("/verify")
def verify_submit() -> ResponseReturnValue:
    """A pasted credential (JWT) or an uploaded PDF / JWT file."""
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        data = upload.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            verdict = verification.Verdict("invalid", _("The file is too large (limit 5 MB)."))
        else:
            verdict = verification.verify_upload(data)
    elif (request.form.get("credential") or "").strip():
        verdict = verification.verify_credential(request.form["credential"])
    else:
        verdict = verification.Verdict(
            "invalid", _("Paste the credential, or choose the certificate PDF.")
        )
    return _verdict_page(verdict)


@bp.get("/verify/<serial>")
def verify(serial: str) -> ResponseReturnValue:
    return _verdict_page(verification.verify_serial(serial), serial=serial)


@bp.get("/certificates/<serial>/qr.svg")
def qr(serial: str) -> ResponseReturnValue:
    """The QR code of the public verification page (it names nothing private)."""
    cert = queries.get_certificate(serial)
    svg = qr_svg(content.verify_url(pdfs.base_url(), cert.serial))
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.get("/certificates")
@login_required
def mine() -> ResponseReturnValue:
    """My certificates: download, share link, the verification QR."""
    user = current()
    certs = queries.certificates_of(user)
    base = pdfs.base_url()
    rows = [
        {
            "cert": cert,
            "issued_on": services.local_date(cert.issued_at),
            "revoked_on": services.local_date(cert.revoked_at) if cert.revoked_at else None,
            "verify_url": content.verify_url(base, cert.serial),
        }
        for cert in certs
    ]
    return render_template("certificates/mine.html", rows=rows)


@bp.route("/certificates/classes/<code>", methods=["GET", "POST"])
@login_required
def class_page(code: str) -> ResponseReturnValue:
    """A trainer's page: who met the completion rule, issue to them, or to one with a reason."""
    user = current()
    klass = get_class_for(user, code)
    if request.method == "POST":
        try:
            enrollment_id = whole_number(request.form.get("enrollment_id"), 0, 1, INT32[1])
            if enrollment_id:
                enrollment = get_enrollment(enrollment_id)
                if enrollment.class_id != klass.id:
                    raise NotFound(_("Enrollment not found."))
                cert, _created = services.issue_certificate(
                    enrollment, by=user, override_reason=request.form.get("override_reason")
                )
                db.session.commit()
                flash(_("Certificate %(serial)s issued.", serial=cert.serial), "success")
            else:
                result = services.issue_for_class(klass, by=user)
                db.session.commit()
                flash(
                    _(
                        "%(issued)s certificates issued, %(skipped)s skipped.",
                        issued=len(result["issued"]),
                        skipped=len(result["skipped"]),
                    ),
                    "success",
                )
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        return redirect(url_for("certificates_views.class_page", code=klass.code))
    rows = queries.class_overview(klass, by=user)
    return render_template("certificates/class.html", klass=klass, rows=rows)
