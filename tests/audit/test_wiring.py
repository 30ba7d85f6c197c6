"""Each privileged act writes one entry, through the API, the pages or the command line."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from lms.audit.constants import AuditAction
from lms.certificates import services as certificates
from lms.classes.models import EnrollmentStatus
from lms.org.models import UnitKind
from lms.stats import services as stats
from tests.audit.conftest import Headers, People, entries
from tests.factories import make_enrollment, make_unit, make_user


def test_issuing_with_an_override_reason(
    client: FlaskClient, people: People, bearer: Headers
) -> None:
    world = people.world
    member = make_user(unit=world.klass.unit)  # a member the class's trainer reaches
    enrollment = make_enrollment(member, world.course, klass=world.klass, quiz_score=0.2)
    response = client.post(
        f"/api/v1/enrollments/{enrollment.id}/certificate",
        json={"override_reason": "Đi công tác nửa ngày, đã học bù"},
        headers=bearer(world.trainer),
    )
    assert response.status_code == 201, response.json
    [entry] = entries(AuditAction.certificate_issued_override)
    assert entry.actor_id == world.trainer.id
    assert entry.reason == "Đi công tác nửa ngày, đã học bù"
    assert entry.target_type == "certificate"
    assert entry.target_id == response.json["serial"]
    assert entry.unit_id == world.units["HP-SKHCN"].id  # the issuing unit


def test_issuing_by_the_rule_is_not_a_privileged_act(people: People) -> None:
    world = people.world
    certificates.issue_certificate(world.enrollment, by=world.trainer)
    assert entries() == []


def test_revoking(client: FlaskClient, people: People, bearer: Headers) -> None:
    world = people.world
    cert, _created = certificates.issue_certificate(world.enrollment)
    response = client.post(
        f"/api/v1/certificates/{cert.serial}/revoke",
        json={"reason": "Cấp nhầm người"},
        headers=bearer(world.official_hp),
    )
    assert response.status_code == 200, response.json
    [entry] = entries(AuditAction.certificate_revoked)
    assert (entry.actor_id, entry.reason, entry.target_id) == (
        world.official_hp.id,
        "Cấp nhầm người",
        cert.serial,
    )
    assert entry.summary == f"{cert.serial} — {world.holder.full_name}"


def test_the_system_revoking_is_recorded_without_an_actor(people: People) -> None:
    world = people.world
    cert, _created = certificates.issue_certificate(world.enrollment)
    world.enrollment.status = EnrollmentStatus.in_progress
    certificates.revoke_for_reopened(world.enrollment)
    [entry] = entries(AuditAction.certificate_revoked)
    assert entry.actor_id is None
    assert entry.target_id == cert.serial


def test_closing_and_reopening_a_year(client: FlaskClient, people: People, bearer: Headers) -> None:
    world = people.world
    closed = client.post(
        "/api/v1/stats/closures",
        json={"unit": "HP", "year": 2025, "note": "Báo cáo gửi Sở ngày 15/12"},
        headers=bearer(world.official_hp),
    )
    assert closed.status_code == 201, closed.json
    reopened = client.delete(
        "/api/v1/stats/closures/HP/2025",
        json={"reason": "Sở yêu cầu bổ sung số liệu"},
        headers=bearer(world.admin),
    )
    assert reopened.status_code == 204
    close, reopen = entries()
    assert (close.action, close.actor_id, close.reason) == (
        AuditAction.year_closed,
        world.official_hp.id,
        "Báo cáo gửi Sở ngày 15/12",
    )
    assert (close.target_type, close.target_id) == ("year", "HP/2025")
    assert close.summary == "Thành phố Hải Phòng — 2025"
    assert (reopen.action, reopen.actor_id, reopen.target_id, reopen.reason) == (
        AuditAction.year_reopened,
        world.admin.id,
        "HP/2025",
        "Sở yêu cầu bổ sung số liệu",
    )
    assert close.details == reopen.details == {"number": "Số: 01/BC-HP"}
    assert stats.snapshot_for(world.units["HP"], 2025) is None


def test_changing_roles_and_deactivating_and_reactivating(
    client: FlaskClient, people: People, bearer: Headers
) -> None:
    admin, learner = people.world.admin, people.learner
    url = f"/api/v1/users/{learner.id}"
    assert client.patch(
        url, json={"roles": ["learner", "trainer"]}, headers=bearer(admin)
    ).status_code in {200, 201}
    assert client.patch(url, json={"active": False}, headers=bearer(admin)).status_code in {
        200,
        201,
    }
    assert client.patch(url, json={"active": False}, headers=bearer(admin)).status_code in {
        200,
        201,
    }  # no change
    assert client.patch(url, json={"active": True}, headers=bearer(admin)).status_code in {200, 201}
    assert client.patch(url, json={"full_name": "Tên mới"}, headers=bearer(admin)).status_code in {
        200,
        201,
    }
    roles, off, on = entries()
    assert roles.action == AuditAction.user_roles_changed
    assert roles.details == {"roles_before": ["learner"], "roles_after": ["learner", "trainer"]}
    assert (off.action, on.action) == (AuditAction.user_deactivated, AuditAction.user_reactivated)
    assert {e.actor_id for e in (roles, off, on)} == {admin.id}


def test_creating_an_account_with_a_role(
    app: Flask, client: FlaskClient, people: People, bearer: Headers
) -> None:
    official = people.world.official_hp
    learner_only = {"email": "a@example.vn", "full_name": "Người học", "unit_code": "HP"}
    assert client.post(
        "/api/v1/users", json=learner_only, headers=bearer(official)
    ).status_code in {200, 201}
    assert entries() == []
    trainer = learner_only | {"email": "b@example.vn", "roles": ["trainer"]}
    assert client.post("/api/v1/users", json=trainer, headers=bearer(official)).status_code in {
        200,
        201,
    }
    result = app.test_cli_runner().invoke(
        args=["users", "create", "--email", "boss@example.vn", "--role", "admin"]
    )
    assert result.exit_code == 0, result.output
    by_api, by_cli = entries(AuditAction.user_created)
    assert (by_api.actor_id, by_api.details) == (official.id, {"roles": ["trainer"]})
    assert (by_cli.actor_id, by_cli.details) == (None, {"roles": ["admin"]})
    assert "users create" in str(by_cli.user_agent)


def test_importing_people_with_roles(client: FlaskClient, people: People, bearer: Headers) -> None:
    rows = (
        "email,phone,full_name,unit_code,target_group,roles\n"
        "c@example.vn,,Người Một,HP-HONGBANG,official,learner;trainer\n"
        "d@example.vn,,Người Hai,HP-HONGBANG,citizen,\n"
    )
    response = client.post(
        "/api/v1/users/import",
        data=rows.encode(),
        content_type="text/csv",
        headers=bearer(people.world.official_hp),
    )
    assert response.status_code == 201, response.json
    [entry] = entries(AuditAction.user_created)
    assert entry.summary == "Người Một"
    assert entry.details == {"roles": ["learner", "trainer"]}


def test_lrs_clients_through_the_api_and_the_command_line(
    app: Flask, client: FlaskClient, people: People, bearer: Headers
) -> None:
    admin = bearer(people.world.admin)
    created = client.post("/api/v1/lrs-clients", json={"name": "MOOC tỉnh"}, headers=admin)
    assert created.status_code == 201
    client_id = created.json["id"]
    changed = client.patch(
        f"/api/v1/lrs-clients/{client_id}", json={"scopes": ["statements/write"]}, headers=admin
    )
    assert changed.status_code == 200
    assert client.delete(f"/api/v1/lrs-clients/{client_id}", headers=admin).status_code == 204
    runner = app.test_cli_runner()
    assert runner.invoke(args=["lrs-client", "create", "Máy chủ khác"]).exit_code == 0
    made, change, revoke, by_cli = entries()
    assert [e.action for e in (made, change, revoke, by_cli)] == [
        AuditAction.lrs_client_created,
        AuditAction.lrs_client_changed,
        AuditAction.lrs_client_revoked,
        AuditAction.lrs_client_created,
    ]
    assert made.details["name"] == "MOOC tỉnh"
    assert "secret" not in str(made.details)
    assert change.details == {"scopes": ["statements/write"]}
    assert {made.unit_id, change.unit_id, revoke.unit_id, by_cli.unit_id} == {None}
    assert by_cli.actor_id is None
    key = by_cli.summary.rsplit("(", 1)[1].rstrip(")")
    assert runner.invoke(args=["lrs-client", "revoke", key]).exit_code == 0
    assert entries()[-1].action == AuditAction.lrs_client_revoked


def test_source_platforms(client: FlaskClient, people: People, bearer: Headers) -> None:
    admin = bearer(people.world.admin)
    lrs_client = client.post("/api/v1/lrs-clients", json={"name": "MOOC"}, headers=admin).json
    body = {"client_id": lrs_client["id"], "name": "MOOC quốc gia", "home_page": "https://m.vn"}
    created = client.post("/api/v1/source-platforms", json=body, headers=admin)
    assert created.status_code == 201, created.json
    url = f"/api/v1/source-platforms/{created.json['id']}"
    assert client.patch(url, json={"provision_unknown": True}, headers=admin).status_code in {
        200,
        201,
    }
    assert client.delete(url, headers=admin).status_code == 204
    made, change, gone = entries()[1:]
    assert (made.action, made.summary, made.details["client_id"]) == (
        AuditAction.source_platform_created,
        "MOOC quốc gia",
        lrs_client["id"],
    )
    assert (change.action, change.details) == (
        AuditAction.source_platform_changed,
        {"provision_unknown": True},
    )
    assert gone.action == AuditAction.source_platform_deleted


def test_resolving_and_dismissing_held_statements(client: FlaskClient, bearer: Headers) -> None:
    from tests.learning.conftest import DVC_EXTERNAL, account, build_world, send, statement

    world = build_world()
    send(
        world,
        statement(account("a-1"), "completed", DVC_EXTERNAL),
        statement(account("b-2"), "completed", DVC_EXTERNAL),
    )
    headers = bearer(world.admin)
    held = client.get("/api/v1/bridge/unmatched", headers=headers).json["items"]
    first, second = sorted(held, key=lambda item: item["actor_ifi"])
    learner = make_user("a1@example.vn", unit=world.units["HP-LECHAN"], full_name="Lê Thị A")
    resolved = client.post(
        f"/api/v1/bridge/unmatched/{first['id']}/resolve",
        json={"user_id": learner.id},
        headers=headers,
    )
    assert resolved.status_code == 200, resolved.json
    dismissed = client.post(
        f"/api/v1/bridge/unmatched/{second['id']}/dismiss",
        json={"reason": "Tài khoản thử của nền tảng"},
        headers=headers,
    )
    assert dismissed.status_code == 200
    resolve, dismiss = entries()
    assert resolve.action == AuditAction.held_statement_resolved
    assert resolve.target_id == first["statement_id"]
    assert resolve.details == {"person": "Lê Thị A", "applied": 1, "still_held": 0}
    assert resolve.unit_id == world.units["HP-LECHAN"].id  # the learner it was linked to
    assert (dismiss.action, dismiss.reason, dismiss.unit_id) == (
        AuditAction.held_statement_dismissed,
        "Tài khoản thử của nền tảng",
        None,
    )


def test_merging_units(client: FlaskClient, people: People, bearer: Headers) -> None:
    hp = people.units["HP"]
    old = make_unit("HP-CU", kind=UnitKind.commune, parent=hp, name="Phường Cũ")
    make_user(unit=old)
    response = client.post(
        "/api/v1/units/HP-CU/merge",
        json={"into": "HP-HONGBANG", "on": "2025-07-01"},
        headers=bearer(people.world.admin),
    )
    assert response.status_code == 200, response.json
    [entry] = entries(AuditAction.unit_merged)
    assert (entry.target_type, entry.target_id, entry.summary) == (
        "unit",
        "HP-CU",
        "HP-CU — Phường Cũ",
    )
    assert entry.details == {
        "into": "HP-HONGBANG — Phường Hồng Bàng",
        "on": "2025-07-01",
        "units_moved": 0,
        "people_moved": 1,
    }
    assert entry.unit_id == old.id


def test_a_password_set_by_an_operator(app: Flask, people: People) -> None:
    result = app.test_cli_runner().invoke(
        args=["users", "set-password", "--login", people.learner.email, "--password", "x" * 12]
    )
    assert result.exit_code == 0, result.output
    [entry] = entries(AuditAction.user_password_set)
    assert entry.target_id == str(people.learner.id)


def test_closing_a_year_from_the_command_line_names_the_official(
    app: Flask, people: People
) -> None:
    official = people.world.official_hp
    result = app.test_cli_runner().invoke(
        args=["reports", "close", "--unit", "HP", "--year", "2024", "--by", official.email]
    )
    assert result.exit_code == 0, result.output
    [entry] = entries(AuditAction.year_closed)
    assert entry.actor_id == official.id
    assert "reports close" in str(entry.user_agent)
