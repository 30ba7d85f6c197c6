"""The bridge as a service: MOOC statements -> enrollments, completions, certificates."""

from __future__ import annotations

import hashlib

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from lms.certificates.models import Certificate
from lms.classes.models import Enrollment, EnrollmentSource, EnrollmentStatus
from lms.extensions import db
from lms.learning import bridge, identities
from lms.learning.cursor import read_cursor
from lms.learning.models import (
    BridgeEvidence,
    BridgeGap,
    BridgeRun,
    BridgeUnmatched,
    IdentityKind,
    IdentitySource,
    UnmatchedReason,
)
from lms.org.models import UnitKind
from lms.statements import actor_for
from lms.xapi import services as lrs
from lms.xapi.models import Statement
from tests.factories import make_unit, make_user
from tests.learning.conftest import (
    DVC_EXTERNAL,
    QUIZ_EXTERNAL,
    World,
    account,
    build_world,
    login,
    mbox,
    send,
    statement,
)


def _enrollment(user_id: int, course_id: int) -> Enrollment | None:
    return db.session.scalar(
        select(Enrollment).where(Enrollment.user_id == user_id, Enrollment.course_id == course_id)
    )


def _certificates(user_id: int) -> list[Certificate]:
    return list(db.session.scalars(select(Certificate).where(Certificate.user_id == user_id)))


def test_completed_on_external_iri_enrolls_completes_and_issues_certificate(world: World) -> None:
    send(world, statement(mbox("hoa@example.vn"), "completed", DVC_EXTERNAL))
    enrollment = _enrollment(world.citizen.id, world.dvc.id)
    assert enrollment is not None
    assert enrollment.source == EnrollmentSource.xapi
    assert enrollment.status == EnrollmentStatus.completed
    [cert] = _certificates(world.citizen.id)
    assert cert.course_id == world.dvc.id
    assert cert.status == "valid"
    assert read_cursor().last_seq >= 1


def test_same_batch_sent_twice_counts_once(world: World) -> None:
    batch = [
        statement(mbox("hoa@example.vn"), "completed", DVC_EXTERNAL),
        statement(mbox("hoa@example.vn"), "experienced", DVC_EXTERNAL),
    ]
    send(world, *batch)
    send(world, *batch)
    assert db.session.scalar(select(func.count()).select_from(BridgeEvidence)) == 1
    assert len(_certificates(world.citizen.id)) == 1
    enrollments = db.session.scalars(
        select(Enrollment).where(Enrollment.user_id == world.citizen.id)
    ).all()
    assert len(enrollments) == 1


def test_voiding_the_completion_reopens_and_revokes_the_certificate(world: World) -> None:
    [completed_id] = send(world, statement(mbox("hoa@example.vn"), "completed", DVC_EXTERNAL))
    void = statement(mbox("hoa@example.vn"), "voided", DVC_EXTERNAL)
    void["object"] = {"objectType": "StatementRef", "id": completed_id}
    send(world, void)
    enrollment = _enrollment(world.citizen.id, world.dvc.id)
    assert enrollment is not None
    assert enrollment.status == EnrollmentStatus.in_progress
    [cert] = _certificates(world.citizen.id)
    assert cert.status == "revoked"
    evidence = db.session.scalar(select(BridgeEvidence))
    assert evidence is not None
    assert evidence.voided_at is not None


def test_voiding_keeps_a_completion_that_other_evidence_holds(world: World) -> None:
    [first, _second] = send(
        world,
        statement(mbox("hoa@example.vn"), "completed", DVC_EXTERNAL),
        statement(mbox("hoa@example.vn"), "completed", world.dvc.activity_iri),
    )
    void = statement(mbox("hoa@example.vn"), "voided", DVC_EXTERNAL)
    void["object"] = {"objectType": "StatementRef", "id": first}
    send(world, void)
    enrollment = _enrollment(world.citizen.id, world.dvc.id)
    assert enrollment is not None
    assert enrollment.status == EnrollmentStatus.completed
    assert [c.status for c in _certificates(world.citizen.id)] == ["valid"]


