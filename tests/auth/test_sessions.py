"""Sessions end on the server: a copy of a cookie or a token stops working when they end."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from lms.auth.models import SessionEnd, User, UserSession
from lms.extensions import db
from tests.auth.conftest import PASSWORD, login
from tests.factories import make_token

UNAUTHORIZED = {"code": 401, "status": "Unauthorized", "message": "Bạn cần đăng nhập."}


def _copy_of(app: Flask, client: FlaskClient) -> FlaskClient:
    """A second browser holding a copy of ``client``'s session cookie, as a thief would."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def _sessions(user: User) -> list[UserSession]:
    return list(db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)))


def _locked_out(thief: FlaskClient) -> None:
    """The API answers 401, pages send to the login form, forms are not accepted."""
    api = thief.get("/api/v1/me")
    assert api.status_code == 401
    assert api.get_json() == UNAUTHORIZED
    page = thief.get("/users")
    assert page.status_code == 302
    assert page.location.startswith("/login?next=")
    form = thief.post("/users/import", data={})
    assert form.status_code == 302
    assert form.location.startswith("/login?next=")


def test_a_cookie_copied_before_logout_stops_working_after_it(
    app: Flask, client: FlaskClient, people: dict[str, User]
) -> None:
    login(client, people["official_hp"])
    thief = _copy_of(app, client)
    assert thief.get("/api/v1/me").get_json()["email"] == "off.hp@example.vn"
    assert thief.get("/users").status_code == 200

    assert client.post("/logout").status_code == 302

    _locked_out(thief)
    [row] = _sessions(people["official_hp"])
    assert row.end_reason == SessionEnd.logout
    assert row.ended_at is not None


def test_logout_ends_only_that_session(client: FlaskClient, people: dict[str, User]) -> None:
    """Another device stays logged in; API tokens are ended by DELETE /auth/tokens/current."""
    user = people["official_hp"]
    token = make_token(user)
    login(client, user)
    other = client.application.test_client()
    login(other, user)
    client.post("/logout")
    assert other.get("/api/v1/me").status_code == 200
    program = client.application.test_client()
    bearer = program.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert bearer.status_code == 200


def test_a_password_change_ends_every_session_and_token(
    app: Flask, client: FlaskClient, people: dict[str, User]
) -> None:
    user = people["official_hp"]
    token = make_token(user)
    login(client, user)
    thief = _copy_of(app, client)
    result = app.test_cli_runner().invoke(
        args=["users", "set-password", "--email", user.email, "--password", "a brand new one"]
    )
    assert result.exit_code == 0, result.output

    _locked_out(client)
    _locked_out(thief)
    program = app.test_client()
    bearer = program.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert bearer.status_code == 401
    assert bearer.get_json() == UNAUTHORIZED
    assert {row.end_reason for row in _sessions(user)} == {SessionEnd.password}
    assert login(client, user, PASSWORD).status_code == 200  # the old password is gone too
    assert login(client, user, "a brand new one").status_code == 302


def test_deactivation_ends_every_session_and_token_for_good(
    client: FlaskClient, people: dict[str, User]
) -> None:
    user = people["learner_hb"]
    bearer = {"Authorization": f"Bearer {make_token(user)}"}
    admin = {"Authorization": f"Bearer {make_token(people['admin'])}"}
    program = client.application.test_client()
    login(client, user)
    assert program.get("/api/v1/me", headers=bearer).status_code == 200

    off = program.patch(f"/api/v1/users/{user.id}", json={"active": False}, headers=admin)
    assert off.status_code == 200
    assert client.get("/api/v1/me").get_json() == UNAUTHORIZED
    assert program.get("/api/v1/me", headers=bearer).status_code == 401

    on = program.patch(f"/api/v1/users/{user.id}", json={"active": True}, headers=admin)
    assert on.status_code == 200
    # Reactivating lets the person log in again; it does not revive what was ended.
    assert client.get("/api/v1/me").status_code == 401
    assert program.get("/api/v1/me", headers=bearer).status_code == 401
    assert login(client, user).status_code == 302
    assert client.get("/api/v1/me").status_code == 200


def test_a_session_without_its_server_row_is_not_logged_in(
    client: FlaskClient, people: dict[str, User]
) -> None:
    """A cookie signed before sessions were kept on the server (no session id) counts for
    nothing: everyone logs in again once after the upgrade."""
    login(client, people["learner_hb"])
    with client.session_transaction() as cookie:
        cookie.pop("lms_sid")
    assert client.get("/api/v1/me").status_code == 401
