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
import time
from collections.abc import Iterator
from contextlib import contextmanager
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
    extract,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    true,
)
from sqlalchemy import String as SqlString
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import DBAPIError

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
    Column("year", Integer, primary_key=True, autoincrement=False),
    #: The UTC instant the local year ends at (exclusive): a certificate issued before it and
    #: not revoked before it counts at the end of the year.
    Column("ends_at", UTCDateTime),
    prefixes=["TEMPORARY"],
)
_places = Table(
    "stat_rebuild_places",
    _work,
    Column("id", Integer),
    Column("year", Integer),
    # A snapshot's kind: units as ids, 0 for none.
    Column("holder_key", Integer),
    Column("issuing_key", Integer),
    Column("has_group", Boolean),
    # Where place() counts it that year.
    Column("unit_id", Integer),
    Column("unassigned", Boolean),
    Column("chain", String(1000)),
    Column("chain_id", Integer),
    #: The year's end (as ``stat_rebuild_years``), for the joins that need no other column
    #: of it.
    Column("ends_at", UTCDateTime),
    prefixes=["TEMPORARY"],
)
#: The units of each chain (a holding counts on each).
_chains = Table(
    "stat_rebuild_chains",
    _work,
    Column("chain_id", Integer),
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
    #: The year of the person's earliest certificate for the code: they count from then on,
    Column("first_year", Integer),
    #: up to this year or the year of their latest certificate for the code if later.
    Column("last_year", Integer),
    prefixes=["TEMPORARY"],
)
#: The holdings, computed before the aggregates are emptied (readers keep the old figures
#: meanwhile), then copied in at once, with where they count (their place's columns). A
#: certificate chosen for a year is one row, with what it was chosen for: the cumulative
#: holding, the holding of the year, or both (then two holdings).
_holdings = Table(
    "stat_rebuild_holdings",
    _work,
    Column("code", String(50)),
    Column("year", Integer),
    Column("user_id", Integer),
    Column("unit_id", Integer),
    Column("unassigned", Boolean),
    Column("target_group", String(30)),
    Column("certificate_id", Integer),
    Column("chain", String(1000)),
    Column("chain_id", Integer),
    Column("cumulative", Boolean),
    Column("in_year", Boolean),
    prefixes=["TEMPORARY"],
)
#: The two values of ``in_year``: a working holding becomes a holding, a count of both
#: periods a rollup, for each.
_periods = Table(
    "stat_rebuild_periods",
    _work,
    Column("in_year", Boolean),
    prefixes=["TEMPORARY"],
)
#: The rollups, counted before the aggregates are emptied.
_rollups = Table(
    "stat_rebuild_rollups",
    _work,
    *(Column(c.name, c.type) for c in StatRollup.__table__.c if c.name != "id"),
    prefixes=["TEMPORARY"],
)
#: Certificates still counting at the end of their year, per unit, year, month, course and
#: target group: the three kinds of certificate counters are sums of it.
_certs = Table(
    "stat_rebuild_certs",
    _work,
    Column("unit_id", Integer),
    Column("year", Integer),
    Column("month", Integer),
    Column("course_id", Integer),
    Column("target_group", String(30)),
    Column("n", Integer),
    prefixes=["TEMPORARY"],
)


@contextmanager
def _step(name: str) -> Iterator[None]:
    """Log how long one step of a rebuild took (``lms.stats.rebuild`` at DEBUG): where the
    time of a slow rebuild goes, without a profiler."""
    started = time.perf_counter()
    yield
    logger.debug("rebuild step %s: %.2f s", name, time.perf_counter() - started)


def _inserted(statement: Any) -> int:
    """Run an ``INSERT ... SELECT``; the rows it wrote (no count of the table afterwards)."""
    result = db.session.execute(statement.execution_options(preserve_rowcount=True))
    return int(result.rowcount) if isinstance(result, CursorResult) else 0


@contextmanager
def _without_index_scans(dialect: str) -> Iterator[None]:
    """Read every certificate in the table's order, not the person index's.

    The planner reads them by ``ix_certificates_user_id`` to save the sort by person: a
    million lookups in the table's pages in random order (2 to 2.2 s with them in memory,
    4.5 s once when the cache held other things; more from a disk), where reading the table
    through and sorting in memory took 1.7 s.
    """
    if dialect != "postgresql":
        yield
        return
    was = db.session.scalar(text("SELECT current_setting('enable_indexscan')"))
    db.session.execute(text("SET LOCAL enable_indexscan = off"))
    yield
    db.session.execute(text("SELECT set_config('enable_indexscan', :was, true)"), {"was": was})


