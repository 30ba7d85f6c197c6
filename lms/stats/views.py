"""The officials' dashboard: indicators against targets, a monthly chart, drill-down by unit."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import login_required
from marshmallow import ValidationError

from lms import periods
from lms.auth.models import Role, User
from lms.auth.permissions import current, require_role
from lms.errors import DomainError, Forbidden, NotFound, readable
from lms.extensions import db
from lms.http import whole_number
from lms.org import services as org
from lms.org.models import Unit
from lms.replicas import reads_from_replica
from lms.stats import queries, reporting, services
from lms.stats.api import resolve_unit
from lms.stats.schemas import ReportSettingsSchema

bp = Blueprint("stats_views", __name__)

#: The programme's first year: the year picker starts here.
FIRST_YEAR = 2022


@bp.get("/dashboard")
@login_required
@reads_from_replica
def dashboard() -> ResponseReturnValue:
    user = current()
    require_role(user, Role.admin, Role.official)
    code = request.args.get("unit") or None
    if code is None and user.unit is None:
        code = "HP"
    unit = resolve_unit(user, code)
    today = periods.today()
    year = whole_number(request.args.get("year"), today.year, FIRST_YEAR, today.year)
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
        years=list(range(today.year, FIRST_YEAR - 1, -1)),
        # A year that is over shows its results: a forecast only means something while the
        # year runs.
        past=year < today.year,
        figures=figures,
        months=months,
        month_max=max([m.completions for m in months] + [m.certificates for m in months] + [1]),
        children=children,
        groups=groups,
        funnel=queries.funnel(unit, year),
        snapshot=snapshot,
        # In the reporting season (December on) the report is the dashboard's next step.
        report_due=snapshot is None and reporting.local_today() >= reporting.opens_on(year),
        closed_figures=closed_figures,
        deadline=deadline,
        share_indicators=share_indicators,
        child_figures=child_figures,
    )


# --- the annual report: settings, submitting it up the tree, reopening -------------------------


def _page_year(raw: str | None) -> int:
    """The year a page shows: this year unless the address names another (2000-2100)."""
    this_year = reporting.local_today().year
    return whole_number(raw, this_year, 2000, 2100)


def _form_year() -> int | None:
    """The year a form acts on; None (and a message) when it names none: a form never falls
    back to this year, it would submit or reopen a report nobody chose."""
    year = whole_number(request.form.get("year"), 0, 2000, 2100)
    if not year:
        flash(_("Invalid year."), "error")
        return None
    return year


@bp.get("/reports")
@login_required
@reads_from_replica
def report_page() -> ResponseReturnValue:
    """A unit's report of a year: when it is due, what is missing, who below has sent theirs,
    and the form that submits it."""
    user = current()
    require_role(user, Role.admin, Role.official)
    unit = resolve_unit(user, request.args.get("unit") or (None if user.unit else "HP"))
    year = _page_year(request.args.get("year"))
    snapshot = services.snapshot_for(unit, year)
    rows = reporting.submissions(unit, year)
    figures = [f.as_dict() for f in queries.indicator_figures(unit, year)]
    today = reporting.local_today()
    opens = reporting.opens_on(year)
    document = (snapshot.payload or {}).get("document") if snapshot else None
    return render_template(
        "stats/report.html",
        unit=unit,
        ancestors=org.ancestors(unit),
        year=year,
        years=list(range(today.year, 2021, -1)),
        snapshot=snapshot,
        document=document or reporting.document(unit, day=today),
        submitted_on=reporting.local_now(snapshot.closed_at) if snapshot else None,
        deadline=reporting.deadline(unit, year),
        opens=opens,
        is_open=today >= opens,
        late=today > reporting.deadline(unit, year),
        missing=reporting.still_missing(unit, year, figures, rows),
        rows=rows,
        counts={s: sum(1 for r in rows if r.status == s) for s in reporting.STATUS_LABELS},
        parent=unit.parent,
        is_admin=user.is_admin,
        can_send_back=_can_send_back(user, unit),
        stamp=reporting.stamp,
    )


def _can_send_back(user: User, unit: Unit) -> bool:
    """Administrators reopen any report; an official sends back the report of a unit below
    their own (it was sent to them), never their own unit's."""
    if user.is_admin:
        return True
    return Role.official in user.roles and any(a.id == user.unit_id for a in org.ancestors(unit))


