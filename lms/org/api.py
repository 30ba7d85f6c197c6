"""JSON API of the org domain under /api/v1: units, mergers, tree imports, headcounts."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from marshmallow import Schema
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.auth.models import Role
from lms.auth.permissions import auth_required, current
from lms.edge import check_ranges
from lms.errors import BadRequest, Invalid
from lms.extensions import db
from lms.http import created, json_body, load, paginate, query_args
from lms.openapi import doc
from lms.org import services
from lms.org.csvfile import read_rows
from lms.org.models import Headcount, Unit, UnitPlacement
from lms.org.schemas import (
    HeadcountImportResultSchema,
    HeadcountInSchema,
    HeadcountQuery,
    HeadcountSchema,
    UnitCreateSchema,
    UnitGetQuery,
    UnitImportQuery,
    UnitImportResultSchema,
    UnitListQuery,
    UnitMergeSchema,
    UnitSchema,
    UnitUpdateSchema,
)
from lms.org.services.imports import COLUMNS, REQUIRED_COLUMNS
from lms.tabular import decode

bp = Blueprint("org", __name__, url_prefix="/api/v1")

CSV_TYPES = ("text/csv", "text/plain", "application/csv", "application/octet-stream")
HEADCOUNT_COLUMNS = ("unit_code", "target_group", "year", "count")
_REFUSALS = {404: "Unit not found (or outside your area)", 409: "Conflicts with the tree"}


# --- shapes -----------------------------------------------------------------------------------


def ref(unit: Unit) -> dict[str, Any]:
    return {"code": unit.code, "name": unit.name, "name_en": unit.name_en, "kind": str(unit.kind)}


def dump_unit(unit: Unit, **extra: Any) -> dict[str, Any]:
    return {
        "id": unit.id,
        "code": unit.code,
        "name": unit.name,
        "name_en": unit.name_en,
        "kind": str(unit.kind),
        "parent": unit.parent.code if unit.parent else None,
        "depth": unit.depth,
        "valid_from": unit.valid_from.isoformat(),
        "valid_to": unit.valid_to.isoformat() if unit.valid_to else None,
        "successor": unit.successor.code if unit.successor else None,
        "serial_prefix": unit.serial_prefix,
        "report_day": unit.report_day,
        "current": unit.is_current(),
        **extra,
    }


def _history(unit: Unit) -> list[dict[str, Any]]:
    rows = list(
        db.session.scalars(
            select(UnitPlacement)
            .where(UnitPlacement.unit_id == unit.id)
            .order_by(UnitPlacement.valid_from)
        )
    )
    ids = {int(part) for row in rows for part in row.path.strip("/").split("/") if part}
    codes = dict(db.session.execute(select(Unit.id, Unit.code).where(Unit.id.in_(ids))).all())
    return [
        {
            "parent": codes.get(row.parent_id) if row.parent_id else None,
            "path_codes": [codes.get(int(p), p) for p in row.path.strip("/").split("/") if p],
            "valid_from": row.valid_from.isoformat(),
            "valid_to": row.valid_to.isoformat() if row.valid_to else None,
        }
        for row in rows
    ]


def dump_headcount(row: Headcount) -> dict[str, Any]:
    return {
        "unit": row.unit.code,
        "unit_name": row.unit.name,
        "target_group": str(row.target_group),
        "year": row.year,
        "count": row.count,
    }


# --- request helpers ----------------------------------------------------------------------------


def _args(schema: Schema, *, lists: tuple[str, ...] = ()) -> Any:
    """Like :func:`lms.http.query_args`, and ``a,b`` counts as two values of a list."""
    if not lists:
        return query_args(schema)
    raw: dict[str, Any] = {}
    for key in request.args:
        values = request.args.getlist(key)
        if key in lists:
            raw[key] = [part.strip() for v in values for part in v.split(",") if part.strip()]
        else:
            raw[key] = values[-1]
    check_ranges(schema, raw)
    return schema.load(raw)


def _referenced(code: str | None, field: str) -> Unit | None:
    """A unit named in a request body: unknown and out-of-area both read 'unknown' (422)."""
    if code is None:
        return None
    unit = services.find_unit(code)
    if unit is None or not services.can_see(current(), unit):
        raise Invalid(_("Invalid input."), errors={field: [_("Unknown unit %(code)s.", code=code)]})
    return unit


def _csv_text() -> str:
    """The uploaded CSV: a ``file`` form field, or the request body itself."""
    if request.files:
        upload = request.files.get("file")
        if upload is None:
            raise BadRequest(_("Send the CSV file in a form field named 'file'."))
        return decode(upload.read())
    if request.mimetype in CSV_TYPES:
        return decode(request.get_data())
    raise BadRequest(
        _("Send the CSV as the body (Content-Type: text/csv) or as a form field named 'file'.")
    )


# --- units --------------------------------------------------------------------------------------


@bp.get("/units")
@auth_required()
@doc(
    summary="List units",
    tags=["units"],
    query=UnitListQuery,
    response=UnitSchema,
    paginated=True,
    description="Admins see every unit, officials their own unit and what lies below it. "
    "Closed units are left out unless include_closed=true; on=YYYY-MM-DD reads the tree of "
    "that day (validity, and with parent= the children it had then).",
    responses={404: "No such parent unit"},
)
def list_units() -> ResponseReturnValue:
    by = current()
    services.ensure_can_browse(by)
    args = query_args(UnitListQuery())
    parent = services.visible_unit(args["parent"], by) if "parent" in args else None
    stmt = services.unit_query(
        by,
        parent=parent,
        kind=args.get("kind"),
        q=args.get("q"),
        include_closed=args["include_closed"],
        on=args.get("on"),
    ).options(selectinload(Unit.parent), selectinload(Unit.successor))
    return paginate(stmt, dump_unit)


@bp.post("/units")
@auth_required(Role.admin, Role.official)
@doc(
    summary="Create a unit",
    tags=["units"],
    body=UnitCreateSchema,
    response=UnitSchema,
    status=201,
    responses={409: "The code is already used, or the parent is closed"},
    description="Admins create units anywhere; officials only inside their own unit, and "
    "without serial_prefix/report_day (403).",
)
def create_unit() -> ResponseReturnValue:
    data = load(UnitCreateSchema())
    data["parent"] = _referenced(data.get("parent"), "parent")
    unit = services.create_unit(**data, by=current())
    db.session.commit()
    return created(dump_unit(unit), url_for("org.get_unit", code=unit.code))


@bp.get("/units/<code>")
@auth_required()
@doc(
    summary="One unit",
    tags=["units"],
    query=UnitGetQuery,
    response=UnitSchema,
    responses={404: _REFUSALS[404]},
    description="include=children,ancestors,history adds the current children (closed ones "
    "too with include_closed=true), the ancestors root first, and the placements over time.",
)
def get_unit(code: str) -> ResponseReturnValue:
    by = current()
    services.ensure_can_browse(by)
    unit = services.visible_unit(code, by)
    args = _args(UnitGetQuery(), lists=("include",))
    include = set(args.get("include", []))
    extra: dict[str, Any] = {}
    if "children" in include:
        children = (
            services.unit_query(by, parent=unit, include_closed=args["include_closed"])
            .order_by(None)
            .order_by(Unit.code)
        )
        extra["children"] = [ref(child) for child in db.session.scalars(children)]
    if "ancestors" in include:
        extra["ancestors"] = [ref(a) for a in services.ancestors(unit)]
    if "history" in include:
        extra["history"] = _history(unit)
    return jsonify(dump_unit(unit, **extra))


@bp.patch("/units/<code>")
@auth_required(Role.admin, Role.official)
@doc(
    summary="Change a unit",
    tags=["units"],
    body=UnitUpdateSchema,
    response=UnitSchema,
    responses={404: _REFUSALS[404], 409: _REFUSALS[409]},
    description="Rename, change kind, dates, serial_prefix and report_day (admins), or move "
    "it under another parent (a subtree move dated `on`, default today, kept in history). "
    "Officials change units strictly below their own unit (their own unit: 403).",
)
def update_unit(code: str) -> ResponseReturnValue:
    by = current()
    unit = services.visible_unit(code, by)
    services.ensure_can_change(by, unit)
    data = load(UnitUpdateSchema(), partial=True)
    on = data.pop("on", None)
    if "parent" in data:
        data["parent"] = _referenced(data["parent"], "parent")
    unit = services.update_unit(unit, data, by=by, on=on)
    db.session.commit()
    return jsonify(dump_unit(unit))


@bp.post("/units/<code>/merge")
@auth_required(Role.admin, Role.official)
@doc(
    summary="Merge a unit into its successor",
    tags=["units"],
    body=UnitMergeSchema,
    response=UnitSchema,
    responses={404: _REFUSALS[404], 409: "Already closed, or the successor is closed"},
    description="The unit exists until on - 1 day; from `on` its open children and its "
    "people belong to `into`, and the closed unit itself sits under `into`, so later "
    "figures roll up there while earlier years keep the old tree.",
)
def merge_unit(code: str) -> ResponseReturnValue:
    by = current()
    unit = services.visible_unit(code, by)
    services.ensure_can_change(by, unit)
    data = load(UnitMergeSchema())
    into = _referenced(data["into"], "into") or unit
    unit = services.merge_unit(unit, into, on=data["on"], by=by)
    db.session.commit()
    return jsonify(dump_unit(unit))


@bp.post("/units/import")
@auth_required(Role.admin)
@doc(
    summary="Import a unit tree from CSV",
    tags=["units"],
    query=UnitImportQuery,
    content_type="text/csv",
    response=UnitImportResultSchema,
    description="Columns: " + ",".join(COLUMNS) + ". Accepted whole or rejected whole; errors "
    "name the row (1 = first row under the header) and column: rows.<n>.<column>. UTF-8 or "
    "UTF-16; other encodings answer 400.",
)
def import_units() -> ResponseReturnValue:
    args = query_args(UnitImportQuery())
    rows = read_rows(_csv_text(), required=REQUIRED_COLUMNS, optional=COLUMNS)
    result = services.import_units(
        [row for _n, row in rows], numbers=[n for n, _row in rows], on=args.get("on"), by=current()
    )
    db.session.commit()
    return jsonify(result)


# --- headcounts ----------------------------------------------------------------------------------


@bp.get("/headcounts")
@auth_required(Role.admin, Role.official)
@doc(
    summary="Headcounts (denominators)",
    tags=["headcounts"],
    query=HeadcountQuery,
    response=HeadcountSchema,
    paginated=True,
    description="rollup=true (needs unit) sums the unit's subtree per year and target group, "
    "over the tree as it stood on 31 December of each year (or the unit's last day).",
    responses={404: "No such unit"},
)
def list_headcounts() -> ResponseReturnValue:
    by = current()
    args = query_args(HeadcountQuery())
    unit = services.visible_unit(args["unit"], by) if "unit" in args else None
    if args["rollup"]:
        if unit is None:
            raise Invalid(_("Invalid input."), errors={"unit": [_("Required with rollup.")]})
        items = services.rollup_headcounts(
            unit, year=args.get("year"), target_group=args.get("target_group")
        )
        for item in items:
            item["unit_name"] = unit.name
            item["as_of"] = item["as_of"].isoformat()
        return jsonify({"items": items, "page": 1, "per_page": len(items), "total": len(items)})
    stmt = services.headcount_query(
        by, unit=unit, year=args.get("year"), target_group=args.get("target_group")
    ).options(selectinload(Headcount.unit))
    return paginate(stmt, dump_headcount)


@bp.post("/headcounts")
@auth_required(Role.admin, Role.official)
@doc(
    summary="Load headcounts (JSON list or CSV)",
    tags=["headcounts"],
    body=HeadcountInSchema(many=True),
    response=HeadcountImportResultSchema,
    description="A JSON list of {unit, target_group, year, count}, or a CSV body (text/csv or "
    "a 'file' form field) with columns " + ",".join(HEADCOUNT_COLUMNS) + ". Existing rows "
    "are updated. All rows or none: errors are rows.<n>.<field>.",
)
def import_headcounts() -> ResponseReturnValue:
    if request.is_json:
        data = json_body()
        if not isinstance(data, list):
            raise Invalid(_("Invalid input."), errors={"_schema": [_("Expected a list of rows.")]})
        result = services.import_headcounts(data, by=current())
    else:
        rows = read_rows(_csv_text(), required=HEADCOUNT_COLUMNS)
        result = services.import_headcounts(
            [row for _n, row in rows], numbers=[n for n, _row in rows], by=current()
        )
    db.session.commit()
    return jsonify(result)
