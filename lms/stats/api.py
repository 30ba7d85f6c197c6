"""Statistics API: indicator figures, breakdowns, exports, the annual report, closed years."""

from __future__ import annotations

from flask import Blueprint, jsonify, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from lms import periods
from lms.auth.models import Role, User
from lms.auth.permissions import auth_required, current, ensure_unit_in_scope
from lms.errors import BadRequest, NotFound
from lms.exports import TABLE_DOWNLOADS, csv_bytes, download, xlsx_bytes
from lms.extensions import db
from lms.formatting import local_today
from lms.http import created, json_body, load, no_content, query_args
from lms.openapi import doc
from lms.org import services as org
from lms.org.models import Unit
from lms.replicas import reads_from_replica
from lms.stats import exports, queries, report, reporting, services
from lms.stats.models import Indicator
from lms.stats.rebuild import rebuild as rebuild_aggregates
from lms.stats.schemas import (
    AnnualReportQuerySchema,
    BreakdownSchema,
    CloseYearSchema,
    CompletionsQuerySchema,
    IndicatorCreateSchema,
    IndicatorFiguresSchema,
    IndicatorListQuerySchema,
    IndicatorSchema,
    IndicatorUpdateSchema,
    ReopenSchema,
    ReportSettingsSchema,
    ReportSettingsUpdateSchema,
    SnapshotSchema,
    StatsQuerySchema,
    SubmissionsSchema,
)

bp = Blueprint("stats", __name__, url_prefix="/api/v1")

READERS = (Role.admin, Role.official)


def resolve_unit(user: User, code: str | None) -> Unit:
    """The unit asked for (default: the user's own), which must be in the user's scope."""
    if code:
        unit = org.get_unit(code)
    elif user.unit is not None:
        unit = user.unit
    else:
        raise BadRequest(_("Say which unit: ?unit=<code>."))
    ensure_unit_in_scope(user, unit)
    return unit


def _year(value: int | None) -> int:
    return value or periods.current_year()


@bp.get("/stats/indicators")
@auth_required(*READERS)
@doc(
    summary="Indicator figures of a unit's subtree for a year (JSON, CSV or XLSX)",
    tags=["stats"],
    query=StatsQuerySchema,
    response=IndicatorFiguresSchema,
    produces=TABLE_DOWNLOADS,
    responses={404: "No such unit"},
)
@reads_from_replica
def indicator_figures() -> ResponseReturnValue:
    args = query_args(StatsQuerySchema())
    user = current()
    unit = resolve_unit(user, args["unit"])
    year = _year(args["year"])
    figures = queries.indicator_figures(unit, year)
    items = [f.as_dict() for f in figures]
    name = f"chi-tieu-{unit.code}-{year}"
    if args["format"] in {"csv", "xlsx"}:
        header, rows = exports.figures_table(unit, year, figures, past=year < local_today().year)
        if args["format"] == "csv":
            return download(csv_bytes(header, rows), f"{name}.csv", "csv")
        data = xlsx_bytes([(exports.figures_sheet_name(year), header, rows)])
        return download(data, f"{name}.xlsx", "xlsx")
    body = {
        "unit": unit.code,
        "unit_name": unit.name,
        "year": year,
        "closed": services.snapshot_for(unit, year) is not None,
        "items": items,
    }
    return jsonify(IndicatorFiguresSchema().dump(body))


@bp.get("/stats/completions")
@auth_required(*READERS)
@doc(
    summary="Completions and certificates grouped by child unit, target group, course or month",
    tags=["stats"],
    query=CompletionsQuerySchema,
    response=BreakdownSchema,
    produces=TABLE_DOWNLOADS,
    responses={404: "No such unit"},
)
@reads_from_replica
def completions() -> ResponseReturnValue:
    args = query_args(CompletionsQuerySchema())
    unit = resolve_unit(current(), args["unit"])
    year = _year(args["year"])
    rows = queries.breakdown(unit, year, args["group_by"])
    header, table = exports.breakdown_table(rows, args["group_by"])
    name = f"hoan-thanh-{unit.code}-{year}-{args['group_by']}"
    if args["format"] == "csv":
        return download(csv_bytes(header, table), f"{name}.csv", "csv")
    if args["format"] == "xlsx":
        sheet = exports.breakdown_sheet_name(args["group_by"])
        return download(xlsx_bytes([(sheet, header, table)]), f"{name}.xlsx", "xlsx")
    body = {
        "unit": unit.code,
        "year": year,
        "group_by": args["group_by"],
        "items": rows,
        "funnel": queries.funnel(unit, year),
    }
    return jsonify(BreakdownSchema().dump(body))