def _back(unit_code: str, year: int | str) -> ResponseReturnValue:
    return redirect(url_for("stats_views.report_page", unit=unit_code, year=year))


@bp.post("/reports/submit")
@login_required
def submit_report() -> ResponseReturnValue:
    user = current()
    require_role(user, Role.admin, Role.official)
    unit = resolve_unit(user, request.form.get("unit"))
    year = _form_year()
    if year is None:
        return _back(unit.code, reporting.local_today().year)
    if request.form.get("confirm") != "yes":
        flash(_("Tick the confirmation to submit the report."), "error")
        return _back(unit.code, year)
    try:
        snapshot = services.close_year(unit, year, by=user, note=request.form.get("note") or None)
        number = snapshot.payload["document"]["number_text"]
        db.session.commit()
        flash(
            _("The report of %(year)s is submitted (%(number)s).", year=year, number=number),
            "success",
        )
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    return _back(unit.code, year)


@bp.post("/reports/reopen")
@login_required
def reopen_report() -> ResponseReturnValue:
    user = current()
    require_role(user, Role.admin, Role.official)
    unit = resolve_unit(user, request.form.get("unit"))
    if not _can_send_back(user, unit):
        raise Forbidden(
            _("Only the unit the report was sent to, or an administrator, may reopen it.")
        )
    year = _form_year()
    if year is None:
        return _back(unit.code, reporting.local_today().year)
    reason = (request.form.get("reason") or "").strip()
    if len(reason) < 5:
        flash(_("Say why the report is reopened (at least 5 characters)."), "error")
        return _back(unit.code, year)
    snapshot = services.snapshot_for(unit, year)
    try:
        if snapshot is None:
            raise NotFound(_("The figures of %(year)s have not been closed.", year=year))
        services.reopen_year(snapshot, by=user, reason=reason[:500])
        db.session.commit()
        flash(_("The report of %(year)s is reopened.", year=year), "success")
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    return _back(unit.code, year)


@bp.get("/reports/settings")
@login_required
def report_settings() -> ResponseReturnValue:
    user = current()
    require_role(user, Role.admin, Role.official)
    unit = resolve_unit(user, request.args.get("unit") or (None if user.unit else "HP"))
    return render_template(
        "stats/report_settings.html",
        unit=unit,
        values=reporting.settings_view(unit),
        preview=reporting.document(unit),
        year=_page_year(request.args.get("year")),
    )


def _setting_labels() -> dict[str, str]:
    """The form's labels, to name a refused field as the person saw it."""
    return {
        "parent_body": _("Governing body (top left, first line)"),
        "issuer": _("Issuing body"),
        "symbol": _("Abbreviation in the number (Số: …/BC-abbreviation)"),
        "place": _("Place before the date"),
        "signer_authority": _("Signing authority (e.g. KT. GIÁM ĐỐC; empty when the head signs)"),
        "signer_title": _("Signer's title"),
        "signer_name": _("Signer's name"),
        "recipients": _("Recipients (Nơi nhận), one a line"),
    }


@bp.post("/reports/settings")
@login_required
def save_report_settings() -> ResponseReturnValue:
    user = current()
    require_role(user, Role.admin, Role.official)
    unit = resolve_unit(user, request.form.get("unit"))
    year = _page_year(request.form.get("year"))
    form = {name: request.form.get(name, "") for name in reporting.SETTING_FIELDS}
    form["recipients"] = "\n".join(
        line.strip() for line in form["recipients"].splitlines() if line.strip()
    )
    try:
        data = ReportSettingsSchema().load({**form, "recipients": form["recipients"].splitlines()})
    except ValidationError as exc:
        labels = _setting_labels()
        for field, messages in exc.normalized_messages().items():
            if isinstance(messages, dict):  # a recipient line: {index: [messages]}
                messages = [m for line in messages.values() for m in line]
            if not isinstance(messages, list):
                messages = [messages]
            text = " ".join(readable(str(m)) for m in messages)  # the reader's language
            flash(f"{labels.get(field, field)}: {text}", "error")
        return redirect(url_for("stats_views.report_settings", unit=unit.code, year=year))
    reporting.save_settings(unit, data, by=user)
    db.session.commit()
    flash(_("Report settings saved."), "success")
    return _back(unit.code, year)