def _load(table: Table, rows: list[dict[str, Any]]) -> None:
    """Rows computed in Python into a working table: on PostgreSQL by ``COPY`` (the
    driver's executemany sends a statement a row: 0.9 s for the 38,000 rows of places and
    chains at 1,000,000 certificates)."""
    if not rows:
        return
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        db.session.execute(insert(table), rows)
        return
    columns = [c.name for c in table.c]
    driver = connection.connection.driver_connection
    sql = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    with driver.cursor() as cursor, cursor.copy(sql) as copy:  # type: ignore[union-attr]
        for row in rows:
            copy.write_row([row[name] for name in columns])


def _bytewise(column: Any) -> Any:
    """``column`` compared byte by byte in sorts and groupings on PostgreSQL (a few times
    faster than by the database's collation; only equality matters here)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column.collate("C")
    return column


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


def _fill_places(first: int, last: int, where: Any = None) -> None:
    """Ask :func:`place` once per year and kind of snapshot found among the certificates
    (those ``where`` selects)."""
    has_group = _has_group(Certificate.holder_target_group)
    kinds_found = select(
        func.coalesce(Certificate.holder_unit_id, 0),
        func.coalesce(Certificate.issuing_unit_id, 0),
        has_group,
    ).distinct()
    if where is not None:
        kinds_found = kinds_found.where(where)
    kinds = db.session.execute(kinds_found).all()
    tree = TreeAtYearEnd()
    places: list[dict[str, Any]] = []
    chains: dict[str, tuple[int, list[int]]] = {}
    for year in range(first, last + 1):
        ends_at = periods.year_bounds(year)[1]
        for holder, issuing, grouped in kinds:
            placed = place(
                holder or None, "group" if grouped else None, issuing or None, tree, year
            )
            if placed is None:
                continue
            units, unassigned = placed
            chain = "/" + "/".join(str(u) for u in units) + "/"
            chain_id = chains.setdefault(chain, (len(chains) + 1, units))[0]
            places.append(
                {
                    "id": len(places) + 1,
                    "year": year,
                    "holder_key": holder,
                    "issuing_key": issuing,
                    "has_group": bool(grouped),
                    "unit_id": units[-1],
                    "unassigned": unassigned,
                    "chain": chain,
                    "chain_id": chain_id,
                    "ends_at": ends_at,
                }
            )
    _load(_places, places)
    _load(_chains, [{"chain_id": i, "unit_id": u} for i, units in chains.values() for u in units])


def _codes(dialect: str) -> Any:
    """The codes a certificate counts toward, as a table joined to it (JSON null skipped by
    the caller)."""
    if dialect == "postgresql":
        array = case(
            (func.jsonb_typeof(Certificate.indicators) == "array", Certificate.indicators),
            else_=text("'[]'::jsonb"),
        )
        return func.jsonb_array_elements_text(array).table_valued("value")
    return func.json_each(Certificate.indicators).table_valued("value")


def _fill_facts(dialect: str, first: int, last: int, this_year: int) -> None:
    """A row per certificate and code, with its local day and the person's first year."""
    codes = _codes(dialect)
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
    # One window (one pass over one sort) for both: the whole partition as the frame.
    window: dict[str, Any] = {
        "partition_by": (expanded.c.user_id, _bytewise(expanded.c.code)),
        "order_by": (expanded.c.day, expanded.c.id),
        "rows": (None, None),
    }
    first_year = func.first_value(expanded.c.year).over(**window)
    latest = func.max(expanded.c.year).over(**window)
    last_year = case((latest > this_year, latest), else_=this_year)
    columns = [c.name for c in _facts.c if c.name not in ("first_year", "last_year")]
    db.session.execute(
        insert(_facts).from_select(
            [*columns, "first_year", "last_year"],
            select(*(expanded.c[name] for name in columns), first_year, last_year),
        )
    )


