"""The incremental counters and a rebuild give the same rows, on a varied history.

Each seed draws a history (certificates of people who move between units, of people without
a unit or a target group, issued and revoked at 00:30 on 1 January in Viet Nam and on other
edges of the years, several of a person on one day, over five years; a province merged into
another and a commune moved between districts halfway) and applies it through the events, as
the LMS does. Every holding, rollup and certificate counter is then compared with what
:func:`lms.stats.rebuild.rebuild` writes from the certificates alone; then more changes go
through the incremental path on top of the rebuilt rows, and a second rebuild must agree again.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from lms import periods
from lms.auth.models import User
from lms.catalog.models import Course
from lms.certificates.models import Certificate
from lms.extensions import db
from lms.locks import hold_write_lock
from lms.org import services as org
from lms.org.models import Unit, UnitKind
from lms.stats.models import StatCertCount, StatHolding, StatRollup
from lms.stats.rebuild import rebuild
from tests.factories import make_course, make_unit, make_user
from tests.races import PARALLEL, LiveApi, fire, fresh
from tests.stats.conftest import issue, revoke

THIS_YEAR = periods.current_year()
YEARS = list(range(THIS_YEAR - 4, THIS_YEAR + 1))
GROUPS = ["official", "citizen", "teacher", "dx_specialist", None]


def _state() -> dict[str, set[tuple[Any, ...]]]:
    """Every aggregate row (counters that went back to 0 are as good as absent)."""
    return {
        "holdings": {
            (
                h.code,
                h.year,
                h.in_year,
                h.user_id,
                h.unit_id,
                h.unassigned,
                h.target_group,
                h.certificate_id,
                h.chain,
            )
            for h in db.session.scalars(select(StatHolding))
        },
        "rollups": {
            (r.code, r.year, r.in_year, r.unit_id, r.target_group, r.unassigned, r.count)
            for r in db.session.scalars(select(StatRollup))
            if r.count
        },
        "certificates": {
            (c.unit_id, c.year, c.dim, c.key, c.count)
            for c in db.session.scalars(select(StatCertCount))
            if c.count
        },
    }


def _vn(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A Viet Nam wall-clock time as the UTC instant it is stored as."""
    return datetime(year, month, day, hour, minute, tzinfo=periods.zone()).astimezone(UTC)


def _moment(rng: random.Random, year: int) -> datetime:
    """An instant of local ``year``, often on an edge of it."""
    edge = rng.random()
    if edge < 0.2:
        return _vn(year, 1, 1, 0, 30)  # 17:30 on 31 December in UTC
    if edge < 0.3:
        return _vn(year, 12, 31, 23, 30)
    if edge < 0.4:
        return _vn(year, 1, 1, 6, 59)  # still 31 December in UTC
    start = _vn(year, 1, 1, 0)
    return start + timedelta(minutes=rng.randrange(365 * 24 * 60))


