"""Single sign-on against a real OpenID Connect provider (node ``oidc-provider``).

A ``requests`` session plays the browser: it starts at the LMS, signs in on the provider's
own login form, and follows the redirects back, so state, nonce, PKCE and the ID token's
signature are those of a real exchange.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from lms.auth.models import Role, SsoIdentity, User
from lms.extensions import db
from lms.learning import identities
from lms.learning.identities import mbox_sha1
from lms.learning.models import IdentityKind
from tests.conftest import free_port, serving, throwaway_app
from tests.factories import make_unit, make_user
from tests.oidc.server import oidc_provider, provider_setting

ACCOUNTS: dict[str, dict[str, Any]] = {
    "lan": {"email": "Lan.Official@so.gov.vn", "email_verified": True, "name": "Trần Thị Lan"},
    "moi": {
        "phone_number": "+84 977 000 999",
        "phone_number_verified": True,
        "name": "Ngô Văn Mới",
        "unit_code": "SSO-XA",
    },
    "gia": {"email": "hoa@example.vn", "email_verified": False, "name": "Kẻ Giả"},
    "vy": {"email": "vy@so.gov.vn", "email_verified": True, "name": "Đỗ Thị Vy"},
    "bich": {
        "email": "bich@so.gov.vn",
        "email_verified": True,
        "phone_number": "+84977000888",
        "phone_number_verified": True,
        "name": "Lý Thị Bích",
    },
}


@pytest.fixture(scope="module")
def lms(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, str, str]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with (
        oidc_provider(f"{base}/sso/tinh/callback", ACCOUNTS) as issuer,
        throwaway_app(
            tmp_path_factory.mktemp("sso"),
            BASE_URL=base,
            OIDC_PROVIDERS=[provider_setting(issuer)],
        ) as app,
    ):
        with app.app_context():
            make_unit("SSO-XA", name="Xã Một Lần")
            make_user("lan.official@so.gov.vn", roles=(Role.official,), full_name="Trần Thị Lan")
            make_user("hoa@example.vn", full_name="Nguyễn Thị Hoa")
            bich = make_user("bich@so.gov.vn", full_name="Lý Thị Bích", phone="0977000888")
            bich.email_verified_at = None  # she typed it herself and has not confirmed it
            db.session.commit()
        with serving(app, port) as url:
            yield app, url, issuer


def _submit_login(
    browser: requests.Session, url: str, login: str, **kwargs: Any
) -> requests.Response:
    """Open the LMS's SSO button and fill the provider's own sign-in form (its hidden fields
    included), as a person would."""
    form = browser.get(f"{url}/sso/tinh/login", timeout=20)
    assert form.status_code == 200, form.text[:500]
    action = re.search(r'<form[^>]*action="([^"]+)"', form.text)
    assert action is not None, form.text[:500]
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.text))
    data = hidden | {"login": login, "password": "bat-ky"}
    target = requests.compat.urljoin(form.url, action.group(1))
    return browser.post(target, data=data, timeout=20, **kwargs)


def sign_in(url: str, login: str) -> tuple[requests.Session, requests.Response]:
    """Start at the LMS, sign in on the provider's form, follow the redirects home (agreeing
    to the privacy notice on a first sign-in)."""
    browser = requests.Session()
    reply = _submit_login(browser, url, login)
    if "/consent" in reply.url:
        assert "Trước khi bắt đầu" in reply.text
        next_url = re.search(r'name="next" value="([^"]+)"', reply.text)
        assert next_url is not None
        reply = browser.post(
            f"{url}/consent", data={"consent": "1", "next": next_url.group(1)}, timeout=20
        )
    return browser, reply


def test_the_login_page_shows_the_provider(lms: tuple[Flask, str, str]) -> None:
    _app, url, _issuer = lms
    html = requests.get(f"{url}/login", timeout=10).text
    assert 'id="sso-tinh"' in html
    assert "Đăng nhập một lần của Tỉnh" in html


def test_a_verified_email_links_the_existing_account(lms: tuple[Flask, str, str]) -> None:
    app, url, _issuer = lms
    browser, reply = sign_in(url, "lan")
    assert reply.url == f"{url}/my-learning", reply.text[:300]
    me = browser.get(f"{url}/api/v1/me", timeout=10).json()
    assert me["email"] == "lan.official@so.gov.vn"
    assert "official" in me["roles"]
    with app.app_context():
        link = db.session.scalar(select(SsoIdentity).where(SsoIdentity.subject == "lan"))
        assert link is not None
        assert link.user.email == "lan.official@so.gov.vn"
    # Signing in again finds the same account by its link.
    browser, reply = sign_in(url, "lan")
    assert browser.get(f"{url}/api/v1/me", timeout=10).json()["id"] == me["id"]


def test_a_new_person_becomes_a_learner_with_no_password(lms: tuple[Flask, str, str]) -> None:
    app, url, _issuer = lms
    browser, reply = sign_in(url, "moi")
    assert reply.url == f"{url}/my-learning"
    me = browser.get(f"{url}/api/v1/me", timeout=10).json()
    assert me["phone"] == "0977000999"  # the one phone rule, on the claims too
    assert me["roles"] == ["learner"]
    assert me["unit_code"] == "SSO-XA"
    with app.app_context():
        user = db.session.get(User, me["id"])
        assert user is not None
        assert user.password_hash is None


def test_an_unverified_email_takes_over_no_account(lms: tuple[Flask, str, str]) -> None:
    _app, url, _issuer = lms
    browser, reply = sign_in(url, "gia")
    assert reply.status_code == 403
    assert "không có email hoặc số điện thoại đã xác minh" in reply.text
    assert browser.get(f"{url}/api/v1/me", timeout=10).status_code == 401


def test_an_account_pre_registered_with_someone_elses_email_is_not_linked(
    lms: tuple[Flask, str, str],
) -> None:
    """Pre-account hijacking: someone signs up with Vy's address and a password of theirs,
    before Vy first signs in through the province. Her provider's verified e-mail must not
    hand her sign-in to that account (whose password the other person knows)."""
    app, url, _issuer = lms
    squatter = requests.Session()
    page = squatter.get(f"{url}/register", timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    form = {
        "login": "vy@so.gov.vn",
        "full_name": "Kẻ Chiếm Chỗ",
        "password": "correct horse battery",
        "password2": "correct horse battery",
        "consent": "1",
    }
    if token:
        form["csrf_token"] = token.group(1)
    assert squatter.post(f"{url}/register", data=form, timeout=10).status_code == 200
    with app.app_context():
        taken = db.session.scalar(select(User).where(User.email == "vy@so.gov.vn"))
        assert taken is not None
        assert taken.email_verified_at is None
    browser, reply = sign_in(url, "vy")
    assert reply.status_code == 409
    assert "chưa xác nhận địa chỉ này" in reply.text
    assert "Kẻ Chiếm Chỗ" not in reply.text  # the account is not shown
    assert browser.get(f"{url}/api/v1/me", timeout=10).status_code == 401
    with app.app_context():
        assert db.session.scalar(select(SsoIdentity).where(SsoIdentity.subject == "vy")) is None


def test_the_provider_confirms_the_address_of_the_account_it_signs_in(
    lms: tuple[Flask, str, str],
) -> None:
    """Bích's account is found by her verified phone; the provider also verifies the e-mail
    she typed herself and never confirmed: it is hers now."""
    app, url, _issuer = lms
    browser, _reply = sign_in(url, "bich")
    me = browser.get(f"{url}/api/v1/me", timeout=10).json()
    assert me["email"] == "bich@so.gov.vn"
    assert me["email_verified_at"] is not None
    with app.app_context():  # and the bridge knows her by it now, in its SHA-1 form too
        found = identities.find_user(
            identities.Ifi(IdentityKind.mbox_sha1sum, mbox_sha1(me["email"]))
        )
        assert found is not None
        assert found.id == me["id"]


def test_a_replayed_or_forged_callback_signs_nobody_in(lms: tuple[Flask, str, str]) -> None:
    _app, url, _issuer = lms
    browser = requests.Session()
    back = _submit_login(browser, url, "lan", allow_redirects=False)
    # Follow the provider's redirects by hand up to the LMS callback.
    location = back.headers["Location"]
    while not location.startswith(f"{url}/sso/tinh/callback"):
        step = browser.get(requests.compat.urljoin(back.url, location), allow_redirects=False,
                           timeout=20)  # fmt: skip
        back, location = step, step.headers["Location"]
    stranger = requests.Session()  # the callback in another browser: no state in its session
    assert stranger.get(location, timeout=20).status_code == 400
    forged = re.sub(r"state=[^&]+", "state=forged", location)
    assert browser.get(forged, timeout=20).status_code == 400
    assert browser.get(location, timeout=20).status_code == 200  # signed in
    assert browser.get(location, timeout=20).status_code == 400  # used once
    assert stranger.get(f"{url}/api/v1/me", timeout=10).status_code == 401


def test_admins_see_the_providers_status(lms: tuple[Flask, str, str]) -> None:
    app, url, issuer = lms
    with app.app_context():
        make_user("admin.sso@example.vn", roles=(Role.admin,), password="correct horse battery")
        db.session.commit()
    browser = requests.Session()
    page = browser.get(f"{url}/login", timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    data = {"login": "admin.sso@example.vn", "password": "correct horse battery"}
    if token:
        data["csrf_token"] = token.group(1)
    browser.post(f"{url}/login", data=data, timeout=10)
    html = browser.get(f"{url}/sso", timeout=10).text
    assert issuer in html
    assert "Đang hoạt động" in html
    assert f"{url}/sso/tinh/callback" in html


def test_the_providers_setting_is_checked_at_start(tmp_path: Path) -> None:
    from lms.config import load_config

    env = {"LMS_SECRET_KEY": "x"}
    assert load_config(str(tmp_path), env)["OIDC_PROVIDERS"] == []
    good = '[{"name": "hp", "issuer": "https://sso.hp.gov.vn", "client_id": "lms"}]'
    assert (
        load_config(str(tmp_path), env | {"LMS_OIDC_PROVIDERS": good})["OIDC_PROVIDERS"][0]["name"]
        == "hp"
    )
    for bad in ('{"name": "hp"}', '[{"name": "hp"}]', "not json"):
        with pytest.raises(ValueError, match="LMS_OIDC_PROVIDERS"):
            load_config(str(tmp_path), env | {"LMS_OIDC_PROVIDERS": bad})


def test_an_id_token_with_another_nonce_is_refused_not_a_500(lms: tuple[Flask, str, str]) -> None:
    """Authlib raises its claim errors (InvalidClaimError) and joserfc its signature errors for
    a token that does not check out; neither is an OAuthError, and the callback answered 500."""
    app, url, _issuer = lms
    browser = requests.Session()
    back = _submit_login(browser, url, "lan", allow_redirects=False)
    location = back.headers["Location"]
    while not location.startswith(f"{url}/sso/tinh/callback"):
        step = browser.get(requests.compat.urljoin(back.url, location), allow_redirects=False,
                           timeout=20)  # fmt: skip
        back, location = step, step.headers["Location"]
    # The session this browser holds expects another nonce than the one in the ID token.
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    name = app.config.get("SESSION_COOKIE_NAME", "session")
    data = serializer.loads(browser.cookies[name])
    keys = [k for k in data if k.startswith("_state_tinh_")]
    assert keys
    for key in keys:
        data[key]["data"]["nonce"] = "not-the-one-in-the-token"
    browser.cookies.set(name, serializer.dumps(data), domain="127.0.0.1", path="/")
    refused = browser.get(location, timeout=20)
    assert refused.status_code == 400
    assert "không thành công" in refused.text
    assert browser.get(f"{url}/api/v1/me", timeout=10).status_code == 401