def _fill_holdings() -> None:
    """One holding per person, code and year: the earliest certificate counting at its end;
    for the holdings of a year (``in_year``), the earliest of those issued that year.

    Both from one pass: a person's certificates for a code in each year they count, in
    order (local day, then id); the first row is the cumulative holding, the first of the
    year's own certificates (counted as the rows go by) the holding of the year. That is the
    year's own certificates ranked among themselves, as they were in a pass of their own.
    """
    f = _facts.c
    year = _years.c.year
    # Counted from the person's first year for the code up to their last (see _facts); a
    # certificate counts from its year on, and the year's own are a part of these rows.
    span = and_(year >= f.year, year >= f.first_year, year <= f.last_year)
    own = case((f.year == year, 1), else_=0)
    window: dict[str, Any] = {
        "partition_by": (f.user_id, _bytewise(f.code), year),
        "order_by": (f.day, f.id),
        "rows": (None, 0),
    }
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
            (f.year == year).label("own"),
            func.row_number().over(**window).label("rank"),
            func.sum(own).over(**window).label("own_rank"),
        )
        .select_from(_facts)
        .join(_years, span)
        .where(_counts_at_end(f.issued_at, f.revoked_at))
    )
    w = ranked.subquery()
    keys = {"holder_key": w.c.holder_key, "issuing_key": w.c.issuing_key}
    in_year = and_(w.c.own, w.c.own_rank == 1)
    chosen = (
        select(
            w.c.code,
            w.c.holding_year,
            w.c.user_id,
            _places.c.unit_id,
            _places.c.unassigned,
            func.nullif(w.c.target_group, ""),
            w.c.id,
            _places.c.chain,
            _places.c.chain_id,
            w.c.rank == 1,
            in_year,
        )
        .select_from(w)
        .join(_places, _joins_place({**keys, "has_group": w.c.has_group}, w.c.holding_year))
        .where(or_(w.c.rank == 1, in_year))
    )
    db.session.execute(insert(_holdings).from_select([c.name for c in _holdings.c], chosen))


def _copy_holdings() -> int:
    """A holding for each period a working holding was chosen for, both of a row together:
    the rows come out in the order of the holdings' unique key (person, code, year, period),
    which makes that key quicker to build (3.0 to 3.2 s for the keys and indexes against
    3.4 s with the periods in two passes)."""
    h = _holdings.c
    columns = ["code", "year", "in_year", "user_id", "unit_id", "unassigned", "target_group"]
    chosen = or_(and_(_periods.c.in_year, h.in_year), and_(~_periods.c.in_year, h.cumulative))
    rows = (
        select(
            h.code,
            h.year,
            _periods.c.in_year,
            h.user_id,
            h.unit_id,
            h.unassigned,
            h.target_group,
            h.certificate_id,
            h.chain,
        )
        .select_from(_holdings)
        .join(_periods, chosen)
    )
    return _inserted(insert(StatHolding).from_select([*columns, "certificate_id", "chain"], rows))


def _insert_rollups() -> None:
    """A holding counts on every unit of its chain: count the holdings per chain (both
    periods in one grouping), spread them on the chains' units, one row per period counted."""
    h = _holdings.c
    group = _bytewise(func.coalesce(h.target_group, ""))
    code = _bytewise(h.code)
    per_chain = (
        select(
            code.label("code"),
            h.year,
            h.chain_id,
            h.unassigned,
            group.label("target_group"),
            func.count().filter(h.cumulative).label("cumulative"),
            func.count().filter(h.in_year).label("in_year"),
        )
        .group_by(code, h.year, h.chain_id, h.unassigned, group)
        .subquery()
    )
    p = per_chain.c
    code, group = _bytewise(p.code), _bytewise(p.target_group)
    spread = (
        select(
            code.label("code"),
            p.year,
            _chains.c.unit_id,
            group.label("target_group"),
            p.unassigned,
            func.sum(p.cumulative).label("cumulative"),
            func.sum(p.in_year).label("in_year"),
        )
        .select_from(per_chain)
        .join(_chains, _chains.c.chain_id == p.chain_id)
        .group_by(code, p.year, _chains.c.unit_id, group, p.unassigned)
        .subquery()
    )
    s = spread.c
    count = case((_periods.c.in_year, s.in_year), else_=s.cumulative)
    rows = (
        select(s.code, s.year, _periods.c.in_year, s.unit_id, s.target_group, s.unassigned, count)
        .select_from(spread)
        .join(_periods, true())
        .where(count > 0)
    )
    db.session.execute(
        insert(_rollups).from_select(
            ["code", "year", "in_year", "unit_id", "target_group", "unassigned", "count"], rows
        )
    )


