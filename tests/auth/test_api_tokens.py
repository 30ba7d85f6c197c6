from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from lms.auth.models import ApiToken, User
from lms.db import utcnow
from lms.extensions import db
from lms.ratelimit import RedisStore
from tests.auth.conftest import PASSWORD

REDIS_URL = "redis://127.0.0.1:6379/15"


def _token(client: FlaskClient, body: dict, **kwargs: object) -> object:
    return client.post("/api/v1/auth/tokens", json=body, **kwargs)


def test_post_tokens_with_email_and_password_returns_201_and_a_working_token(
    client: FlaskClient, people: dict[str, User]
) -> None:
    response = _token(client, {"email": "Hoa@Example.vn", "password": PASSWORD})
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"token", "expires_at"}
    assert response.headers["Location"].endswith("/api/v1/auth/tokens/current")
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.get_json()["email"] == "hoa@example.vn"
    assert me.get_json()["roles"] == ["learner"]
    assert me.get_json()["unit_code"] == "HP-HONGBANG"


def test_post_tokens_accepts_a_phone_number_as_login(
    client: FlaskClient, people: dict[str, User]
) -> None:
    response = _token(client, {"login": "+84 912 345 678", "password": PASSWORD, "name": "app"})
    assert response.status_code == 201
    row = db.session.query(ApiToken).one()
    assert row.name == "app"
    assert row.token_hash != response.get_json()["token"]  # only the hash is stored


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"email": "hoa@example.vn", "password": "wrong"}, 401, None),
        ({"email": "ghost@example.vn", "password": PASSWORD}, 401, None),
        ({"password": PASSWORD}, 422, "email"),
        ({"email": "hoa@example.vn"}, 422, "password"),
        ({"email": "hoa@example.vn", "password": PASSWORD, "extra": 1}, 422, "extra"),
    ],
)
def test_post_tokens_refusals(
    client: FlaskClient, people: dict[str, User], body: dict, status: int, field: str | None
) -> None:
    response = _token(client, body)
    assert response.status_code == status
    error = response.get_json()
    assert error["code"] == status
    if field:
        assert field in error["errors"]
    else:
        assert error["message"] == "Sai email, số điện thoại hoặc mật khẩu."


def test_post_tokens_without_json_is_400(client: FlaskClient, db: object) -> None:
    response = client.post("/api/v1/auth/tokens", data="x", content_type="text/plain")
    assert response.status_code == 400


def test_expired_token_is_refused(client: FlaskClient, people: dict[str, User]) -> None:
    token = _token(client, {"email": "hoa@example.vn", "password": PASSWORD}).get_json()["token"]
    row = db.session.query(ApiToken).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.flush()
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.get_json()["message"] == "Bạn cần đăng nhập."


def test_token_ttl_comes_from_settings(
    app: Flask, client: FlaskClient, people: dict[str, User]
) -> None:
    body = _token(client, {"email": "hoa@example.vn", "password": PASSWORD}).get_json()
    row = db.session.query(ApiToken).one()
    hours = app.config["API_TOKEN_TTL_HOURS"]
    assert abs((row.expires_at - utcnow()) - timedelta(hours=hours)) < timedelta(minutes=1)
    assert body["expires_at"].startswith(row.expires_at.isoformat()[:16])


def test_delete_current_token_revokes_it(client: FlaskClient, people: dict[str, User]) -> None:
    token = _token(client, {"email": "hoa@example.vn", "password": PASSWORD}).get_json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.delete("/api/v1/auth/tokens/current", headers=headers).status_code == 204
    assert db.session.query(ApiToken).one().revoked_at is not None
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert client.delete("/api/v1/auth/tokens/current", headers=headers).status_code == 401


def test_delete_current_token_with_a_session_is_400(
    client: FlaskClient, people: dict[str, User]
) -> None:
    from tests.auth.conftest import login

    login(client, people["learner_hb"])
    response = client.delete("/api/v1/auth/tokens/current")
    assert response.status_code == 400


