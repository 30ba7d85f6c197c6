"""A learner's own data: the page, the ZIP, the deletion request; the admins' decisions."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from lms import periods
from lms.auth.models import Role
from lms.auth.permissions import current, require_role
from lms.exports import download
from lms.extensions import db
from lms.privacy import services
from lms.privacy.models import DeletionRequest, DeletionStatus

bp = Blueprint("privacy_views", __name__)


@bp.get("/me/data")
@login_required
def my_data() -> ResponseReturnValue:
    user = current()
    last = db.session.scalar(
        select(DeletionRequest)
        .where(DeletionRequest.user_id == user.id)
        .order_by(DeletionRequest.id.desc())
        .limit(1)
    )
    return render_template("privacy/my_data.html", user=user, last=last)


@bp.get("/me/data.zip")
@login_required
def my_data_zip() -> ResponseReturnValue:
    user = current()
    data = services.export_zip(user)
    db.session.commit()  # certificate PDFs rendered now are cached
    return download(data, f"du-lieu-cua-toi-{periods.today().isoformat()}.zip", "zip")


@bp.post("/me/deletion")
@login_required
def ask_deletion() -> ResponseReturnValue:
    services.request_deletion(current(), reason=request.form.get("reason"))
    db.session.commit()
    flash(_("Your request was sent. An administrator will decide on it."), "success")
    return redirect(url_for(".my_data"))


@bp.get("/admin/deletions")
@login_required
def deletions() -> ResponseReturnValue:
    require_role(current(), Role.admin)
    rows = db.session.scalars(
        select(DeletionRequest)
        .order_by((DeletionRequest.status == DeletionStatus.pending).desc(), DeletionRequest.id)
        .limit(500)
    ).all()
    return render_template("privacy/deletions.html", rows=rows)


@bp.post("/admin/deletions/<int:request_id>")
@login_required
def decide(request_id: int) -> ResponseReturnValue:
    admin = current()
    require_role(admin, Role.admin)
    row = services.get_request(request_id)
    approve = request.form.get("decision") == "approve"
    services.decide(row, approve=approve, by=admin, note=request.form.get("note"))
    db.session.commit()
    flash(
        _("The person's data was removed.") if approve else _("The request was refused."),
        "success",
    )
    return redirect(url_for(".deletions"))
