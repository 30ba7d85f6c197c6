"""Read-only figures: indicators against targets, breakdowns and the enrollment funnel.

Every function takes explicit filters (unit, year) and answers from SQL aggregates; the
indicator figures read the ``stat_rollups`` counters (one indexed lookup per indicator).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Select, and_, extract, func, or_, select

from lms.auth.models import User
from lms.catalog.models import Course
from lms.certificates.models import Certificate
from lms.classes.models import Enrollment, EnrollmentStatus
from lms.constants import TARGET_GROUP_LABELS, label
from lms.extensions import db
from lms.org import services as org
from lms.org.models import Headcount, Unit, UnitKind
from lms.stats import reporting
from lms.stats.models import Indicator, IndicatorKind, IndicatorPeriod, StatCertCount, StatRollup
from lms.stats.rollups import TreeAtYearEnd, current_year, ensure_year

GROUP_BYS = ("unit", "target_group", "course", "month")


@dataclass
class Figure:
    indicator_id: int
    code: str
    title: str
    title_en: str | None
    kind: str
    period: str
    target_group: str | None
    numerator: int
    denominator: int | None
    value: float | None
    target: float | None
    on_track: bool | None
    forecast: float | None
    unassigned: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class BreakdownRow:
    key: str
    label: str
    completions: int = 0
    certificates: int = 0
    unit_code: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def year_end(year: int) -> date:
    return date(year, 12, 31)


def tree_day(year: int) -> date | None:
    """The day whose tree counts ``year``: its last day, or None (the tree now) from this year."""
    return None if year >= current_year() else year_end(year)


def subtree(unit: Unit, year: int) -> Select[Any]:
    return org.subtree_ids(unit, on=tree_day(year))


def plan_indicators(unit: Unit, year: int) -> list[Indicator]:
    """The indicators of the plan ``unit`` reported under in ``year``.

    The province the unit belonged to at the end of that year (Quảng Bình for 2024), else
    the province it belongs to now (Quảng Trị after the 2025 merger).
    """
    candidates: list[int] = []
    day = tree_day(year)
    path = org.path_on(unit, day) if day else unit.path
    for unit_id in [int(p) for p in (path or unit.path).strip("/").split("/") if p]:
        candidates.append(unit_id)
    candidates.append(org.province_of(unit).id)
    kind_rows = db.session.execute(select(Unit.id, Unit.kind).where(Unit.id.in_(candidates)))
    kinds = {row[0]: row[1] for row in kind_rows.all()}
    ordered = [u for u in candidates if kinds.get(u) == UnitKind.province] or candidates[:1]
    for plan_id in ordered:
        rows = list(
            db.session.scalars(
                select(Indicator)
                .where(Indicator.plan_unit_id == plan_id)
                .order_by(Indicator.position, Indicator.id)
            )
        )
        if rows:
            return rows
    return []


class YearFacts:
    """Every number the indicator table of one unit and year needs, in four queries.

    The rollup counters of the unit itself, the headcounts of its subtree per target group,
    the number of units per kind in the subtree, and which of those units have holders.
    """

    def __init__(self, unit: Unit, year: int) -> None:
        self.unit, self.year = unit, year
        self.rollups: dict[tuple[str, bool, str, bool], int] = defaultdict(int)
        rows = db.session.execute(
            select(
                StatRollup.code,
                StatRollup.in_year,
                StatRollup.target_group,
                StatRollup.unassigned,
                func.sum(StatRollup.count),
            )
            .where(StatRollup.unit_id == unit.id, StatRollup.year == year)
            .group_by(
                StatRollup.code,
                StatRollup.in_year,
                StatRollup.target_group,
                StatRollup.unassigned,
            )
        ).all()
        for code, in_year, tg, unassigned, count in rows:
            self.rollups[(code, bool(in_year), tg or "", bool(unassigned))] += int(count or 0)
        units = subtree(unit, year)
        self.headcounts: dict[str, int] = {
            str(tg): int(n or 0)
            for tg, n in db.session.execute(
                select(Headcount.target_group, func.sum(Headcount.count))
                .where(Headcount.year == year, Headcount.unit_id.in_(units))
                .group_by(Headcount.target_group)
            ).all()
        }
        self.kinds: dict[str, int] = {
            str(kind): int(n)
            for kind, n in db.session.execute(
                select(Unit.kind, func.count(Unit.id))
                .where(
                    Unit.id.in_(units),
                    Unit.valid_from <= year_end(year),
                    or_(Unit.valid_to.is_(None), Unit.valid_to >= date(year, 1, 1)),
                )
                .group_by(Unit.kind)
            ).all()
        }
        self._units = units

    def covered_units(self, indicator: Indicator) -> int:
        """How many units of the indicator's kind in the subtree hold at least one person."""
        stmt = (
            select(func.count(func.distinct(StatRollup.unit_id)))
            .join(Unit, Unit.id == StatRollup.unit_id)
            .where(
                StatRollup.code == indicator.qualifying_code,
                StatRollup.year == self.year,
                StatRollup.in_year.is_(indicator.period == IndicatorPeriod.year),
                StatRollup.unassigned.is_(False),
                StatRollup.count > 0,
                Unit.kind == (indicator.unit_kind or UnitKind.school.value),
                StatRollup.unit_id.in_(self._units),
            )
        )
        if indicator.target_group:
            stmt = stmt.where(StatRollup.target_group == str(indicator.target_group))
        return int(db.session.scalar(stmt) or 0)

    def people(self, indicator: Indicator, *, unassigned: bool | None = False) -> int:
        in_year = indicator.period == IndicatorPeriod.year
        group = str(indicator.target_group) if indicator.target_group else None
        return sum(
            n
            for (code, iy, tg, un), n in self.rollups.items()
            if code == indicator.qualifying_code
            and iy == in_year
            and (unassigned is None or un == unassigned)
            and (group is None or unassigned is True or tg == group)
        )

    def value(self, indicator: Indicator) -> tuple[int, int | None, float | None]:
        if indicator.kind == IndicatorKind.count_people:
            n = self.people(indicator, unassigned=None)
            return n, None, float(n)
        if indicator.kind == IndicatorKind.share_of_units:
            kind = indicator.unit_kind or UnitKind.school.value
            num, den = self.covered_units(indicator), self.kinds.get(kind, 0)
        else:
            num = self.people(indicator)
            group = str(indicator.target_group) if indicator.target_group else None
            den = self.headcounts.get(group, 0) if group else sum(self.headcounts.values())
        return num, den, (round(100.0 * num / den, 1) if den else None)


