"""Who may move the figures, tried as an attacker would: over HTTP, with credentials one can get.

Each test is one attack of issue 11 on the LRS and the bridge; each used to work and now
fails: a default-scope client making someone a leaders' course certificate holder, a
learner's cmi5 session credentials completing another or a closed course (or another
learner's), voiding a platform's ``passed``, and reaching another learner's documents.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from lms.auth.models import Role, User
from lms.catalog.models import Course
from lms.certificates.models import Certificate
from lms.classes.models import Enrollment, EnrollmentStatus
from lms.db import utcnow
from lms.extensions import db
from lms.learning import bridge
from lms.learning.cmi5.runtime import actor_of
from lms.learning.models import BridgeUnmatched, Cmi5Satisfied
from lms.xapi import clients
from lms.xapi import services as lrs
from lms.xapi.models import LrsClient
from tests.cmi5_session import Cmi5Credentials, cmi5_course, open_session
from tests.factories import make_user
from tests.learning.conftest import (
    ADL,
    QUIZ_EXTERNAL,
    World,
    login,
    make_course,
    mbox,
    send,
    statement,
)
from tests.xapi.conftest import VERSION, basic


def _post(client: FlaskClient, authorization: str, body: Any) -> int:
    response = client.post(
        "/xapi/statements",
        json=body,
        headers={"Authorization": authorization, "X-Experience-API-Version": VERSION},
    )
    bridge.process_pending()
    return response.status_code


def _certificates(user: User) -> list[Certificate]:
    return list(db.session.scalars(select(Certificate).where(Certificate.user_id == user.id)))


def _enrollments(user: User) -> list[Enrollment]:
    return list(db.session.scalars(select(Enrollment).where(Enrollment.user_id == user.id)))


@pytest.fixture
def leaders_course(world: World) -> Course:
    """The leaders' course: closed (by class only), counted in ``leaders_trained``."""
    course = make_course("lanh-dao-chuyen-doi-so", external=[], rule={"lessons": "all"})
    course.open = False
    course.target_groups = ["leader"]
    course.indicators = ["leaders_trained"]
    db.session.flush()
    return course


@pytest.fixture
def leader(world: World) -> User:
    return make_user(
        "chu.tich@example.vn",
        unit=world.units["HP-LECHAN"],
        target_group="leader",
        full_name="Chủ tịch phường",
    )


def test_a_default_scope_client_cannot_make_anyone_a_certificate_holder(
    client: FlaskClient,
    world: World,
    leaders_course: Course,
    leader: User,
    auth_headers: Any,
) -> None:
    made, secret = clients.create_client("Ứng dụng tự tạo")  # default scopes, no platform
    db.session.commit()
    actor = {"objectType": "Agent", "mbox": f"mailto:{leader.email}"}
    forged = [
        statement(actor, "completed", leaders_course.activity_iri),
        statement(actor, "passed", leaders_course.activity_iri, result={"score": {"scaled": 1}}),
    ]
    assert _post(client, basic(made.key, secret), forged) == 200  # stored: it is an LRS
    assert _enrollments(leader) == []
    assert _certificates(leader) == []
    assert db.session.scalar(select(func.count()).select_from(BridgeUnmatched)) == 0
    status = client.get("/api/v1/bridge/status", headers=auth_headers(world.admin)).json
    assert status["pending"] == 0
    assert status["unmatched_open"] == 0
    assert status["ignored_by_rule"] == 2
    assert status["ignored_sources"][0]["client_key"] == made.key
    assert status["ignored_sources"][0]["statements"] == 2
    login(client, world.admin)
    page = client.get("/learning/bridge").text
    assert 'id="ignored-by-rule">2<' in page
    assert made.key in page


def test_cmi5_credentials_cannot_complete_another_course_a_closed_one_or_another_learner(
    client: FlaskClient, world: World, leaders_course: Course, leader: User
) -> None:
    learner = world.citizen
    creds = open_session(learner)
    cmi5 = cmi5_course()

    def about(activity: str, *, actor: dict[str, Any] | None = None) -> dict[str, Any]:
        return {
            "id": str(uuid.uuid4()),
            "actor": actor or creds.actor,
            "verb": {"id": f"{ADL}completed"},
            "object": {"objectType": "Activity", "id": activity},
            "result": {"completion": True, "success": True, "score": {"scaled": 1}},
            "context": creds.context(),
        }

    attempts = {
        "another course": about(world.dvc.activity_iri),
        "another course on a MOOC": about(QUIZ_EXTERNAL),
        "a closed course": about(leaders_course.activity_iri),
        "the cmi5 course itself": about(cmi5.activity_iri),
        "another learner, own AU": about(creds.activity_id, actor=actor_of(leader)),
        "another learner by email": about(creds.activity_id, actor=mbox(str(leader.email))),
    }
    for name, body in attempts.items():
        assert _post(client, creds.authorization, body) == 403, name
    assert _enrollments(leader) == []
    assert _certificates(leader) == []
    assert {e.course_id for e in _enrollments(learner)} == {cmi5.id}  # from the launch
    assert _certificates(learner) == []


