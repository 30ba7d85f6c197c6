"""Ways in for people someone else created: invitations, /activate, forgotten passwords."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from lms.auth import access
from lms.auth.models import AccessCode, CodePurpose, SsoIdentity, User
from lms.db import utcnow
from lms.extensions import db
from lms.messages.models import Message, MessageStatus
from lms.org.models import Unit
from tests.auth.conftest import PASSWORD, login
from tests.factories import enrol, make_class, make_course, make_user

Headers = Callable[[User], dict[str, str]]
NEW_PASSWORD = "mat khau moi 146"


@pytest.fixture
def invitee(units: dict[str, Unit], people: dict[str, User]) -> User:
    """Chú Bảy: imported by the ward, no password, a phone and no e-mail."""
    return _phone_only("0912000777", "Trần Văn Bảy", units["HP-HONGBANG"])


def _phone_only(phone: str, name: str, unit: Unit) -> User:
    user = make_user("x@example.vn", password=None, full_name=name, unit=unit, phone=phone)
    user.email = None
    db.session.flush()
    return user


def _set(client: FlaskClient, url: str, code: str, **extra: str) -> Any:
    data = {"code": code, "password": NEW_PASSWORD, "password2": NEW_PASSWORD, "consent": "1"}
    data |= extra
    return client.post(url, data=data)


# --- invitations and /activate ----------------------------------------------------------------


def test_a_sheet_code_activates_once_and_is_stored_only_hashed(
    client: FlaskClient, invitee: User, people: dict[str, User]
) -> None:
    issued = access.issue_invitation(invitee, "sheet", by=people["official_hb"])
    db.session.commit()
    assert re.fullmatch(r"[A-Z2-9]{5}-[A-Z2-9]{5}", issued.code)
    stored = db.session.scalars(select(AccessCode.code_hash)).all()
    assert issued.code not in stored
    assert issued.code.replace("-", "") not in stored
    # Typed in lower case with a space: still the code; the page greets the person by name.
    typed = issued.code.lower().replace("-", " ")
    page = client.post("/activate", data={"code": typed})
    assert "Trần Văn Bảy" in page.get_data(as_text=True)
    response = _set(client, "/activate", typed)
    assert response.status_code == 302
    assert client.get("/api/v1/me").get_json()["phone"] == "0912000777"
    client.post("/logout")
    assert login(client, "0912 000 777", NEW_PASSWORD).status_code == 302
    client.post("/logout")
    again = _set(client, "/activate", issued.code)
    assert again.status_code == 422
    assert "Mã không đúng, đã hết hạn hoặc đã được dùng." in again.get_data(as_text=True)


def test_an_expired_or_replaced_code_does_not_work(
    client: FlaskClient, invitee: User, people: dict[str, User]
) -> None:
    first = access.issue_invitation(invitee, "sheet", by=people["official_hb"])
    second = access.issue_invitation(invitee, "sheet", by=people["official_hb"])
    db.session.commit()
    assert _set(client, "/activate", first.code).status_code == 422
    second.row.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert _set(client, "/activate", second.code).status_code == 422
    assert db.session.get(User, invitee.id).password_hash is None


def test_an_email_invitation_carries_a_link_that_sets_the_password(
    client: FlaskClient, units: dict[str, Unit], people: dict[str, User], sent: list[Any],
    auth_headers: Headers,
) -> None:  # fmt: skip
    person = make_user("nam@example.vn", password=None, unit=units["HP-HONGBANG"], locale="en")
    response = client.post(
        f"/api/v1/users/{person.id}/invitation",
        json={"channel": "email"},
        headers=auth_headers(people["official_hb"]),
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["message_status"] == "sent"
    assert response.get_json()["code"] is None
    (mail,) = sent
    assert mail["to"] == "nam@example.vn"
    assert mail["subject"] == "Your account on LMS 146: set your password"  # his language
    link = re.search(r"http://localhost/activate\?code=(\S+)", mail["body"])
    assert link is not None
    # The body with the link is not kept once sent.
    assert db.session.scalar(select(Message.body)) is None
    page = client.get(f"/activate?code={link.group(1)}")
    assert 'name="password"' in page.get_data(as_text=True)
    assert _set(client, "/activate", link.group(1)).status_code == 302
    assert db.session.get(User, person.id).password_hash is not None


def test_sms_invitations_are_unaccented_and_reach_the_phone_in_e164(
    invitee: User, people: dict[str, User], sent: list[Any]
) -> None:
    from lms.messages import services as messages

    issued = access.issue_invitation(invitee, "sms", by=people["official_hb"])
    db.session.commit()
    messages.dispatch()
    (sms,) = sent
    assert sms["to"] == "+84912000777"
    assert issued.code in sms["body"]
    assert sms["body"].isascii()
    assert "ma kich hoat" in sms["body"]


def test_who_cannot_be_invited_is_told_why(
    client: FlaskClient, invitee: User, people: dict[str, User], auth_headers: Headers
) -> None:
    headers = auth_headers(people["official_hb"])
    url = f"/api/v1/users/{invitee.id}/invitation"
    assert client.post(url, json={"channel": "email"}, headers=headers).status_code == 422
    assert client.post(url, json={"channel": "fax"}, headers=headers).status_code == 422
    done = people["learner_hb"]  # has a password already
    reply = client.post(f"/api/v1/users/{done.id}/invitation", json={"channel": "sheet"},
                        headers=headers)  # fmt: skip
    assert reply.status_code == 409
    sheet = client.post(url, json={"channel": "sheet"}, headers=headers)
    assert sheet.status_code == 201
    assert re.fullmatch(r"[A-Z2-9]{5}-[A-Z2-9]{5}", sheet.get_json()["code"])


def test_a_single_sign_on_account_is_given_no_activation_code(
    client: FlaskClient, invitee: User, people: dict[str, User], auth_headers: Headers
) -> None:
    """Someone linked to an identity provider signs in only through it, and the invitations
    page counts them as activated: no code is issued for them, one by one or ticked on the
    page, or whoever holds the slip would give the account its first password."""
    db.session.add(SsoIdentity(provider="tinh", subject="bay-146", user_id=invitee.id))
    db.session.commit()
    headers = auth_headers(people["official_hb"])
    reply = client.post(
        f"/api/v1/users/{invitee.id}/invitation", json={"channel": "sheet"}, headers=headers
    )
    assert reply.status_code == 409
    issued, skipped = access.issue_invitations([invitee], "sheet", by=people["official_hb"])
    assert (issued, skipped) == ([], [invitee])
    assert (
        db.session.scalars(select(AccessCode).where(AccessCode.user_id == invitee.id)).all() == []
    )


def test_the_invitations_page_shows_who_has_activated_and_prints_the_sheet(
    client: FlaskClient, invitee: User, people: dict[str, User], units: dict[str, Unit]
) -> None:
    other = _phone_only("0988000123", "Lê Thị Tư", units["HP-HONGBANG"])
    login(client, people["official_hb"])
    html = client.get("/users/access").get_data(as_text=True)
    assert "Trần Văn Bảy" in html
    assert "Lê Thị Tư" in html
    assert "Nguyễn Thị Hoa" not in html  # activated: on the other tab
    assert "Nguyễn Thị Hoa" in client.get("/users/access?state=activated").get_data(as_text=True)
    pdf = client.post(
        "/users/access", data={"channel": "sheet", "format": "pdf", "user": [invitee.id, other.id]}
    )
    assert pdf.status_code == 200
    assert pdf.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    codes = re.findall(r"[A-Z2-9]{5}-[A-Z2-9]{5}", text)
    assert len(codes) == 2
    assert "Trần Văn Bảy" in text
    assert "Phường Hồng Bàng" in text
    xlsx = client.post(
        "/users/access", data={"channel": "sheet", "format": "xlsx", "user": [invitee.id]}
    )
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet is not None
    row = [c.value for c in sheet[2]]
    assert row[0] == "Trần Văn Bảy"
    # Each slip names its person before the code; the XLSX replaced Bảy's code, not Tư's.
    code_of = {name: re.search(r"[A-Z2-9]{5}-[A-Z2-9]{5}", text[text.index(name) :]).group(0)
               for name in ("Trần Văn Bảy", "Lê Thị Tư")}  # type: ignore[union-attr]  # fmt: skip
    assert set(code_of.values()) == set(codes)
    client.post("/logout")
    assert _set(client, "/activate", code_of["Trần Văn Bảy"]).status_code == 422
    assert _set(client, "/activate", code_of["Lê Thị Tư"]).status_code == 302
    client.post("/logout")
    login(client, people["official_hb"])
    html = client.get("/users/access?state=all").get_data(as_text=True)
    assert re.search(r'data-state="activated">\s*<td></td>\s*<td><label[^>]*>Lê Thị Tư', html)
    assert re.search(r'data-state="invited">.*?Trần Văn Bảy.*?phiếu in', html, re.S)


def test_people_outside_the_area_are_skipped_silently(
    client: FlaskClient, people: dict[str, User], units: dict[str, Unit]
) -> None:
    far = make_user("xa@example.vn", password=None, unit=units["QT-DONGHOI"])
    login(client, people["official_hb"])
    response = client.post("/users/access", data={"channel": "sheet", "user": [far.id]})
    assert response.status_code == 302
    assert db.session.scalar(select(AccessCode).where(AccessCode.user_id == far.id)) is None


def test_a_class_page_prints_the_sheet_of_its_people_without_a_password(
    client: FlaskClient, invitee: User, people: dict[str, User], units: dict[str, Unit]
) -> None:
    course = make_course(open=False)
    klass = make_class(course, unit=units["HP-HONGBANG"])
    enrol(invitee, course, klass=klass, by=people["official_hb"])
    enrol(people["learner_hb"], course, klass=klass, by=people["official_hb"])
    login(client, people["official_hb"])
    page = client.get(f"/classes/{klass.code}").get_data(as_text=True)
    assert 'id="print-sheet"' in page
    pdf = client.post(f"/classes/{klass.code}/invitations", data={"channel": "sheet"})
    assert pdf.mimetype == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Trần Văn Bảy" in text
    assert "Nguyễn Thị Hoa" not in text


# --- forgotten passwords ---------------------------------------------------------------------


def test_forgot_by_sms_code_then_reset(
    client: FlaskClient, people: dict[str, User], sent: list[Any]
) -> None:
    page = client.get("/login").get_data(as_text=True)
    assert "Quên mật khẩu?" in page
    response = client.post("/forgot", data={"login": "0912 345 678"})
    assert response.status_code == 302
    (sms,) = sent
    assert sms["to"] == "+84912345678"
    code = re.search(r"\b(\d{6})\b", sms["body"])
    assert code is not None
    assert _set(client, "/reset", code.group(1)).status_code == 422  # not without the phone
    wrong = _set(client, "/reset", "000000" if code.group(1) != "000000" else "111111",
                 login="0912345678")  # fmt: skip
    assert wrong.status_code == 422
    assert _set(client, "/reset", code.group(1), login="0912345678").status_code == 302
    client.post("/logout")
    assert login(client, "hoa@example.vn", NEW_PASSWORD).status_code == 302
    assert login(client, "hoa@example.vn", PASSWORD).status_code == 200  # the old one is gone


def test_forgot_by_email_link(
    client: FlaskClient, people: dict[str, User], sent: list[Any]
) -> None:
    client.post("/forgot", data={"login": "HOA@example.vn"})
    (mail,) = sent
    link = re.search(r"http://localhost/reset\?code=(\S+)", mail["body"])
    assert link is not None
    form = client.get(f"/reset?code={link.group(1)}").get_data(as_text=True)
    assert 'name="login"' not in form
    assert _set(client, "/reset", link.group(1)).status_code == 302
    assert _set(client, "/reset", link.group(1)).status_code == 422


def test_the_answer_is_the_same_whether_or_not_the_account_exists(
    client: FlaskClient, people: dict[str, User], sent: list[Any]
) -> None:
    def answer(login_name: str) -> tuple[int, str]:
        response = client.post("/forgot", data={"login": login_name})
        flashed = client.get(response.location).get_data(as_text=True)
        body = re.search(r'<div class="flash[^"]*"[^>]*>(.*?)</div>', flashed, re.S)
        assert body is not None
        return response.status_code, body.group(1).replace(login_name, "X")

    assert answer("hoa@example.vn") == answer("khong-co@example.vn")
    assert answer("0912345678") == answer("0912999888")
    assert len(sent) == 2


def test_resets_are_rate_limited_per_account_and_alike_for_unknown_ones(
    client: FlaskClient, people: dict[str, User], app: Flask
) -> None:
    limit = app.config["RESET_LIMIT_PER_HOUR"]
    for name in ("hoa@example.vn", "khong-co@example.vn"):
        statuses = [
            client.post(
                "/forgot", data={"login": name}, environ_base={"REMOTE_ADDR": f"10.9.{i}.1"}
            ).status_code
            for i in range(limit + 1)
        ]
        assert statuses == [302] * limit + [429], name


def test_five_wrong_codes_burn_the_reset_code(
    client: FlaskClient, people: dict[str, User], sent: list[Any]
) -> None:
    client.post("/forgot", data={"login": "0912345678"})
    code = re.search(r"\b(\d{6})\b", sent[0]["body"])
    assert code is not None
    wrong = f"{(int(code.group(1)) + 1) % 1_000_000:06d}"
    for _i in range(access.MAX_CODE_TRIES):
        assert _set(client, "/reset", wrong, login="0912345678").status_code == 422
    assert _set(client, "/reset", code.group(1), login="0912345678").status_code == 422
    row = db.session.scalar(select(AccessCode).where(AccessCode.purpose == CodePurpose.reset))
    assert row is not None
    assert row.revoked_at is not None


def test_a_failed_send_is_recorded_with_its_reason(
    client: FlaskClient, invitee: User, people: dict[str, User], app: Flask,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    # A real HTTP gateway that nobody listens on: every attempt fails, the reason is kept.
    monkeypatch.setitem(app.config, "SMS_BACKEND", "http")
    monkeypatch.setitem(app.config, "SMS_URL", "http://127.0.0.1:9/sms")
    monkeypatch.setitem(app.config, "SMS_TIMEOUT", 2)
    login(client, people["official_hb"])
    client.post("/users/access", data={"channel": "sms", "user": [invitee.id]})
    message = db.session.scalar(select(Message))
    assert message is not None
    assert message.status == MessageStatus.failed
    assert message.attempts == app.config["MESSAGE_ATTEMPTS"]
    assert message.body is None
    html = client.get("/users/access").get_data(as_text=True)
    assert "Gửi không thành công" in html
    assert "Connection refused" in html or "SMS gateway" in html


def test_an_import_can_invite_everyone_it_creates(
    client: FlaskClient, people: dict[str, User], auth_headers: Headers, sent: list[Any]
) -> None:
    body = (
        "email,phone,full_name,unit_code\n"
        "tu@example.vn,,Đỗ Văn Tư,HP-HONGBANG\n"
        ",0977000555,Lê Thị Năm,HP-HONGBANG\n"
    )
    headers = auth_headers(people["official_hb"])
    response = client.post(
        "/api/v1/users/import?invite=sms", data=body.encode(), content_type="text/csv",
        headers=headers,
    )  # fmt: skip
    assert response.status_code == 201, response.get_json()
    assert [m["to"] for m in sent] == ["+84977000555"]  # Tư has no phone: left for later
    bad = client.post("/api/v1/users/import?invite=fax", data=body.encode(),
                      content_type="text/csv", headers=headers)  # fmt: skip
    assert bad.status_code == 422


def test_a_class_import_can_invite_its_new_people(
    client: FlaskClient, people: dict[str, User], units: dict[str, Unit], auth_headers: Headers,
    sent: list[Any],
) -> None:  # fmt: skip
    course = make_course(open=False)
    klass = make_class(course, unit=units["HP-HONGBANG"])
    text = "email,phone,full_name\nba@example.vn,,Bà Ba\nhoa@example.vn,,\n"
    response = client.post(
        f"/api/v1/classes/{klass.code}/enrollments/import?invite=email",
        data={"file": (io.BytesIO(text.encode()), "lop.csv")},
        headers=auth_headers(people["official_hb"]),
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["invited"] == 1
    assert [m["to"] for m in sent] == ["ba@example.vn"]  # Hoa had an account already


def test_activation_asks_for_consent_and_keeps_the_code_until_given(
    client: FlaskClient, invitee: User, people: dict[str, User]
) -> None:
    issued = access.issue_invitation(invitee, "sheet", by=people["official_hb"])
    db.session.commit()
    page = client.post("/activate", data={"code": issued.code}).get_data(as_text=True)
    assert 'id="consent"' in page
    refused = _set(client, "/activate", issued.code, consent="")
    assert refused.status_code == 422
    assert "Hãy đọc thông báo về quyền riêng tư" in refused.get_data(as_text=True)
    assert _set(client, "/activate", issued.code).status_code == 302
    person = db.session.get(User, invitee.id)
    assert person is not None
    assert person.consented_at is not None
