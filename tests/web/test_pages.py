from __future__ import annotations

import logging

import pytest
from flask.testing import FlaskClient

from lms.auth.models import Role, User
from tests.auth.conftest import login
from tests.factories import make_user

#: path -> (status, Vietnamese text, English text)
PAGES = {
    "/": (200, "Kỹ năng số cho mọi người", "Digital skills for everyone"),
    "/login": (200, "Email hoặc số điện thoại", "Email or phone number"),
    "/register": (200, "Tạo tài khoản", "Create your account"),
    "/api/docs": (200, "Tài liệu API", "API documentation"),
    "/no-such-page": (404, "Về trang chủ", "Back to the home page"),
}


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("path", list(PAGES))
def test_pages_render_in_both_languages(
    client: FlaskClient, db: object, path: str, lang: str
) -> None:
    client.post(f"/lang/{lang}")
    response = client.get(path, headers={"Accept": "text/html"})
    status, vietnamese, english = PAGES[path]
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    assert (vietnamese if lang == "vi" else english) in html
    assert (english if lang == "vi" else vietnamese) not in html
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "http://" not in html.split("<body>")[0].replace("http://localhost", "")  # no CDN


def test_home_for_visitors_explains_and_links_to_login_and_register(
    client: FlaskClient, db: object
) -> None:
    html = client.get("/").get_data(as_text=True)
    assert "Đề án 146 là gì?" in html
    assert 'href="/login"' in html
    assert 'href="/register"' in html
    assert "Người dân trong độ tuổi lao động" in html  # the target groups


def test_home_for_an_official_shows_where_to_go(client: FlaskClient, db: object) -> None:
    official = make_user(roles=(Role.official,), full_name="Trần Minh Tuấn")
    login(client, official)
    html = client.get("/").get_data(as_text=True)
    assert "Xin chào, Trần Minh Tuấn" in html
    assert "Cán bộ quản lý" in html
    assert 'class="card card-link" href="/users"' in html
    assert 'href="/users"' in html.split("</nav>")[0]  # in the navigation too
    # Officials organise classes (and import their people) too: the menu leads there.
    assert 'href="/trainer/classes"' in html.split("</nav>")[0]


def test_home_for_a_learner_has_no_official_pages(client: FlaskClient, db: object) -> None:
    login(client, make_user(roles=(Role.learner,)))
    html = client.get("/").get_data(as_text=True)
    assert 'href="/users"' not in html
    assert "Đăng xuất" in html


def test_language_choice_is_kept_on_the_account(client: FlaskClient, db: object) -> None:
    user = make_user()
    login(client, user)
    response = client.post("/lang/en?next=/register")
    assert response.status_code == 302
    assert response.location == "/register"
    from lms.extensions import db as database

    assert database.session.get(User, user.id).locale == "en"
    client.post("/logout")
    login(client, user)
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)


def test_language_switch_changes_nothing_on_get(client: FlaskClient, db: object) -> None:
    """A link or an image on any site could trigger a GET: it must not touch the account."""
    user = make_user()
    login(client, user)
    assert client.get("/lang/en?next=/register").status_code == 405
    from lms.extensions import db as database

    assert database.session.get(User, user.id).locale is None
    assert '<html lang="vi">' in client.get("/").get_data(as_text=True)


def test_language_switch_is_a_form_that_works_without_javascript(
    client: FlaskClient, db: object
) -> None:
    html = client.get("/register").get_data(as_text=True)
    switch = html.split('class="lang-switch"')[1].split("</span>")[0]
    assert switch.count('<form method="post" action="/lang/') == 2
    assert 'action="/lang/en?next=/register' in switch
    assert 'name="csrf_token"' in switch


@pytest.mark.parametrize(
    ("url", "headers", "target"),
    [
        ("/lang/en?next=https://evil.example/", {}, "/"),
        ("/lang/en?next=//evil.example/", {}, "/"),
        ("/lang/en", {"Referer": "http://localhost/login?next=/x"}, "/login?next=/x"),
        ("/lang/en", {"Referer": "https://evil.example/login"}, "/"),
        ("/lang/xx?next=/login", {}, "/login"),
    ],
)
def test_language_switch_redirects_only_inside_the_site(
    client: FlaskClient, db: object, url: str, headers: dict, target: str
) -> None:
    response = client.post(url, headers=headers)
    assert response.location == target


def test_unknown_language_is_ignored(client: FlaskClient, db: object) -> None:
    client.post("/lang/xx")
    assert '<html lang="vi">' in client.get("/").get_data(as_text=True)


def test_api_errors_are_json_and_pages_are_html(client: FlaskClient, db: object) -> None:
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404
    assert api.get_json()["code"] == 404
    page = client.get("/no-such-page")
    assert page.mimetype == "text/html"


def test_health_probes(client: FlaskClient, db: object) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json() == {"status": "ok", "database": "ok"}


def test_every_request_is_logged_with_id_method_path_status_duration(
    client: FlaskClient, db: object, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="lms.request"):
        response = client.get("/healthz", headers={"X-Request-ID": "abc123"})
    assert response.headers["X-Request-ID"] == "abc123"
    lines = [r.getMessage() for r in caplog.records if r.name == "lms.request"]
    assert len(lines) == 1
    assert lines[0].startswith("request_id=abc123 method=GET path=/healthz status=200 duration_ms=")
    float(lines[0].rsplit("=", 1)[1])


def test_request_ids_are_generated_when_missing(client: FlaskClient, db: object) -> None:
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert len(first) == 32
    assert first != second


def test_static_assets_are_served_locally(client: FlaskClient, db: object) -> None:
    with client.get("/static/css/app.css") as css:
        assert css.status_code == 200
    with client.get("/static/js/app.js") as js:
        assert js.status_code == 200
        assert b"lmsFetch" in js.data


def test_openapi_document_is_valid_openapi_3(client: FlaskClient, db: object) -> None:
    from openapi_spec_validator import validate

    spec = client.get("/api/v1/openapi.json").get_json()
    validate(spec)
    assert spec["openapi"].startswith("3.")
    tokens = spec["paths"]["/api/v1/auth/tokens"]["post"]
    assert "security" not in tokens
    assert set(tokens["responses"]) >= {"201", "401", "422", "429"}
    assert "/api/v1/users/{user_id}" in spec["paths"]
    assert "/api/v1/users/import" in spec["paths"]


def test_api_docs_page_describes_the_endpoints(client: FlaskClient, db: object) -> None:
    client.post("/lang/en")
    html = client.get("/api/docs").get_data(as_text=True)
    assert "/api/v1/auth/tokens" in html
    assert "Get an API token with an email (or phone) and password" in html
    assert 'id="tag-users"' in html
    assert "<code>password</code>" in html  # request fields are listed
    assert "Bearer" in html
