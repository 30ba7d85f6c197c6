from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from lms.auth.models import Role, User
from lms.extensions import db
from lms.org.models import Unit
from tests.auth.conftest import PASSWORD, login
from tests.conftest import make_test_app
from tests.uploads import windows_1258


def test_login_page_renders_in_vietnamese_by_default(client: FlaskClient, db: object) -> None:
    page = client.get("/login")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<html lang="vi">' in html
    assert "Đăng nhập" in html
    assert 'name="csrf_token"' in html


def test_login_with_email_or_phone_redirects_home(
    client: FlaskClient, people: dict[str, User]
) -> None:
    response = login(client, "HOA@example.vn")
    assert response.status_code == 302
    assert response.location == "/"
    assert client.get("/api/v1/me").get_json()["email"] == "hoa@example.vn"
    client.post("/logout")
    assert login(client, "+84912345678").status_code == 302


def test_login_follows_local_next_only(client: FlaskClient, people: dict[str, User]) -> None:
    data = {"login": "hoa@example.vn", "password": PASSWORD}
    response = client.post("/login?next=/api/docs%3Fx%3D1", data=data)
    assert response.location == "/api/docs?x=1"
    client.post("/logout")
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x"):
        response = client.post("/login", data=data | {"next": target})
        assert response.location == "/", target
        client.post("/logout")


def test_login_with_wrong_password_shows_the_form_again(
    client: FlaskClient, people: dict[str, User]
) -> None:
    response = login(client, "hoa@example.vn", "wrong")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Sai email, số điện thoại hoặc mật khẩu." in html
    assert 'value="hoa@example.vn"' in html
    assert client.get("/api/v1/me").status_code == 401


def test_login_page_says_429_after_ten_failures(
    client: FlaskClient, people: dict[str, User]
) -> None:
    for _ in range(10):
        assert login(client, "hoa@example.vn", "wrong").status_code == 200
    response = login(client, "hoa@example.vn")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "60"
    assert "Quá nhiều lần đăng nhập sai" in response.get_data(as_text=True)


def test_logged_in_user_visiting_login_goes_home(
    client: FlaskClient, people: dict[str, User]
) -> None:
    login(client, people["learner_hb"])
    assert client.get("/login").status_code == 302


def test_logout_is_post_only_and_ends_the_session(
    client: FlaskClient, people: dict[str, User]
) -> None:
    login(client, people["learner_hb"])
    assert client.get("/logout").status_code == 405
    response = client.post("/logout")
    assert response.status_code == 302
    assert client.get("/api/v1/me").status_code == 401


def test_session_cookie_is_http_only_and_same_site(
    client: FlaskClient, people: dict[str, User]
) -> None:
    response = login(client, people["learner_hb"])
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


@pytest.fixture
def csrf_app(database_url: str) -> Iterator[Flask]:
    """An app with CSRF protection on, as in production (the test app turns it off)."""
    app = make_test_app(database_url, WTF_CSRF_ENABLED=True, SESSION_COOKIE_SECURE=True)
    yield app
    with app.app_context():
        db.engine.dispose()


def test_form_post_without_csrf_token_is_refused(csrf_app: Flask) -> None:
    client = csrf_app.test_client()
    for path in ("/login", "/logout", "/register"):
        response = client.post(path, data={"login": "x@example.vn", "password": "x"})
        assert response.status_code == 400, path
        assert "The form expired" in response.get_data(as_text=True) or "Biểu mẫu" in (
            response.get_data(as_text=True)
        )


def test_unauthenticated_api_write_answers_401_before_csrf(csrf_app: Flask) -> None:
    """No session, no ambient authority: the caller needs to log in, not a fresh form."""
    client = csrf_app.test_client()
    for method, path in (("post", "/api/v1/users"), ("patch", "/api/v1/users/1")):
        api = getattr(client, method)(path, json={}, headers={"Accept": "application/json"})
        assert api.status_code == 401, path
        assert api.get_json() == {
            "code": 401,
            "status": "Unauthorized",
            "message": "Bạn cần đăng nhập.",
        }


def _login_with_the_form(client: FlaskClient) -> None:
    """Log the admin in through the login form, CSRF token included, as a browser does."""
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    data = {"login": "admin@example.vn", "password": PASSWORD, "csrf_token": token[1]}
    assert client.post("/login", data=data).status_code == 302