def test_statements_about_unknown_activities_are_stored_and_ignored(world: World) -> None:
    send(world, statement(mbox("hoa@example.vn"), "completed", "https://elsewhere.example/x"))
    assert _enrollment(world.citizen.id, world.dvc.id) is None
    assert db.session.scalar(select(func.count()).select_from(BridgeUnmatched)) == 0
    assert bridge.status()["pending"] == 0
    assert lrs.statement_by_id(lrs.read_after(0)[-1].statement["id"]) is not None


def test_unknown_learner_is_held_then_resolved_by_linking(world: World) -> None:
    [held_id] = send(world, statement(account("u-778", "Lê Văn Tám"), "completed", DVC_EXTERNAL))
    row = db.session.scalar(select(BridgeUnmatched))
    assert row is not None
    assert row.statement_id == held_id
    assert row.reason == UnmatchedReason.unknown_learner
    assert row.course_id == world.dvc.id
    learner = make_user("tam@example.vn", full_name="Lê Văn Tám", unit=world.units["HP-LECHAN"])
    from lms.learning import review

    outcome = review.resolve(row, learner, by=world.admin)
    assert outcome == {"applied": 1, "still_held": 0}
    assert row.resolved_at is not None
    enrollment = _enrollment(learner.id, world.dvc.id)
    assert enrollment is not None
    assert enrollment.status == EnrollmentStatus.completed
    # The link stays: the next statement of this account is applied at once.
    send(world, statement(account("u-778"), "completed", QUIZ_EXTERNAL))
    assert _enrollment(learner.id, world.quizzed.id) is not None


def test_provisioning_places_new_learners_by_the_unit_code_extension(db: object) -> None:
    world = build_world(provision=True)
    unit_ext = {"https://lms146.vn/xapi/extensions/unit-code": "HP-LECHAN"}
    send(
        world,
        statement(account("m-1", "Phạm Thị Lan"), "completed", DVC_EXTERNAL, extensions=unit_ext),
    )
    ifi = identities.Ifi(IdentityKind.account, "https://mooc.example.vn|m-1")
    user = identities.find_user(ifi)
    assert user is not None
    assert user.full_name == "Phạm Thị Lan"
    assert user.unit is not None
    assert user.unit.code == "HP-LECHAN"
    assert user.target_group == "citizen"
    assert user.email
    assert user.email.endswith("@learners.lms146.invalid")
    enrollment = _enrollment(user.id, world.dvc.id)
    assert enrollment is not None
    assert enrollment.status == EnrollmentStatus.completed
    assert len(_certificates(user.id)) == 1


def test_provisioning_only_into_the_platform_units_others_are_held(db: object) -> None:
    """A platform creates learners only inside the units it was allowed: an unknown, missing
    or foreign unit code holds the statement (platform_scope) and creates nobody."""
    world = build_world(provision=True)
    make_unit("QT", kind=UnitKind.province, name="Tỉnh Quảng Trị")
    code = "https://lms146.vn/xapi/extensions/unit-code"
    cases = {
        "moi@example.vn": {code: "XX-NOWHERE"},
        "khac@example.vn": {code: "QT"},
        "khong@example.vn": None,
    }
    for email, extensions in cases.items():
        send(world, statement(mbox(email), "completed", DVC_EXTERNAL, extensions=extensions))
    for email in cases:
        assert identities.find_user(identities.Ifi(IdentityKind.mbox, f"mailto:{email}")) is None
    held = {
        row.actor_ifi: row.detail
        for row in db.session.scalars(select(BridgeUnmatched))  # type: ignore[attr-defined]
        if row.reason == UnmatchedReason.platform_scope
    }
    assert "unknown unit code 'XX-NOWHERE'" in held["mbox:mailto:moi@example.vn"]
    assert "unit QT is outside" in held["mbox:mailto:khac@example.vn"]
    assert "no unit code" in held["mbox:mailto:khong@example.vn"]