def test_cmi5_credentials_cannot_void_a_platform_pass(client: FlaskClient, world: World) -> None:
    send(
        world,
        statement(mbox("hoa@example.vn"), "completed", QUIZ_EXTERNAL),
        passed := statement(
            mbox("hoa@example.vn"), "passed", QUIZ_EXTERNAL, result={"score": {"scaled": 0.9}}
        ),
    )
    [certificate] = _certificates(world.citizen)
    creds = open_session(world.citizen)
    void = {
        "actor": creds.actor,
        "verb": {"id": f"{ADL}voided"},
        "object": {"objectType": "StatementRef", "id": passed["id"]},
        "context": creds.context(),
    }
    assert _post(client, creds.authorization, void) == 403
    db.session.refresh(certificate)
    assert certificate.status == "valid"


def _documents(
    client: FlaskClient, creds: Cmi5Credentials, agent: dict[str, Any]
) -> dict[str, int]:
    headers = {"Authorization": creds.authorization, "X-Experience-API-Version": VERSION}
    state = {
        "activityId": creds.activity_id,
        "agent": json.dumps(agent),
        "registration": creds.registration,
        "stateId": "bookmark",
    }
    profile = {"agent": state["agent"], "profileId": "cmi5LearnerPreferences"}
    new = {**headers, "If-None-Match": "*"}
    return {
        "put state": client.put(
            "/xapi/activities/state", query_string=state, json={"p": 1}, headers=headers
        ).status_code,
        "get state": client.get(
            "/xapi/activities/state", query_string=state, headers=headers
        ).status_code,
        "put agent profile": client.put(
            "/xapi/agents/profile", query_string=profile, json={"p": 1}, headers=new
        ).status_code,
        "get agent profile": client.get(
            "/xapi/agents/profile", query_string=profile, headers=headers
        ).status_code,
    }


def test_cmi5_credentials_reach_only_their_own_learners_documents(
    client: FlaskClient, world: World, leader: User
) -> None:
    mine = open_session(world.citizen)
    theirs = open_session(leader)
    assert _documents(client, mine, mine.actor) == {
        "put state": 204,
        "get state": 200,
        "put agent profile": 204,
        "get agent profile": 200,
    }
    assert set(_documents(client, mine, theirs.actor).values()) == {403}
    assert set(_documents(client, theirs, mine.actor).values()) == {403}


def test_cmi5_credentials_end_with_their_session(
    app: Flask, client: FlaskClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Expired: 401 at once, even in a process that has the credentials cached."""
    monkeypatch.setitem(app.config, "XAPI_AUTH_CACHE_SECONDS", 60)
    creds = open_session(world.citizen)
    body = {
        "actor": creds.actor,
        "verb": {"id": f"{ADL}initialized"},
        "object": {"objectType": "Activity", "id": creds.activity_id},
        "context": creds.context(),
    }
    assert _post(client, creds.authorization, body) == 200
    client_row = db.session.get(LrsClient, creds.session.client_id)
    assert client_row is not None
    assert client_row.expires_at == creds.session.expires_at
    client_row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert _post(client, creds.authorization, {**body, "id": str(uuid.uuid4())}) == 401


def test_cmi5_terminated_ends_the_credentials_without_the_bridge(
    app: Flask, client: FlaskClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "BRIDGE_ENABLED", False)
    creds = open_session(world.citizen)
    headers = {"Authorization": creds.authorization, "X-Experience-API-Version": VERSION}
    body = {
        "actor": creds.actor,
        "verb": {"id": f"{ADL}terminated"},
        "object": {"objectType": "Activity", "id": creds.activity_id},
        "context": creds.context(),
    }
    assert client.post("/xapi/statements", json=body, headers=headers).status_code == 200
    again = {**body, "id": str(uuid.uuid4())}
    assert client.post("/xapi/statements", json=again, headers=headers).status_code == 401


def test_the_lms_completes_a_cmi5_course_only_through_its_own_satisfied(
    client: FlaskClient, world: World
) -> None:
    """The session's credentials may say completed/passed about their AU; the completion of
    the course is the LMS's own ``satisfied`` per the AU's moveOn, not the browser's word."""
    creds = open_session(world.citizen)
    moveon = "https://w3id.org/xapi/cmi5/context/categories/moveon"
    for verb, result in (
        ("completed", {"completion": True}),
        ("passed", {"success": True, "score": {"scaled": 0.9}}),
    ):
        body = {
            "actor": creds.actor,
            "verb": {"id": f"{ADL}{verb}"},
            "object": {"objectType": "Activity", "id": creds.activity_id},
            "result": result,
            "context": creds.context(contextActivities={"category": [{"id": moveon}]}),
        }
        assert _post(client, creds.authorization, body) == 200
    [enrollment] = _enrollments(world.citizen)
    assert enrollment.status == EnrollmentStatus.completed
    satisfied = db.session.scalar(
        select(Cmi5Satisfied).where(
            Cmi5Satisfied.registration == creds.registration,
            Cmi5Satisfied.activity_id == cmi5_course().activity_iri,
        )
    )
    assert satisfied is not None
    written = lrs.statement_by_id(satisfied.statement_id)
    assert written is not None
    assert written["authority"] == lrs.lms_authority()


def test_only_administrators_manage_what_platforms_may_move(
    client: FlaskClient, world: World, auth_headers: Any
) -> None:
    official = make_user(roles=(Role.official,), unit=world.units["HP"])
    body = {"courses": ["dich-vu-cong"], "units": ["HP"]}
    url = f"/api/v1/source-platforms/{world.platform.id}"
    assert client.patch(url, json=body, headers=auth_headers(official)).status_code == 403
    retry = "/api/v1/bridge/unmatched/retry"
    assert client.post(retry, json={}, headers=auth_headers(official)).status_code == 403