def _fill_certs(first: int, last: int, units: list[int] | None = None) -> None:
    """Certificates still counting at the end of their year, on the unit :func:`place` gives,
    by local month of issue, course and target group (``""`` for the unassigned)."""
    c = Certificate
    # Issued on the edges of the years (a certificate of a year issued on 1 January after,
    # local time) still has its own local month: that of its local day.
    dialect = db.session.get_bind().dialect.name
    day = periods.local_day_of_years(c.issued_at, first - 1, last + 1, dialect)
    month = cast(extract("month", day), Integer)
    keys = _place_key(c.holder_unit_id, c.issuing_unit_id, _has_group(c.holder_target_group))
    group = case(
        (_places.c.unassigned, ""),
        else_=func.coalesce(cast(c.holder_target_group, SqlString), ""),
    )
    rows = (
        select(_places.c.unit_id, c.year, month, c.course_id, group, func.count())
        .select_from(c)
        .join(_places, _joins_place(keys, c.year))
        .where(or_(c.revoked_at.is_(None), c.revoked_at >= _places.c.ends_at))
        .group_by(_places.c.unit_id, c.year, month, c.course_id, group)
    )
    if units is not None:
        rows = rows.where(_places.c.unit_id.in_(units))
    db.session.execute(insert(_certs).from_select([col.name for col in _certs.c], rows))


def _insert_cert_counts() -> int:
    inserted = 0
    for dim, key in (
        ("month", func.substr(cast(100 + _certs.c.month, SqlString), 2, 2)),
        ("course", cast(_certs.c.course_id, SqlString)),
        ("group", _certs.c.target_group),
    ):
        rows = select(
            _certs.c.unit_id, _certs.c.year, literal(dim), key, func.sum(_certs.c.n)
        ).group_by(_certs.c.unit_id, _certs.c.year, key)
        inserted += _inserted(
            insert(StatCertCount).from_select(["unit_id", "year", "dim", "key", "count"], rows)
        )
    return inserted


_AGGREGATES = (StatHolding.__table__, StatRollup.__table__, StatCertCount.__table__)


@contextmanager
def _indexes_rebuilt(dialect: str) -> Iterator[None]:
    """On PostgreSQL, empty the aggregates and build their indexes and keys after filling them.

    Millions of rows go in faster into tables without indexes, which are then built in one
    sort each (as ``pg_restore`` does); the definitions are read from the database, so what
    comes back is what was there. TRUNCATE holds readers of the aggregates from here to the
    commit. Foreign keys stay (dropping one would lock the users and units tables): where the
    database role may (a superuser), their per-row checks are skipped for the copy, as
    ``pg_restore --disable-triggers`` does; every row comes from certificates, units and
    users read in this transaction, and those are never deleted. SQLite: rows deleted,
    indexes kept.
    """
    if dialect != "postgresql":
        for table in _AGGREGATES:
            db.session.execute(delete(table))
        yield
        return
    tables = {"tables": [t.name for t in _AGGREGATES]}
    db.session.execute(text(f"TRUNCATE {', '.join(tables['tables'])}"))
    constraints = db.session.execute(
        text(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
            " FROM pg_constraint"
            " WHERE contype IN ('p', 'u') AND conrelid = ANY(CAST(:tables AS regclass[]))"
        ),
        tables,
    ).all()
    owned = {name for _, name, _ in constraints}
    found = db.session.execute(
        text(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i"
            " WHERE i.indrelid = ANY(CAST(:tables AS regclass[]))"
        ),
        tables,
    ).all()
    indexes = [(name, sql) for name, sql in found if name.split(".")[-1] not in owned]
    for table, name, _ in constraints:
        db.session.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
    for name, _ in indexes:
        db.session.execute(text(f"DROP INDEX {name}"))
    unchecked = False
    try:
        with db.session.begin_nested():
            db.session.execute(text("SET LOCAL session_replication_role = replica"))
        unchecked = True
    except DBAPIError:
        pass  # not a superuser: the keys check every row
    yield
    if unchecked:
        db.session.execute(text("SET LOCAL session_replication_role = origin"))
    with _step("indexes and keys"):
        for _, sql in indexes:
            db.session.execute(text(sql))
        for table, name, definition in constraints:
            db.session.execute(text(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))


def _drop_work_tables(connection: Any) -> None:
    """At the end of a run (a failed one leaves them to its rollback and the next run)."""
    for table in reversed(_work.sorted_tables):
        table.drop(connection, checkfirst=True)


