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
from sqlalchemy import select

from lms.auth.models import Role, User
from lms.auth.permissions import current, scope_filter
from lms.catalog.models import Course
from lms.certificates import (
    content,
    keys,
    pdfs,
    queries,
    services,
    statuslist,
    templates,
    verification,
)
from lms.certificates.constants import OB_CONTEXTS
from lms.certificates.qr import qr_svg
from lms.certificates.render import render_png
from lms.classes.cohorts import get_class_for
from lms.classes.enrollments import get_enrollment
from lms.collation import sorted_vi
from lms.edge import INT32
from lms.errors import DomainError, Forbidden, Invalid, NotFound, ServiceUnavailable
from lms.extensions import db
from lms.http import whole_number
from lms.jobs import services as jobs
from lms.jobs.models import JobStatus
from lms.org.models import Unit
from lms.org.services import find_unit, in_tree_order

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


def _issuer_unit(code: str) -> Unit | None:
    unit = find_unit(code) if code != "lms" else None
    if code != "lms" and unit is None:
        raise NotFound(_("Unit %(code)s not found.", code=code))
    return unit


@bp.get("/issuers/<code>")
def issuer_profile(code: str) -> ResponseReturnValue:
    """The Open Badges 3.0 ``Profile`` of an issuing unit (the ``issuer.id`` of credentials),
    with its parent body as ``parentOrg``; only Open Badges properties."""
    base = pdfs.base_url()
    unit = _issuer_unit(code)
    profile: dict[str, Any] = {
        "@context": list(OB_CONTEXTS),
        "id": content.issuer_id(base, code),
        "type": ["Profile"],
        "name": unit.name if unit is not None else "LMS 146",
        "url": base,
    }
    parent = unit.parent if unit is not None else None
    if parent is not None:
        profile["parentOrg"] = {
            "id": content.issuer_id(base, parent.code),
            "type": ["Profile"],
            "name": parent.name,
        }
    return _public_json(profile)


@bp.get("/issuers/<code>/jwks.json")
def issuer_jwks(code: str) -> ResponseReturnValue:
    """The issuer's RSA keys (JWKS): what a credential's ``kid`` URL resolves to.

    Each key's ``kid`` is the full URL (``.../jwks.json#<RFC 7638 thumbprint>``), so a JOSE
    library matching the JWT header's ``kid`` finds it; the newest key signs, older ones stay.
    """
    base = pdfs.base_url()
    unit = _issuer_unit(code)
    rows = keys.issuer_keys(statuslist.issuer_key(unit))
    return _public_json(
        {
            "keys": [
                {
                    **row.public_jwk,
                    "kid": content.issuer_kid(base, code, row.thumbprint),
                    "use": "sig",
                    "alg": "RS256",
                }
                for row in rows
            ]
        }
    )


@bp.get("/credentials/status/<int:list_id>")
def status_list(list_id: int) -> ResponseReturnValue:
    """An issuer's revocation list: a W3C ``BitstringStatusListCredential``, signed (VC-JWT).

    ``application/vc+jwt`` (the signed credential) unless JSON is asked for, which answers
    ``{"jwt", "credential"}``. Public: verifiers read it without saying which certificate they
    check.
    """
    found = statuslist.get_list(list_id)
    if found is None:
        raise NotFound(_("No such status list."))
    base = pdfs.base_url()
    unit = statuslist.unit_of(found)
    changed = statuslist.last_change(found)
    body = statuslist.credential(
        found,
        base,
        issuer=content.issuer_id(base, unit.code if unit is not None else None),
        valid_from=content.iso(changed),
    )
    code = unit.code if unit is not None else None
    key = keys.issuer_key(found.issuer)
    token = content.sign_vc(
        body, key, kid=content.issuer_kid(base, code, key.thumbprint), not_before=changed
    )
    db.session.commit()  # the first signature ever may have created the key
    if request.accept_mimetypes.best_match(["application/vc+jwt", "application/json"]) == (
        "application/json"
    ):
        return _public_json({"jwt": token, "credential": body})
    response = Response(token, mimetype="application/vc+jwt")
    response.headers["Access-Control-Allow-Origin"] = "*"
    # Short: a revocation must reach verifiers soon.
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


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
            raw_id = request.form.get("enrollment_id", "").strip()
            if raw_id:  # one person; an id that is no enrollment of this class issues nothing
                enrollment_id = whole_number(raw_id, 0, 1, INT32[1])
                enrollment = get_enrollment(enrollment_id) if enrollment_id else None
                if enrollment is None or enrollment.class_id != klass.id:
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
    texts = {
        "running": _("Issuing… %(done)s of %(total)s learners"),
        "done": _("Done: %(issued)s certificates issued, %(skipped)s skipped."),
        "failed": _("The job failed: %(error)s"),
    }
    return render_template("certificates/class.html", klass=klass, rows=rows, texts=texts)


