"""Read-only figures: indicators against targets, breakdowns and the enrollment funnel.

Every function takes explicit filters (unit, year) and answers from SQL aggregates; the
indicator figures read the ``stat_rollups`` counters (one indexed lookup per indicator).
All of them apply the same rules (the README's "How the figures are counted"): events are
counted where the person was when they happened (the snapshot on the certificate or the
enrollment), over the tree of :func:`reference_day`, in local periods (:mod:`lms.periods`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, case, cast, func, or_, select
from sqlalchemy import String as SqlString

from lms import periods
from lms.catalog.models import Course
from lms.certificates.models import Certificate
from lms.certificates.services import counting_clause
from lms.classes.models import Class, Enrollment
from lms.collation import vi_sort_key
from lms.constants import TARGET_GROUP_LABELS, TargetGroup, label
from lms.extensions import db
from lms.org import services as org
from lms.org.models import Headcount, Unit, UnitKind
from lms.stats import reporting
from lms.stats.models import Indicator, IndicatorKind, IndicatorPeriod, StatCertCount, StatRollup
from lms.stats.rebuild import ensure_year
from lms.stats.rollups import TreeAtYearEnd

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


def reference_day(unit: Unit, year: int) -> date:
    """The day whose tree counts ``unit``'s ``year`` (:func:`lms.org.services.reference_day`:
    31 December, or the unit's own last day when it closed during the year); the year's end
    for a year the unit did not exist in (it has no figures then)."""
    return org.reference_day(unit, year) or year_end(year)


def tree_day(year: int, unit: Unit | None = None) -> date | None:
    """:func:`reference_day`, or None (the tree now, one indexed prefix query) when that day
    is still to come: the tree of this year's end is today's tree."""
    day = reference_day(unit, year) if unit is not None else year_end(year)
    return None if day >= periods.today() else day


def subtree(unit: Unit, year: int) -> Select[Any]:
    return org.subtree_ids(unit, on=tree_day(year, unit))


def takes_unassigned(unit: Unit, year: int) -> bool:
    """Whether ``unit`` counts the unassigned: a province, or a unit above provinces.

    Events of people without a unit or a target group are counted on the province (of the
    issuing unit) and above it, never below it (:func:`lms.stats.rollups.place`).
    """
    day = tree_day(year, unit)
    path = (org.path_on(unit, day) if day else None) or unit.path
    chain = [int(p) for p in path.strip("/").split("/") if p]
    above = chain[:-1]
    if not above:
        return True
    provinces = db.session.scalar(
        select(func.count(Unit.id)).where(Unit.id.in_(above), Unit.kind == UnitKind.province)
    )
    if provinces:
        return False
    if unit.kind == UnitKind.province:
        return True
    # a unit between the root and the provinces (a region) counts theirs too
    below = select(Unit.id).where(Unit.id.in_(subtree(unit, year)), Unit.kind == UnitKind.province)
    return db.session.scalar(below.limit(1)) is not None


def plan_indicators(unit: Unit, year: int) -> list[Indicator]:
    """The indicators of the plan ``unit`` reported under in ``year``.

    The province the unit belonged to at the end of that year (Quảng Bình for 2024), else
    the province it belongs to now (Quảng Trị after the 2025 merger).
    """
    candidates: list[int] = []
    day = tree_day(year, unit)
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
        # Only units that exist on the reference day count, each once: a merged commune
        # is in its successor's subtree (its people count there), not in the denominators.
        self.day = reference_day(unit, year)
        # the org domain's own sums (the headcounts API answers the same)
        self.headcounts: dict[str, int] = {
            row["target_group"]: row["count"] for row in org.rollup_headcounts(unit, year=year)
        }
        self.kinds: dict[str, int] = {
            str(kind): int(n)
            for kind, n in db.session.execute(
                select(Unit.kind, func.count(Unit.id))
                .where(Unit.id.in_(units), org.valid_on_clause(Unit, self.day))
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
                org.valid_on_clause(Unit, self.day),
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
            # the group at issue is the indicator's; in the unassigned column it may be none
            and (group is None or tg == group or (unassigned is True and tg == ""))
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
        return num, den, share(num, den)


def share(numerator: int, denominator: int | None) -> float | None:
    """A share in percent with one decimal: the one rule of every table that shows one.

    It never passes 100%: more holders than the headcount means the headcount is out of
    date, which the numerator and denominator still show. None without a denominator.
    """
    if not denominator:
        return None
    return min(100.0, round(100.0 * numerator / denominator, 1))


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
    today = today or periods.today()
    facts = facts or YearFacts(unit, year)
    num, den, value = facts.value(indicator)
    target = indicator.target_for(year)
    # A forecast only while the year's report is still to come; a past year has its result.
    forecast = None
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
    basis = forecast if forecast is not None else value
    on_track = None
    if target is not None and basis is not None:
        on_track = basis >= target
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
    if not org.existed_in(unit, year):
        return []
    ensure_year(year)
    indicators = plan_indicators(unit, year)
    if not indicators:
        return []
    today = today or periods.today()
    facts = YearFacts(unit, year)
    previous = YearFacts(unit, year - 1) if year == today.year else None
    return [
        figure(ind, unit, year, today=today, facts=facts, previous=previous) for ind in indicators
    ]


# --- breakdowns ------------------------------------------------------------------------------


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


def _placed() -> Any:
    """A completion made by someone with a unit and a target group at the time."""
    return and_(
        Enrollment.completed_unit_id.is_not(None),
        Enrollment.completed_target_group.is_not(None),
    )


def _completion_counts(unit: Unit, year: int, dim: str) -> dict[Any, int]:
    """Completions of local ``year`` counted on ``unit``, keyed by ``dim``.

    The same rule as certificates (:func:`lms.stats.rollups.place`): on the person's unit at
    completion and the units above it; without a unit or a group, on the province of the
    class's unit (or of the person's unit) and above it, keyed ``""`` by target group and
    ``-anchor`` by unit (the caller puts them on the anchor's province).
    """
    start, end = periods.year_bounds(year)
    units = subtree(unit, year)
    placed = _placed()
    anchor = func.coalesce(Class.unit_id, Enrollment.completed_unit_id)
    where: Any = and_(placed, Enrollment.completed_unit_id.in_(units))
    if takes_unassigned(unit, year):
        where = or_(where, and_(~placed, anchor.in_(units)))
    keys = {
        # the unassigned by their anchor, negated: the caller finds its province
        "unit": case((placed, Enrollment.completed_unit_id), else_=-anchor),
        "target_group": case(
            (placed, cast(Enrollment.completed_target_group, SqlString)), else_=""
        ),
        "course": Enrollment.course_id,
        "month": periods.month_of(Enrollment.completed_at, year),
    }
    key = keys[dim]
    stmt = (
        select(key, func.count(Enrollment.id))
        .outerjoin(Class, Class.id == Enrollment.class_id)
        .where(Enrollment.completed_at >= start, Enrollment.completed_at < end, where)
        .group_by(key)
    )
    return {k: int(n) for k, n in db.session.execute(stmt).all()}


def breakdown(unit: Unit, year: int, group_by: str) -> list[BreakdownRow]:
    """Completions and certificates of ``year`` in ``unit``'s subtree, grouped."""
    if group_by == "unit":
        return _units_of_the_year(_by_child_unit(unit, year), year)
    if group_by == "target_group":
        certs = _certificate_counts(unit, year, "group")
        done = _completion_counts(unit, year, "target_group")
        # In the plans' order of the groups (leaders first), the unassigned last: never by
        # the English codes, which read as no order at all in Vietnamese.
        order = {str(g): i for i, g in enumerate(TargetGroup)}
        keys = sorted(
            {str(k) if k else "" for k in [*certs, *done]},
            key=lambda k: (order.get(k, len(order)) if k else len(order) + 1, k),
        )
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
        done = _completion_counts(unit, year, "course")
        found = set(certs) | set(done)
        titles = dict(db.session.execute(select(Course.id, Course.slug)).all() if found else [])
        names = dict(db.session.execute(select(Course.id, Course.title)).all())
        # By title in Vietnamese order (lms.collation), as a reader looks a course up.
        ids = sorted(found, key=lambda i: (vi_sort_key(names.get(i)), i))
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
        done = _completion_counts(unit, year, "month")
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


def _units_of_the_year(rows: list[BreakdownRow], year: int) -> list[BreakdownRow]:
    """The child units that existed in ``year``, in Vietnamese order, the unit's own row first.

    A unit created on 1 July 2025 has no place in 2024's table (the tree as it stood that
    year), even where the tree's history does not reach back to it.
    """
    codes = [r.unit_code for r in rows if r.unit_code and not r.extra.get("own")]
    units = {u.code: u for u in db.session.scalars(select(Unit).where(Unit.code.in_(codes)))}
    own = [r for r in rows if r.extra.get("own")]
    children = [
        r
        for r in rows
        if not r.extra.get("own")
        and (r.unit_code not in units or org.existed_in(units[r.unit_code], year))
    ]
    return own + sorted(children, key=lambda r: vi_sort_key(r.label))


def _by_child_unit(unit: Unit, year: int) -> list[BreakdownRow]:
    """Per child unit (as the tree was that year), everything in the child's subtree."""
    tree = TreeAtYearEnd()
    paths = tree.paths(year)
    own_path = paths.get(unit.id, unit.path)
    own_parts = [p for p in own_path.strip("/").split("/") if p]
    depth = len(own_parts)  # index of the child's id in a descendant's path
    certs = _certificate_counts(unit, year, "month", by_unit=True)
    done = _completion_counts(unit, year, "unit")
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
        if unit_id is None:
            continue
        if unit_id < 0:  # unassigned: on the province of their anchor, like certificates
            unit_id = tree.province_chain(-unit_id, year)[-1]
        bucket(unit_id).completions += n
    rows = sorted(per_child.values(), key=lambda r: vi_sort_key(r.label))
    if own.certificates or own.completions:
        rows.insert(0, own)
    return rows


def funnel(unit: Unit, year: int) -> dict[str, int]:
    """Enrollments made in local ``year`` and where they stood at its end (or now).

    Counted on the person's unit at enrolment (without a unit: on the province of the class's
    unit). ``completed``: completed by the end of the year; ``certified``: their certificate
    counts on 31 December (:func:`lms.certificates.services.counting_clause`, the rule of the
    certificates column); ``in_progress``: started, neither completed nor withdrawn by then.
    """
    start, end = periods.year_bounds(year)
    units = subtree(unit, year)
    where: Any = Enrollment.enrolled_unit_id.in_(units)
    if takes_unassigned(unit, year):
        where = or_(
            where,
            and_(
                Enrollment.enrolled_unit_id.is_(None),
                Enrollment.class_id.in_(select(Class.id).where(Class.unit_id.in_(units))),
            ),
        )
    withdrawn = and_(Enrollment.withdrawn_at.is_not(None), Enrollment.withdrawn_at < end)
    completed = and_(Enrollment.completed_at.is_not(None), Enrollment.completed_at < end)
    started = and_(Enrollment.started_at.is_not(None), Enrollment.started_at < end)
    certified = (
        select(Certificate.id)
        .where(Certificate.enrollment_id == Enrollment.id, counting_clause(year_end(year)))
        .exists()
    )

    def total(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    row = db.session.execute(
        select(
            func.count(Enrollment.id),
            total(withdrawn),
            total(completed),
            total(and_(started, ~completed, ~withdrawn)),
            total(certified),
        ).where(Enrollment.enrolled_at >= start, Enrollment.enrolled_at < end, where)
    ).one()
    made, gone, done, going, certs = (int(v or 0) for v in row)
    return {
        "enrolled": made - gone,
        "in_progress": going,
        "completed": done,
        "withdrawn": gone,
        "certified": certs,
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
    the children themselves; and, in a year of mergers, the own table's facts of each child
    closed during it. Each value is the one the child's own table shows (:func:`share`).
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
        for u in db.session.scalars(select(Unit).where(Unit.id.in_(child_ids)))
        if u.valid_to is None or u.valid_to >= date(year, 1, 1)
    ]
    if not children:
        return indicators, []
    children = [c for c in children if org.existed_in(c, year)]  # the tree of that year
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
    days = {c.id: reference_day(c, year) for c in children}
    for unit_id, tg, n, valid_from, valid_to in db.session.execute(
        select(
            Headcount.unit_id,
            Headcount.target_group,
            Headcount.count,
            Unit.valid_from,
            Unit.valid_to,
        )
        .join(Unit, Unit.id == Headcount.unit_id)
        .where(Headcount.year == year, Headcount.unit_id.in_(subtree(unit, year)))
    ).all():
        parts = [int(p) for p in paths.get(unit_id, "").strip("/").split("/") if p]
        if len(parts) <= depth or parts[depth] not in days:
            continue
        day = days[parts[depth]]  # the same denominators as the child's own table
        if valid_from <= day and (valid_to is None or valid_to >= day):
            heads[(parts[depth], str(tg))] += int(n or 0)
    rows = []
    for child in children:
        values: dict[str, float | None] = {}
        behind = []
        # A unit closed during the year is counted over its tree of its last day (its
        # units then, with their headcounts), which the year-end paths above no longer
        # show: its own table's facts, the same numbers its dashboard reads.
        closed = YearFacts(child, year) if days[child.id] < year_end(year) else None
        for indicator in indicators:
            group = str(indicator.target_group)
            if closed is not None:
                value = closed.value(indicator)[2]
            else:
                num = counts[
                    (
                        child.id,
                        indicator.qualifying_code,
                        indicator.period == IndicatorPeriod.year,
                        group,
                    )
                ]
                value = share(num, heads[(child.id, group)])
            values[indicator.code] = value
            target = indicator.target_for(year)
            if value is not None and target is not None and value < target:
                behind.append(indicator.code)
        rows.append(ChildFigures(child.code, child.name, values, behind))
    rows.sort(key=lambda r: (-len(r.behind), vi_sort_key(r.name)))
    return indicators, rows
