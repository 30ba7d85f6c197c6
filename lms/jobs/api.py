"""Job progress for the browser's progress bars and for API callers."""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from lms.auth.permissions import auth_required, current
from lms.errors import NotFound
from lms.jobs import services
from lms.jobs.schemas import JobSchema
from lms.openapi import doc

bp = Blueprint("jobs", __name__, url_prefix="/api/v1/jobs")


@bp.get("/<job_id>")
@auth_required()
@doc(summary="A background job's progress", tags=["jobs"], response=JobSchema)
def get_job(job_id: str) -> ResponseReturnValue:
    job = services.get(job_id)
    user = current()
    if job.created_by_id != user.id and not user.is_admin:
        raise NotFound(_("Job not found."))
    return jsonify(JobSchema().dump(job))
