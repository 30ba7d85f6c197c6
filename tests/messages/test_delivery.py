"""Real delivery: e-mail to a real SMTP server (aiosmtpd), SMS to a real HTTP gateway
(:mod:`tests.messages.servers`); the tests read what they received."""

from __future__ import annotations

import email
import re
from collections.abc import Iterator
from email.policy import default as default_policy
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from lms.auth import access
from lms.auth.models import User
from lms.extensions import db
from lms.messages import services as messages
from lms.messages.models import Message, MessageStatus
from lms.org.models import Unit
from tests.auth.factories import make_demo_tree
from tests.factories import make_user
from tests.messages.servers import Gateway, Mailbox, sms_gateway, smtp_server, text_of

NEW_PASSWORD = "mat khau moi 146"


@pytest.fixture
def smtp(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Mailbox]:
    with smtp_server(app, monkeypatch) as mailbox:
        yield mailbox


@pytest.fixture
def gateway(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Gateway]:
    with sms_gateway(app, monkeypatch) as state:
        yield state


_text = text_of


# --- people ------------------------------------------------------------------------------------


@pytest.fixture
def units(db: object) -> dict[str, Unit]:
    return make_demo_tree()


@pytest.fixture
def official(units: dict[str, Unit]) -> User:
    from lms.auth.models import Role

    return make_user("off.hb@example.vn", roles=(Role.official,), unit=units["HP-HONGBANG"])


def _login(client: FlaskClient, who: str, password: str) -> int:
    return client.post("/login", data={"login": who, "password": password}).status_code


# --- e-mail ------------------------------------------------------------------------------------


def test_an_invitation_email_arrives_and_its_link_sets_the_password(
    client: FlaskClient, smtp: Mailbox, official: User, units: dict[str, Unit]
) -> None:
    person = make_user("bay@example.vn", password=None, full_name="Trần Văn Bảy",
                       unit=units["HP-HONGBANG"])  # fmt: skip
    _login(client, "off.hb@example.vn", "correct horse battery")
    client.post("/users/access", data={"channel": "email", "user": [person.id]})
    client.post("/logout")
    (received,) = smtp.received
    assert smtp.envelopes == [("no-reply@lms146.example.vn", ["bay@example.vn"])]
    assert received["To"] == "bay@example.vn"
    assert received["Subject"] == "Tài khoản LMS 146 của bạn: hãy đặt mật khẩu"
    text = _text(received)
    assert "Chào Trần Văn Bảy," in text
    link = re.search(r"http://localhost(/activate\?code=\S+)", text)
    assert link is not None
    page = client.get(link.group(1))
    assert "Trần Văn Bảy" in page.get_data(as_text=True)
    code = link.group(1).split("=", 1)[1]
    data = {"code": code, "password": NEW_PASSWORD, "password2": NEW_PASSWORD, "consent": "1"}
    assert client.post("/activate", data=data).status_code == 302
    client.post("/logout")
    assert _login(client, "bay@example.vn", NEW_PASSWORD) == 302
    message = db.session.scalar(select(Message))
    assert message is not None
    assert message.status == MessageStatus.sent
    assert message.provider_id == received["Message-ID"]


def test_a_reset_email_in_english_for_an_english_speaker(
    client: FlaskClient, smtp: Mailbox, units: dict[str, Unit]
) -> None:
    make_user("john@example.vn", locale="en", unit=units["HP-HONGBANG"])
    client.post("/forgot", data={"login": "john@example.vn"})
    (received,) = smtp.received
    assert received["Subject"] == "LMS 146: reset your password"
    link = re.search(r"http://localhost(/reset\?code=\S+)", _text(received))
    assert link is not None
    code = link.group(1).split("=", 1)[1]
    data = {"code": code, "password": NEW_PASSWORD, "password2": NEW_PASSWORD}
    assert client.post("/reset", data=data).status_code == 302


