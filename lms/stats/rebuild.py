"""Rebuild the indicator aggregates from the certificates table, in a few set-based statements.

The incremental path (:mod:`lms.stats.rollups`) moves the aggregates one person at a time as
certificates come and go; this recomputes them all at once: after a merger re-shaped the
tree, at the turn of a year, and to check the incremental path (the tests assert that both
give the same rows). A million certificates take seconds, not minutes, because no
certificate passes through Python. The rules are the incremental path's, from the same
definitions:

* **where** an event counts: :func:`lms.stats.rollups.place`, asked once per year and per
  kind of snapshot (the holder's unit, the issuing unit, whether the holder had a target
  group), never per certificate; the statements join its answers;
* **when**: the UTC instants of :mod:`lms.periods` (year ends, local months and days);
* **who decides** a person's holding: the earliest certificate (local day, then id) that
  still counts at the end of the year, as :func:`lms.stats.rollups.desired_holdings`.

It holds the aggregates' lock exclusively (:data:`lms.stats.rollups.LOCK`; every incremental
update holds it shared): an issue or revocation committed meanwhile is either in what the
rebuild reads or applied after it on the rebuilt rows, never lost.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    true,
)
from sqlalchemy import String as SqlString

from lms import periods
from lms.certificates.models import Certificate
from lms.db import UTCDateTime
from lms.extensions import db
from lms.locks import lock_name
from lms.stats.models import StatCertCount, StatHolding, StatRollup
from lms.stats.rollups import LOCK, TreeAtYearEnd, place

logger = logging.getLogger(__name__)

#: Working tables of one rebuild, private to its connection and dropped at its end.
_work = MetaData()
_years = Table(
    "stat_rebuild_years",
    _work,
    Column("year", Integer, primary_key=True),
    #: The UTC instant the local year ends at (exclusive): a certificate issued before it and
    #: not revoked before it counts at the end of the year.
    Column("ends_at", UTCDateTime),
    prefixes=["TEMPORARY"],
)
_places = Table(
    "stat_rebuild_places",
    _work,
    Column("year", Integer),
    # A snapshot's kind: units as ids, 0 for none.
    Column("holder_key", Integer),
    Column("issuing_key", Integer),
    Column("has_group", Boolean),
    # Where place() counts it that year.
    Column("unit_id", Integer),
    Column("unassigned", Boolean),
    Column("chain", String(1000)),
    prefixes=["TEMPORARY"],
)
_chains = Table(
    "stat_rebuild_chains",
    _work,
    Column("chain", String(1000)),
    Column("unit_id", Integer),
    prefixes=["TEMPORARY"],
)
#: A certificate for each code it counts toward.
_facts = Table(
    "stat_rebuild_facts",
    _work,
    Column("id", Integer),
    Column("user_id", Integer),
    Column("code", String(50)),
    Column("year", Integer),
    Column("issued_at", UTCDateTime),
    Column("revoked_at", UTCDateTime),
    Column("day", Date),
    Column("holder_key", Integer),
    Column("issuing_key", Integer),
    Column("has_group", Boolean),
    Column("target_group", String(30)),
    #: The year of the person's earliest certificate for the code: they count from then on.
    Column("first_year", Integer),
    prefixes=["TEMPORARY"],
)


def _has_group(column: Any) -> Any:
    """SQL twin of the truth test :func:`place` makes on a target group."""
    return and_(column.is_not(None), column != "")


def _place_key(holder: Any, issuing: Any, has_group: Any) -> dict[str, Any]:
    return {
        "holder_key": func.coalesce(holder, 0),
        "issuing_key": func.coalesce(issuing, 0),
        "has_group": has_group,
    }


def _joins_place(keys: dict[str, Any], year: Any) -> Any:
    return and_(
        _places.c.year == year,
        _places.c.holder_key == keys["holder_key"],
        _places.c.issuing_key == keys["issuing_key"],
        _places.c.has_group == keys["has_group"],
    )


def _counts_at_end(issued_at: Any, revoked_at: Any) -> Any:
    """Issued before the year's end and not revoked before it (``CertFact.counts_at``)."""
    return and_(
        issued_at < _years.c.ends_at,
        or_(revoked_at.is_(None), revoked_at >= _years.c.ends_at),
    )


def _fill_places(first: int, last: int) -> None:
    """Ask :func:`place` once per year and kind of snapshot found among the certificates."""
    has_group = _has_group(Certificate.holder_target_group)
    kinds = db.session.execute(
        select(
            func.coalesce(Certificate.holder_unit_id, 0),
            func.coalesce(Certificate.issuing_unit_id, 0),
            has_group,
        ).distinct()
    ).all()
    tree = TreeAtYearEnd()
    places: list[dict[str, Any]] = []
    chains: dict[str, list[int]] = {}
    for year in range(first, last + 1):
        for holder, issuing, grouped in kinds:
            placed = place(
                holder or None, "group" if grouped else None, issuing or None, tree, year
            )
            if placed is None:
                continue
            units, unassigned = placed
            chain = "/" + "/".join(str(u) for u in units) + "/"
            chains.setdefault(chain, units)
            places.append(
                {
                    "year": year,
                    "holder_key": holder,
                    "issuing_key": issuing,
                    "has_group": bool(grouped),
                    "unit_id": units[-1],
                    "unassigned": unassigned,
                    "chain": chain,
                }
            )
    if places:
        db.session.execute(insert(_places), places)
    rows = [{"chain": c, "unit_id": u} for c, units in chains.items() for u in units]
    if rows:
        db.session.execute(insert(_chains), rows)


