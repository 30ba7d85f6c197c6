"""The officials' dashboard: indicators against targets, a monthly chart, drill-down by unit."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required

from lms.auth.models import Role
from lms.auth.permissions import current, require_role
from lms.errors import DomainError
from lms.extensions import db
from lms.http import whole_number
from lms.org import services as org
from lms.stats import queries, services
from lms.stats.api import resolve_unit

bp = Blueprint("stats_views", __name__)


@bp.get("/dashboard")
@login_required
def dashboard() -> ResponseReturnValue:
    user = current()
    require_role(user, Role.admin, Role.official)
    code = request.args.get("unit") or None
    if code is None and user.unit is None:
        code = "HP"
    unit = resolve_unit(user, code)
    year = whole_number(request.args.get("year"), date.today().year, 1900, 9999)
    figures = queries.indicator_figures(unit, year)
    months = queries.breakdown(unit, year, "month")
    children = queries.breakdown(unit, year, "unit")
    groups = queries.breakdown(unit, year, "target_group")
    snapshot = services.snapshot_for(unit, year)
    closed_figures = {}
    if snapshot is not None:
        closed_figures = {item["code"]: item for item in snapshot.payload.get("indicators", [])}
    deadline = queries.report_deadline(unit, year)
    share_indicators, child_figures = queries.children_figures(unit, year)
    return render_template(
        "stats/dashboard.html",
        unit=unit,
        ancestors=org.ancestors(unit),
        year=year,
        years=list(range(date.today().year, 2021, -1)),
        figures=figures,
        months=months,
        month_max=max([m.completions for m in months] + [m.certificates for m in months] + [1]),
        children=children,
        groups=groups,
        funnel=queries.funnel(unit, year),
        snapshot=snapshot,
        closed_figures=closed_figures,
        deadline=deadline,
        can_close=snapshot is None and date.today() >= deadline,
        share_indicators=share_indicators,
        child_figures=child_figures,
    )


@bp.post("/dashboard/close")
@login_required
def close_year() -> ResponseReturnValue:
    user = current()
    require_role(user, Role.admin, Role.official)
    unit = resolve_unit(user, request.form.get("unit"))
    try:
        year = int(request.form.get("year", ""))
        if not 1900 <= year <= 9999:
            raise ValueError(year)
        services.close_year(unit, year, by=user, note=request.form.get("note") or None)
        db.session.commit()
        flash(_("The figures of %(year)s are closed.", year=year), "success")
    except (ValueError, DomainError) as exc:
        db.session.rollback()
        flash(getattr(exc, "message", _("Invalid year.")), "error")
        year = date.today().year
    return redirect(url_for("stats_views.dashboard", unit=unit.code, year=year))
