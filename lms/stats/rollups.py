"""Keep the indicator aggregates up to date as certificates come and go.

Stats reads every domain and writes only its own tables. The aggregates move when a
certificate is issued or revoked, or a unit moves (``lms.events``; the receivers at the end of
this module are listed in ``lms.RECEIVERS``):

* ``StatHolding``: a person counted for a qualifying code in a year. The earliest certificate
  that counts at the end of that year decides the unit and target group (its snapshot), so
  a person is counted once however many certificates they hold.
* ``StatRollup``: per (code, year, unit, target group) the number of holdings in the unit's
  subtree **as the tree was at the end of that year**: +1 on the holder's unit and every
  ancestor. A figure is then one indexed lookup.
* ``StatCertCount``: certificates per unit and year, by month, course and target group.

Where and when each certificate counts is decided by :func:`place` and :mod:`lms.periods`
(the README's "How the figures are counted"); completions follow the same rule in
:mod:`lms.stats.queries`, and :mod:`lms.stats.rebuild` recomputes everything by it at once.
Every update here holds :data:`LOCK` shared, a rebuild holds it exclusively.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from lms import periods
from lms.bulk_insert import insert_rows
from lms.certificates.models import Certificate
from lms.extensions import db
from lms.locks import lock_name
from lms.org.models import Unit, UnitKind, UnitPlacement
from lms.stats.models import StatCertCount, StatHolding, StatRollup

logger = logging.getLogger(__name__)

#: Held shared by every incremental update of the aggregates, exclusively by a rebuild: an
#: update waits for a running rebuild and then moves the rebuilt rows, never lost under it.
LOCK = "stats:aggregates"


@dataclass(frozen=True, slots=True)
class CertFact:
    """The fields of a certificate that decide how it counts."""

    id: int
    user_id: int
    year: int
    issued_on: date
    revoked_on: date | None
    unit_id: int | None
    target_group: str | None
    issuing_unit_id: int | None
    codes: tuple[str, ...]

    def counts_at(self, day: date) -> bool:
        return self.issued_on <= day and (self.revoked_on is None or self.revoked_on > day)


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a holding is counted: the unit, and whether the person was unassigned."""

    unit_id: int
    unassigned: bool
    target_group: str
    certificate_id: int
    #: The units the holding is counted on (the unit and its ancestors that year), as a path.
    chain: str = ""


def current_year() -> int:
    return periods.current_year()


def _day(value: datetime | date | None) -> date | None:
    """The local day of a stored UTC instant (a revocation at 00:30 on 1 January in Vietnam
    is on 1 January, not on 31 December)."""
    if value is None:
        return None
    return periods.local_day(value) if isinstance(value, datetime) else value


def _cert_facts(where: Any = None) -> Iterator[CertFact]:
    stmt = select(
        Certificate.id,
        Certificate.user_id,
        Certificate.year,
        Certificate.issued_at,
        Certificate.revoked_at,
        Certificate.holder_unit_id,
        Certificate.holder_target_group,
        Certificate.issuing_unit_id,
        Certificate.indicators,
    ).order_by(Certificate.user_id, Certificate.issued_at, Certificate.id)
    if where is not None:
        stmt = stmt.where(where)
    for row in db.session.execute(stmt.execution_options(yield_per=5000)):
        tg = row.holder_target_group
        yield CertFact(
            id=row.id,
            user_id=row.user_id,
            year=row.year,
            issued_on=_day(row.issued_at),  # type: ignore[arg-type]
            revoked_on=_day(row.revoked_at),
            unit_id=row.holder_unit_id,
            target_group=str(tg) if tg else None,
            issuing_unit_id=row.issuing_unit_id,
            codes=tuple(row.indicators or ()),
        )