def _fill_facts(dialect: str, first: int, last: int) -> None:
    """A row per certificate and code, with its local day and the person's first year."""
    if dialect == "postgresql":
        array = case(
            (func.jsonb_typeof(Certificate.indicators) == "array", Certificate.indicators),
            else_=text("'[]'::jsonb"),
        )
        codes = func.jsonb_array_elements_text(array).table_valued("value")
    else:
        codes = func.json_each(Certificate.indicators).table_valued("value")
    day = periods.local_day_of_years(Certificate.issued_at, first, last, dialect)
    keys = _place_key(
        Certificate.holder_unit_id,
        Certificate.issuing_unit_id,
        _has_group(Certificate.holder_target_group),
    )
    expanded = (
        select(
            Certificate.id,
            Certificate.user_id,
            codes.c.value.label("code"),
            Certificate.year,
            Certificate.issued_at,
            Certificate.revoked_at,
            day.label("day"),
            *(value.label(name) for name, value in keys.items()),
            cast(Certificate.holder_target_group, SqlString).label("target_group"),
        )
        .select_from(Certificate)
        .join(codes, true())
        .where(codes.c.value.is_not(None))
        .subquery()
    )
    first_year = func.first_value(expanded.c.year).over(
        partition_by=(expanded.c.user_id, expanded.c.code),
        order_by=(expanded.c.day, expanded.c.id),
    )
    columns = [c.name for c in _facts.c if c.name != "first_year"]
    db.session.execute(
        insert(_facts).from_select(
            [*columns, "first_year"],
            select(*(expanded.c[name] for name in columns), first_year),
        )
    )


