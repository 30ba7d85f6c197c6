"""Indicators with their targets, and closed years: the province's figures kept as sent.

The figures themselves come from the aggregates (:mod:`lms.stats.rollups`) through
:mod:`lms.stats.queries`; closing a year stores the annual report's data as it was that day.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from lms.audit import services as audit
from lms.audit.constants import AuditAction
from lms.auth.models import User
from lms.db import utcnow
from lms.errors import Conflict, NotFound
from lms.extensions import db
from lms.locks import lock
from lms.org.models import Unit
from lms.stats import reporting
from lms.stats.models import (
    Indicator,
    IndicatorKind,
    IndicatorPeriod,
    IndicatorTarget,
    StatSnapshot,
)
from lms.stats.report import annual_report_data

logger = logging.getLogger(__name__)


def create_indicator(data: dict[str, Any], *, plan_unit: Unit) -> Indicator:
    lock(plan_unit)  # parallel creations of one code: the first creates, the others get 409
    exists = db.session.scalar(
        select(Indicator.id).where(
            Indicator.plan_unit_id == plan_unit.id, Indicator.code == data["code"]
        )
    )
    if exists is not None:
        raise Conflict(_("This plan already has an indicator %(code)s.", code=data["code"]))
    indicator = Indicator(
        plan_unit=plan_unit,
        code=data["code"],
        title=data["title"],
        title_en=data.get("title_en"),
        kind=IndicatorKind(data["kind"]),
        period=IndicatorPeriod(data.get("period") or IndicatorPeriod.cumulative),
        target_group=data.get("target_group"),
        qualifying_code=data.get("qualifying_code") or data["code"],
        unit_kind=data.get("unit_kind"),
        position=data.get("position", 0),
    )
    set_targets(indicator, data.get("targets") or {})
    db.session.add(indicator)
    db.session.flush()
    logger.info(
        "Created indicator %s (%s) for plan %s", indicator.id, indicator.code, plan_unit.code
    )
    return indicator


def set_targets(indicator: Indicator, targets: dict[str, float]) -> None:
    by_year = {t.year: t for t in indicator.targets}
    for year_text, value in targets.items():
        year = int(year_text)
        if year in by_year:
            by_year[year].value = float(value)
        else:
            indicator.targets.append(IndicatorTarget(year=year, value=float(value)))


def update_indicator(indicator: Indicator, data: dict[str, Any]) -> Indicator:
    lock(indicator)  # its targets are read, then inserted or changed per year
    db.session.expire(indicator, ["targets"])
    for key in ("title", "title_en", "position"):
        if key in data:
            setattr(indicator, key, data[key])
    if "targets" in data:
        set_targets(indicator, data["targets"])
    db.session.flush()
    return indicator


def delete_indicator(indicator: Indicator) -> None:
    """Remove an indicator and its targets; 404 when a parallel request removed it first."""
    if lock(indicator) is None:
        raise NotFound(_("Indicator not found."))
    db.session.delete(indicator)
    db.session.flush()


def close_year(
    unit: Unit, year: int, *, by: User, note: str | None = None, now: datetime | None = None
) -> StatSnapshot:
    """Submit ``unit``'s report of ``year`` to the level above: keep it exactly as sent, give
    it its document number. Opens on 1 December; sending after the deadline is allowed and
    shows as late to the level above."""
    moment = now or utcnow()
    today = reporting.local_today(moment)
    opens = reporting.opens_on(year)
    if today < opens:
        raise Conflict(
            _(
                "The report of %(year)s can be submitted from %(day)s.",
                year=year,
                day=opens.strftime("%d/%m/%Y"),
            )
        )
    if snapshot_for(unit, year) is not None:
        raise Conflict(_("The figures of %(year)s are already closed.", year=year))
    # The report is read before the lock, so that the lock is held for a moment only.
    payload = annual_report_data(unit, year, now=moment)
    lock(unit)
    if snapshot_for(unit, year) is not None:  # closed by a parallel request meanwhile
        raise Conflict(_("The figures of %(year)s are already closed.", year=year))
    number = reporting.next_number(unit, today.year)
    payload["document"] = reporting.document(unit, number=number, day=today)
    snapshot = StatSnapshot(
        unit=unit,
        year=year,
        closed_at=moment,
        closed_by_id=by.id,
        payload=payload,
        note=note,
        number=number,
    )
    db.session.add(snapshot)
    db.session.flush()
    audit.record(
        AuditAction.year_closed,
        snapshot,
        actor=by,
        reason=note,
        details={"number": payload["document"]["number_text"]},
    )
    logger.info("Closed %s figures of unit %s by user %s", year, unit.code, by.id)
    return snapshot


def snapshot_for(unit: Unit, year: int) -> StatSnapshot | None:
    return db.session.scalar(
        select(StatSnapshot).where(StatSnapshot.unit_id == unit.id, StatSnapshot.year == year)
    )


def reopen_year(snapshot: StatSnapshot, *, by: User, reason: str) -> None:
    """Take back a submitted report (an administrator's act, with its reason in the audit
    log); 404, as for a year never closed, when a parallel request reopened it first. Its
    number is not given again: the report sent next gets a new one."""
    year = snapshot.year
    if lock(snapshot) is None:
        raise NotFound(_("The figures of %(year)s have not been closed.", year=year))
    logger.info("Reopened %s figures of unit %s by user %s", snapshot.year, snapshot.unit_id, by.id)
    document = (snapshot.payload or {}).get("document") or {}
    audit.record(
        AuditAction.year_reopened,
        snapshot,
        actor=by,
        reason=reason,
        details={"number": document.get("number_text")} if document else None,
    )
    db.session.delete(snapshot)
    db.session.flush()
