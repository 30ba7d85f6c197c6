"""JSON API of the catalog: the searchable course list, a course's outline, package upload."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import Select, func, select

from lms.auth.models import Role
from lms.auth.permissions import auth_required, current
from lms.catalog import importer, services
from lms.catalog.schemas import (
    CourseQuerySchema,
    CourseSchema,
    ImportResultSchema,
)
from lms.errors import BadRequest
from lms.extensions import db
from lms.http import page_args, query_args
from lms.openapi import doc

bp = Blueprint("catalog", __name__, url_prefix="/api/v1")


@bp.get("/courses")
@doc(
    summary="Search the course catalog",
    tags=["catalog"],
    query=CourseQuerySchema,
    response=CourseSchema,
    paginated=True,
    public=True,
)
def list_courses() -> ResponseReturnValue:
    """``q`` ignores case and Vietnamese diacritics: "ky nang so" finds "Kỹ năng số"."""
    args = query_args(CourseQuerySchema())
    stmt = services.search_courses(
        q=args["q"],
        target_group=args["target_group"],
        skill_area=args["skill_area"],
        level=args["level"],
        open_only=bool(args["open"]),
    )
    return _page(stmt, CourseSchema().dump)


def _page(stmt: Select[Any], dump: Callable[[Any], Any]) -> ResponseReturnValue:
    """The list envelope in one round trip: the total comes along as a window count."""
    page, per_page = page_args()
    counted = stmt.add_columns(func.count().over().label("total"))
    rows = db.session.execute(counted.limit(per_page).offset((page - 1) * per_page)).all()
    if rows:
        total = int(rows[0].total)
    else:
        total = int(
            db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
        )
    return jsonify(
        {
            "items": [dump(row[0]) for row in rows],
            "page": page,
            "per_page": per_page,
            "total": total,
        }
    )


@bp.post("/courses/import")
@auth_required(Role.admin)
@doc(
    summary="Import (or update) a course from a zipped package",
    tags=["catalog"],
    content_type="multipart/form-data",
    response=ImportResultSchema,
    status=201,
    responses={
        413: "Upload too large",
        422: "The package has errors: `errors` maps file:line to messages",
    },
)
def import_course() -> ResponseReturnValue:
    """Multipart field ``file``: a ``.zip`` of one package folder (see courses/README.md).

    The package is validated whole; every error comes back with its file and line and nothing
    is written. Re-importing updates the course with the same slug and keeps enrollments.
    """
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise BadRequest(_("Send the zipped package in the form field 'file'."))
    force = request.args.get("force", "").lower() in {"1", "true", "yes"}
    result = importer.import_zip(upload.stream, by=current(), force=force)
    db.session.commit()
    response = jsonify(ImportResultSchema().dump(result.to_dict()))
    response.status_code = 201 if result.status == "created" else 200
    return response
