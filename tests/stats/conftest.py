"""A small province with hand-countable figures.

Years are relative to today (Y0 two years ago, Y1 last year, Y2 this year) so the figures
hold whatever year the suite runs in. The tree:

    P (province, report day 15): A (commune), B (commune), S (school)
    Q (province, closed at the end of 30 June Y1, merged into P): C (commune)

People and certificates (codes are what the course counts toward):

    u1 official in A: officials_trained Y0 and again Y1 (counted once)
    u2 official in C: officials_trained Y0 (under Q in Y0, under P after the merger)
    u3 official in B: officials_trained Y1, revoked 1 January Y2
    u4 official with no unit: officials_trained Y2, issued by A (unassigned, on P)
    u5 dx_specialist in A: specialists_assessed Y1 (a yearly indicator)
    u6 teacher in S: schools_stem Y2
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest

from lms import periods
from lms.auth.models import Role, User
from lms.catalog.models import Course
from lms.certificates.models import Certificate, CertificateStatus
from lms.events import certificate_issued, certificate_revoked
from lms.extensions import db
from lms.org import services as org
from lms.org.models import Headcount, Unit
from tests.factories import make_course, make_user

TODAY = date.today()
Y0, Y1, Y2 = TODAY.year - 2, TODAY.year - 1, TODAY.year
_serial = itertools.count(1)


@dataclass
class World:
    P: Unit
    Q: Unit
    A: Unit
    B: Unit
    C: Unit
    S: Unit
    users: dict[str, User]
    certs: dict[str, Certificate]
    course: Course
    admin: User


def issue(
    user: User,
    course: Course,
    day: date | datetime,
    *,
    unit: Unit | None,
    target_group: str | None,
    issuing: Unit,
    year: int | None = None,
) -> Certificate:
    """A certificate issued on ``day`` (at 09:00 UTC), or at the instant ``day`` names, filed
    under ``year`` (default: its year in Vietnam)."""
    issued_at = day if isinstance(day, datetime) else datetime(*day.timetuple()[:3], 9, tzinfo=UTC)
    cert = Certificate(
        serial=f"T-{issued_at.year}-{next(_serial):06d}",
        user_id=user.id,
        course_id=course.id,
        issued_at=issued_at,
        year=year if year is not None else periods.local_year(issued_at),
        hours=course.hours,
        issuing_unit_id=issuing.id,
        holder_name=user.full_name,
        holder_unit_id=unit.id if unit else None,
        holder_target_group=target_group,
        indicators=list(course.indicators),
        status=CertificateStatus.valid,
        kid="test",
        signature="test",
    )
    db.session.add(cert)
    db.session.flush()
    certificate_issued.send(cert)
    return cert


def revoke(cert: Certificate, day: date | datetime) -> None:
    """Revoked on ``day`` (at 08:00 UTC), or at the instant ``day`` names."""
    cert.status = CertificateStatus.revoked
    cert.revoked_at = (
        day if isinstance(day, datetime) else datetime(*day.timetuple()[:3], 8, tzinfo=UTC)
    )
    cert.revoked_reason = "test"
    db.session.flush()
    certificate_revoked.send(cert)


@pytest.fixture
def world(db: Any) -> World:
    start = date(Y0 - 5, 1, 1)
    P = org.create_unit(
        code="P",
        name="Tỉnh P",
        kind="province",
        valid_from=start,
        report_day=15,
        serial_prefix="P",
        by=None,
    )
    Q = org.create_unit(code="Q", name="Tỉnh Q", kind="province", valid_from=start, by=None)
    A = org.create_unit(code="P-A", name="Xã A", kind="commune", parent=P, by=None)
    B = org.create_unit(code="P-B", name="Xã B", kind="commune", parent=P, by=None)
    S = org.create_unit(code="P-S", name="Trường S", kind="school", parent=P, by=None)
    C = org.create_unit(code="Q-C", name="Xã C", kind="commune", parent=Q, by=None)
    for unit, group, counts in (
        (A, "official", {Y0: 10, Y1: 10, Y2: 10}),
        (B, "official", {Y0: 10, Y1: 10, Y2: 10}),
        (C, "official", {Y0: 5, Y2: 5}),
        (A, "dx_specialist", {Y1: 2, Y2: 2}),
    ):
        for year, count in counts.items():
            db.session.add(Headcount(unit_id=unit.id, target_group=group, year=year, count=count))
    db.session.flush()
    officials = make_course(
        "cb", title="Khoá cb", lessons=0, hours=8, indicators=["officials_trained"]
    )
    specialists = make_course(
        "cv", title="Khoá cv", lessons=0, hours=8, indicators=["specialists_assessed"]
    )
    stem = make_course("stem", title="Khoá stem", lessons=0, hours=8, indicators=["schools_stem"])
    users = {
        "u1": make_user(unit=A, target_group="official"),
        "u2": make_user(unit=C, target_group="official"),
        "u3": make_user(unit=B, target_group="official"),
        "u4": make_user(unit=None, target_group="official"),
        "u5": make_user(unit=A, target_group="dx_specialist"),
        "u6": make_user(unit=S, target_group="teacher"),
    }
    certs = {
        "u1a": issue(
            users["u1"], officials, date(Y0, 3, 1), unit=A, target_group="official", issuing=A
        ),
        "u1b": issue(
            users["u1"], officials, date(Y1, 3, 1), unit=A, target_group="official", issuing=A
        ),
        "u2": issue(
            users["u2"], officials, date(Y0, 5, 1), unit=C, target_group="official", issuing=C
        ),
        "u3": issue(
            users["u3"], officials, date(Y1, 4, 1), unit=B, target_group="official", issuing=B
        ),
        "u4": issue(
            users["u4"], officials, date(Y2, 1, 1), unit=None, target_group="official", issuing=A
        ),
        "u5": issue(
            users["u5"],
            specialists,
            date(Y1, 6, 1),
            unit=A,
            target_group="dx_specialist",
            issuing=A,
        ),
        "u6": issue(users["u6"], stem, date(Y2, 1, 1), unit=S, target_group="teacher", issuing=S),
    }
    org.merge_unit(Q, P, on=date(Y1, 7, 1), by=None)
    revoke(certs["u3"], date(Y2, 1, 1))
    from lms.stats.demo import create_plan

    create_plan(P)
    create_plan(Q, codes=("officials_trained",))
    admin = make_user(roles=(Role.admin,), unit=P)
    db.session.flush()
    return World(
        P=P, Q=Q, A=A, B=B, C=C, S=S, users=users, certs=certs, course=officials, admin=admin
    )