def test_a_token_works_beside_a_browser_session_cookie(
    client: FlaskClient, people: dict[str, User]
) -> None:
    """A program in a browser that opened a page holds a session cookie with only its CSRF
    token; the bearer token is what counts (it was 401: the session protection failed first)."""
    token = _token(client, {"email": "hoa@example.vn", "password": PASSWORD}).get_json()["token"]
    assert client.get("/login").status_code == 200  # the cookie now holds a CSRF token
    with client.session_transaction() as cookie:
        assert cookie  # something is in it, and no logged-in user
        assert "_user_id" not in cookie
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.get_json()["email"] == "hoa@example.vn"
    # ... and a bad token beside the cookie is still refused.
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer nonsense"}).status_code == 401


def test_a_token_beats_another_users_session(client: FlaskClient, people: dict[str, User]) -> None:
    from tests.auth.conftest import login

    token = _token(client, {"email": "hoa@example.vn", "password": PASSWORD}).get_json()["token"]
    other = next(u for u in people.values() if u.email != "hoa@example.vn")
    login(client, other)
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.get_json()["email"] == "hoa@example.vn"


def test_inactive_users_token_stops_working(client: FlaskClient, people: dict[str, User]) -> None:
    token = _token(client, {"email": "hoa@example.vn", "password": PASSWORD}).get_json()["token"]
    people["learner_hb"].active = False
    db.session.flush()
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer ", "Basic abc", "Token x"])
def test_me_with_a_bad_authorization_header_is_401(
    client: FlaskClient, db: object, header: str
) -> None:
    response = client.get("/api/v1/me", headers={"Authorization": header})
    assert response.status_code == 401


def _fail_until_locked(client: FlaskClient, login: str, *, address: str) -> list[int]:
    statuses = []
    for _ in range(11):
        response = _token(
            client,
            {"login": login, "password": "wrong"},
            environ_base={"REMOTE_ADDR": address},
        )
        statuses.append(response.status_code)
    return statuses


def test_eleventh_failure_for_one_account_is_429_even_from_other_addresses(
    client: FlaskClient, people: dict[str, User]
) -> None:
    for n in range(10):
        response = _token(
            client,
            {"email": "hoa@example.vn", "password": "wrong"},
            environ_base={"REMOTE_ADDR": f"10.1.0.{n}"},
        )
        assert response.status_code == 401
    locked = _token(
        client,
        {"login": "0912345678", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.1.1.1"},
    )
    assert locked.status_code == 429
    assert locked.headers["Retry-After"] == "60"
    assert "Quá nhiều lần đăng nhập sai" in locked.get_json()["message"]
    other = _token(
        client,
        {"email": "lan@example.vn", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.1.1.1"},
    )
    assert other.status_code == 201


def test_eleventh_failure_from_one_address_is_429_for_every_account(
    client: FlaskClient, people: dict[str, User]
) -> None:
    for n in range(10):
        response = _token(
            client,
            {"email": f"guess{n}@example.vn", "password": "wrong"},
            environ_base={"REMOTE_ADDR": "10.2.0.1"},
        )
        assert response.status_code == 401
    locked = _token(
        client,
        {"email": "hoa@example.vn", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.2.0.1"},
    )
    assert locked.status_code == 429
    elsewhere = _token(
        client,
        {"email": "hoa@example.vn", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.2.0.2"},
    )
    assert elsewhere.status_code == 201


@pytest.fixture
def redis_store(app: Flask) -> Iterator[RedisStore]:
    """The real Redis counters (database 15), under a prefix of this test's own."""
    store = RedisStore(REDIS_URL, prefix=f"lms-test-{uuid.uuid4().hex}:")
    app.extensions["lms_ratelimit"] = store
    yield store
    keys = store._redis.keys(store._prefix + "*")
    if keys:
        store._redis.delete(*keys)


def test_rate_limit_with_the_redis_store(
    client: FlaskClient, people: dict[str, User], redis_store: RedisStore
) -> None:
    statuses = _fail_until_locked(client, "hoa@example.vn", address="10.3.0.1")
    assert statuses == [401] * 10 + [429]
    assert redis_store.get(f"login-fail:user:{people['learner_hb'].id}") == 10
    assert redis_store._redis.ttl(redis_store._prefix + "login-fail:addr:10.3.0.1") <= 60
    from tests.auth.conftest import login

    page = client.post(
        "/login",
        data={"login": "hoa@example.vn", "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.3.0.9"},
    )
    assert page.status_code == 429
    assert login(client, people["learner_lc"]).status_code == 302
