"""The unit tree page: a unit, its place in the tree, its children, history and headcounts.

Admins start from the roots, officials from their own unit; units outside one's area answer
404 like unknown ones. Changes go through the API and the ``units`` commands.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from sqlalchemy import select

from lms import periods
from lms.auth.permissions import current
from lms.collation import sorted_vi
from lms.constants import TARGET_GROUP_LABELS, TargetGroup, label
from lms.extensions import db
from lms.http import whole_number
from lms.org import services
from lms.org.models import Headcount, Unit, UnitKind, UnitPlacement

bp = Blueprint("org_views", __name__)

KIND_LABELS: dict[UnitKind, Any] = {
    UnitKind.province: _l("Province / city"),
    UnitKind.district: _l("District (before 2025)"),
    UnitKind.commune: _l("Ward / commune"),
    UnitKind.agency: _l("Agency"),
    UnitKind.school: _l("School"),
    UnitKind.enterprise: _l("Enterprise"),
    UnitKind.other: _l("Other"),
}


@bp.get("/units")
@login_required
def tree() -> ResponseReturnValue:
    by = current()
    services.ensure_can_browse(by)
    if not by.is_admin and by.unit is not None:
        return redirect(url_for("org_views.unit", code=by.unit.code))
    closed = request.args.get("closed") == "1"
    roots = select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.code)
    if not closed:
        roots = roots.where(services.valid_on_clause(Unit, periods.today()))
    return render_template(
        "org/tree.html",
        unit=None,
        children=sorted_vi(db.session.scalars(roots), key=lambda u: u.name),
        closed=closed,
        kinds=KIND_LABELS,
        today=periods.today(),
    )


@bp.get("/units/<code>")
@login_required
def unit(code: str) -> ResponseReturnValue:
    by = current()
    services.ensure_can_browse(by)
    shown = services.visible_unit(code, by)
    closed = request.args.get("closed") == "1"
    year = whole_number(request.args.get("year"), periods.current_year(), 1900, 9999)
    # A unit's children are bounded: sorted here, in Vietnamese order (unit_query orders by code).
    children = sorted_vi(
        db.session.scalars(services.unit_query(by, parent=shown, include_closed=closed)),
        key=lambda u: u.name,
    )
    former: list[Unit] = []
    if shown.valid_to is not None and not shown.is_current():
        former = sorted_vi(
            db.session.scalars(services.unit_query(by, parent=shown, on=shown.valid_to)),
            key=lambda u: u.name,
        )
    return render_template(
        "org/tree.html",
        unit=shown,
        former=former,
        ancestors=[a for a in services.ancestors(shown) if services.can_see(by, a)],
        children=children,
        closed=closed,
        kinds=KIND_LABELS,
        today=periods.today(),
        year=year,
        years=list(range(periods.today().year + 1, 2021, -1)),
        headcounts=_headcounts(shown, year),
        history=_history(shown),
    )


def _headcounts(unit: Unit, year: int) -> list[dict[str, Any]]:
    own = dict(
        db.session.execute(
            select(Headcount.target_group, Headcount.count).where(
                Headcount.unit_id == unit.id, Headcount.year == year
            )
        ).all()
    )
    rows = []
    for item in services.rollup_headcounts(unit, year=year):
        group = TargetGroup(item["target_group"])
        rows.append(
            {
                "group": label(TARGET_GROUP_LABELS, group),
                "own": own.get(group),
                "total": item["count"],
                "units": item["units"],
            }
        )
    return rows


def _history(unit: Unit) -> list[dict[str, Any]]:
    placements = db.session.scalars(
        select(UnitPlacement)
        .where(UnitPlacement.unit_id == unit.id)
        .order_by(UnitPlacement.valid_from)
    ).all()
    parents = {p.parent_id for p in placements if p.parent_id}
    names = dict(db.session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(parents))).all())
    return [
        {"parent": names.get(p.parent_id or 0), "valid_from": p.valid_from, "valid_to": p.valid_to}
        for p in placements
    ]
