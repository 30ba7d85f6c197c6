"""Certificates issued and revoked by parallel identical requests: one act, one record."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from lms.auth.models import Role
from lms.certificates import services
from lms.certificates.constants import VERB_EARNED, VERB_REVOKED
from lms.certificates.models import Certificate, CertificateStatus
from lms.classes.models import EnrollmentStatus
from lms.org.models import UnitKind
from lms.xapi.models import Statement
from tests.certificates.factories import CERTIFIED
from tests.factories import (
    make_class,
    make_course,
    make_enrollment,
    make_signer,
    make_unit,
    make_user,
)
from tests.races import PARALLEL, LiveApi, fire, fresh, one_winner, outcome


def setup(live: LiveApi, *, issued: bool, holders: int = 1) -> dict[str, Any]:
    """A province, a class with ``holders`` completed learners, an admin; committed."""
    with live.data() as db:
        province = make_unit(fresh("P"), kind=UnitKind.province, serial_prefix="RC")
        make_signer(province)
        course = make_course(**CERTIFIED)
        course.slug = fresh("khoa")
        course.activity_iri = f"https://lms146.vn/xapi/activities/course/{course.slug}"
        klass = make_class(course, province)
        klass.code = fresh("LOP")
        admin = make_user(f"{fresh('admin')}@example.vn", roles=(Role.admin,), unit=province)
        enrollments = [
            make_enrollment(
                make_user(f"{fresh('hv')}@example.vn", unit=province),
                course,
                klass=klass,
                status=EnrollmentStatus.completed,
            )
            for _ in range(holders)
        ]
        serials = []
        if issued:
            serials = [services.issue_certificate(e)[0].serial for e in enrollments]
        db.session.flush()
        ids = {
            "admin": admin.id,
            "class": klass.code,
            "enrollments": [e.id for e in enrollments],
            "serials": serials,
        }
    ids["token"] = live.token(ids["admin"])
    return ids


def statements_about(live: LiveApi, verb: str, serial: str) -> int:
    with live.data() as db:
        return int(
            db.session.scalar(
                select(func.count())
                .select_from(Statement)
                .where(Statement.verb_id == verb, Statement.object_activity_id.endswith(serial))
            )
            or 0
        )


def test_parallel_revocations_revoke_once(live_api: LiveApi) -> None:
    ids = setup(live_api, issued=True)
    serial = ids["serials"][0]
    replies = live_api.race(
        "POST",
        f"/api/v1/certificates/{serial}/revoke",
        token=ids["token"],
        json={"reason": "Cấp nhầm người"},
    )
    won = one_winner(replies, won=200, lost=409)
    assert won.json["status"] == "revoked"
    assert {r.json["message"] for r in replies if r.status == 409} == {
        "This certificate was already revoked."
    }
    with live_api.data() as db:
        cert = db.session.scalar(select(Certificate).where(Certificate.serial == serial))
        assert cert.status == CertificateStatus.revoked
        assert cert.revoked_reason == "Cấp nhầm người"
        assert cert.revoked_at.isoformat() == won.json["revoked_at"]
    assert statements_about(live_api, VERB_REVOKED, serial) == 1


def test_parallel_issues_issue_once(live_api: LiveApi) -> None:
    ids = setup(live_api, issued=False)
    enrollment_id = ids["enrollments"][0]
    replies = live_api.race(
        "POST", f"/api/v1/enrollments/{enrollment_id}/certificate", token=ids["token"], json={}
    )
    assert outcome(replies) == {201: 1, 200: PARALLEL - 1}, replies
    serials = {r.json["serial"] for r in replies}
    assert len(serials) == 1, serials
    (serial,) = serials
    with live_api.data() as db:
        count = db.session.scalar(
            select(func.count()).where(Certificate.enrollment_id == enrollment_id)
        )
        assert count == 1
    assert statements_about(live_api, VERB_EARNED, serial) == 1


def test_parallel_class_issues_issue_each_certificate_once(live_api: LiveApi) -> None:
    ids = setup(live_api, issued=False, holders=3)
    replies = live_api.race(
        "POST", f"/api/v1/classes/{ids['class']}/certificates", token=ids["token"], json={}
    )
    assert outcome(replies) == {200: PARALLEL}, replies
    issued = [row["serial"] for r in replies for row in r.json["issued"]]
    assert len(issued) == 3, [r.json for r in replies]
    assert all({row["reason"] for row in r.json["skipped"]} <= {"already_issued"} for r in replies)
    with live_api.data() as db:
        stored = db.session.scalars(
            select(Certificate.serial).where(Certificate.enrollment_id.in_(ids["enrollments"]))
        ).all()
        assert sorted(stored) == sorted(issued)
    for serial in issued:
        assert statements_about(live_api, VERB_EARNED, serial) == 1


def test_parallel_issues_get_distinct_status_list_indexes(live_api: LiveApi) -> None:
    ids = setup(live_api, issued=False, holders=PARALLEL)
    replies = fire(
        PARALLEL,
        lambda i: live_api.request(
            "POST",
            f"/api/v1/enrollments/{ids['enrollments'][i]}/certificate",
            token=ids["token"],
            json={},
        ),
    )
    assert outcome(replies) == {201: PARALLEL}, replies
    with live_api.data() as db:
        rows = db.session.execute(
            select(Certificate.status_list_id, Certificate.status_index).where(
                Certificate.enrollment_id.in_(ids["enrollments"])
            )
        ).all()
    assert len({list_id for list_id, _index in rows}) == 1
    assert sorted(index for _list, index in rows) == list(range(PARALLEL))


def test_parallel_first_saves_of_a_units_signer_make_one_template(live_api: LiveApi) -> None:
    """Twenty first saves of one unit's signer at once: one template row, not twenty (the
    (course, unit) unique key does not hold when the course is NULL)."""
    from lms.certificates import templates
    from lms.certificates.models import CertificateTemplate

    with live_api.data():
        unit = make_unit(fresh("T"), kind=UnitKind.province)
        code, unit_id = unit.code, unit.id

    def save(index: int) -> None:
        with live_api.data():
            templates.save_template(
                unit_code=code,
                course_slug=None,
                values={"signer_name": f"Người Ký {index}", "signer_title": "Giám đốc"},
            )

    results = fire(PARALLEL, save)
    assert [r for r in results if isinstance(r, Exception)] == []
    with live_api.data() as db:
        rows = db.session.scalars(
            select(CertificateTemplate).where(CertificateTemplate.unit_id == unit_id)
        ).all()
        assert len(rows) == 1
