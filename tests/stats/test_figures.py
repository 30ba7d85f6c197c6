"""Hand-counted figures on the fixture tree in conftest.py."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from lms.extensions import db
from lms.stats import queries
from lms.stats.models import StatCertCount, StatHolding, StatRollup
from lms.stats.rebuild import rebuild
from tests.stats.conftest import Y0, Y1, Y2, World, issue


def _by_code(unit, year):  # type: ignore[no-untyped-def]
    return {f.code: f for f in queries.indicator_figures(unit, year)}


def test_officials_in_the_first_year_count_by_the_old_tree(world: World) -> None:
    figures = _by_code(world.P, Y0)
    officials = figures["officials_trained"]
    assert (officials.numerator, officials.denominator, officials.value) == (1, 20, 5.0)
    q = _by_code(world.Q, Y0)["officials_trained"]
    assert (q.numerator, q.denominator, q.value) == (1, 5, 20.0)


def test_after_the_merger_the_successor_counts_the_merged_units(world: World) -> None:
    officials = _by_code(world.P, Y1)["officials_trained"]
    # u1 (A), u2 (C, now under P) and u3 (B, revoked only in Y2); headcounts of Y1: A + B
    assert (officials.numerator, officials.denominator, officials.value) == (3, 20, 15.0)


def test_revoked_certificates_stop_counting_from_their_date(world: World) -> None:
    officials = _by_code(world.P, Y2)["officials_trained"]
    assert (officials.numerator, officials.denominator, officials.value) == (2, 25, 8.0)


def test_a_person_with_two_certificates_counts_once(world: World) -> None:
    officials = _by_code(world.A, Y1)["officials_trained"]
    assert (officials.numerator, officials.denominator) == (1, 10)


def test_people_without_a_unit_appear_as_unassigned_on_the_province(world: World) -> None:
    assert _by_code(world.P, Y2)["officials_trained"].unassigned == 1
    assert _by_code(world.A, Y2)["officials_trained"].unassigned == 0


def test_yearly_indicators_count_only_that_years_certificates(world: World) -> None:
    assert _by_code(world.P, Y1)["specialists_assessed"].value == 50.0
    figure = _by_code(world.P, Y2)["specialists_assessed"]
    assert (figure.numerator, figure.denominator, figure.value) == (0, 2, 0.0)


def test_share_of_schools(world: World) -> None:
    figure = _by_code(world.P, Y2)["schools_stem"]
    assert (figure.numerator, figure.denominator, figure.value) == (1, 1, 100.0)


def test_targets_between_set_years_are_interpolated(world: World) -> None:
    officials = _by_code(world.P, Y2)["officials_trained"]
    indicator = next(i for i in queries.plan_indicators(world.P, Y2) if i.code == officials.code)
    assert indicator.target_for(2024) == 75.0  # halfway between 50 (2023) and 100 (2025)
    assert indicator.target_for(2027) == 100.0
    assert officials.on_track is False


def test_a_past_province_uses_its_own_plan(world: World) -> None:
    codes = [i.code for i in queries.plan_indicators(world.C, Y0)]
    assert codes == ["officials_trained"]  # Q's plan in Y0
    assert len(queries.plan_indicators(world.C, Y2)) == 8  # P's plan after the merger


def _state() -> tuple[set, set, set]:
    holdings = {
        (h.code, h.year, h.in_year, h.user_id, h.unit_id, h.unassigned, h.target_group)
        for h in db.session.scalars(select(StatHolding))
    }
    rollups = {
        (r.code, r.year, r.in_year, r.unit_id, r.target_group, r.unassigned, r.count)
        for r in db.session.scalars(select(StatRollup))
        if r.count
    }
    certificates = {
        (c.unit_id, c.year, c.dim, c.key, c.count)
        for c in db.session.scalars(select(StatCertCount))
        if c.count
    }
    return holdings, rollups, certificates


def test_rebuild_equals_the_incremental_aggregates(world: World) -> None:
    # more changes after the last rebuild, applied incrementally
    extra = issue(
        world.users["u2"],
        world.course,
        date(Y2, 1, 1),
        unit=world.C,
        target_group="official",
        issuing=world.C,
    )
    from tests.stats.conftest import revoke

    revoke(world.certs["u1a"], date(Y2, 1, 1))
    incremental = _state()
    rebuild()
    assert _state() == incremental
    assert extra.id


def test_breakdowns_by_child_unit_target_group_course_and_month(world: World) -> None:
    by_unit = {r.key: r for r in queries.breakdown(world.P, Y1, "unit")}
    assert by_unit["P-A"].certificates == 2  # u1b and u5
    assert by_unit["P-B"].certificates == 1  # u3, revoked only in Y2
    by_group = {r.key: r.certificates for r in queries.breakdown(world.P, Y1, "target_group")}
    assert by_group == {"official": 2, "dx_specialist": 1}
    by_course = {r.key: r.certificates for r in queries.breakdown(world.P, Y1, "course")}
    assert by_course == {"cb": 2, "cv": 1}
    months = {r.key: r.certificates for r in queries.breakdown(world.P, Y1, "month")}
    assert (months[f"{Y1}-03"], months[f"{Y1}-04"], months[f"{Y1}-06"]) == (1, 1, 1)
    assert sum(months.values()) == 3


def test_children_against_targets_put_the_units_furthest_behind_first(world: World) -> None:
    indicators, rows = queries.children_figures(world.P, Y2)
    assert "officials_trained" in [i.code for i in indicators]
    by_code = {r.code: r.values["officials_trained"] for r in rows}
    # A: u1 of 10; B: nobody of 10 (u3 revoked); C (moved under P by the merger): u2 of 5
    assert by_code == {"P-A": 10.0, "P-B": 0.0, "Q-C": 20.0, "P-S": None}
    assert all("officials_trained" in r.behind for r in rows if r.code != "P-S")


def test_each_unit_against_the_targets_reads_as_its_own_table(world: World) -> None:
    """The "who is behind" table of the dashboard and the report shows, for each unit below,
    the very share that unit's own table shows: Q, merged into P on 1 July of Y1, is counted
    over its tree of 30 June (with C and C's headcount), not as an empty unit."""
    from lms.org.models import Headcount

    db.session.add(Headcount(unit_id=world.C.id, target_group="official", year=Y1, count=5))
    db.session.flush()
    for year in (Y0, Y1, Y2):
        indicators, rows = queries.children_figures(world.P, year)
        for row in rows:
            unit = {u.code: u for u in (world.A, world.B, world.C, world.Q, world.S)}[row.code]
            own = {f.code: f.value for f in queries.indicator_figures(unit, year)}
            assert row.values == {i.code: own.get(i.code) for i in indicators}, (row.code, year)
    _indicators, rows = queries.children_figures(world.P, Y1)
    assert {r.code: r.values["officials_trained"] for r in rows}["Q"] is not None