# --- templates and signers (admins; officials for their area) ---------------------------------


def _template_manager() -> User:
    user = current()
    if not (user.is_admin or Role.official in user.roles):
        raise Forbidden(_("Only administrators and officials manage certificate templates."))
    return user


def _managed_units(user: User) -> list[Unit]:
    """The units of the form's picker: each after its parent, siblings in Vietnamese order."""
    return in_tree_order(db.session.scalars(select(Unit).where(scope_filter(user, Unit.path))))


def _form_target(user: User) -> tuple[Unit | None, Course | None]:
    """The unit and course a template applies to, from the form or query; refused outside the
    person's area."""
    source = request.form if request.method == "POST" else request.args
    unit_code = (source.get("unit") or "").strip()
    course_slug = (source.get("course") or "").strip()
    unit = find_unit(unit_code) if unit_code else None
    if unit_code and unit is None:
        raise Invalid(_("Invalid input."), errors={"unit": [_("No such unit.")]})
    course = (
        db.session.scalar(select(Course).where(Course.slug == course_slug)) if course_slug else None
    )
    if course_slug and course is None:
        raise Invalid(_("Invalid input."), errors={"course": [_("No such course.")]})
    if not templates.can_manage(user, unit):
        raise Forbidden(_("This unit is outside your area."))
    return unit, course


def _issue_awaiting_in_background(user: User) -> None:
    """Certificates that waited for a signer are issued by a job (by the thousand after a
    campaign); the page says what happened, or where to follow it."""
    try:
        job = jobs.submit(services.AWAITING_JOB_KIND, {}, by_id=user.id)
    except ServiceUnavailable as exc:
        flash(exc.message, "error")
        return
    if job.status == JobStatus.done and job.result:
        issued, waiting = job.result["issued"], job.result["waiting"]
        if issued or waiting:
            flash(
                _(
                    "%(issued)s certificates that awaited a signer were issued; "
                    "%(waiting)s still wait.",
                    issued=issued,
                    waiting=waiting,
                ),
                "success",
            )
    elif job.status != JobStatus.failed:
        flash(_("The certificates that awaited a signer are being issued in the background."),
              "success")  # fmt: skip


@bp.route("/certificates/templates", methods=["GET", "POST"])
@login_required
def templates_page() -> ResponseReturnValue:
    """Templates and signers: who signs for which unit, the letterhead, the look; with a live
    preview. Saving a signer issues the certificates that waited for one."""
    user = _template_manager()
    if request.method == "POST":
        unit, course = _form_target(user)  # outside one's area: 403, not a message
        try:
            values = templates.clean(request.form.to_dict())
            row = templates.save_template(
                unit_code=unit.code if unit is not None else None,
                course_slug=course.slug if course is not None else None,
                values=values,
                by=user,
            )
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            details = "; ".join(" ".join(v) for v in exc.errors.values())
            flash(f"{exc.message} {details}".strip(), "error")
            return redirect(url_for("certificates_views.templates_page"))
        flash(_("Template saved."), "success")
        if row.signer_name and services.count_awaiting():
            _issue_awaiting_in_background(user)
        return redirect(url_for("certificates_views.templates_page", id=row.id))
    selected = request.args.get("id", type=int)
    current_row = templates.get_managed(selected, user) if selected else None
    params: dict[str, Any] = {}
    if current_row is not None:
        row = current_row
        row_unit = db.session.get(Unit, row.unit_id) if row.unit_id else None
        row_course = db.session.get(Course, row.course_id) if row.course_id else None
        params = {f: getattr(row, f) or "" for f in templates.FIELDS}
        params["unit"] = row_unit.code if row_unit is not None else ""
        params["course"] = row_course.slug if row_course is not None else ""
    elif not user.is_admin and user.unit is not None:
        params["unit"] = user.unit.code
    return render_template(
        "certificates/templates.html",
        rows=templates.visible_templates(user),
        row=current_row,
        units=_managed_units(user),
        courses=sorted_vi(
            db.session.scalars(select(Course).where(Course.gives_certificate.is_(True))),
            key=lambda c: c.title,
        ),
        fields=templates.FIELDS,
        preview_url=url_for("certificates_views.template_preview", **params),
    )


@bp.get("/certificates/templates/preview.png")
@login_required
def template_preview() -> ResponseReturnValue:
    """The certificate as the template being edited would draw it (PNG, from the real PDF)."""
    user = _template_manager()
    unit, course = _form_target(user)
    values = templates.clean(request.args.to_dict(), complete=False)
    png = render_png(pdfs.preview(values, unit, course.title if course is not None else None))
    response = Response(png, mimetype="image/png")
    response.headers["Cache-Control"] = "private, no-store"
    return response