def report_deadline(unit: Unit, year: int) -> date:
    """The day ``unit`` reports ``year`` by: one rule, :func:`lms.stats.reporting.deadline`."""
    return reporting.deadline(unit, year)


def figure(
    indicator: Indicator,
    unit: Unit,
    year: int,
    *,
    today: date | None = None,
    facts: YearFacts | None = None,
    previous: YearFacts | None = None,
) -> Figure:
    today = today or date.today()
    facts = facts or YearFacts(unit, year)
    num, den, value = facts.value(indicator)
    target = indicator.target_for(year)
    forecast = value
    if value is not None and year == today.year:
        start = 0.0
        if indicator.period == IndicatorPeriod.cumulative:
            previous = previous or YearFacts(unit, year - 1)
            start = previous.value(indicator)[2] or 0.0
        elapsed = (today - date(year, 1, 1)).days + 1
        horizon = (report_deadline(unit, year) - date(year, 1, 1)).days + 1
        if elapsed < horizon:
            forecast = round(start + (value - start) * horizon / max(elapsed, 1), 1)
            if indicator.kind != IndicatorKind.count_people:
                forecast = min(forecast, 100.0)
    on_track = None
    if target is not None and forecast is not None:
        on_track = forecast >= target
    return Figure(
        indicator_id=indicator.id,
        code=indicator.code,
        title=indicator.title,
        title_en=indicator.title_en,
        kind=str(indicator.kind),
        period=str(indicator.period),
        target_group=str(indicator.target_group) if indicator.target_group else None,
        numerator=num,
        denominator=den,
        value=value,
        target=target,
        on_track=on_track,
        forecast=forecast,
        unassigned=facts.people(indicator, unassigned=True),
    )


def indicator_figures(unit: Unit, year: int, *, today: date | None = None) -> list[Figure]:
    ensure_year(year)
    indicators = plan_indicators(unit, year)
    if not indicators:
        return []
    today = today or date.today()
    facts = YearFacts(unit, year)
    previous = YearFacts(unit, year - 1) if year == today.year else None
    return [
        figure(ind, unit, year, today=today, facts=facts, previous=previous) for ind in indicators
    ]


# --- breakdowns ------------------------------------------------------------------------------


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    from datetime import UTC

    start = datetime.combine(date(year, 1, 1), time.min, tzinfo=UTC)
    return start, datetime.combine(date(year + 1, 1, 1), time.min, tzinfo=UTC)


def _certificate_counts(
    unit: Unit, year: int, dim: str, *, by_unit: bool = False
) -> dict[Any, int]:
    """Certificates of ``year`` still counting at its end, from the per-unit counters.

    Keyed by the dimension's key (month ``01``.., course id, target group), or by holder
    unit when ``by_unit``.
    """
    group = StatCertCount.unit_id if by_unit else StatCertCount.key
    stmt = (
        select(group, func.sum(StatCertCount.count))
        .where(
            StatCertCount.year == year,
            StatCertCount.dim == dim,
            StatCertCount.unit_id.in_(subtree(unit, year)),
        )
        .group_by(group)
    )
    return {k: int(v or 0) for k, v in db.session.execute(stmt).all()}