class History:
    """A tree with a merger and a move, people, courses, and a seeded stream of events."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        start = date(YEARS[0] - 1, 1, 1)
        self.P = org.create_unit(
            code="P", name="Tỉnh P", kind="province", valid_from=start, by=None
        )
        self.Q = org.create_unit(
            code="Q", name="Tỉnh Q", kind="province", valid_from=start, by=None
        )
        self.D1 = org.create_unit(
            code="P-D1", name="Huyện 1", kind="district", parent=self.P, by=None
        )
        self.D2 = org.create_unit(
            code="P-D2", name="Huyện 2", kind="district", parent=self.P, by=None
        )
        self.A = org.create_unit(code="P-A", name="Xã A", kind="commune", parent=self.D1, by=None)
        self.B = org.create_unit(code="P-B", name="Xã B", kind="commune", parent=self.D2, by=None)
        self.S = org.create_unit(
            code="P-S", name="Trường S", kind="school", parent=self.D1, by=None
        )
        self.C = org.create_unit(code="Q-C", name="Xã C", kind="commune", parent=self.Q, by=None)
        self.E = org.create_unit(code="Q-E", name="Xã E", kind="commune", parent=self.Q, by=None)
        self.places = [self.A, self.B, self.S, self.C, self.E, self.D1]
        self.courses = [
            make_course("cb", lessons=0, indicators=["officials_trained"]),
            make_course("atd", lessons=0, indicators=["officials_trained", "citizens_online"]),
            make_course("cv", lessons=0, indicators=["specialists_assessed"]),
            make_course("stem", lessons=0, indicators=["schools_stem"]),
            make_course("free", lessons=0, indicators=[]),
        ]
        self.people = [make_user(unit=self.rng.choice(self.places)) for _ in range(14)]
        self.certs: list[Certificate] = []

    def certificate(self, year: int) -> None:
        rng = self.rng
        person = rng.choice(self.people)
        unit = None if rng.random() < 0.15 else rng.choice(self.places)  # moved people too
        group = rng.choice(GROUPS)
        issuing = unit if unit is not None and rng.random() < 0.7 else rng.choice([self.P, self.Q])
        course = rng.choice(self.courses)
        at = _moment(rng, year)
        # Now and then the certificate's year is the UTC one (as imports made it).
        cert_year = at.year if rng.random() < 0.1 else None
        self.certs.append(
            issue(
                person, course, at, unit=unit, target_group=group, issuing=issuing, year=cert_year
            )
        )
        if rng.random() < 0.2:
            # a second one the same local day, issued earlier but numbered after
            earlier = at - timedelta(minutes=rng.randrange(1, 20))
            if periods.local_day(earlier) == periods.local_day(at):
                other = rng.choice(self.places)
                self.certs.append(
                    issue(
                        person, course, earlier, unit=other, target_group="official", issuing=other
                    )
                )

    def revocation(self) -> None:
        valid = [c for c in self.certs if c.revoked_at is None]
        if not valid:
            return
        cert = self.rng.choice(valid)
        local_year = periods.local_year(cert.issued_at)
        year = self.rng.choice([y for y in (*YEARS, THIS_YEAR) if y >= local_year])
        at = max(_moment(self.rng, year), cert.issued_at + timedelta(minutes=1))
        revoke(cert, at)

    def events(self, year: int, count: int) -> None:
        for _ in range(count):
            if self.rng.random() < 0.2:
                self.revocation()
            else:
                self.certificate(year)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_incremental_counters_equal_a_rebuild(db: Any, seed: int) -> None:
    history = History(seed)
    for year in YEARS[:3]:
        history.events(year, 12)
    # Q merges into P halfway through the year before last; a commune changes district.
    org.merge_unit(history.Q, history.P, on=date(YEARS[2], 7, 1), by=None)
    org.move_unit(history.B, history.D1, on=date(YEARS[3], 3, 1), by=None)
    for year in YEARS[2:]:
        history.events(year, 12)
    # one certificate of next year (its person counts up to then)
    nxt = _vn(THIS_YEAR + 1, 1, 1, 0, 30)
    issue(
        history.people[0],
        history.courses[0],
        nxt,
        unit=history.A,
        target_group="official",
        issuing=history.A,
    )
    db.session.flush()

    incremental = _state()
    assert all(incremental.values())
    result = rebuild()
    rebuilt = _state()
    for name in incremental:
        assert rebuilt[name] == incremental[name], name
    assert result["holdings"] == len(rebuilt["holdings"])
    assert result["rollups"] == len(rebuilt["rollups"])
    assert result["certificate_counts"] == len(rebuilt["certificates"])

    # incremental changes on top of the rebuilt rows, then a rebuild again
    history.events(THIS_YEAR, 10)
    history.events(YEARS[1], 4)
    moved = _state()
    rebuild()
    again = _state()
    for name in moved:
        assert again[name] == moved[name], name


def test_a_rebuild_picks_each_periods_holding_from_one_ranking(db: Any) -> None:
    """The holdings of both periods come from one ranked pass: the cumulative holding of a
    year is the person's earliest certificate counting at its end, the holding of the year
    the earliest of that year's own, which may be another certificate or the same one (then
    two holdings name it); a certificate revoked within its year is neither."""
    history = History(11)
    person, course, unit = history.people[0], history.courses[0], history.A
    last, this = THIS_YEAR - 1, THIS_YEAR
    old = issue(
        person, course, _vn(last, 3, 1, 9), unit=unit, target_group="official", issuing=unit
    )
    new = issue(
        person, course, _vn(this, 2, 1, 9), unit=unit, target_group="official", issuing=unit
    )
    # issued earlier this year but revoked before its end: it counts for no period
    gone = issue(
        person, course, _vn(this, 1, 5, 9), unit=unit, target_group="official", issuing=unit
    )
    revoke(gone, _vn(this, 1, 20, 9))
    db.session.flush()
    incremental = _state()
    rebuild()
    assert _state() == incremental
    chosen = {
        (h.year, h.in_year): h.certificate_id
        for h in db.session.scalars(select(StatHolding).where(StatHolding.user_id == person.id))
    }
    assert chosen == {
        (last, False): old.id,
        (last, True): old.id,
        (this, False): old.id,
        (this, True): new.id,
    }


def test_a_rebuild_without_certificates_empties_the_aggregates(db: Any) -> None:
    history = History(7)
    history.events(THIS_YEAR, 5)
    db.session.execute(Certificate.__table__.delete())
    assert rebuild() == {"people": 0, "holdings": 0, "rollups": 0, "certificate_counts": 0}
    assert _state() == {"holdings": set(), "rollups": set(), "certificates": set()}


def test_certificates_issued_during_a_rebuild_are_not_lost(live_api: LiveApi) -> None:
    """Rebuilds and issues at once (each in its own transaction, as in production): every
    issue is either read by a rebuild or applied on its rows after it; a rebuild made after
    all of them finds the same rows."""
    with live_api.data():
        unit = make_unit(fresh("P"), kind=UnitKind.province)
        course = make_course(fresh("c"), lessons=0, indicators=["officials_trained"])
        people = [make_user(unit=unit).id for _ in range(PARALLEL)]
        unit_id, course_id = unit.id, course.id

    def call(index: int) -> str:
        with live_api.data():
            if index % 4 == 0:
                rebuild()
                return "rebuilt"
            hold_write_lock()  # as issuing does before it reads what it decides on
            person = db.session.get(User, people[index])
            assert person is not None
            at = _vn(THIS_YEAR, 1, 1, 0, 30) + timedelta(minutes=index)
            issue(
                person,
                db.session.get_one(Course, course_id),
                at,
                unit=db.session.get(Unit, unit_id),
                target_group="official",
                issuing=db.session.get_one(Unit, unit_id),
            )
            return "issued"

    results = fire(PARALLEL, call)
    assert [str(r) for r in results] == [
        "rebuilt" if i % 4 == 0 else "issued" for i in range(PARALLEL)
    ], results
    with live_api.data():
        concurrent = _state()
        counted = {r for r in concurrent["rollups"] if r[3] == unit_id and r[1] == THIS_YEAR}
        assert counted == {
            ("officials_trained", THIS_YEAR, False, unit_id, "official", False, 15),
            ("officials_trained", THIS_YEAR, True, unit_id, "official", False, 15),
        }
        rebuild()
        assert _state() == concurrent