def test_completed_alone_does_not_meet_a_quiz_rule_until_passed(world: World) -> None:
    send(world, statement(mbox("hoa@example.vn"), "completed", QUIZ_EXTERNAL))
    enrollment = _enrollment(world.citizen.id, world.quizzed.id)
    assert enrollment is not None
    assert enrollment.status == EnrollmentStatus.in_progress
    send(
        world,
        statement(
            mbox("hoa@example.vn"), "failed", QUIZ_EXTERNAL, result={"score": {"scaled": 0.5}}
        ),
    )
    assert enrollment.status == EnrollmentStatus.in_progress
    assert enrollment.quiz_score == 0.5
    send(
        world,
        statement(
            mbox("hoa@example.vn"),
            "passed",
            QUIZ_EXTERNAL,
            result={"score": {"raw": 8, "min": 0, "max": 10}},
        ),
    )
    assert enrollment.status == EnrollmentStatus.completed
    assert enrollment.quiz_score == 0.8
    assert len(_certificates(world.citizen.id)) == 1


def test_voiding_a_pass_recomputes_the_quiz_result_of_an_xapi_enrollment(world: World) -> None:
    send(world, statement(mbox("hoa@example.vn"), "completed", QUIZ_EXTERNAL))
    [passed] = send(
        world,
        statement(
            mbox("hoa@example.vn"), "passed", QUIZ_EXTERNAL, result={"score": {"scaled": 0.9}}
        ),
    )
    void = statement(mbox("hoa@example.vn"), "voided", QUIZ_EXTERNAL)
    void["object"] = {"objectType": "StatementRef", "id": passed}
    send(world, void)
    enrollment = _enrollment(world.citizen.id, world.quizzed.id)
    assert enrollment is not None
    assert enrollment.status == EnrollmentStatus.in_progress
    assert enrollment.quiz_score is None


def test_the_lms_own_statements_are_not_applied_again(world: World) -> None:
    send(
        world,
        statement(actor_for(world.citizen), "completed", world.dvc.activity_iri),
        authority=lrs.lms_authority(),
    )
    assert _enrollment(world.citizen.id, world.dvc.id) is None


def test_a_voiding_by_the_lms_is_read_and_applied(world: World) -> None:
    """The LMS's own statements are stepped over unread, but not its voidings."""
    [completed_id] = send(world, statement(mbox("hoa@example.vn"), "completed", DVC_EXTERNAL))
    void = statement(actor_for(world.citizen), "voided", DVC_EXTERNAL)
    void["object"] = {"objectType": "StatementRef", "id": completed_id}
    send(world, void, authority=lrs.lms_authority())
    enrollment = _enrollment(world.citizen.id, world.dvc.id)
    assert enrollment is not None
    assert enrollment.status == EnrollmentStatus.in_progress
    [cert] = _certificates(world.citizen.id)
    assert cert.status == "revoked"


def test_statements_that_change_nothing_are_stepped_over_in_stored_order(world: World) -> None:
    """A lesson elsewhere and the LMS's own statements are passed, not read: the cursor
    reaches the last, the completion after them is applied and the batch counts them."""
    lesson = "https://elsewhere.example.vn/lesson-1"
    ids = send(world, statement(mbox("hoa@example.vn"), "experienced", lesson))
    own = statement(actor_for(world.citizen), "completed", world.dvc.activity_iri)
    ids += send(world, own, authority=lrs.lms_authority())
    send(world, statement(mbox("hoa@example.vn"), "completed", DVC_EXTERNAL))
    enrollment = _enrollment(world.citizen.id, world.dvc.id)
    assert enrollment is not None
    assert enrollment.status == EnrollmentStatus.completed
    last = db.session.scalar(select(func.max(Statement.seq)))
    assert read_cursor().last_seq == last
    runs = db.session.scalars(select(BridgeRun).order_by(BridgeRun.id)).all()
    assert sum(run.statements for run in runs) >= len(ids) + 1


def test_lms_account_and_mbox_sha1sum_identify_users(world: World) -> None:
    send(world, statement(actor_for(world.citizen), "completed", DVC_EXTERNAL))
    assert _enrollment(world.citizen.id, world.dvc.id) is not None
    other = make_user("ba@example.vn", unit=world.units["HP"])
    sha = hashlib.sha1(b"mailto:ba@example.vn").hexdigest()  # noqa: S324 - the xAPI IFI
    send(world, statement({"mbox_sha1sum": sha}, "completed", DVC_EXTERNAL))
    assert _enrollment(other.id, world.dvc.id) is not None