def test_a_refused_smtp_login_is_retried_then_shown_as_failed(
    client: FlaskClient, smtp: Mailbox, official: User, units: dict[str, Unit], app: Flask,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setitem(app.config, "SMTP_PASSWORD", "sai")
    person = make_user("nam@example.vn", password=None, unit=units["HP-HONGBANG"])
    _login(client, "off.hb@example.vn", "correct horse battery")
    client.post("/users/access", data={"channel": "email", "user": [person.id]})
    assert smtp.received == []
    message = db.session.scalar(select(Message))
    assert message is not None
    assert message.status == MessageStatus.failed
    assert message.attempts == 3
    assert "535" in (message.last_error or "")
    page = client.get("/users/access").get_data(as_text=True)
    assert "Gửi không thành công (email)" in page
    # Sending again once the setting is right: a new code, delivered.
    monkeypatch.setitem(app.config, "SMTP_PASSWORD", "bi-mat")
    client.post("/users/access", data={"channel": "email", "user": [person.id]})
    assert len(smtp.received) == 1


def test_without_settings_messages_are_written_to_the_outbox(
    client: FlaskClient, units: dict[str, Unit], app: Flask, monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:  # fmt: skip
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "file")
    monkeypatch.setitem(app.config, "SMS_BACKEND", "file")
    monkeypatch.setitem(app.config, "OUTBOX_DIR", str(tmp_path))
    make_user("hoa@example.vn", phone="0912345678", unit=units["HP-HONGBANG"])
    client.post("/forgot", data={"login": "hoa@example.vn"})
    client.post("/forgot", data={"login": "0912345678"})
    (eml,) = tmp_path.glob("email-*.eml")
    (sms,) = tmp_path.glob("sms-*.txt")
    parsed = email.message_from_bytes(eml.read_bytes(), policy=default_policy)
    assert "/reset?code=" in _text(parsed)
    assert sms.read_text().startswith("To: +84912345678")
    assert "written to" in messages.describe_setup()


# --- SMS ---------------------------------------------------------------------------------------


def test_a_forgotten_password_by_sms_code_through_the_gateway(
    client: FlaskClient, gateway: Gateway, units: dict[str, Unit]
) -> None:
    make_user("ba@example.vn", phone="0912000146", unit=units["HP-HONGBANG"])
    response = client.post("/forgot", data={"login": "0912 000 146"})
    assert response.status_code == 302
    (request,) = gateway.requests
    assert request["path"] == "/MainService.svc/json/SendSms"
    assert request["authorization"] == "Basic YXBpLWtleTpzZWNyZXQta2V5"  # api-key:secret-key
    sent = request["json"]
    assert sent["Phone"] == "84912000146"
    assert sent["Brandname"] == "SOTTTT-HP"
    assert (sent["ApiKey"], sent["SecretKey"], sent["SmsType"]) == ("api-key", "secret-key", "2")
    assert sent["Content"].isascii()
    code = re.search(r"\b(\d{6})\b", sent["Content"])
    assert code is not None
    form = {"login": "0912000146", "code": code.group(1), "password": NEW_PASSWORD,
            "password2": NEW_PASSWORD}  # fmt: skip
    assert client.post("/reset", data=form).status_code == 302
    message = db.session.scalar(select(Message))
    assert message is not None
    assert (message.status, message.provider_id, message.body) == (
        MessageStatus.sent,
        "sms-1",
        None,
    )


def test_the_gateway_failing_once_is_retried(
    client: FlaskClient, gateway: Gateway, official: User, units: dict[str, Unit]
) -> None:
    gateway.answers = [(503, {}), (200, {"CodeResult": "100", "SMSID": "sms-2"})]
    person = make_user("x@example.vn", phone="0988000146", password=None, unit=units["HP-HONGBANG"])
    issued = access.issue_invitation(person, "sms", by=official)
    db.session.commit()
    messages.dispatch()
    assert len(gateway.requests) == 2
    assert issued.code in gateway.requests[1]["json"]["Content"]
    message = db.session.get(Message, issued.message.id if issued.message else 0)
    assert message is not None
    assert (message.status, message.attempts) == (MessageStatus.sent, 2)


def test_a_gateway_refusal_is_kept_with_its_reason(
    client: FlaskClient, gateway: Gateway, official: User, units: dict[str, Unit]
) -> None:
    gateway.answers = [(200, {"CodeResult": "104", "ErrorMessage": "Brandname chưa đăng ký"})]
    person = make_user("y@example.vn", phone="0988000147", password=None, unit=units["HP-HONGBANG"])
    _login(client, "off.hb@example.vn", "correct horse battery")
    client.post("/users/access", data={"channel": "sms", "user": [person.id]})
    assert len(gateway.requests) == 3
    page = client.get("/users/access").get_data(as_text=True)
    assert "Gửi không thành công (SMS)" in page
    assert "code 104: Brandname chưa đăng ký" in page