@bp.get("/stats/annual-report")
@auth_required(*READERS)
@doc(
    summary="The annual report of a unit (PDF, XLSX or JSON); closed=true gives the report as sent",
    tags=["stats"],
    query=AnnualReportQuerySchema,
    produces={
        "application/json": {"type": "object", "description": "format=json: the report's data"},
        "application/pdf": None,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": None,
    },
    responses={404: "No such unit"},
)
@reads_from_replica
def annual_report() -> ResponseReturnValue:
    args = query_args(AnnualReportQuerySchema())
    unit = resolve_unit(current(), args["unit"])
    year = _year(args["year"])
    snapshot = services.snapshot_for(unit, year)
    if args["closed"] and snapshot is None:
        raise NotFound(_("The figures of %(year)s have not been closed.", year=year))
    as_sent = snapshot is not None and args["closed"] is not False
    data = snapshot.payload if as_sent and snapshot else report.annual_report_data(unit, year)
    name = f"bao-cao-{unit.code}-{year}{'-da-gui' if as_sent else '-du-thao'}"
    if args["format"] == "json":
        return jsonify(data)
    if args["format"] == "xlsx":
        return download(report.render_xlsx(data), f"{name}.xlsx", "xlsx")
    if as_sent and snapshot:
        pdf = report.sent_pdf(unit, data, closed=SnapshotSchema().dump(snapshot))
    else:
        pdf = report.render_pdf(data)
    return download(pdf, f"{name}.pdf", "pdf")


@bp.post("/stats/closures")
@auth_required(*READERS)
@doc(
    summary="Close a unit's figures for a year (from the province's reporting cut-off)",
    tags=["stats"],
    body=CloseYearSchema,
    response=SnapshotSchema,
    status=201,
    responses={404: "No such unit", 409: "Before the cut-off, or already closed"},
)
def close_year() -> ResponseReturnValue:
    data = load(CloseYearSchema())
    user = current()
    unit = resolve_unit(user, data["unit"])
    snapshot = services.close_year(unit, data["year"], by=user, note=data["note"])
    db.session.commit()
    location = url_for("stats.get_closure", code=unit.code, year=snapshot.year)
    return created(SnapshotSchema().dump(snapshot), location)


@bp.get("/stats/closures/<code>/<int:year>")
@auth_required(*READERS)
@doc(
    summary="A closed year beside the live figures",
    tags=["stats"],
    description="Returns {closed: snapshot, live: the same report computed now}.",
    produces={
        "application/json": {
            "type": "object",
            "properties": {
                "closed": {"$ref": "#/components/schemas/Snapshot"},
                "live": {"type": "object"},
            },
        }
    },
)
def get_closure(code: str, year: int) -> ResponseReturnValue:
    unit = resolve_unit(current(), code)
    snapshot = services.snapshot_for(unit, year)
    if snapshot is None:
        raise NotFound(_("The figures of %(year)s have not been closed.", year=year))
    return jsonify(
        {
            "closed": SnapshotSchema().dump(snapshot),
            "live": report.annual_report_data(unit, year),
        }
    )


@bp.delete("/stats/closures/<code>/<int:year>")
@auth_required(Role.admin)
@doc(
    summary="Reopen a submitted report (admins only; the reason goes to the audit log)",
    tags=["stats"],
    body=ReopenSchema,
    status=204,
)
def reopen(code: str, year: int) -> ResponseReturnValue:
    data = load(ReopenSchema())
    unit = org.get_unit(code)
    snapshot = services.snapshot_for(unit, year)
    if snapshot is None:
        raise NotFound(_("The figures of %(year)s have not been closed.", year=year))
    services.reopen_year(snapshot, by=current(), reason=data["reason"])
    db.session.commit()
    return no_content()


@bp.get("/stats/submissions")
@auth_required(*READERS)
@doc(
    summary="Where a unit's report of a year stands, and which units below have sent theirs",
    tags=["stats"],
    query=StatsQuerySchema,
    response=SubmissionsSchema,
    responses={404: "No such unit"},
)
@reads_from_replica
def submissions() -> ResponseReturnValue:
    args = query_args(StatsQuerySchema())
    unit = resolve_unit(current(), args["unit"])
    year = _year(args["year"])
    rows = reporting.submissions(unit, year)
    figures = [f.as_dict() for f in queries.indicator_figures(unit, year)]
    body = {
        "unit": unit.code,
        "year": year,
        "opens_on": reporting.opens_on(year),
        "deadline": reporting.deadline(unit, year),
        "submitted": services.snapshot_for(unit, year),
        "missing": reporting.still_missing(unit, year, figures, rows),
        "units": rows,
    }
    return jsonify(SubmissionsSchema().dump(body))