class TreeAtYearEnd:
    """Unit paths as they were on 31 December of a year (the current tree for this year on)."""

    def __init__(self) -> None:
        self._paths: dict[int, dict[int, str]] = {}
        self._kinds: dict[int, str] | None = None
        self._placed: set[int] | None = None

    def paths(self, year: int) -> dict[int, str]:
        if year not in self._paths:
            current = dict(db.session.execute(select(Unit.id, Unit.path)).all())
            if year >= current_year():
                self._paths[year] = current
            else:
                end = date(year, 12, 31)
                rows = db.session.execute(
                    select(UnitPlacement.unit_id, UnitPlacement.path).where(
                        UnitPlacement.valid_from <= end,
                        (UnitPlacement.valid_to.is_(None)) | (UnitPlacement.valid_to >= end),
                    )
                )
                # Units without history keep their current place; a unit with history but
                # no place that day (not yet created, like a ward of 2025 in 2024) has none.
                if self._placed is None:
                    self._placed = set(db.session.scalars(select(UnitPlacement.unit_id).distinct()))
                historic = {u: p for u, p in current.items() if u not in self._placed}
                historic.update(dict(rows.all()))
                self._paths[year] = historic
        return self._paths[year]

    def chain(self, unit_id: int, year: int) -> list[int]:
        path = self.paths(year).get(unit_id)
        if not path:
            return [unit_id]
        return [int(part) for part in path.strip("/").split("/") if part]

    def province_chain(self, unit_id: int, year: int) -> list[int]:
        """The chain of the province ``unit_id`` lay in that year, down to the province.

        The first unit of kind ``province`` from the root down (the root when there is none).
        """
        if self._kinds is None:
            self._kinds = dict(db.session.execute(select(Unit.id, Unit.kind)).all())
        chain = self.chain(unit_id, year)
        for i, unit in enumerate(chain):
            if self._kinds.get(unit) == UnitKind.province:
                return chain[: i + 1]
        return chain[:1]


def place(
    unit_id: int | None,
    target_group: str | None,
    issuing_unit_id: int | None,
    tree: TreeAtYearEnd,
    year: int,
) -> tuple[list[int], bool] | None:
    """The rule of where an event (a certificate, a completion) is counted in ``year``.

    With the person's unit and target group at the time: on that unit and every unit above
    it, as the tree stood at the end of the year. Without either (**unassigned**): on the
    province of the issuing unit (or of the person's unit) and above it, never below.
    None when nothing places it (no unit of any kind).
    """
    if unit_id is not None and target_group:
        return tree.chain(unit_id, year), False
    anchor = issuing_unit_id if issuing_unit_id is not None else unit_id
    if anchor is None:
        return None
    return tree.province_chain(anchor, year), True


def _placement(cert: CertFact, tree: TreeAtYearEnd, year: int) -> Placement | None:
    placed = place(cert.unit_id, cert.target_group, cert.issuing_unit_id, tree, year)
    if placed is None:
        return None
    chain, unassigned = placed
    return Placement(
        unit_id=chain[-1],
        unassigned=unassigned,
        target_group=cert.target_group or "",
        certificate_id=cert.id,
        chain="/" + "/".join(str(u) for u in chain) + "/",
    )


def desired_holdings(
    certs: list[CertFact], code: str, tree: TreeAtYearEnd, *, last_year: int
) -> dict[tuple[int, bool], Placement]:
    """Where one person counts for ``code``, per (year, in_year), from their certificates:
    up to ``last_year``, or to the year of their latest certificate for ``code`` if later."""
    relevant = sorted((c for c in certs if code in c.codes), key=lambda c: (c.issued_on, c.id))
    if not relevant:
        return {}
    out: dict[tuple[int, bool], Placement] = {}
    for year in range(relevant[0].year, max(last_year, *(c.year for c in relevant)) + 1):
        end = date(year, 12, 31)
        for in_year in (False, True):
            for cert in relevant:
                if in_year and cert.year != year:
                    continue
                if not in_year and cert.year > year:
                    continue
                if cert.counts_at(end):
                    placement = _placement(cert, tree, year)
                    if placement is not None:
                        out[(year, in_year)] = placement
                    break
    return out


def _upsert_rollups(deltas: dict[tuple[str, int, bool, int, str, bool], int]) -> None:
    """Add ``deltas`` to the rollup counters with one upsert statement per chunk."""
    rows = [
        {
            "code": code,
            "year": year,
            "in_year": in_year,
            "unit_id": unit_id,
            "target_group": tg,
            "unassigned": unassigned,
            "count": delta,
        }
        # In key order: two writers at once lock the rows in the same order (no deadlock).
        for (code, year, in_year, unit_id, tg, unassigned), delta in sorted(deltas.items())
        if delta
    ]
    if not rows:
        return
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(StatRollup)
    stmt = stmt.on_conflict_do_update(
        index_elements=["code", "year", "in_year", "unit_id", "target_group", "unassigned"],
        set_={"count": StatRollup.count + stmt.excluded.count},
    )
    # One cached statement, sent as an executemany (batched "insertmanyvalues").
    db.session.execute(stmt, rows)


