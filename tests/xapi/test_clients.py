"""LRS clients: HTTP Basic (Communication 4.0), scopes (4.2), the CLI and the admin API."""

from __future__ import annotations

import orjson
import pytest
from flask import Flask
from flask.testing import FlaskClient

from lms.auth.models import Role
from lms.extensions import db
from lms.xapi import clients
from lms.xapi.models import LrsClient
from tests.factories import make_user
from tests.xapi.conftest import Lrs, basic, statement

STATE = {
    "activityId": "https://lms146.example.vn/courses/x",
    "agent": '{"mbox": "mailto:hoa@example.vn"}',
    "stateId": "s",
}
PROFILE = {"activityId": "https://lms146.example.vn/courses/x", "profileId": "p"}


def test_requests_without_valid_credentials_are_401(lrs: Lrs) -> None:
    """Communication 3.2.s2.b2: 401 when credentials are missing or refused."""
    version = {"X-Experience-API-Version": "1.0.3"}
    for authorization in (
        None,
        "Basic Og==",  # explicitly unauthenticated (4.1.s7.b2): not allowed here
        "Bearer abc",
        "Basic !!!",
        basic(lrs.key, "wrong secret"),
        basic("unknown", "secret"),
    ):
        headers = dict(version)
        if authorization:
            headers["Authorization"] = authorization
        response = lrs.client.get("/xapi/statements", headers=headers)
        assert response.status_code == 401, authorization
        assert response.headers["WWW-Authenticate"].startswith("Basic")
        assert response.headers["X-Experience-API-Version"] == "1.0.3"


def test_revoked_client_is_refused_at_once(lrs: Lrs) -> None:
    """Revoking clears the verified-credentials cache of this process."""
    assert lrs.get(params={"limit": "1"}).status_code == 200
    clients.revoke_client(clients.find_client(lrs.key))
    db.session.commit()
    assert lrs.get(params={"limit": "1"}).status_code == 401


def test_secret_is_stored_only_as_a_keyed_hash(lrs: Lrs) -> None:
    """The clear secret is not in the database."""
    row = db.session.query(LrsClient).filter_by(key=lrs.key).one()
    secret = lrs.authorization
    assert row.secret_hash not in secret
    assert len(row.secret_hash) == 64
    assert len(row.secret_salt) == 32


@pytest.mark.parametrize(
    ("scopes", "allowed"),
    [
        (["statements/write"], {"write"}),
        (["statements/read"], {"read"}),
        (["statements/read/mine"], {"read"}),
        (["state"], {"state_read", "state_write"}),
        (["profile"], {"profile_read", "profile_write"}),
        (["all/read"], {"read", "state_read", "profile_read"}),
        (["all"], {"write", "read", "state_read", "state_write", "profile_read", "profile_write"}),
    ],
)
def test_scopes_limit_what_a_client_may_do(lrs_factory, scopes: list[str], allowed: set) -> None:  # type: ignore[no-untyped-def]
    """Communication 4.2 scopes; 3.2.s3.b10: 403 outside the client's permissions."""
    lrs: Lrs = lrs_factory(scopes)
    attempts = {
        "write": lambda: lrs.post(statement()),
        "read": lambda: lrs.get(params={"limit": "1"}),
        "state_read": lambda: lrs.get("/xapi/activities/state", STATE),
        "state_write": lambda: lrs.client.put(
            "/xapi/activities/state",
            query_string=STATE,
            data=b"{}",
            content_type="application/json",
            headers=lrs.h(),
        ),
        "profile_read": lambda: lrs.get("/xapi/activities/profile", PROFILE),
        "profile_write": lambda: lrs.client.put(
            "/xapi/activities/profile",
            query_string=PROFILE,
            data=b"{}",
            content_type="application/json",
            headers=lrs.h(If_None_Match="*"),
        ),
    }
    for name, attempt in attempts.items():
        status = attempt().status_code
        if name in allowed:
            assert status in (200, 204, 404), (name, status)
        else:
            assert status == 403, (name, status)


