"""Every figure of a small province, counted by hand and written down here.

The expected values below were counted on paper from the story in :func:`province`, not
computed by the code under test: the indicator table of every unit and year, completions and
certificates by unit, target group, month and course, and the funnel. Everything is made
through the services (enrolling, completing, certificates issued on completion, moving a
person, merging units, revoking), in date order, as it would have happened.

The province P (report day 15), under the country N. Communes A and B exist until 30 June
2025 and are merged into AB on 1 July 2025; commune C throughout. Times are Vietnam time
(ICT, UTC+7).

    who  unit then        group          course completed (VN)   notes
    a1   A                official       cb     2024-03-10
    a2   A                official       cb     2024-05-20
    a5   A, then AB       dx_specialist  cv     2024-04-01       cv2 2026-04-04 in AB
    c1   C                official       cb     2024-02-02
    b1   B                official       cb     2024-06-15
    c7   C                citizen        cb     2024-07-07       aw (no cert.) 2026-07-07
    b4   B                official       cb     2024-08-08       revoked 2025-03-03
    a4   A                community_tech cn     2024-09-01
    c5   C                official       cb     2024-10-10       and cb2 2026-01-15
    b2   B; C from 03/25  official       cb     2024-11-30       moved; aw 2025-04-04
    a6   A                citizen        cb     2024-12-12       official from 2025
    c2   C                official       cb     2025-01-01 00:30 enrolled 2024-12-20
    a3   A                official       cb     2025-02-14
    b3   B                community_tech cn     2025-05-05
    c3   C                dx_specialist  cv     2025-06-06
    ab1  AB               official       cb     2025-08-08
    c6   C                (none)         cb     2025-09-09       no target group
    n1   (none)           official       cb     2025-10-10       in a class of C
    c4   C                community_tech cn     2026-02-02
    ab2  AB               official       cb     2026-03-03
    ab3  AB               dx_specialist  cv     2026-05-05
    ab4  AB               leader         cb     2026-06-06
    c8   C                official       cb     -                enrolled 03-01, started
    c9   C                official       cb     -                enrolled 04-01, withdrew
    ab5  AB               official       cb     -                enrolled 2026-05-01

Courses: cb and cb2 count for ``officials_trained``, cv and cv2 for ``specialists_assessed``,
cn for ``community_teams_trained``; aw gives no certificate. Each enrolment is at 08:00 on the
day of completion unless said otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from lms.auth.models import User
from lms.catalog.models import Course
from lms.certificates.services import certificate_for_enrollment, revoke_certificate
from lms.classes.completion import complete_enrollment
from lms.classes.enrollments import enroll, withdraw
from lms.classes.models import Enrollment, EnrollmentSource, EnrollmentStatus
from lms.org import services as org
from lms.org.models import Headcount, Unit
from lms.stats import queries
from lms.stats import services as stats
from tests.factories import make_class, make_course, make_signer, make_user

ICT = ZoneInfo("Asia/Ho_Chi_Minh")
AFTER_CUTOFF = date(2027, 1, 10)  # forecasts are not what this test is about


def vn(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=ICT)


@dataclass
class Province:
    N: Unit
    P: Unit
    A: Unit
    B: Unit
    AB: Unit
    C: Unit


def _learn(
    user: User,
    course: Course,
    done: datetime | None,
    *,
    enrolled: datetime | None = None,
    klass: Any = None,
) -> Enrollment:
    at = enrolled or done.replace(hour=8, minute=0)  # type: ignore[union-attr]
    source = EnrollmentSource.klass if klass is not None else EnrollmentSource.self
    enrollment = enroll(user, course, by=user, source=source, klass=klass, at=at)
    if done is not None:
        complete_enrollment(enrollment, at=done)
    return enrollment


@pytest.fixture
def province(db: Any) -> Province:
    start = date(2020, 1, 1)
    N = org.create_unit(code="N", name="Cả nước", kind="other", valid_from=start, by=None)
    P = org.create_unit(
        code="P",
        name="Tỉnh P",
        kind="province",
        parent=N,
        valid_from=start,
        report_day=15,
        by=None,
    )
    make_signer(P)  # certificates are issued only where a signer is configured
    A = org.create_unit(code="P-A", name="Xã A", kind="commune", parent=P, by=None)
    B = org.create_unit(code="P-B", name="Xã B", kind="commune", parent=P, by=None)
    C = org.create_unit(code="P-C", name="Xã C", kind="commune", parent=P, by=None)
    AB = org.create_unit(
        code="P-AB", name="Xã AB", kind="commune", parent=P, valid_from=date(2025, 7, 1), by=None
    )
    heads = {
        2024: {
            A: {"official": 10, "dx_specialist": 2, "community_tech": 5},
            B: {"official": 10, "community_tech": 5},
            C: {"official": 20, "dx_specialist": 2, "community_tech": 5},
        },
        # A's row of 2025 is for its own last day only; the year's end has AB instead
        2025: {
            A: {"official": 10},
            AB: {"official": 20, "dx_specialist": 2, "community_tech": 10},
            C: {"official": 20, "dx_specialist": 2, "community_tech": 5},
        },
        2026: {
            AB: {"official": 20, "dx_specialist": 3, "community_tech": 10},
            C: {"official": 25, "dx_specialist": 2, "community_tech": 5},
        },
    }
    for year, units in heads.items():
        for unit, groups in units.items():
            for group, count in groups.items():
                db.session.add(
                    Headcount(unit_id=unit.id, target_group=group, year=year, count=count)
                )
    for code, title, kind, group, unit_kind in (
        ("officials_trained", "Công chức", "share_of_headcount", "official", None),
        ("officials_count", "Số công chức", "count_people", "official", None),
        ("specialists_assessed", "Chuyên trách", "share_of_headcount", "dx_specialist", None),
        ("community_teams_trained", "Tổ CNS", "share_of_units", "community_tech", "commune"),
    ):
        stats.create_indicator(
            {
                "code": code,
                "title": title,
                "kind": kind,
                "period": "year" if code == "specialists_assessed" else "cumulative",
                "target_group": group,
                "qualifying_code": "officials_trained" if code == "officials_count" else code,
                "unit_kind": unit_kind,
                "targets": {"2025": 100},
            },
            plan_unit=P,
        )
    course = {
        slug: make_course(slug, lessons=0, indicators=codes, gives_certificate=slug != "aw")
        for slug, codes in (
            ("cb", ["officials_trained"]),
            ("cb2", ["officials_trained"]),
            ("cv", ["specialists_assessed"]),
            ("cv2", ["specialists_assessed"]),
            ("cn", ["community_teams_trained"]),
            ("aw", []),
        )
    }
    people = {}
    for name, unit, group in (
        ("a1", A, "official"),
        ("a2", A, "official"),
        ("a3", A, "official"),
        ("a4", A, "community_tech"),
        ("a5", A, "dx_specialist"),
        ("a6", A, "citizen"),
        ("b1", B, "official"),
        ("b2", B, "official"),
        ("b3", B, "community_tech"),
        ("b4", B, "official"),
        ("c1", C, "official"),
        ("c2", C, "official"),
        ("c3", C, "dx_specialist"),
        ("c4", C, "community_tech"),
        ("c5", C, "official"),
        ("c6", C, None),
        ("c7", C, "citizen"),
        ("c8", C, "official"),
        ("c9", C, "official"),
        ("n1", None, "official"),
    ):
        people[name] = make_user(unit=unit, target_group=group, full_name=f"Người {name}")
    db.session.flush()
    p = people
    _learn(p["c1"], course["cb"], vn(2024, 2, 2))
    _learn(p["a1"], course["cb"], vn(2024, 3, 10))
    _learn(p["a5"], course["cv"], vn(2024, 4, 1))
    _learn(p["a2"], course["cb"], vn(2024, 5, 20))
    _learn(p["b1"], course["cb"], vn(2024, 6, 15))
    _learn(p["c7"], course["cb"], vn(2024, 7, 7))
    revoked = _learn(p["b4"], course["cb"], vn(2024, 8, 8))
    _learn(p["a4"], course["cn"], vn(2024, 9, 1))
    _learn(p["c5"], course["cb"], vn(2024, 10, 10))
    _learn(p["b2"], course["cb"], vn(2024, 11, 30))
    _learn(p["a6"], course["cb"], vn(2024, 12, 12))
    p["a6"].target_group = "official"  # from 2025 on; their certificate says citizen
    _learn(p["c2"], course["cb"], vn(2025, 1, 1, 0, 30), enrolled=vn(2024, 12, 20))
    _learn(p["a3"], course["cb"], vn(2025, 2, 14))
    org.assign_user_unit(p["b2"], C, on=date(2025, 3, 1))
    cert = certificate_for_enrollment(revoked.id)
    assert cert is not None
    revoke_certificate(cert, by=None, reason="Cấp nhầm", at=vn(2025, 3, 3))
    _learn(p["b2"], course["aw"], vn(2025, 4, 4))
    _learn(p["b3"], course["cn"], vn(2025, 5, 5))
    _learn(p["c3"], course["cv"], vn(2025, 6, 6))
    org.merge_unit(A, AB, on=date(2025, 7, 1), by=None)
    org.merge_unit(B, AB, on=date(2025, 7, 1), by=None)
    for name, group in (
        ("ab1", "official"),
        ("ab2", "official"),
        ("ab3", "dx_specialist"),
        ("ab4", "leader"),
        ("ab5", "official"),
    ):
        people[name] = make_user(unit=AB, target_group=group, full_name=f"Người {name}")
    _learn(p["ab1"], course["cb"], vn(2025, 8, 8))
    _learn(p["c6"], course["cb"], vn(2025, 9, 9))
    class_c = make_class(course["cb"], C)
    _learn(p["n1"], course["cb"], vn(2025, 10, 10), klass=class_c)
    _learn(p["c5"], course["cb2"], vn(2026, 1, 15))
    _learn(p["c4"], course["cn"], vn(2026, 2, 2))
    _learn(p["ab2"], course["cb"], vn(2026, 3, 3))
    started = _learn(p["c8"], course["cb"], None, enrolled=vn(2026, 3, 1))
    started.status, started.started_at = EnrollmentStatus.in_progress, vn(2026, 3, 2)
    gone = _learn(p["c9"], course["cb"], None, enrolled=vn(2026, 4, 1))
    withdraw(gone, by=None, at=vn(2026, 4, 10))
    _learn(p["a5"], course["cv2"], vn(2026, 4, 4))
    _learn(p["ab5"], course["cb"], None, enrolled=vn(2026, 5, 1))
    _learn(p["ab3"], course["cv"], vn(2026, 5, 5))
    _learn(p["ab4"], course["cb"], vn(2026, 6, 6))
    _learn(p["c7"], course["aw"], vn(2026, 7, 7))
    db.session.flush()
    for unit in (N, P, A, B, AB, C):
        db.session.refresh(unit)
    return Province(N=N, P=P, A=A, B=B, AB=AB, C=C)


# --- the indicator table ------------------------------------------------------------------

OT, OC, SA, CT = (
    "officials_trained",
    "officials_count",
    "specialists_assessed",
    "community_teams_trained",
)
#: (unit, year) -> indicator -> (numerator, denominator, value, unassigned)
INDICATORS: dict[tuple[str, int], dict[str, tuple[int, int | None, float | None, int]]] = {
    # 2024: the tree P {A, B, C}. Officials: A a1 a2, B b1 b4 b2, C c1 c5 (c7 and a6 were
    # citizens when certified). Specialists: a5. Community teams: A (a4).
    ("P", 2024): {
        OT: (7, 40, 17.5, 0),
        OC: (7, None, 7.0, 0),
        SA: (1, 4, 25.0, 0),
        CT: (1, 3, 33.3, 0),
    },
    ("P-A", 2024): {OT: (2, 10, 20.0, 0), OC: (2, None, 2.0, 0), SA: (1, 2, 50.0, 0),
                    CT: (1, 1, 100.0, 0)},
    ("P-B", 2024): {OT: (3, 10, 30.0, 0), OC: (3, None, 3.0, 0), SA: (0, 0, None, 0),
                    CT: (0, 1, 0.0, 0)},
    ("P-C", 2024): {OT: (2, 20, 10.0, 0), OC: (2, None, 2.0, 0), SA: (0, 2, 0.0, 0),
                    CT: (0, 1, 0.0, 0)},
    # 2025: the tree of 31 December, P {AB {A, B}, C}. b4 revoked in March; c2 on 1 January;
    # c6 (no group) and n1 (no unit) unassigned on P. Communes that exist: AB and C.
    ("P", 2025): {
        OT: (9, 40, 22.5, 2),
        OC: (10, None, 10.0, 2),
        SA: (1, 4, 25.0, 0),
        CT: (1, 2, 50.0, 0),
    },
    ("P-AB", 2025): {OT: (6, 20, 30.0, 0), OC: (6, None, 6.0, 0), SA: (0, 2, 0.0, 0),
                     CT: (1, 1, 100.0, 0)},
    ("P-C", 2025): {OT: (3, 20, 15.0, 0), OC: (3, None, 3.0, 0), SA: (1, 2, 50.0, 0),
                    CT: (0, 1, 0.0, 0)},
    # A and B on their last day, 30 June 2025 (A has a headcount of its own that year)
    ("P-A", 2025): {OT: (3, 10, 30.0, 0), OC: (3, None, 3.0, 0), SA: (0, 0, None, 0),
                    CT: (1, 1, 100.0, 0)},
    ("P-B", 2025): {OT: (2, 0, None, 0), OC: (2, None, 2.0, 0), SA: (0, 0, None, 0),
                    CT: (1, 1, 100.0, 0)},
    # 2026: ab2 joins; specialists a5 (cv2, now in AB) and ab3; c4's team in C.
    ("P", 2026): {
        OT: (10, 45, 22.2, 2),
        OC: (11, None, 11.0, 2),
        SA: (2, 5, 40.0, 0),
        CT: (2, 2, 100.0, 0),
    },
    ("P-AB", 2026): {OT: (7, 20, 35.0, 0), OC: (7, None, 7.0, 0), SA: (2, 3, 66.7, 0),
                     CT: (1, 1, 100.0, 0)},
    ("P-C", 2026): {OT: (3, 25, 12.0, 0), OC: (3, None, 3.0, 0), SA: (0, 2, 0.0, 0),
                    CT: (1, 1, 100.0, 0)},
}  # fmt: skip


def _unit(province: Province, code: str) -> Unit:
    units = (province.N, province.P, province.A, province.B, province.AB, province.C)
    return {u.code: u for u in units}[code]


def _indicator_tables(province: Province) -> dict[Any, Any]:
    out = {}
    for code, year in INDICATORS:
        figures = queries.indicator_figures(_unit(province, code), year, today=AFTER_CUTOFF)
        out[(code, year)] = {
            f.code: (f.numerator, f.denominator, f.value, f.unassigned) for f in figures
        }
    return out


def test_indicator_tables(province: Province) -> None:
    assert _indicator_tables(province) == INDICATORS


def test_units_have_figures_only_in_the_years_they_existed(province: Province) -> None:
    assert queries.indicator_figures(province.AB, 2024) == []
    assert queries.indicator_figures(province.A, 2026) == []
    assert queries.indicator_figures(province.B, 2026) == []


def test_no_share_passes_100_percent(province: Province) -> None:
    for code, year in INDICATORS:
        for figure in queries.indicator_figures(_unit(province, code), year):
            if figure.kind != "count_people" and figure.value is not None:
                assert figure.value <= 100.0


# --- completions and certificates ---------------------------------------------------------

#: (unit, year, group_by) -> key -> (completions, certificates)
BREAKDOWNS: dict[tuple[str, int, str], dict[str, tuple[int, int]]] = {
    ("P", 2024, "unit"): {"P-A": (5, 5), "P-B": (3, 3), "P-C": (3, 3)},
    # c6 (no group) and n1 (no unit) on the province itself; b2's aw in C, where she was
    ("P", 2025, "unit"): {"P": (2, 2), "P-AB": (3, 3), "P-C": (3, 2)},
    ("P", 2026, "unit"): {"P-AB": (4, 4), "P-C": (3, 2)},
    # a closed commune's contribution to its successor, and nothing of the province's own
    ("P-AB", 2025, "unit"): {"P-AB": (1, 1), "P-A": (1, 1), "P-B": (1, 1)},
    ("P-B", 2024, "unit"): {"P-B": (3, 3)},
    # above the province (the country): the unassigned are in the province's row
    ("N", 2025, "unit"): {"P": (8, 7)},
    ("N", 2025, "target_group"): {
        "official": (4, 3),
        "community_tech": (1, 1),
        "dx_specialist": (1, 1),
        "unassigned": (2, 2),
    },
    ("P", 2024, "target_group"): {
        "official": (7, 7),
        "dx_specialist": (1, 1),
        "citizen": (2, 2),
        "community_tech": (1, 1),
    },
    ("P", 2025, "target_group"): {
        "official": (4, 3),
        "community_tech": (1, 1),
        "dx_specialist": (1, 1),
        "unassigned": (2, 2),
    },
    ("P", 2026, "target_group"): {
        "official": (2, 2),
        "community_tech": (1, 1),
        "dx_specialist": (2, 2),
        "leader": (1, 1),
        "citizen": (1, 0),
    },
    ("P-C", 2025, "target_group"): {"official": (2, 1), "dx_specialist": (1, 1)},
    ("P", 2024, "course"): {"cb": (9, 9), "cv": (1, 1), "cn": (1, 1)},
    ("P", 2025, "course"): {"cb": (5, 5), "cn": (1, 1), "cv": (1, 1), "aw": (1, 0)},
    ("P", 2026, "course"): {
        "cb": (2, 2),
        "cb2": (1, 1),
        "cn": (1, 1),
        "cv": (1, 1),
        "cv2": (1, 1),
        "aw": (1, 0),
    },
}


def _months(year: int, counts: dict[int, tuple[int, int]]) -> dict[str, tuple[int, int]]:
    return {f"{year}-{m:02d}": counts.get(m, (0, 0)) for m in range(1, 13)}


BREAKDOWNS[("P", 2024, "month")] = _months(2024, dict.fromkeys(range(2, 13), (1, 1)))
# c2 completed at 00:30 on 1 January 2025 (17:30 UTC on 31 December): January 2025
BREAKDOWNS[("P", 2025, "month")] = _months(
    2025, {1: (1, 1), 2: (1, 1), 4: (1, 0), 5: (1, 1), 6: (1, 1), 8: (1, 1), 9: (1, 1), 10: (1, 1)}
)
BREAKDOWNS[("P", 2026, "month")] = _months(
    2026, {1: (1, 1), 2: (1, 1), 3: (1, 1), 4: (1, 1), 5: (1, 1), 6: (1, 1), 7: (1, 0)}
)


def _breakdowns(province: Province) -> dict[Any, Any]:
    out = {}
    for code, year, group_by in BREAKDOWNS:
        rows = queries.breakdown(_unit(province, code), year, group_by)
        out[(code, year, group_by)] = {r.key: (r.completions, r.certificates) for r in rows}
    return out


def test_completions_and_certificates(province: Province) -> None:
    assert _breakdowns(province) == BREAKDOWNS


# --- the funnel ---------------------------------------------------------------------------

#: Enrollments made in the year, on the unit at enrolment, as they stood at the year's end.
FUNNELS: dict[tuple[str, int], dict[str, int]] = {
    # c2 enrolled in 2024 and completed in 2025: enrolled, not completed nor certified in 2024;
    # b4's certificate still counted on 31 December 2024
    ("P", 2024): {"enrolled": 12, "in_progress": 0, "completed": 11, "withdrawn": 0,
                  "certified": 11},
    ("N", 2025): {"enrolled": 7, "in_progress": 0, "completed": 7, "withdrawn": 0,
                  "certified": 6},
    ("P-C", 2024): {"enrolled": 4, "in_progress": 0, "completed": 3, "withdrawn": 0,
                    "certified": 3},
    ("P-B", 2024): {"enrolled": 3, "in_progress": 0, "completed": 3, "withdrawn": 0,
                    "certified": 3},
    # n1 (no unit) through the class of C, on the province; aw gives no certificate
    ("P", 2025): {"enrolled": 7, "in_progress": 0, "completed": 7, "withdrawn": 0,
                  "certified": 6},
    ("P-AB", 2025): {"enrolled": 3, "in_progress": 0, "completed": 3, "withdrawn": 0,
                     "certified": 3},
    ("P-C", 2025): {"enrolled": 3, "in_progress": 0, "completed": 3, "withdrawn": 0,
                    "certified": 2},
    ("P", 2026): {"enrolled": 9, "in_progress": 1, "completed": 7, "withdrawn": 1,
                  "certified": 6},
    ("P-AB", 2026): {"enrolled": 5, "in_progress": 0, "completed": 4, "withdrawn": 0,
                     "certified": 4},
    ("P-C", 2026): {"enrolled": 4, "in_progress": 1, "completed": 3, "withdrawn": 1,
                    "certified": 2},
}  # fmt: skip


def test_funnels(province: Province) -> None:
    got = {(code, year): queries.funnel(_unit(province, code), year) for code, year in FUNNELS}
    assert got == FUNNELS


# --- the units against the targets --------------------------------------------------------

CHILDREN: dict[tuple[str, int], dict[str, dict[str, float | None]]] = {
    ("P", 2024): {
        "P-A": {OT: 20.0, SA: 50.0},
        "P-B": {OT: 30.0, SA: None},
        "P-C": {OT: 10.0, SA: 0.0},
    },
    # A's own 2025 headcount is not added to AB's (A did not exist on 31 December)
    ("P", 2025): {"P-AB": {OT: 30.0, SA: 0.0}, "P-C": {OT: 15.0, SA: 50.0}},
    ("P", 2026): {"P-AB": {OT: 35.0, SA: 66.7}, "P-C": {OT: 12.0, SA: 0.0}},
}


def test_children_against_targets(province: Province) -> None:
    got = {}
    for code, year in CHILDREN:
        _indicators, rows = queries.children_figures(_unit(province, code), year)
        got[(code, year)] = {r.code: r.values for r in rows}
    assert got == CHILDREN


def test_a_rebuild_gives_the_same_figures(province: Province) -> None:
    from lms.stats.rebuild import rebuild

    rebuild()
    assert _indicator_tables(province) == INDICATORS
    assert _breakdowns(province) == BREAKDOWNS


def test_past_years_have_results_and_this_year_a_forecast(province: Province) -> None:
    midyear = date(2026, 6, 30)  # day 181 of 2026; the cut-off, 15 December, is day 349
    past = {f.code: f for f in queries.indicator_figures(province.P, 2025, today=midyear)}
    assert {code: f.forecast for code, f in past.items()} == dict.fromkeys(past)
    assert past[OT].on_track is False  # 22.5% against 100%
    now = {f.code: f for f in queries.indicator_figures(province.P, 2026, today=midyear)}
    # from last year's value along this year's pace to the cut-off: 22.5 + (22.2 - 22.5)
    # * 349 / 181; yearly indicators from 0; shares stop at 100%
    assert {code: f.forecast for code, f in now.items()} == {
        OT: 21.9,
        OC: 11.9,
        SA: 77.1,
        CT: 100.0,
    }
    after = queries.indicator_figures(province.P, 2026, today=date(2026, 12, 16))
    assert [f.forecast for f in after] == [None, None, None, None]


def test_breakdown_rows_come_in_the_order_people_read_them(province: Province) -> None:
    """Target groups in the plans' order (leaders first, the unassigned last), not by their
    English codes; courses by title in Vietnamese order, not by when they were created."""
    groups = [r.key for r in queries.breakdown(province.P, 2026, "target_group")]
    assert groups == ["leader", "official", "dx_specialist", "community_tech", "citizen"]
    groups = [r.key for r in queries.breakdown(province.P, 2025, "target_group")]
    assert groups == ["official", "dx_specialist", "community_tech", "unassigned"]
    from sqlalchemy import select

    from lms.extensions import db

    titles = {"cb": "Tin học văn phòng", "cb2": "Đồ họa", "cn": "An toàn thông tin"}
    for course in db.session.scalars(select(Course).where(Course.slug.in_(titles))):
        course.title = titles[course.slug]
    db.session.flush()
    rows = queries.breakdown(province.P, 2026, "course")
    keys = [r.key for r in rows]
    # An toàn, Đồ họa, then the "Khoá học …" ones, Tin học last
    assert (keys[:2], keys[-1]) == (["cn", "cb2"], "cb")