def _completion_counts(unit: Unit, year: int, group: Any) -> dict[Any, int]:
    start, end = _year_bounds(year)
    stmt = (
        select(group, func.count(Enrollment.id))
        .join(User, User.id == Enrollment.user_id)
        .where(
            Enrollment.completed_at >= start,
            Enrollment.completed_at < end,
            Enrollment.status == EnrollmentStatus.completed,
            User.unit_id.in_(subtree(unit, year)),
        )
        .group_by(group)
    )
    return dict(db.session.execute(stmt).all())


def breakdown(unit: Unit, year: int, group_by: str) -> list[BreakdownRow]:
    """Completions and certificates of ``year`` in ``unit``'s subtree, grouped."""
    if group_by == "unit":
        return _by_child_unit(unit, year)
    if group_by == "target_group":
        certs = _certificate_counts(unit, year, "group")
        done = _completion_counts(unit, year, User.target_group)
        keys = sorted({str(k) if k else "" for k in [*certs, *done]})
        return [
            BreakdownRow(
                key=k or "unassigned",
                label=label(TARGET_GROUP_LABELS, k) if k else "—",
                completions=sum(v for kk, v in done.items() if (str(kk) if kk else "") == k),
                certificates=sum(v for kk, v in certs.items() if (str(kk) if kk else "") == k),
            )
            for k in keys
        ]
    if group_by == "course":
        certs = {int(k): v for k, v in _certificate_counts(unit, year, "course").items()}
        done = _completion_counts(unit, year, Enrollment.course_id)
        ids = sorted(set(certs) | set(done))
        titles = dict(db.session.execute(select(Course.id, Course.slug)).all() if ids else [])
        names = dict(db.session.execute(select(Course.id, Course.title)).all())
        return [
            BreakdownRow(
                key=titles.get(i, str(i)),
                label=names.get(i, str(i)),
                completions=done.get(i, 0),
                certificates=certs.get(i, 0),
            )
            for i in ids
        ]
    if group_by == "month":
        certs = {int(k): v for k, v in _certificate_counts(unit, year, "month").items()}
        done = _completion_counts(unit, year, extract("month", Enrollment.completed_at))
        return [
            BreakdownRow(
                key=f"{year}-{m:02d}",
                label=f"{m:02d}/{year}",
                completions=int(done.get(m, 0) or done.get(float(m), 0)),
                certificates=int(certs.get(m, 0) or certs.get(float(m), 0)),
            )
            for m in range(1, 13)
        ]
    raise ValueError(group_by)


def _by_child_unit(unit: Unit, year: int) -> list[BreakdownRow]:
    """Per child unit (as the tree was that year), everything in the child's subtree."""
    tree = TreeAtYearEnd()
    paths = tree.paths(year)
    own_path = paths.get(unit.id, unit.path)
    own_parts = [p for p in own_path.strip("/").split("/") if p]
    depth = len(own_parts)  # index of the child's id in a descendant's path
    certs = _certificate_counts(unit, year, "month", by_unit=True)
    done = _completion_counts(unit, year, User.unit_id)
    per_child: dict[int, BreakdownRow] = {}
    children = [
        uid
        for uid, path in paths.items()
        if path.startswith(own_path)
        and len([p for p in path.strip("/").split("/") if p]) == depth + 1
    ]
    units = {
        u.id: u for u in db.session.scalars(select(Unit).where(Unit.id.in_([unit.id, *children])))
    }
    for child_id in children:
        child = units[child_id]
        if child.valid_to is not None and child.valid_to < date(year, 1, 1):
            continue
        per_child[child_id] = BreakdownRow(key=child.code, label=child.name, unit_code=child.code)
    own = BreakdownRow(key=unit.code, label=unit.name, unit_code=unit.code, extra={"own": True})

    def bucket(unit_id: int) -> BreakdownRow:
        path = paths.get(unit_id, "")
        parts = [int(p) for p in path.strip("/").split("/") if p]
        if len(parts) > depth and parts[depth] in per_child:
            return per_child[parts[depth]]
        return own

    for unit_id, n in certs.items():
        if unit_id is not None:
            bucket(unit_id).certificates += n
    for unit_id, n in done.items():
        if unit_id is not None:
            bucket(unit_id).completions += n
    rows = sorted(per_child.values(), key=lambda r: r.label)
    if own.certificates or own.completions:
        rows.insert(0, own)
    return rows