def test_read_mine_sees_only_its_own_statements(lrs_factory) -> None:  # type: ignore[no-untyped-def]
    """Communication 4.2: statements/read/mine reads what this client's authority wrote."""
    mine: Lrs = lrs_factory(["statements/write", "statements/read/mine"], "mine")
    other: Lrs = lrs_factory(["statements/write"], "other")
    (own,) = mine.post(statement()).json
    (theirs,) = other.post(statement()).json
    ids = mine.ids()
    assert own in ids
    assert theirs not in ids
    agent = {"mbox": "mailto:hoa@example.vn"}
    assert mine.ids(agent=agent) == [own]
    assert mine.get(params={"statementId": theirs}).status_code == 404
    assert mine.get(params={"statementId": own}).status_code == 200


def test_default_scopes_are_write_and_read_mine(db: object) -> None:
    """Communication 4.2.s5.b2: no scope named means statements/write + statements/read/mine."""
    client, _ = clients.create_client("defaults")
    assert client.scopes == ["statements/write", "statements/read/mine"]


def test_agents_resource_needs_statements_read(lrs_factory) -> None:  # type: ignore[no-untyped-def]
    """Communication 2.4.s3.b1-b2: combined agent information needs more permission: 403."""
    writer: Lrs = lrs_factory(["statements/write", "statements/read/mine"])
    agent = {"agent": '{"mbox": "mailto:hoa@example.vn"}'}
    assert writer.get("/xapi/agents", agent).status_code == 403
    reader: Lrs = lrs_factory(["statements/read"])
    assert reader.get("/xapi/agents", agent).status_code == 200


# --- CLI -------------------------------------------------------------------------------------


def test_cli_create_prints_exactly_one_json_object(app: Flask, db: object) -> None:
    """``flask lrs-client create NAME --scope ...`` -> {"key", "secret", "endpoint"}."""
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "lrs-client",
            "create",
            "MOOC quốc gia",
            "--scope",
            "statements/write",
            "--scope",
            "define",
        ]
    )
    assert result.exit_code == 0, result.output
    created = orjson.loads(result.stdout)
    assert set(created) == {"key", "secret", "endpoint"}
    assert created["endpoint"].endswith("/xapi/")
    row = clients.find_client(created["key"])
    assert row.scopes == ["define", "statements/write"]
    assert clients.authenticate(basic(created["key"], created["secret"])) is not None


def test_cli_list_and_revoke(app: Flask, db: object) -> None:
    client, secret = clients.create_client("To revoke", scopes=["all"])
    db.session.commit()  # type: ignore[attr-defined]
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["lrs-client", "list", "--json"])
    assert listed.exit_code == 0
    keys = [orjson.loads(line)["key"] for line in listed.stdout.splitlines()]
    assert client.key in keys
    assert "secret" not in listed.stdout
    revoked = runner.invoke(args=["lrs-client", "revoke", client.key])
    assert revoked.exit_code == 0
    assert clients.authenticate(basic(client.key, secret)) is None
    missing = runner.invoke(args=["lrs-client", "revoke", "no-such-key"])
    assert missing.exit_code == 1


def test_cli_rejects_unknown_scope(app: Flask, db: object) -> None:
    result = app.test_cli_runner().invoke(args=["lrs-client", "create", "x", "--scope", "root"])
    assert result.exit_code != 0


# --- admin API -------------------------------------------------------------------------


@pytest.fixture
def admin_headers(auth_headers) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return auth_headers(make_user(roles=(Role.admin,)))


