"""An account's e-mail is the person's only once shown to be: entered by the staff who manage
them, or confirmed by a link sent to it. A person's own sign-up or change waits for the link."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from lms.auth.models import AccessCode, CodePurpose, User
from lms.extensions import db
from lms.org.models import Unit
from tests.auth.conftest import PASSWORD, login

Headers = Callable[[User], dict[str, str]]
LINK = re.compile(r"http://localhost/confirm-email\?code=(\S+)")


def _user(email: str) -> User:
    user = db.session.scalar(select(User).where(User.email == email))
    assert user is not None
    return user


def _link(mail: dict[str, Any]) -> str:
    found = LINK.search(mail["body"])
    assert found is not None, mail["body"]
    return found.group(1)


def _register(client: FlaskClient, login_name: str) -> Any:
    return client.post(
        "/register",
        data={
            "login": login_name,
            "full_name": "Vũ Thị Mai",
            "password": PASSWORD,
            "password2": PASSWORD,
            "consent": "1",
        },
    )


def test_a_citizen_confirms_the_address_she_signed_up_with(
    client: FlaskClient, units: dict[str, Unit], sent: list[Any]
) -> None:
    assert _register(client, "Mai.Vu@example.vn").status_code == 302
    mai = _user("mai.vu@example.vn")
    assert mai.email_verified_at is None
    assert client.get("/api/v1/me").get_json()["email_verified_at"] is None
    page = client.get("/me/data").get_data(as_text=True)
    assert "chưa được xác nhận" in page
    assert 'id="resend-confirmation"' in page

    (mail,) = sent
    assert mail["to"] == "mai.vu@example.vn"
    assert mail["subject"] == "LMS 146: xác nhận địa chỉ e-mail của bạn"
    assert "Để xác nhận đây là địa chỉ của bạn" in mail["body"]
    code = _link(mail)
    # Following the link shows a button: a mail scanner fetching it confirms nothing.
    assert 'id="confirm-email"' in client.get(f"/confirm-email?code={code}").get_data(as_text=True)
    db.session.refresh(mai)
    assert mai.email_verified_at is None

    response = client.post("/confirm-email", data={"code": code})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/me/data")
    db.session.refresh(mai)
    assert mai.email_verified_at is not None
    assert client.get("/api/v1/me").get_json()["email_verified_at"] is not None
    assert "đã được xác nhận" in client.get("/me/data").get_data(as_text=True)
    # The link works once; only its HMAC was stored.
    assert client.post("/confirm-email", data={"code": code}).status_code == 422
    row = db.session.scalar(select(AccessCode).where(AccessCode.user_id == mai.id))
    assert row is not None
    assert row.purpose == CodePurpose.email
    assert code not in row.code_hash


def test_a_link_confirms_in_another_browser_too(
    app: Flask, client: FlaskClient, units: dict[str, Unit], sent: list[Any]
) -> None:
    _register(client, "an.nguyen@example.vn")
    elsewhere = app.test_client()
    response = elsewhere.post("/confirm-email", data={"code": _link(sent[0])})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login")
    assert _user("an.nguyen@example.vn").email_verified_at is not None


def test_a_phone_sign_up_sends_no_mail(
    client: FlaskClient, units: dict[str, Unit], sent: list[Any]
) -> None:
    assert _register(client, "0912 000 321").status_code == 302
    assert sent == []
    assert "Địa chỉ e-mail của bạn" not in client.get("/me/data").get_data(as_text=True)


def test_staff_entered_addresses_count_at_once(
    client: FlaskClient, people: dict[str, User], auth_headers: Headers, sent: list[Any]
) -> None:
    headers = auth_headers(people["official_hb"])
    created = client.post(
        "/api/v1/users",
        json={"email": "ba@example.vn", "full_name": "Lê Văn Ba", "unit_code": "HP-HONGBANG"},
        headers=headers,
    )
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["email_verified_at"] is not None
    hoa = people["learner_hb"]
    changed = client.patch(
        f"/api/v1/users/{hoa.id}", json={"email": "hoa.moi@example.vn"}, headers=headers
    )
    assert changed.status_code == 200
    assert changed.get_json()["email_verified_at"] is not None
    imported = client.post(
        "/api/v1/users/import",
        data=b"email,full_name,unit_code\ntu@example.vn,\xc4\x90\xe1\xbb\x97 V\xc4\x83n T\xc6\xb0,"
        b"HP-HONGBANG\n",
        content_type="text/csv",
        headers=headers,
    )
    assert imported.status_code == 201, imported.get_json()
    assert _user("tu@example.vn").email_verified_at is not None
    assert sent == []  # nothing to confirm


def test_changing_ones_own_address_clears_it_and_an_older_link_dies(
    client: FlaskClient, people: dict[str, User], auth_headers: Headers, sent: list[Any]
) -> None:
    lan = people["learner_lc"]
    assert lan.email_verified_at is not None
    headers = auth_headers(lan)
    reply = client.patch(
        f"/api/v1/users/{lan.id}", json={"email": "lan2@example.vn"}, headers=headers
    )
    assert reply.status_code == 200
    assert reply.get_json()["email_verified_at"] is None
    first = _link(sent[0])
    reply = client.patch(
        f"/api/v1/users/{lan.id}", json={"email": "lan3@example.vn"}, headers=headers
    )
    assert [m["to"] for m in sent] == ["lan2@example.vn", "lan3@example.vn"]
    # The link sent to the address she left confirms nothing, not even the new one.
    assert client.post("/confirm-email", data={"code": first}).status_code == 422
    db.session.refresh(lan)
    assert lan.email_verified_at is None
    assert client.post("/confirm-email", data={"code": _link(sent[1])}).status_code == 302
    db.session.refresh(lan)
    assert lan.email == "lan3@example.vn"
    assert lan.email_verified_at is not None
    # Changing anything else keeps it.
    client.patch(f"/api/v1/users/{lan.id}", json={"full_name": "Trần Thị Lan B"}, headers=headers)
    db.session.refresh(lan)
    assert lan.email_verified_at is not None


def test_the_verification_cannot_be_set_through_the_api(
    client: FlaskClient, people: dict[str, User], auth_headers: Headers
) -> None:
    lan = people["learner_lc"]
    headers = auth_headers(lan)
    client.patch(f"/api/v1/users/{lan.id}", json={"email": "lan2@example.vn"}, headers=headers)
    reply = client.patch(
        f"/api/v1/users/{lan.id}",
        json={"email_verified_at": "2026-12-06T10:00:00Z"},
        headers=headers,
    )
    assert reply.status_code == 422
    db.session.refresh(lan)
    assert lan.email_verified_at is None


def test_sending_the_link_again_is_limited(
    app: Flask, client: FlaskClient, units: dict[str, Unit], sent: list[Any]
) -> None:
    _register(client, "mai.vu@example.vn")
    limit = int(app.config["RESET_LIMIT_PER_HOUR"])
    for _n in range(limit - 1):
        reply = client.post("/me/email/confirmation")
        assert reply.status_code == 302
        assert reply.headers["Location"].endswith("/me/data")
    assert len(sent) == limit
    client.post("/me/email/confirmation")
    assert len(sent) == limit
    assert "Quá nhiều yêu cầu" in client.get("/me/data").get_data(as_text=True)
    # Only the newest link works.
    assert client.post("/confirm-email", data={"code": _link(sent[0])}).status_code == 422
    assert client.post("/confirm-email", data={"code": _link(sent[-1])}).status_code == 302


def test_a_confirmed_person_is_told_so(client: FlaskClient, people: dict[str, User]) -> None:
    login(client, people["learner_hb"])
    client.post("/me/email/confirmation")
    assert "đã được xác nhận từ trước" in client.get("/me/data").get_data(as_text=True)