@pytest.mark.parametrize("name", ["²", "99999999999"])
def test_an_lms_account_name_no_user_can_have_is_an_unknown_learner(
    world: World, name: str
) -> None:
    """``"²".isdigit()`` is true and ``int("²")`` fails; 99999999999 is past the ids'
    INTEGER column, which PostgreSQL refuses to compare with: both stopped the bridge on the
    statement of any LRS client that sent one."""
    actor = actor_for(world.citizen)
    actor["account"] = {**actor["account"], "name": name}
    send(world, statement(actor, "completed", DVC_EXTERNAL))
    reasons = set(db.session.scalars(select(BridgeUnmatched.reason)))
    assert reasons == {UnmatchedReason.unknown_learner}
    assert read_cursor().last_seq == db.session.scalar(select(func.max(Statement.seq)))


def test_groups_and_disabled_accounts_are_held_with_the_reason(world: World) -> None:
    group = {"objectType": "Group", "mbox": "mailto:to@example.vn", "member": []}
    send(world, statement(group, "completed", DVC_EXTERNAL))
    world.citizen.active = False
    send(world, statement(mbox("hoa@example.vn"), "completed", DVC_EXTERNAL))
    reasons = set(db.session.scalars(select(BridgeUnmatched.reason)))
    assert reasons == {UnmatchedReason.group_actor, UnmatchedReason.account_disabled}


def test_status_shows_pending_statements_and_their_lag(world: World) -> None:
    lrs.record_many(
        [statement(mbox("hoa@example.vn"), "completed", DVC_EXTERNAL) for _ in range(3)],
        authority=world.client.authority,
    )
    db.session.commit()
    before = bridge.status()
    assert before["pending"] == 3
    assert before["last_stored_seq"] - before["last_processed_seq"] >= 3
    assert before["lag_seconds"] >= 0
    assert before["oldest_pending_stored"] is not None
    assert bridge.process_pending() >= 3  # and the statements the LMS wrote meanwhile
    after = bridge.status()
    assert after["pending"] == 0
    assert after["lag_seconds"] == 0
    assert after["last_run"]["statements"] >= 1


def test_a_statement_that_appears_in_a_remembered_gap_is_processed(world: World) -> None:
    send(world, statement(mbox("hoa@example.vn"), "experienced", DVC_EXTERNAL))
    lrs.record(
        statement(mbox("hoa@example.vn"), "completed", DVC_EXTERNAL),
        authority=world.client.authority,
    )
    late = lrs.read_after(0)[-1]
    cursor = read_cursor()
    cursor.last_seq = late.seq  # as if the batch had passed it before it became visible
    db.session.add(BridgeGap(from_seq=late.seq, to_seq=late.seq))
    db.session.commit()
    bridge.run_batch()
    enrollment = _enrollment(world.citizen.id, world.dvc.id)
    assert enrollment is not None
    assert enrollment.status == EnrollmentStatus.completed
    assert db.session.scalar(select(func.count()).select_from(BridgeGap)) == 0


def test_identity_links_are_unique_across_learners(world: World) -> None:
    from lms.errors import Conflict

    ifi = identities.Ifi(IdentityKind.account, "https://mooc.example.vn|x1")
    identities.link_identity(world.citizen, ifi, source=IdentitySource.linked, by=world.admin)
    identities.link_identity(world.citizen, ifi, source=IdentitySource.linked, by=world.admin)
    with pytest.raises(Conflict):
        identities.link_identity(make_user(), ifi, source=IdentitySource.linked, by=world.admin)
    with pytest.raises(Conflict):
        identities.link_identity(
            make_user(),
            identities.Ifi(IdentityKind.mbox, "mailto:hoa@example.vn"),
            source=IdentitySource.linked,
            by=world.admin,
        )


