"""The bridge's JSON API: status, review, identities, platforms, activity IRIs, profile."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from lms.auth.models import Role
from lms.classes.models import Enrollment, EnrollmentStatus
from lms.extensions import db
from lms.learning.models import BridgeUnmatched
from lms.xapi import clients
from tests.factories import make_user
from tests.learning.conftest import DVC_EXTERNAL, World, account, mbox, send, statement

Headers = Callable[[object], dict[str, str]]


@pytest.mark.parametrize(
    ("who", "status"), [("nobody", 401), ("learner", 403), ("official", 403), ("admin", 200)]
)
def test_status_is_for_administrators(
    client: FlaskClient, world: World, auth_headers: Headers, who: str, status: int
) -> None:
    headers = {}
    if who == "admin":
        headers = auth_headers(world.admin)
    elif who != "nobody":
        headers = auth_headers(make_user(roles=(Role(who),)))
    response = client.get("/api/v1/bridge/status", headers=headers)
    assert response.status_code == status
    if status == 200:
        assert set(response.json) >= {
            "last_stored_seq",
            "last_processed_seq",
            "pending",
            "lag_seconds",
            "unmatched_open",
        }
    else:
        assert response.json["code"] == status


def test_run_processes_what_is_pending(
    client: FlaskClient, world: World, auth_headers: Headers
) -> None:
    from lms.xapi import services as lrs

    lrs.record(
        statement(mbox("hoa@example.vn"), "completed", DVC_EXTERNAL),
        authority=world.client.authority,
    )
    db.session.commit()
    response = client.post("/api/v1/bridge/run", json={}, headers=auth_headers(world.admin))
    assert response.status_code == 200
    assert response.json["processed"] >= 1
    assert response.json["pending"] == 0 or response.json["last_processed_seq"] > 0


def test_unmatched_list_resolve_and_dismiss(
    client: FlaskClient, world: World, auth_headers: Headers
) -> None:
    send(
        world,
        statement(account("a-1"), "completed", DVC_EXTERNAL),
        statement(account("a-1"), "passed", DVC_EXTERNAL),
        statement(account("b-2"), "completed", DVC_EXTERNAL),
    )
    headers = auth_headers(world.admin)
    listed = client.get("/api/v1/bridge/unmatched", headers=headers).json
    assert listed["total"] == 3
    assert {i["reason"] for i in listed["items"]} == {"unknown_learner"}
    first = next(i for i in listed["items"] if i["actor_ifi"].endswith("|a-1"))
    learner = make_user("a1@example.vn", unit=world.units["HP-LECHAN"])
    missing = client.post(
        f"/api/v1/bridge/unmatched/{first['id']}/resolve", json={}, headers=headers
    )
    assert missing.status_code == 422
    assert "user_id" in missing.json["errors"]
    resolved = client.post(
        f"/api/v1/bridge/unmatched/{first['id']}/resolve",
        json={"user_id": learner.id},
        headers=headers,
    )
    assert resolved.status_code == 200, resolved.json
    assert resolved.json["applied"] == 2
    enrollment = db.session.scalar(select(Enrollment).where(Enrollment.user_id == learner.id))
    assert enrollment is not None
    assert enrollment.status == EnrollmentStatus.completed
    other = next(i for i in listed["items"] if i["actor_ifi"].endswith("|b-2"))
    no_reason = client.post(
        f"/api/v1/bridge/unmatched/{other['id']}/dismiss", json={"reason": ""}, headers=headers
    )
    assert no_reason.status_code == 422
    dismissed = client.post(
        f"/api/v1/bridge/unmatched/{other['id']}/dismiss",
        json={"reason": "Tài khoản thử"},
        headers=headers,
    )
    assert dismissed.json["resolution"] == "dismissed"
    assert client.get("/api/v1/bridge/unmatched", headers=headers).json["total"] == 0
    again = client.post(
        f"/api/v1/bridge/unmatched/{other['id']}/dismiss", json={"reason": "x"}, headers=headers
    )
    assert again.status_code == 409
    assert (
        db.session.scalar(select(BridgeUnmatched).where(BridgeUnmatched.id == other["id"]))
        is not None
    )


def test_identities_link_list_conflict_and_unlink(
    client: FlaskClient, world: World, auth_headers: Headers
) -> None:
    headers = auth_headers(world.admin)
    body = {
        "user_id": world.citizen.id,
        "kind": "account",
        "value": "https://mooc.example.vn|hoa-77",
    }
    created = client.post("/api/v1/bridge/identities", json=body, headers=headers)
    assert created.status_code == 201
    listed = client.get(
        f"/api/v1/bridge/identities?user_id={world.citizen.id}", headers=headers
    ).json
    kinds = {(i["kind"], i["implicit"]) for i in listed}
    assert ("account", False) in kinds
    assert ("mbox", True) in kinds
    other = make_user()
    clash = client.post(
        "/api/v1/bridge/identities", json=body | {"user_id": other.id}, headers=headers
    )
    assert clash.status_code == 409
    bad = client.post(
        "/api/v1/bridge/identities", json=body | {"kind": "mbox", "value": "hoa"}, headers=headers
    )
    assert bad.status_code == 422
    unknown_field = client.post("/api/v1/bridge/identities", json=body | {"x": 1}, headers=headers)
    assert unknown_field.status_code == 422
    send(world, statement(account("hoa-77"), "completed", DVC_EXTERNAL))
    assert (
        db.session.scalar(select(Enrollment).where(Enrollment.user_id == world.citizen.id))
        is not None
    )
    assert (
        client.delete(
            f"/api/v1/bridge/identities/{created.json['id']}", headers=headers
        ).status_code
        == 204
    )


def test_source_platforms_crud(client: FlaskClient, world: World, auth_headers: Headers) -> None:
    headers = auth_headers(world.admin)
    new_client, _secret = clients.create_client("Nền tảng khác")
    db.session.commit()
    body = {"client_id": new_client.id, "name": "Khác", "home_page": "https://khac.example.vn"}
    created = client.post("/api/v1/source-platforms", json=body, headers=headers)
    assert created.status_code == 201
    assert created.json["provision_unknown"] is False
    assert created.json["default_target_group"] == "citizen"
    # Nothing is allowed until an administrator lists it.
    assert created.json["courses"] == []
    assert created.json["units"] == []
    assert client.post("/api/v1/source-platforms", json=body, headers=headers).status_code == 409
    bad = client.post(
        "/api/v1/source-platforms", json=body | {"home_page": "ftp://x.example"}, headers=headers
    )
    assert bad.status_code == 422
    pid = created.json["id"]
    patched = client.patch(
        f"/api/v1/source-platforms/{pid}", json={"provision_unknown": True}, headers=headers
    )
    assert patched.json["provision_unknown"] is True
    allowed = client.patch(
        f"/api/v1/source-platforms/{pid}",
        json={"courses": ["ky-nang-so", "dich-vu-cong"], "units": ["HP-LECHAN"]},
        headers=headers,
    )
    assert allowed.status_code == 200
    assert allowed.json["courses"] == ["dich-vu-cong", "ky-nang-so"]
    assert allowed.json["units"] == ["HP-LECHAN"]
    unknown = client.patch(
        f"/api/v1/source-platforms/{pid}",
        json={"courses": ["khong-co"], "units": ["XX"]},
        headers=headers,
    )
    assert unknown.status_code == 422
    assert unknown.json["errors"]["courses"] == ["No course khong-co."]
    listed = client.get(f"/api/v1/source-platforms/{pid}", headers=headers).json
    assert listed["courses"] == ["dich-vu-cong", "ky-nang-so"]
    assert client.get("/api/v1/source-platforms", headers=headers).json["total"] == 2
    assert client.delete(f"/api/v1/source-platforms/{pid}", headers=headers).status_code == 204
    assert client.get(f"/api/v1/source-platforms/{pid}", headers=headers).status_code == 404


def test_a_platform_created_with_its_allowance_and_never_a_cmi5_session(
    client: FlaskClient, world: World, auth_headers: Headers
) -> None:
    from tests.cmi5_session import open_session

    headers = auth_headers(world.admin)
    new_client, _secret = clients.create_client("Nền tảng tỉnh")
    db.session.commit()
    body = {
        "client_id": new_client.id,
        "name": "Tỉnh",
        "home_page": "https://tinh.example.vn",
        "courses": ["dich-vu-cong"],
        "units": ["HP"],
    }
    created = client.post("/api/v1/source-platforms", json=body, headers=headers)
    assert created.status_code == 201, created.json
    assert (created.json["courses"], created.json["units"]) == (["dich-vu-cong"], ["HP"])
    session = open_session(world.citizen).session
    refused = client.post(
        "/api/v1/source-platforms", json=body | {"client_id": session.client_id}, headers=headers
    )
    assert refused.status_code == 422
    assert "client_id" in refused.json["errors"]


def test_retry_applies_what_a_platform_was_later_allowed(
    client: FlaskClient, world: World, auth_headers: Headers
) -> None:
    headers = auth_headers(world.admin)
    client.patch(
        f"/api/v1/source-platforms/{world.platform.id}", json={"courses": []}, headers=headers
    )
    send(world, statement(mbox("hoa@example.vn"), "completed", DVC_EXTERNAL))
    held = client.get("/api/v1/bridge/unmatched?reason=platform_scope", headers=headers).json
    assert held["total"] == 1
    client.patch(
        f"/api/v1/source-platforms/{world.platform.id}",
        json={"courses": ["dich-vu-cong"]},
        headers=headers,
    )
    retried = client.post(
        "/api/v1/bridge/unmatched/retry",
        json={"platform_id": world.platform.id, "reason": "platform_scope"},
        headers=headers,
    )
    assert retried.status_code == 200
    assert retried.json == {"applied": 1, "still_held": 0, "remaining": 0}
    assert client.get("/api/v1/bridge/unmatched", headers=headers).json["total"] == 0


def test_put_activity_iris_ties_a_mooc_course_to_the_course(
    client: FlaskClient, world: World, auth_headers: Headers
) -> None:
    headers = auth_headers(world.admin)
    new_iri = "https://other-mooc.example.vn/c/42"
    bad = client.put(
        "/api/v1/courses/dich-vu-cong/activity-iris",
        json={"iris": ["not an iri", world.quizzed.activity_iri, DVC_EXTERNAL, DVC_EXTERNAL]},
        headers=headers,
    )
    assert bad.status_code == 422
    assert set(bad.json["errors"]) == {"iris.0", "iris.1", "iris.3"}
    ok = client.put(
        "/api/v1/courses/dich-vu-cong/activity-iris", json={"iris": [new_iri]}, headers=headers
    )
    assert ok.status_code == 200
    assert ok.json["external_activity_iris"] == [new_iri]
    send(world, statement(mbox("hoa@example.vn"), "completed", DVC_EXTERNAL))  # no longer mapped
    assert (
        db.session.scalar(select(Enrollment).where(Enrollment.user_id == world.citizen.id)) is None
    )
    send(world, statement(mbox("hoa@example.vn"), "completed", new_iri))
    enrollment = db.session.scalar(select(Enrollment).where(Enrollment.user_id == world.citizen.id))
    assert enrollment is not None
    assert enrollment.status == EnrollmentStatus.completed
    assert (
        client.put(
            "/api/v1/courses/khong-co/activity-iris", json={"iris": []}, headers=headers
        ).status_code
        == 404
    )


def test_profile_document_is_a_public_xapi_profile(client: FlaskClient, db: object) -> None:
    response = client.get("/profile/lms146.jsonld")
    assert response.status_code == 200
    assert response.mimetype == "application/ld+json"
    doc = response.json
    assert doc["@context"] == "https://w3id.org/xapi/profiles/context"
    assert doc["type"] == "Profile"
    assert doc["conformsTo"] == "https://w3id.org/xapi/profiles#1.0"
    for key in ("id", "prefLabel", "definition", "versions", "author", "concepts", "templates"):
        assert doc[key], key
    version = doc["versions"][0]["id"]
    by_type: dict[str, set[str]] = {}
    for concept in doc["concepts"]:
        assert concept["inScheme"] == version
        assert {"vi", "en"} <= set(concept["prefLabel"])
        by_type.setdefault(concept["type"], set()).add(concept["id"])
    verbs = by_type["Verb"]
    for name in (
        "completed",
        "passed",
        "failed",
        "attempted",
        "answered",
        "experienced",
        "registered",
        "launched",
        "initialized",
        "terminated",
    ):
        assert f"http://adlnet.gov/expapi/verbs/{name}" in verbs
    for name in ("satisfied", "abandoned", "waived"):
        assert f"https://w3id.org/xapi/adl/verbs/{name}" in verbs
    assert "http://id.tincanapi.com/verb/earned" in verbs
    assert "http://adlnet.gov/expapi/activities/course" in by_type["ActivityType"]
    assert "https://lms146.vn/xapi/extensions/unit-code" in by_type["ContextExtension"]
    for template in doc["templates"]:
        assert template["type"] == "StatementTemplate"
        assert template["verb"] in verbs
        assert all("location" in rule for rule in template["rules"])


def test_openapi_describes_the_bridge(client: FlaskClient, db: object) -> None:
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in (
        "/api/v1/bridge/status",
        "/api/v1/bridge/unmatched",
        "/api/v1/source-platforms",
        "/api/v1/bridge/unmatched/retry",
        "/api/v1/courses/{slug}/activity-iris",
        "/api/v1/bridge/imports",
        "/api/v1/cmi5/import",
        "/api/v1/cmi5/aus/{au_id}/waive",
    ):
        assert path in paths, path