def _insert_holdings(*, in_year: bool, latest: Any = None, this_year: int = 0) -> int:
    """One holding per person, code and year: the earliest certificate counting at its end.

    ``latest`` (user_id, last): each person's latest certificate year, when some are later
    than ``this_year``; a person counts up to the later of the two, as ``refresh_person``.
    """
    f = _facts.c
    year = _years.c.year
    if in_year:
        span = and_(year == f.year, year >= f.first_year)
    else:
        span = and_(year >= f.year, year >= f.first_year)
    ranked = (
        select(
            f.id,
            f.user_id,
            f.code,
            f.holder_key,
            f.issuing_key,
            f.has_group,
            f.target_group,
            year.label("holding_year"),
            func.row_number()
            .over(partition_by=(f.user_id, f.code, year), order_by=(f.day, f.id))
            .label("rank"),
        )
        .select_from(_facts)
        .join(_years, span)
        .where(_counts_at_end(f.issued_at, f.revoked_at))
    )
    if latest is not None and not in_year:
        last = case((latest.c.last > this_year, latest.c.last), else_=this_year)
        ranked = ranked.join(latest, and_(latest.c.user_id == f.user_id, year <= last))
    w = ranked.subquery()
    keys = {"holder_key": w.c.holder_key, "issuing_key": w.c.issuing_key}
    chosen = (
        select(
            w.c.code,
            w.c.holding_year,
            literal(in_year),
            w.c.user_id,
            _places.c.unit_id,
            _places.c.unassigned,
            func.nullif(w.c.target_group, ""),
            w.c.id,
            _places.c.chain,
        )
        .select_from(w)
        .join(_places, _joins_place({**keys, "has_group": w.c.has_group}, w.c.holding_year))
        .where(w.c.rank == 1)
    )
    result = db.session.execute(
        insert(StatHolding).from_select(
            [
                "code",
                "year",
                "in_year",
                "user_id",
                "unit_id",
                "unassigned",
                "target_group",
                "certificate_id",
                "chain",
            ],
            chosen,
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _insert_rollups() -> int:
    """A holding counts on every unit of its chain: group the holdings by chain, then spread."""
    h = StatHolding.__table__.c
    group = func.coalesce(h.target_group, "")
    by_chain = (
        select(
            h.code,
            h.year,
            h.in_year,
            h.chain,
            group.label("target_group"),
            h.unassigned,
            func.count().label("n"),
        )
        .group_by(h.code, h.year, h.in_year, h.chain, group, h.unassigned)
        .subquery()
    )
    spread = (
        select(
            by_chain.c.code,
            by_chain.c.year,
            by_chain.c.in_year,
            _chains.c.unit_id,
            by_chain.c.target_group,
            by_chain.c.unassigned,
            func.sum(by_chain.c.n),
        )
        .select_from(by_chain)
        .join(_chains, _chains.c.chain == by_chain.c.chain)
        .group_by(
            by_chain.c.code,
            by_chain.c.year,
            by_chain.c.in_year,
            _chains.c.unit_id,
            by_chain.c.target_group,
            by_chain.c.unassigned,
        )
    )
    result = db.session.execute(
        insert(StatRollup).from_select(
            ["code", "year", "in_year", "unit_id", "target_group", "unassigned", "count"], spread
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _insert_cert_counts(first: int, last: int) -> int:
    """Certificates still counting at the end of their year, on the unit :func:`place` gives,
    by local month of issue, course and target group (``""`` for the unassigned)."""
    c = Certificate
    # Issued on the edges of the years (a certificate of a year issued on 1 January after,
    # local time) still has its own local month.
    month = periods.month_of_years(c.issued_at, first - 1, last + 1)
    keys = _place_key(c.holder_unit_id, c.issuing_unit_id, _has_group(c.holder_target_group))
    group = case(
        (_places.c.unassigned, ""),
        else_=func.coalesce(cast(c.holder_target_group, SqlString), ""),
    )
    base = (
        select(
            _places.c.unit_id,
            c.year,
            month.label("month"),
            c.course_id,
            group.label("target_group"),
            func.count().label("n"),
        )
        .select_from(c)
        .join(_years, _years.c.year == c.year)
        .join(_places, _joins_place(keys, c.year))
        .where(or_(c.revoked_at.is_(None), c.revoked_at >= _years.c.ends_at))
        .group_by(_places.c.unit_id, c.year, month, c.course_id, group)
        .subquery()
    )
    total = 0
    for dim, key in (
        ("month", func.substr(cast(100 + base.c.month, SqlString), 2, 2)),
        ("course", cast(base.c.course_id, SqlString)),
        ("group", base.c.target_group),
    ):
        rows = select(base.c.unit_id, base.c.year, literal(dim), key, func.sum(base.c.n)).group_by(
            base.c.unit_id, base.c.year, key
        )
        result = db.session.execute(
            insert(StatCertCount).from_select(["unit_id", "year", "dim", "key", "count"], rows)
        )
        total += int(getattr(result, "rowcount", 0) or 0)
    return total


def rebuild() -> dict[str, int]:
    """Recompute every holding, rollup and certificate counter from the certificates.

    In the caller's transaction (committed by the caller), under the aggregates' lock.
    """
    lock_name(LOCK)
    db.session.execute(delete(StatRollup))
    db.session.execute(delete(StatHolding))
    db.session.execute(delete(StatCertCount))
    span = db.session.execute(
        select(func.min(Certificate.year), func.max(Certificate.year), func.count())
    ).one()
    if not span[2]:
        return {"people": 0, "holdings": 0, "rollups": 0, "certificate_counts": 0}
    first, newest = int(span[0]), int(span[1])
    this_year = periods.current_year()
    last = max(this_year, newest)
    connection = db.session.connection()
    dialect = connection.dialect.name
    if dialect == "postgresql":
        # The sorts of a rebuild are big and few: let them stay in memory.
        db.session.execute(text("SET LOCAL work_mem = '256MB'"))
    for table in _work.sorted_tables:
        table.drop(connection, checkfirst=True)
        table.create(connection)
    try:
        db.session.execute(
            insert(_years),
            [{"year": y, "ends_at": periods.year_bounds(y)[1]} for y in range(first, last + 1)],
        )
        _fill_places(first, last)
        _fill_facts(dialect, first, last)
        if dialect == "postgresql":
            db.session.execute(text(f"ANALYZE {_facts.name}, {_places.name}, {_chains.name}"))
        latest = None
        if newest > this_year:
            latest = (
                select(Certificate.user_id, func.max(Certificate.year).label("last"))
                .group_by(Certificate.user_id)
                .subquery()
            )
        holdings = _insert_holdings(in_year=False, latest=latest, this_year=this_year)
        holdings += _insert_holdings(in_year=True)
        rollups = _insert_rollups()
        counts = _insert_cert_counts(first, last)
        people = int(db.session.scalar(select(func.count(Certificate.user_id.distinct()))) or 0)
    finally:
        for table in reversed(_work.sorted_tables):
            table.drop(connection, checkfirst=True)
    logger.info(
        "Rebuilt statistics: %s people, %s holdings, %s rollups, %s certificate counters",
        people,
        holdings,
        rollups,
        counts,
    )
    return {
        "people": people,
        "holdings": holdings,
        "rollups": rollups,
        "certificate_counts": counts,
    }


def ensure_year(year: int) -> None:
    """Give a new year its cumulative figures (carried over) the first time it is asked for."""
    has_rows = db.session.scalar(select(StatRollup.id).where(StatRollup.year == year).limit(1))
    if has_rows is not None:
        return
    older = db.session.scalar(select(StatRollup.id).where(StatRollup.year < year).limit(1))
    if older is None or year > periods.current_year() + 1:
        return
    rebuild()