@bp.get("/stats/report-settings")
@auth_required(*READERS)
@doc(
    summary="How a unit's annual report is headed and signed",
    tags=["stats"],
    query=StatsQuerySchema,
    response=ReportSettingsSchema,
    responses={404: "No such unit"},
)
def get_report_settings() -> ResponseReturnValue:
    args = query_args(StatsQuerySchema())
    unit = resolve_unit(current(), args["unit"])
    return jsonify(ReportSettingsSchema().dump(reporting.settings_view(unit)))


@bp.put("/stats/report-settings")
@auth_required(*READERS)
@doc(
    summary="Set how a unit's annual report is headed and signed (its officials, admins)",
    tags=["stats"],
    body=ReportSettingsUpdateSchema,
    response=ReportSettingsSchema,
    responses={404: "No such unit"},
)
def put_report_settings() -> ResponseReturnValue:
    data = load(ReportSettingsUpdateSchema())
    user = current()
    unit = resolve_unit(user, data.pop("unit_code"))
    reporting.save_settings(unit, data, by=user)
    db.session.commit()
    return jsonify(ReportSettingsSchema().dump(reporting.settings_view(unit)))


@bp.post("/stats/rebuild")
@auth_required(Role.admin)
@doc(
    summary="Rebuild the indicator aggregates from the certificates",
    tags=["stats"],
    produces={
        "application/json": {
            "type": "object",
            "description": "Counts of what was rebuilt",
            "additionalProperties": {"type": "integer"},
        }
    },
)
def rebuild() -> ResponseReturnValue:
    result = rebuild_aggregates()
    db.session.commit()
    return jsonify(result)


# --- indicators ------------------------------------------------------------------------------


def _plan_unit(user: User, code: str | None) -> Unit:
    if code:
        return org.get_unit(code)
    if user.unit is None:
        raise BadRequest(_("Say which plan: ?unit=<province code>."))
    return org.province_of(user.unit)


@bp.get("/indicators")
@auth_required(*READERS)
@doc(
    summary="The indicators of a province's plan",
    tags=["indicators"],
    query=IndicatorListQuerySchema,
    response=IndicatorSchema,
    many=True,
    responses={404: "No such unit"},
)
def list_indicators() -> ResponseReturnValue:
    args = query_args(IndicatorListQuerySchema())
    plan = _plan_unit(current(), args["unit"])
    rows = db.session.scalars(
        select(Indicator)
        .where(Indicator.plan_unit_id == plan.id)
        .order_by(Indicator.position, Indicator.id)
    )
    return jsonify(IndicatorSchema(many=True).dump(rows))


def _indicator_in_scope(indicator_id: int, user: User) -> Indicator:
    indicator = db.session.get(Indicator, indicator_id)
    if indicator is None:
        raise NotFound(_("Indicator not found."))
    return indicator


@bp.post("/indicators")
@auth_required(*READERS)
@doc(
    summary="Add an indicator to a plan (admins; officials of the province)",
    tags=["indicators"],
    body=IndicatorCreateSchema,
    response=IndicatorSchema,
    status=201,
    responses={404: "No such unit", 409: "The plan already has this code"},
)
def create_indicator() -> ResponseReturnValue:
    data = load(IndicatorCreateSchema())
    user = current()
    plan = org.get_unit(data.pop("plan_unit"))
    ensure_unit_in_scope(user, plan)
    indicator = services.create_indicator(data, plan_unit=plan)
    db.session.commit()
    return created(
        IndicatorSchema().dump(indicator), url_for("stats.get_indicator", indicator_id=indicator.id)
    )


@bp.get("/indicators/<int:indicator_id>")
@auth_required(*READERS)
@doc(summary="One indicator with its targets", tags=["indicators"], response=IndicatorSchema)
def get_indicator(indicator_id: int) -> ResponseReturnValue:
    return jsonify(IndicatorSchema().dump(_indicator_in_scope(indicator_id, current())))


@bp.patch("/indicators/<int:indicator_id>")
@auth_required(*READERS)
@doc(
    summary="Change an indicator's titles, order or targets",
    tags=["indicators"],
    body=IndicatorUpdateSchema,
    response=IndicatorSchema,
)
def update_indicator(indicator_id: int) -> ResponseReturnValue:
    user = current()
    indicator = _indicator_in_scope(indicator_id, user)
    ensure_unit_in_scope(user, indicator.plan_unit)
    data = load(IndicatorUpdateSchema(), json_body(), partial=True)
    services.update_indicator(indicator, data)
    db.session.commit()
    return jsonify(IndicatorSchema().dump(indicator))


@bp.delete("/indicators/<int:indicator_id>")
@auth_required(*READERS)
@doc(summary="Remove an indicator from its plan", tags=["indicators"], status=204)
def delete_indicator(indicator_id: int) -> ResponseReturnValue:
    user = current()
    indicator = _indicator_in_scope(indicator_id, user)
    ensure_unit_in_scope(user, indicator.plan_unit)
    services.delete_indicator(indicator)
    db.session.commit()
    return no_content()