def _add(
    deltas: dict[tuple[str, int, bool, int, str, bool], int],
    code: str,
    year: int,
    in_year: bool,
    placement: Placement,
    sign: int,
) -> None:
    for unit_id in (int(part) for part in placement.chain.strip("/").split("/") if part):
        key = (code, year, in_year, unit_id, placement.target_group, placement.unassigned)
        deltas[key] += sign


def refresh_person(user_id: int, codes: Iterable[str] | None = None) -> None:
    """Recompute one person's holdings (for ``codes``, default all) and move the rollups.

    Called when one of their certificates is issued or revoked; cheap, because a person
    holds a handful of certificates.
    """
    refresh_people({user_id: codes})


def refresh_people(codes_by_user: dict[int, Iterable[str] | None]) -> None:
    """:func:`refresh_person` for many people with the round trips paid once: their
    certificates and holdings read in one query each, the rollups moved by one upsert."""
    if not codes_by_user:
        return
    lock_name(LOCK, shared=True)  # a rebuild running meanwhile would lose these moves
    ids = sorted(codes_by_user)
    certs_by_user: dict[int, list[CertFact]] = defaultdict(list)
    existing_by_user: dict[int, dict[tuple[str, int, bool], StatHolding]] = defaultdict(dict)
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        for fact in _cert_facts(Certificate.user_id.in_(chunk)):
            certs_by_user[fact.user_id].append(fact)
        for h in db.session.scalars(select(StatHolding).where(StatHolding.user_id.in_(chunk))):
            existing_by_user[h.user_id][(h.code, h.year, h.in_year)] = h
    tree = TreeAtYearEnd()
    deltas: dict[tuple[str, int, bool, int, str, bool], int] = defaultdict(int)
    new_rows: list[dict[str, Any]] = []
    for user_id in ids:
        _refresh_holdings(
            user_id,
            certs_by_user[user_id],
            existing_by_user[user_id],
            codes_by_user[user_id],
            tree,
            deltas,
            new_rows,
        )
    db.session.flush()
    if new_rows:
        # One plain INSERT (after the flush: a key deleted above is free again). Nothing
        # reads the new holdings back as objects, and the ORM's flush of them took about
        # half of this function in a profile of the bridge's batch.
        insert_rows(StatHolding.__table__, new_rows)
    _upsert_rollups(deltas)


def _refresh_holdings(
    user_id: int,
    certs: list[CertFact],
    existing: dict[tuple[str, int, bool], StatHolding],
    codes: Iterable[str] | None,
    tree: TreeAtYearEnd,
    deltas: dict[tuple[str, int, bool, int, str, bool], int],
    new_rows: list[dict[str, Any]],
) -> None:
    """Move ``user_id``'s holdings to what their certificates give; the rows to add are
    appended to ``new_rows`` (inserted by the caller)."""
    wanted_codes = set(codes) if codes is not None else set()
    if codes is None:
        wanted_codes = {code for c in certs for code in c.codes} | {k[0] for k in existing}
    last_year = current_year()  # a later certificate's years: desired_holdings
    for code in wanted_codes:
        desired = desired_holdings(certs, code, tree, last_year=last_year)
        old_keys = {(y, i) for (c, y, i) in existing if c == code}
        for year, in_year in old_keys | set(desired):
            row = existing.get((code, year, in_year))
            new = desired.get((year, in_year))
            old = (
                Placement(
                    row.unit_id,
                    row.unassigned,
                    row.target_group or "",
                    row.certificate_id,
                    row.chain,
                )
                if row is not None
                else None
            )
            if old == new:
                continue
            if old is not None:
                _add(deltas, code, year, in_year, old, -1)
            if new is None:
                db.session.delete(row)
                continue
            _add(deltas, code, year, in_year, new, +1)
            if row is None:
                new_rows.append(
                    {
                        "code": code,
                        "year": year,
                        "in_year": in_year,
                        "user_id": user_id,
                        "unit_id": new.unit_id,
                        "unassigned": new.unassigned,
                        "target_group": new.target_group or None,
                        "certificate_id": new.certificate_id,
                        "chain": new.chain,
                    }
                )
            else:
                row.unit_id = new.unit_id
                row.unassigned = new.unassigned
                row.target_group = new.target_group or None
                row.certificate_id = new.certificate_id
                row.chain = new.chain


