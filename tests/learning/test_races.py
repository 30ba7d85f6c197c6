"""A previewed results file accepted by parallel identical requests: written once."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from lms.auth.models import Role
from lms.certificates.models import Certificate
from lms.classes.models import Enrollment, EnrollmentStatus
from lms.db import utcnow
from lms.learning.models import BridgeUnmatched, UnmatchedReason
from lms.org.models import UnitKind
from lms.statements import VERB_COMPLETED
from lms.xapi.models import Statement
from tests.certificates.factories import CERTIFIED
from tests.factories import make_course, make_signer, make_unit, make_user
from tests.races import LiveApi, fresh, multipart, one_winner


def test_parallel_acceptances_write_a_results_file_once(live_api: LiveApi) -> None:
    with live_api.data():
        province = make_unit(fresh("P"), kind=UnitKind.province, serial_prefix="RK")
        make_signer(province)
        admin = make_user(f"{fresh('admin')}@example.vn", roles=(Role.admin,), unit=province)
        learner = make_user(f"{fresh('hv')}@example.vn", unit=province, target_group="citizen")
        course = make_course(**{**CERTIFIED, "rule": {"lessons": 0}})
        course.slug = fresh("khoa")
        course.activity_iri = f"https://lms146.vn/xapi/activities/course/{course.slug}"
        admin_id, learner_id, email = admin.id, learner.id, learner.email
        slug, iri, course_id = course.slug, course.activity_iri, course.id
    token = live_api.token(admin_id)
    csv = f"identity,full_name,course,completed_on\n{email},Bà Hoa,{slug},2025-05-02\n"
    body, content_type = multipart({}, {"file": ("kq.csv", csv.encode())})
    preview = live_api.request(
        "POST",
        "/api/v1/bridge/imports?dry_run=true",
        token=token,
        body=body,
        content_type=content_type,
    )
    assert preview.status == 200, preview
    replies = live_api.race(
        "POST", f"/api/v1/bridge/imports/{preview.json['id']}/accept", token=token
    )
    won = one_winner(replies, won=200, lost=409)
    assert won.json["status"] == "accepted"
    assert {r.json["message"] for r in replies if r.status == 409} == {
        "This file was already accepted."
    }
    # The bridge holds back statements stored while other transactions were open (the
    # losers, waiting for the lock): a run now applies them, as the next scheduled run would.
    assert live_api.request("POST", "/api/v1/bridge/run", token=token, json={}).status == 200
    with live_api.data() as db:
        # The file's row, and the LMS's own record of the completion it caused (with the
        # enrollment's registration): once each.
        registrations = db.session.scalars(
            select(Statement.registration).where(
                Statement.verb_id == VERB_COMPLETED, Statement.object_activity_id == iri
            )
        ).all()
        enrollment = db.session.scalar(
            select(Enrollment).where(
                Enrollment.user_id == learner_id, Enrollment.course_id == course_id
            )
        )
        assert enrollment.status == EnrollmentStatus.completed
        assert sorted(registrations, key=str) == sorted([None, enrollment.registration], key=str)
        certificates = db.session.scalar(
            select(func.count()).where(Certificate.enrollment_id == enrollment.id)
        )
        assert certificates == 1


def admin_token(live: LiveApi) -> str:
    with live.data():
        admin_id = make_user(f"{fresh('admin')}@example.vn", roles=(Role.admin,)).id
    return live.token(admin_id)


def test_parallel_dismissals_of_a_held_statement_dismiss_once(live_api: LiveApi) -> None:
    token = admin_token(live_api)
    with live_api.data() as db:
        held = BridgeUnmatched(
            statement_id=str(uuid.uuid4()),
            seq=0,
            stored=utcnow(),
            reason=UnmatchedReason.unknown_learner,
            actor={"mbox": "mailto:ai-do@example.vn"},
            actor_ifi="mbox::mailto:ai-do@example.vn",
            activity_iri="https://mooc.example.vn/courses/x",
            verb_id=VERB_COMPLETED,
        )
        db.session.add(held)
        db.session.flush()
        held_id = held.id
    replies = live_api.race(
        "POST",
        f"/api/v1/bridge/unmatched/{held_id}/dismiss",
        token=token,
        json={"reason": "Không rõ người học"},
    )
    one_winner(replies, won=200, lost=409)
    with live_api.data() as db:
        detail = db.session.get(BridgeUnmatched, held_id).detail
        assert detail.count("Không rõ người học") == 1