def test_admin_creates_client_and_sees_secret_once(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    """POST /api/v1/lrs-clients returns the secret; later reads never show it."""
    response = client.post(
        "/api/v1/lrs-clients",
        json={"name": "Nền tảng MOOC", "scopes": ["statements/write", "define"]},
        headers=admin_headers,
    )
    assert response.status_code == 201
    body = response.json
    assert body["secret"]
    assert body["key"]
    assert body["endpoint"].endswith("/xapi/")
    location = response.headers["Location"]
    shown = client.get(location, headers=admin_headers).json
    assert "secret" not in shown
    assert shown["scopes"] == ["define", "statements/write"]
    listed = client.get("/api/v1/lrs-clients", headers=admin_headers).json
    assert any(item["key"] == body["key"] for item in listed["items"])
    xapi = client.post(
        "/xapi/statements",
        data=orjson.dumps(statement()),
        content_type="application/json",
        headers={
            "Authorization": basic(body["key"], body["secret"]),
            "X-Experience-API-Version": "1.0.3",
        },
    )
    assert xapi.status_code == 200


def test_admin_updates_and_revokes(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    created = client.post("/api/v1/lrs-clients", json={"name": "A"}, headers=admin_headers).json
    url = f"/api/v1/lrs-clients/{created['id']}"
    patched = client.patch(url, json={"name": "B", "scopes": ["all/read"]}, headers=admin_headers)
    assert patched.status_code == 200
    assert patched.json["name"] == "B"
    assert patched.json["scopes"] == ["all/read"]
    assert client.patch(url, json={"scopes": ["root"]}, headers=admin_headers).status_code == 422
    assert client.patch(url, json={"colour": "red"}, headers=admin_headers).status_code == 422
    assert client.delete(url, headers=admin_headers).status_code == 204
    assert client.get(url, headers=admin_headers).json["active"] is False
    assert client.get("/api/v1/lrs-clients/999999", headers=admin_headers).status_code == 404


def test_admin_api_is_for_admins_only(client: FlaskClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/api/v1/lrs-clients").status_code == 401
    learner = auth_headers(make_user(roles=(Role.learner,)))
    assert client.get("/api/v1/lrs-clients", headers=learner).status_code == 403
    assert (
        client.post("/api/v1/lrs-clients", json={"name": "x"}, headers=learner).status_code == 403
    )


def test_authority_must_be_an_agent(client: FlaskClient, admin_headers: dict[str, str]) -> None:
    response = client.post(
        "/api/v1/lrs-clients",
        json={"name": "x", "authority": {"objectType": "Agent", "name": "no ifi"}},
        headers=admin_headers,
    )
    assert response.status_code == 422
    response = client.post(
        "/api/v1/lrs-clients",
        json={"name": "x", "authority": {"objectType": "Agent", "mbox": "mailto:a@b.vn"}},
        headers=admin_headers,
    )
    assert response.status_code == 201
    assert response.json["authority"]["mbox"] == "mailto:a@b.vn"


@pytest.mark.parametrize(
    "home_page", ["http://localhost", "http://localhost/", "http://localhost/xapi"]
)
def test_an_authority_cannot_speak_in_the_lms_name(
    client: FlaskClient, admin_headers: dict[str, str], home_page: str
) -> None:
    """The bridge trusts the LMS's own accounts (its statements, an administrator's results
    file) and tells clients apart by their authority: no client may borrow one."""
    for name in ("lms", "1"):
        response = client.post(
            "/api/v1/lrs-clients",
            json={"name": "x", "authority": {"account": {"homePage": home_page, "name": name}}},
            headers=admin_headers,
        )
        assert response.status_code == 422, response.json
        assert "authority" in response.json["errors"]


def test_an_authority_belongs_to_one_client(
    client: FlaskClient, admin_headers: dict[str, str]
) -> None:
    authority = {"objectType": "Agent", "mbox": "mailto:mooc@example.vn"}
    first = client.post(
        "/api/v1/lrs-clients", json={"name": "MOOC", "authority": authority}, headers=admin_headers
    )
    assert first.status_code == 201
    second = client.post(
        "/api/v1/lrs-clients", json={"name": "Giả", "authority": authority}, headers=admin_headers
    )
    assert second.status_code == 409
    other = client.post("/api/v1/lrs-clients", json={"name": "Khác"}, headers=admin_headers)
    patched = client.patch(
        f"/api/v1/lrs-clients/{other.json['id']}",
        json={"authority": authority},
        headers=admin_headers,
    )
    assert patched.status_code == 409
    same = client.patch(
        f"/api/v1/lrs-clients/{first.json['id']}",
        json={"authority": authority},
        headers=admin_headers,
    )
    assert same.status_code == 200