def funnel(unit: Unit, year: int) -> dict[str, int]:
    """Enrolled, in progress, completed and certified, for enrollments made in ``year``."""
    start, end = _year_bounds(year)
    base = (
        select(Enrollment.status, func.count(Enrollment.id))
        .join(User, User.id == Enrollment.user_id)
        .where(
            Enrollment.enrolled_at >= start,
            Enrollment.enrolled_at < end,
            User.unit_id.in_(subtree(unit, year)),
        )
        .group_by(Enrollment.status)
    )
    by_status = {str(k): v for k, v in db.session.execute(base).all()}
    certified = db.session.scalar(
        select(func.count(func.distinct(Certificate.enrollment_id)))
        .join(Enrollment, Enrollment.id == Certificate.enrollment_id)
        .join(User, User.id == Enrollment.user_id)
        .where(
            and_(Enrollment.enrolled_at >= start, Enrollment.enrolled_at < end),
            User.unit_id.in_(subtree(unit, year)),
            Certificate.revoked_at.is_(None),
        )
    )
    total = sum(by_status.values())
    withdrawn = by_status.get(EnrollmentStatus.withdrawn.value, 0)
    return {
        "enrolled": total - withdrawn,
        "in_progress": by_status.get(EnrollmentStatus.in_progress.value, 0),
        "completed": by_status.get(EnrollmentStatus.completed.value, 0),
        "withdrawn": withdrawn,
        "certified": int(certified or 0),
    }


@dataclass
class ChildFigures:
    """One child unit's share indicators, for the "who is behind" table."""

    code: str
    name: str
    values: dict[str, float | None]
    behind: list[str]


def children_figures(unit: Unit, year: int) -> tuple[list[Indicator], list[ChildFigures]]:
    """Each child unit's value of every share-of-headcount indicator, against the target.

    Three queries whatever the number of children: the children's own rollup counters, the
    headcounts of the whole subtree per unit (summed up to the child they lie under), and
    the children themselves.
    """
    indicators = [
        i for i in plan_indicators(unit, year) if i.kind == IndicatorKind.share_of_headcount
    ]
    if not indicators:
        return [], []
    tree = TreeAtYearEnd()
    paths = tree.paths(year)
    own_path = paths.get(unit.id, unit.path)
    depth = len([p for p in own_path.strip("/").split("/") if p])
    child_ids = [
        uid
        for uid, path in paths.items()
        if path.startswith(own_path)
        and len([p for p in path.strip("/").split("/") if p]) == depth + 1
    ]
    children = [
        u
        for u in db.session.scalars(select(Unit).where(Unit.id.in_(child_ids)).order_by(Unit.name))
        if u.valid_to is None or u.valid_to >= date(year, 1, 1)
    ]
    if not children:
        return indicators, []
    counts: dict[tuple[int, str, bool, str], int] = defaultdict(int)
    for unit_id, code, in_year, tg, n in db.session.execute(
        select(
            StatRollup.unit_id,
            StatRollup.code,
            StatRollup.in_year,
            StatRollup.target_group,
            func.sum(StatRollup.count),
        )
        .where(
            StatRollup.year == year,
            StatRollup.unassigned.is_(False),
            StatRollup.unit_id.in_([c.id for c in children]),
        )
        .group_by(StatRollup.unit_id, StatRollup.code, StatRollup.in_year, StatRollup.target_group)
    ).all():
        counts[(unit_id, code, bool(in_year), tg or "")] += int(n or 0)
    heads: dict[tuple[int, str], int] = defaultdict(int)
    for unit_id, tg, n in db.session.execute(
        select(Headcount.unit_id, Headcount.target_group, Headcount.count).where(
            Headcount.year == year, Headcount.unit_id.in_(subtree(unit, year))
        )
    ).all():
        parts = [int(p) for p in paths.get(unit_id, "").strip("/").split("/") if p]
        if len(parts) > depth:
            heads[(parts[depth], str(tg))] += int(n or 0)
    rows = []
    for child in children:
        values: dict[str, float | None] = {}
        behind = []
        for indicator in indicators:
            group = str(indicator.target_group)
            num = counts[
                (
                    child.id,
                    indicator.qualifying_code,
                    indicator.period == IndicatorPeriod.year,
                    group,
                )
            ]
            den = heads[(child.id, group)]
            value = round(100.0 * num / den, 1) if den else None
            values[indicator.code] = value
            target = indicator.target_for(year)
            if value is not None and target is not None and value < target:
                behind.append(indicator.code)
        rows.append(ChildFigures(child.code, child.name, values, behind))
    rows.sort(key=lambda r: (-len(r.behind), r.name))
    return indicators, rows