def _counts_in_issue_year(certificate: Any) -> bool:
    """Whether a certificate still counts on the last day of its year (local days)."""
    revoked = _day(certificate.revoked_at)
    return revoked is None or revoked > date(certificate.year, 12, 31)


def _cert_count_rows(
    certificate: Any, sign: int, tree: TreeAtYearEnd | None = None
) -> list[dict[str, Any]]:
    """The counter rows of one certificate: on the unit :func:`place` gives it, in the local
    month of its issue, by course and by target group (``""`` for the unassigned)."""
    group = str(certificate.holder_target_group) if certificate.holder_target_group else None
    if certificate.holder_unit_id is not None and group:
        chain, unassigned = [certificate.holder_unit_id], False  # place() without the tree
    else:
        placed = place(
            certificate.holder_unit_id,
            group,
            certificate.issuing_unit_id,
            tree or TreeAtYearEnd(),
            certificate.year,
        )
        if placed is None:
            return []
        chain, unassigned = placed
    keys = (
        ("month", f"{periods.local_month(certificate.issued_at):02d}"),
        ("course", str(certificate.course_id)),
        ("group", "" if unassigned else (group or "")),
    )
    return [
        {"unit_id": chain[-1], "year": certificate.year, "dim": dim, "key": key, "count": sign}
        for dim, key in keys
    ]


def _upsert_cert_counts(rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    lock_name(LOCK, shared=True)
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(StatCertCount)
    stmt = stmt.on_conflict_do_update(
        index_elements=["unit_id", "year", "dim", "key"],
        set_={"count": StatCertCount.count + stmt.excluded.count},
    )
    db.session.execute(stmt, rows)


def on_certificate_issued(certificate: Any, **_: Any) -> None:
    """Receiver of ``certificate_issued``: count the person and the certificate."""
    refresh_person(certificate.user_id, certificate.indicators or ())
    if _counts_in_issue_year(certificate):
        _upsert_cert_counts(_cert_count_rows(certificate, +1))


def on_certificates_issued(sender: Any = None, **kwargs: Any) -> None:
    """Receiver of ``certificates_issued``: :func:`on_certificate_issued` for a batch, with
    the people refreshed together and the certificate counters moved by one upsert."""
    certificates = list(kwargs.get("certificates") or ())
    codes: dict[int, set[str]] = defaultdict(set)
    for certificate in certificates:
        codes[certificate.user_id].update(certificate.indicators or ())
    refresh_people(dict(codes))
    rows: dict[tuple[int, int, str, str], int] = defaultdict(int)
    tree = TreeAtYearEnd()
    for certificate in certificates:
        if _counts_in_issue_year(certificate):
            for row in _cert_count_rows(certificate, +1, tree):
                rows[(row["unit_id"], row["year"], row["dim"], row["key"])] += 1
    _upsert_cert_counts(
        [
            {"unit_id": u, "year": y, "dim": d, "key": k, "count": n}
            for (u, y, d, k), n in sorted(rows.items())
        ]
    )


def on_certificate_revoked(certificate: Any, **_: Any) -> None:
    """Receiver of ``certificate_revoked``: revoked within its year, it no longer counts."""
    refresh_person(certificate.user_id, certificate.indicators or ())
    if not _counts_in_issue_year(certificate):
        _upsert_cert_counts(_cert_count_rows(certificate, -1))


def on_unit_moved(unit: Unit, **_: Any) -> None:
    """Receiver of ``unit_moved``: recount the people counted anywhere in the moved subtree.

    Each holding keeps the chain of units it was counted on, so a recount takes the person
    off the old chain and onto the new one; past years keep the tree as it was. The
    certificates of the unassigned, counted on a province, are recounted where they count.
    """
    users = db.session.scalars(
        select(StatHolding.user_id)
        .join(Unit, Unit.id == StatHolding.unit_id)
        .where(Unit.path.like(f"{unit.path}%"))
        .distinct()
    ).all()
    for user_id in users:
        refresh_person(user_id)
    from lms.stats.rebuild import recount_unassigned_certificates  # it builds on this module

    recount_unassigned_certificates()