def test_with_celery_a_queued_bridge_job_is_not_submitted_twice(
    app: Flask, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Statements stored while a bridge job waits are read by that job when it runs."""
    from lms.jobs.models import Job, JobStatus
    from lms.learning import triggers

    monkeypatch.setitem(app.config, "JOBS_EAGER", False)
    db.session.add(Job(kind=triggers.JOB_KIND, payload={}, status=JobStatus.queued))
    db.session.commit()
    send(world, statement(mbox("hoa@example.vn"), "completed", DVC_EXTERNAL))
    jobs = db.session.scalars(select(Job).where(Job.kind == triggers.JOB_KIND)).all()
    assert len(jobs) == 1
    assert _enrollment(world.citizen.id, world.dvc.id) is None  # left to the worker
    assert triggers.run_bridge({}, lambda done, total: None)["processed"] >= 1
    assert _enrollment(world.citizen.id, world.dvc.id) is not None


# --- voiding: who may take an effect back, and what the rule says after -------------------------


def _void(world: World, target: str, *, authority: dict[str, object] | None = None) -> str:
    void = statement(mbox("hoa@example.vn"), "voided", QUIZ_EXTERNAL)
    void["object"] = {"objectType": "StatementRef", "id": target}
    [void_id] = send(world, void, authority=authority)
    return void_id


def _completed_and_passed(world: World) -> tuple[str, str]:
    completed, passed = send(
        world,
        statement(mbox("hoa@example.vn"), "completed", QUIZ_EXTERNAL),
        statement(
            mbox("hoa@example.vn"), "passed", QUIZ_EXTERNAL, result={"score": {"scaled": 0.9}}
        ),
    )
    enrollment = _enrollment(world.citizen.id, world.quizzed.id)
    assert enrollment is not None
    assert enrollment.status == EnrollmentStatus.completed
    return completed, passed


@pytest.mark.parametrize("voided", ["completed", "passed"])
def test_voiding_either_requirement_of_the_rule_reopens_and_revokes(
    world: World, voided: str
) -> None:
    """The course needs a completed and a pass: voiding either one reopens the completion,
    whichever statement happened to complete it."""
    completed, passed = _completed_and_passed(world)
    _void(world, completed if voided == "completed" else passed)
    enrollment = _enrollment(world.citizen.id, world.quizzed.id)
    assert enrollment is not None
    assert enrollment.status == EnrollmentStatus.in_progress
    assert [c.status for c in _certificates(world.citizen.id)] == ["revoked"]


def test_voiding_the_completed_keeps_a_completion_another_completed_holds(world: World) -> None:
    completed, _passed = _completed_and_passed(world)
    send(world, statement(mbox("hoa@example.vn"), "completed", world.quizzed.activity_iri))
    _void(world, completed)
    enrollment = _enrollment(world.citizen.id, world.quizzed.id)
    assert enrollment is not None
    assert enrollment.status == EnrollmentStatus.completed
    assert [c.status for c in _certificates(world.citizen.id)] == ["valid"]


def test_a_voiding_by_another_client_takes_nothing_back(world: World) -> None:
    """Only the platform that made a statement (or the LMS) can take its effect back."""
    from lms.xapi import clients

    completed, passed = _completed_and_passed(world)
    stranger, _secret = clients.create_client("Ứng dụng lạ")
    _void(world, passed, authority=stranger.authority)
    _void(world, completed, authority=stranger.authority)
    enrollment = _enrollment(world.citizen.id, world.quizzed.id)
    assert enrollment is not None
    assert enrollment.status == EnrollmentStatus.completed
    assert [c.status for c in _certificates(world.citizen.id)] == ["valid"]
    assert bridge.status()["ignored_by_rule"] == 2


def test_a_statement_voided_in_advance_by_someone_else_still_counts(world: World) -> None:
    """Statement ids can be guessed (results files use fixed ones): another client voiding an
    id before the platform sends it does not stop the platform's statement from counting."""
    from lms.xapi import clients

    stranger, _secret = clients.create_client("Ứng dụng lạ")
    planned = statement(mbox("hoa@example.vn"), "completed", DVC_EXTERNAL)
    void = statement(mbox("hoa@example.vn"), "voided", DVC_EXTERNAL)
    void["object"] = {"objectType": "StatementRef", "id": planned["id"]}
    send(world, void, authority=stranger.authority)
    send(world, planned)
    enrollment = _enrollment(world.citizen.id, world.dvc.id)
    assert enrollment is not None
    assert enrollment.status == EnrollmentStatus.completed


# --- a platform moves only what it was allowed ----------------------------------------------------


def test_a_platform_reports_only_its_courses_for_learners_of_its_units(world: World) -> None:
    from lms.learning import platforms, review
    from tests.factories import make_course
    from tests.learning.conftest import MOOC_COURSE

    closed = make_course("lanh-dao-so", **MOOC_COURSE, rule={"lessons": "all"})
    qt = make_unit("QT", kind=UnitKind.province, name="Tỉnh Quảng Trị")
    outsider = make_user("ngoai@example.vn", unit=qt, full_name="Người ngoài")
    send(
        world,
        statement(mbox("hoa@example.vn"), "completed", closed.activity_iri),
        statement(mbox("ngoai@example.vn"), "completed", DVC_EXTERNAL),
    )
    assert _enrollment(world.citizen.id, closed.id) is None
    assert _enrollment(outsider.id, world.dvc.id) is None
    held = {row.actor_ifi: row for row in db.session.scalars(select(BridgeUnmatched))}
    assert {row.reason for row in held.values()} == {UnmatchedReason.platform_scope}
    assert f"may not report course {closed.id}" in held["mbox:mailto:hoa@example.vn"].detail
    assert f"learner {outsider.id} is outside" in held["mbox:mailto:ngoai@example.vn"].detail
    assert {row.platform_id for row in held.values()} == {world.platform.id}
    # The administrator widens the allowance; the held statements then apply, once.
    platforms.update_platform(
        world.platform,
        {"courses": ["dich-vu-cong", "ky-nang-so", "lanh-dao-so"], "units": ["HP", "QT"]},
    )
    outcome = review.retry(by=world.admin, platform_id=world.platform.id, reason="platform_scope")
    assert outcome == {"applied": 2, "still_held": 0, "remaining": 0}
    assert review.retry(by=world.admin) == {"applied": 0, "still_held": 0, "remaining": 0}
    assert _enrollment(world.citizen.id, closed.id) is not None
    assert _enrollment(outsider.id, world.dvc.id) is not None


def test_an_inactive_platform_moves_nothing(world: World) -> None:
    from lms.learning import platforms

    platforms.update_platform(world.platform, {"active": False})
    send(world, statement(mbox("hoa@example.vn"), "completed", DVC_EXTERNAL))
    assert _enrollment(world.citizen.id, world.dvc.id) is None
    assert bridge.status()["ignored_by_rule"] == 1


def test_the_lms_own_statements_are_not_pending(
    app: Flask, client: FlaskClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh demo showed "Đang chờ 649 · Độ trễ 420.917 giây": the LMS's own statements
    (a lesson completed here) waited for the next platform POST and counted as pending."""
    bridge.process_pending()
    lrs.record_many(
        [statement(mbox("hoa@example.vn"), "experienced", DVC_EXTERNAL) for _ in range(3)]
    )  # no authority: the LMS's own
    db.session.commit()
    status = bridge.status()
    assert status["pending"] == 0
    assert status["own_unread"] == 3
    assert status["lag_seconds"] == 0
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_LOCALE", "vi")
    login(client, world.admin)
    page = client.get("/learning/bridge").text
    assert "Đã cập nhật" in page

    send(world, statement(mbox("ba@example.vn"), "completed", DVC_EXTERNAL))  # processed at once
    lrs.record(statement(mbox("hoa@example.vn"), "completed", DVC_EXTERNAL),
               authority=world.client.authority)  # fmt: skip
    db.session.commit()
    status = bridge.status()
    assert status["pending"] == 1
    page = client.get("/learning/bridge").text
    assert "Đang áp dụng 1 bản ghi do các nền tảng gửi" in page