def test_api_write_with_a_session_cookie_still_needs_the_csrf_token(
    app: Flask, client: FlaskClient, people: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    _login_with_the_form(client)
    api = client.post("/api/v1/users", json={})
    assert api.status_code == 400
    assert api.get_json()["code"] == 400


def test_a_bearer_header_does_not_lift_csrf_from_a_cookie_session(
    app: Flask, client: FlaskClient, people: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only an API call, which its token alone authenticates, skips the CSRF token: a page
    authenticated by the session cookie (ambient authority) needs it, whatever the headers."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    _login_with_the_form(client)
    bearer = {"Authorization": "Bearer not-a-token"}
    assert client.post("/logout", headers=bearer).status_code == 400
    # on the API the token is the caller, not the cookie sent along: a wrong one is a 401
    assert client.post("/api/v1/users", json={}, headers=bearer).status_code == 401
    assert client.get("/api/v1/me").status_code == 200  # still logged in


def test_a_bearer_token_alone_needs_no_csrf_token(
    app: Flask, client: FlaskClient, people: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    issued = client.post(
        "/api/v1/auth/tokens", json={"email": "admin@example.vn", "password": PASSWORD}
    )
    assert issued.status_code in (200, 201)
    bearer = {"Authorization": f"Bearer {issued.get_json()['token']}"}
    response = client.post("/api/v1/users", json={}, headers=bearer)
    assert response.status_code == 422  # the body's fault, not the CSRF check's


def test_form_post_with_csrf_token_passes(csrf_app: Flask) -> None:
    client = csrf_app.test_client()
    page = client.get("/login", base_url="https://localhost")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert token is not None
    response = client.post(
        "/login",
        data={"login": "nobody@example.vn", "password": "x", "csrf_token": token.group(1)},
        base_url="https://localhost",
        headers={"Referer": "https://localhost/login"},
    )
    assert response.status_code == 200
    assert "Secure" in page.headers["Set-Cookie"]


def test_token_endpoint_needs_no_csrf_token(csrf_app: Flask) -> None:
    response = csrf_app.test_client().post(
        "/api/v1/auth/tokens", json={"email": "nobody@example.vn", "password": "x"}
    )
    assert response.status_code == 401


def test_register_page_lists_current_communes(client: FlaskClient, units: dict[str, Unit]) -> None:
    html = client.get("/register").get_data(as_text=True)
    assert "Phường Hồng Bàng" in html
    assert '<optgroup label="Thành phố Hải Phòng">' in html
    assert "Phường Hải Thành" not in html  # merged away in 2025
    assert "Sở Khoa học" not in html


def test_register_creates_a_citizen_and_logs_her_in(
    client: FlaskClient, units: dict[str, Unit]
) -> None:
    response = client.post(
        "/register",
        data={
            "login": "0912 000 146",
            "full_name": "Nguyễn Thị Hoa",
            "unit": "HP-HONGBANG",
            "password": "hoa-mat-khau",
            "password2": "hoa-mat-khau",
            "consent": "1",
            "next": "/api/v1/me",
        },
    )
    assert response.status_code == 302
    assert response.location == "/api/v1/me"
    me = client.get("/api/v1/me").get_json()
    assert (me["phone"], me["target_group"], me["roles"], me["unit_code"]) == (
        "0912000146",
        "citizen",
        ["learner"],
        "HP-HONGBANG",
    )


@pytest.mark.parametrize(
    ("form", "field_message"),
    [
        ({"login": ""}, "Nhập số điện thoại hoặc địa chỉ email."),
        ({"login": "hoa@example.vn"}, "Đã có người dùng với địa chỉ email này."),
        ({"login": "0912345678"}, "Đã có người dùng với số điện thoại này."),
        ({"login": "abc"}, "Số điện thoại không hợp lệ."),
        ({"password": "short", "password2": "short"}, "Dùng ít nhất 8 ký tự."),
        ({"password2": "different!"}, "Hai mật khẩu không giống nhau."),
        ({"full_name": " "}, "Nhập họ và tên của bạn."),
        ({"unit": "HP-SKHCN"}, "Chọn một phường, xã hiện có."),
        ({"unit": "NOPE"}, "Chọn một phường, xã hiện có."),
        ({"consent": ""}, "Hãy đọc thông báo về quyền riêng tư và đánh dấu để đồng ý."),
    ],
)
def test_register_shows_field_errors_and_creates_nobody(
    client: FlaskClient, people: dict[str, User], form: dict, field_message: str
) -> None:
    data = {
        "login": "new@example.vn",
        "full_name": "Người Mới",
        "password": "long enough",
        "password2": "long enough",
        "unit": "",
        "consent": "1",
    } | form
    before = db.session.query(User).count()
    response = client.post("/register", data=data)
    assert response.status_code in {409, 422}
    assert field_message in response.get_data(as_text=True)
    assert db.session.query(User).count() == before


def test_people_page_needs_an_official(client: FlaskClient, people: dict[str, User]) -> None:
    assert client.get("/users").status_code == 302
    login(client, people["learner_hb"])
    assert client.get("/users").status_code == 403


def test_people_page_lists_the_area_and_searches(
    client: FlaskClient, people: dict[str, User]
) -> None:
    login(client, people["official_hp"])
    html = client.get("/users").get_data(as_text=True)
    assert "Nguyễn Thị Hoa" in html
    assert "Phạm Đăng Khoa" not in html
    html = client.get("/users?q=tran+thi").get_data(as_text=True)
    assert "Trần Thị Lan" in html
    assert "Nguyễn Thị Hoa" not in html


def test_people_page_import_shows_cells_in_error_then_imports(
    client: FlaskClient, people: dict[str, User]
) -> None:
    login(client, people["official_hb"])
    bad = (
        "email,full_name,unit_code,target_group\n"
        "a@x.vn,A,HP-HONGBANG,community_tech\n"
        "b@x.vn,,HP-HONGBANG,comunity\n"
    )
    response = client.post(
        "/users/import",
        data={"file": (io.BytesIO(bad.encode()), "team.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "<td>3</td><td>Họ và tên</td>" in html  # the column in words, not full_name
    assert "<td>3</td><td>Đối tượng</td>" in html
    assert db.session.scalar(select(User).where(User.email == "a@x.vn")) is None
    good = bad.replace("b@x.vn,,HP-HONGBANG,comunity", "b@x.vn,B,HP-HONGBANG,community_tech")
    response = client.post(
        "/users/import",
        data={"file": (io.BytesIO(good.encode()), "team.csv")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "2 người đã được nhập." in response.get_data(as_text=True)
    b = db.session.scalar(select(User).where(User.email == "b@x.vn"))
    assert b is not None
    assert b.roles == {Role.learner}


def test_people_page_import_without_file(client: FlaskClient, people: dict[str, User]) -> None:
    login(client, people["official_hb"])
    response = client.post("/users/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 422


def test_people_page_import_of_a_windows_1258_file_says_what_to_do(
    client: FlaskClient, people: dict[str, User]
) -> None:
    login(client, people["official_hb"])
    data = windows_1258("email,full_name\nc@x.vn,Lê Văn Tám\n")
    response = client.post(
        "/users/import",
        data={"file": (io.BytesIO(data), "team.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert response.get_data(as_text=True).count("không phải văn bản UTF-8") == 1
    assert db.session.scalar(select(User).where(User.email == "c@x.vn")) is None


def test_people_page_import_enrols_the_people_in_a_class(
    client: FlaskClient, people: dict[str, User]
) -> None:
    from tests.factories import make_class, make_course

    klass = make_class(make_course(), code="HB-01", unit=people["official_hb"].unit)
    login(client, people["official_hb"])
    text = "email,full_name,unit_code\nc@x.vn,C,HP-HONGBANG\nd@x.vn,D,HP-HONGBANG\n"
    unknown = client.post(
        "/users/import",
        data={"file": (io.BytesIO(text.encode()), "team.csv"), "class_code": "KHONG-CO"},
        content_type="multipart/form-data",
    )
    assert unknown.status_code == 404
    assert "KHONG-CO" in unknown.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.email == "c@x.vn")) is None
    response = client.post(
        "/users/import",
        data={"file": (io.BytesIO(text.encode()), "team.csv"), "class_code": "HB-01"},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "Đã nhập 2 người và ghi danh vào lớp HB-01." in response.get_data(as_text=True)
    from lms.classes.models import Enrollment

    enrolled = db.session.scalars(select(Enrollment.user_id).where(Enrollment.class_id == klass.id))
    emails = set(db.session.scalars(select(User.email).where(User.id.in_(list(enrolled)))))
    assert emails == {"c@x.vn", "d@x.vn"}


def test_people_page_shows_roles_in_words(client: FlaskClient, people: dict[str, User]) -> None:
    login(client, people["official_hp"])
    html = client.get("/users").get_data(as_text=True)
    assert '<span class="badge">Học viên</span>' in html
    assert '<span class="badge">learner</span>' not in html