def rebuild() -> dict[str, int]:
    """Recompute every holding, rollup and certificate counter from the certificates.

    In the caller's transaction (committed by the caller), under the aggregates' lock.
    """
    lock_name(LOCK)
    connection = db.session.connection()
    dialect = connection.dialect.name
    span = db.session.execute(
        select(func.min(Certificate.year), func.max(Certificate.year), func.count())
    ).one()
    if not span[2]:
        with _indexes_rebuilt(dialect):
            pass
        return {"people": 0, "holdings": 0, "rollups": 0, "certificate_counts": 0}
    first, newest = int(span[0]), int(span[1])
    this_year = periods.current_year()
    last = max(this_year, newest)
    if dialect == "postgresql":
        # A few big sorts: in memory; no JIT (it compiles longer than these plans run).
        db.session.execute(text("SET LOCAL work_mem = '512MB'"))
        db.session.execute(text("SET LOCAL jit = off"))
        db.session.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
        try:
            with db.session.begin_nested():  # refused once the session has used temp tables
                db.session.execute(text("SET LOCAL temp_buffers = '512MB'"))
        except DBAPIError:
            pass
    with _step("working tables"):
        for table in _work.sorted_tables:
            table.drop(connection, checkfirst=True)
            table.create(connection)
        db.session.execute(
            insert(_years),
            [{"year": y, "ends_at": periods.year_bounds(y)[1]} for y in range(first, last + 1)],
        )
        db.session.execute(insert(_periods), [{"in_year": False}, {"in_year": True}])
    with _step("places"):
        _fill_places(first, last)
    with _step("facts"), _without_index_scans(dialect):
        _fill_facts(dialect, first, last, this_year)
    with _step("analyze"):
        if dialect == "postgresql":
            db.session.execute(text(f"ANALYZE {_facts.name}, {_places.name}, {_chains.name}"))
    with _step("holdings"):
        _fill_holdings()
    with _step("certificates"):
        _fill_certs(first, last)
        if dialect == "postgresql":
            db.session.execute(text(f"ANALYZE {_holdings.name}, {_certs.name}"))
    with _step("people"):
        people = int(db.session.scalar(select(func.count(_facts.c.user_id.distinct()))) or 0)
    with _step("rollups"):
        _insert_rollups()
    with _indexes_rebuilt(dialect):
        with _step("copy holdings"):
            holdings = _copy_holdings()
        with _step("copy rollups"):
            columns = [c.name for c in _rollups.c]
            rollups = _inserted(insert(StatRollup).from_select(columns, select(_rollups)))
        with _step("certificate counters"):
            counts = _insert_cert_counts()
    _drop_work_tables(connection)
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


def _unassigned(c: type[Certificate] = Certificate) -> Any:
    """Certificates :func:`place` counts on a province: no unit or no target group."""
    return or_(c.holder_unit_id.is_(None), ~_has_group(c.holder_target_group))


def recount_unassigned_certificates() -> None:
    """Recount the certificate counters of the units the unassigned are counted on.

    Called when units moved: a certificate of someone without a unit or a target group
    counts on the province of the issuing unit as the tree stands at the end of its year,
    so a merger of provinces moves it; one with both counts on the holder's unit, which a
    move does not change. Those units are the ones with counters of the group ``""`` (only
    the unassigned have it) and the ones :func:`place` gives now: their counters are
    recounted from the certificates, all else is left alone.
    """
    lock_name(LOCK)
    span = db.session.execute(select(func.min(Certificate.year), func.max(Certificate.year))).one()
    if span[0] is None:
        return
    first, last = int(span[0]), int(span[1])
    connection = db.session.connection()
    for table in _work.sorted_tables:
        table.drop(connection, checkfirst=True)
        table.create(connection)
    db.session.execute(
        insert(_years),
        [{"year": y, "ends_at": periods.year_bounds(y)[1]} for y in range(first, last + 1)],
    )
    _fill_places(first, last, where=_unassigned())
    counted = select(StatCertCount.unit_id).where(
        StatCertCount.dim == "group", StatCertCount.key == ""
    )
    units = sorted(
        set(db.session.scalars(counted.distinct()))
        | set(db.session.scalars(select(_places.c.unit_id).distinct()))
    )
    if not units:
        _drop_work_tables(connection)
        return
    db.session.execute(delete(_places))
    db.session.execute(delete(_chains))
    _fill_places(first, last, where=or_(_unassigned(), Certificate.holder_unit_id.in_(units)))
    _fill_certs(first, last, units)
    db.session.execute(delete(StatCertCount).where(StatCertCount.unit_id.in_(units)))
    _insert_cert_counts()
    _drop_work_tables(connection)


def ensure_year(year: int) -> None:
    """Give a new year its cumulative figures (carried over) the first time it is asked for."""
    has_rows = db.session.scalar(select(StatRollup.id).where(StatRollup.year == year).limit(1))
    if has_rows is not None:
        return
    older = db.session.scalar(select(StatRollup.id).where(StatRollup.year < year).limit(1))
    if older is None or year > periods.current_year() + 1:
        return
    rebuild()
