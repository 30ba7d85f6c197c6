"""Input refused at the edge (lms/edge.py), as a hostile client sends it: never a 500.

NUL characters and unpaired surrogates anywhere a text arrives, integers past a column's range,
JSON nested without end, bodies over ``LMS_MAX_UPLOAD_MB`` with or without ``Content-Length``;
and the 500 handler that must leave the session usable.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from lms.auth.models import Role, User
from lms.edge import MAX_JSON_DEPTH
from lms.extensions import db
from tests.catalog.helpers import login, make_people
from tests.conftest import throwaway_app
from tests.factories import make_class, make_course, make_user


@pytest.fixture
def people(db: object) -> dict[str, Any]:
    return make_people()


def refused(response: Any, status: int, field: str) -> dict[str, Any]:
    """``response`` is the documented error envelope with ``status``, naming ``field``."""
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.json
    assert body["code"] == status
    assert field in body["errors"], body
    return body


def user_count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(User)) or 0)


# --- NUL characters and unpaired surrogates --------------------------------------------------


def test_nul_in_a_json_field_is_400_naming_it_and_nothing_is_written(
    client: FlaskClient, auth_headers, people: dict[str, Any]
) -> None:  # type: ignore[no-untyped-def]
    before = user_count()
    response = client.post(
        "/api/v1/users",
        json={"email": "an@example.vn", "full_name": "Nguyễn\x00An"},
        headers=auth_headers(people["admin"]),
    )
    body = refused(response, 400, "full_name")
    assert body["message"] == "Dữ liệu không hợp lệ."
    assert user_count() == before


def test_nul_deep_in_a_class_is_400_naming_the_path(
    client: FlaskClient, auth_headers, people: dict[str, Any]
) -> None:  # type: ignore[no-untyped-def]
    course = make_course()
    session = {"date": "2026-03-02", "starts_at": "08:00", "ends_at": "11:30", "topic": "T\x00"}
    body = {
        "code": "LD-2026-01",
        "course": course.slug,
        "unit": people["commune"].code,
        "title": "Lớp",
        "mode": "in_person",
        "sessions": [session],
    }
    response = client.post("/api/v1/classes", json=body, headers=auth_headers(people["admin"]))
    refused(response, 400, "sessions.0.topic")
    patch = client.patch(
        "/api/v1/classes/NOPE", json={"title": "x\x00"}, headers=auth_headers(people["admin"])
    )
    refused(patch, 400, "title")


def test_nul_in_a_json_key_is_refused(
    client: FlaskClient, auth_headers, people: dict[str, Any]
) -> None:  # type: ignore[no-untyped-def]
    response = client.post(
        "/api/v1/users", json={"full_name\x00": "An"}, headers=auth_headers(people["admin"])
    )
    refused(response, 400, "full_name\x00")


def test_an_unpaired_surrogate_in_json_is_400(
    client: FlaskClient, auth_headers, people: dict[str, Any]
) -> None:  # type: ignore[no-untyped-def]
    response = client.post(
        "/api/v1/users",
        data=b'{"full_name": "An \\ud800"}',
        content_type="application/json",
        headers=auth_headers(people["admin"]),
    )
    refused(response, 400, "body")


@pytest.mark.parametrize("path", ["/api/v1/courses", "/courses"])
def test_nul_in_the_search_is_400_also_anonymously(client: FlaskClient, path: str) -> None:
    response = client.get(path, query_string={"q": "kỹ\x00năng"}, headers=_json())
    refused(response, 400, "q")


def test_nul_in_the_people_search_is_400(
    client: FlaskClient, auth_headers, people: dict[str, Any]
) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/users?q=an%00", headers=auth_headers(people["admin"]))
    refused(response, 400, "q")


@pytest.mark.parametrize(
    "path",
    [
        "/verify/HP%00",
        "/issuers/%00",
        "/api/v1/certificates/HP%00/verify",
        "/courses/ky-nang/assets/a%00.png",
        "/units/%00",
    ],
)
def test_nul_in_a_path_is_400(client: FlaskClient, path: str) -> None:
    refused(client.get(path, headers=_json()), 400, "path")


def test_a_nul_in_a_path_gets_an_html_page_in_a_browser(client: FlaskClient) -> None:
    response = client.get("/verify/HP%00", headers={"Accept": "text/html"})
    assert response.status_code == 400
    assert response.mimetype == "text/html"


def test_nul_in_the_login_email_is_400(client: FlaskClient, people: dict[str, Any]) -> None:
    api = client.post("/api/v1/auth/tokens", json={"email": "a\x00@x.vn", "password": "secret"})
    refused(api, 400, "email")
    form = client.post("/login", data={"login": "a\x00@x.vn", "password": "x"}, headers=_json())
    refused(form, 400, "login")


def test_an_invalid_url_encoding_does_not_reach_a_handler_as_a_surrogate(
    client: FlaskClient,
) -> None:
    """``%ED%A0%80`` would be a lone surrogate; Werkzeug decodes it as a replacement char."""
    assert client.get("/api/v1/courses?q=%ED%A0%80").status_code == 200
    assert client.get("/verify/HP%ED%A0%80").status_code == 404


def test_nul_in_a_form_file_name_is_400(
    client: FlaskClient, auth_headers, people: dict[str, Any]
) -> None:  # type: ignore[no-untyped-def]
    response = client.post(
        "/api/v1/users/import",
        data={"file": (io.BytesIO(b"email,full_name\n"), "a\x00.csv")},
        content_type="multipart/form-data",
        headers=auth_headers(people["admin"]),
    )
    refused(response, 400, "file")


# --- integers past the column's range ---------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/users/9999999999",
        "/api/v1/enrollments/9999999999",
        "/api/v1/attempts/2147483648",
        "/api/v1/quizzes/99999999999999999999999",
    ],
)
def test_an_id_past_the_integer_range_is_404(
    client: FlaskClient, auth_headers, people: dict[str, Any], path: str
) -> None:  # type: ignore[no-untyped-def]
    response = client.get(path, headers=auth_headers(people["admin"]))
    assert response.status_code == 404
    assert response.json["code"] == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PATCH", "/api/v1/users/9999999999"),
        ("DELETE", "/api/v1/indicators/2147483648"),
        ("POST", "/api/v1/quizzes/99999999999999999999999/attempts"),
    ],
)
def test_an_id_past_the_range_is_404_whatever_the_method(
    client: FlaskClient, auth_headers, people: dict[str, Any], method: str, path: str
) -> None:  # type: ignore[no-untyped-def]
    """Not 405 naming the methods of the same path's other rules, which would answer 404 too."""
    response = client.open(path, method=method, headers=auth_headers(people["admin"]), json={})
    assert response.status_code == 404
    assert "Allow" not in response.headers


def test_the_largest_id_still_matches_its_route(
    client: FlaskClient, auth_headers, people: dict[str, Any]
) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/users/2147483647", headers=auth_headers(people["admin"]))
    assert response.status_code == 404
    assert response.json["message"] != "Not Found"  # the view answered, not the router


def test_cmi5_content_with_a_huge_course_id_is_404_anonymously(client: FlaskClient) -> None:
    assert client.get("/cmi5/content/9999999999/x").status_code == 404


def test_an_integer_field_past_its_column_range_is_422(
    client: FlaskClient, auth_headers, people: dict[str, Any]
) -> None:  # type: ignore[no-untyped-def]
    course = make_course()
    body = {
        "code": "LD-2026-02",
        "course": course.slug,
        "unit": people["commune"].code,
        "title": "Lớp",
        "mode": "in_person",
        "capacity": 9999999999,
        "trainer_ids": [people["trainer"].id, 9999999999],
    }
    response = client.post("/api/v1/classes", json=body, headers=auth_headers(people["admin"]))
    errors = refused(response, 422, "capacity")["errors"]
    assert errors["trainer_ids.1"] == ["Phải trong khoảng từ -2147483648 đến 2147483647."]


def test_an_integer_in_the_query_past_its_range_is_422(
    client: FlaskClient, auth_headers, people: dict[str, Any]
) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/v1/users?page=9999999999", headers=auth_headers(people["admin"]))
    refused(response, 422, "page")


def test_an_integer_past_64_bits_anywhere_in_json_is_400(
    client: FlaskClient, auth_headers, people: dict[str, Any]
) -> None:  # type: ignore[no-untyped-def]
    """No column holds it, schema or not (some bodies are read without one)."""
    response = client.put(
        "/api/v1/classes/NOPE/sessions/1/attendance",
        data=b'[{"user_id": 1, "present": true, "note": [9223372036854775808]}]',
        content_type="application/json",
        headers=auth_headers(people["admin"]),
    )
    refused(response, 400, "0.note.0")


# --- JSON nesting and syntax ------------------------------------------------------------------


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 1025, 50_000])
def test_json_nested_too_deep_is_400(
    client: FlaskClient, auth_headers, people: dict[str, Any], depth: int
) -> None:  # type: ignore[no-untyped-def]
    data = b"[" * depth + b"]" * depth
    for headers in ({}, auth_headers(people["admin"])):
        response = client.post(
            "/api/v1/users", data=data, content_type="application/json", headers=headers
        )
        body = refused(response, 400, "body")
        assert str(MAX_JSON_DEPTH) in body["message"]


def test_json_as_deep_as_allowed_reaches_the_handler(
    client: FlaskClient, auth_headers, people: dict[str, Any]
) -> None:  # type: ignore[no-untyped-def]
    nested: Any = "x"
    for _ in range(MAX_JSON_DEPTH - 1):
        nested = [nested]
    response = client.post(
        "/api/v1/users",
        json={"full_name": nested},
        headers=auth_headers(people["admin"]),
    )
    refused(response, 422, "full_name")


def test_a_json_body_that_does_not_parse_is_400_with_its_place(client: FlaskClient) -> None:
    response = client.post(
        "/api/v1/auth/tokens",
        data=b'{"email": "a@b.vn",\n "password": }',
        content_type="application/json",
    )
    body = refused(response, 400, "body")
    assert "2" in body["message"]  # the line


# --- bodies over the limit --------------------------------------------------------------------


def _chunked(client: FlaskClient, method: str, path: str, data: bytes, **kwargs: Any) -> Any:
    """A body sent as ``Transfer-Encoding: chunked`` behind a server that de-chunks it
    (gunicorn, Werkzeug's): no ``Content-Length``, ``wsgi.input_terminated`` set."""
    headers = {"Transfer-Encoding": "chunked", **kwargs.pop("headers", {})}
    return client.open(
        path,
        method=method,
        input_stream=io.BytesIO(data),
        headers=headers,
        environ_overrides={"wsgi.input_terminated": True},
        **kwargs,
    )


def test_a_body_over_the_limit_is_413_before_the_handler(
    app: Flask, client: FlaskClient, auth_headers, people: dict[str, Any], monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024 * 1024)
    before = user_count()
    csv = b"email,full_name\n" + b"a@example.vn,An\n" * 70_000
    headers = auth_headers(people["admin"])
    response = client.post(
        "/api/v1/users/import", data=csv, content_type="text/csv", headers=headers
    )
    body = refused_413(response)
    assert "1 MB" in body["message"]
    chunked = _chunked(
        client, "POST", "/api/v1/users/import", csv, content_type="text/csv", headers=headers
    )
    refused_413(chunked)
    assert user_count() == before


def test_a_chunked_json_body_over_the_limit_is_413(
    app: Flask, client: FlaskClient, auth_headers, people: dict[str, Any], monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024 * 1024)
    data = b'{"full_name": "' + b"a" * (2 * 1024 * 1024) + b'"}'
    response = _chunked(
        client,
        "POST",
        "/api/v1/users",
        data,
        content_type="application/json",
        headers=auth_headers(people["admin"]),
    )
    refused_413(response)


def test_a_chunked_body_under_the_limit_is_read_whole(
    client: FlaskClient, auth_headers, people: dict[str, Any]
) -> None:  # type: ignore[no-untyped-def]
    csv = "email,full_name\nchunk.an@example.vn,Nguyễn Văn An\n".encode()
    response = _chunked(
        client,
        "POST",
        "/api/v1/users/import",
        csv,
        content_type="text/csv",
        headers=auth_headers(people["admin"]),
    )
    assert response.status_code == 201, response.json
    assert db.session.scalar(select(User).where(User.email == "chunk.an@example.vn"))


def refused_413(response: Any) -> dict[str, Any]:
    assert response.status_code == 413, response.get_data(as_text=True)
    body = response.json
    assert body["code"] == 413
    return body


# --- the 500 handler --------------------------------------------------------------------------


def test_a_failed_flush_answers_a_clean_500_and_the_app_goes_on(tmp_path: Path) -> None:
    with throwaway_app(tmp_path) as app:

        @app.get("/api/v1/_test/duplicate")
        def duplicate() -> str:
            db.session.add(User(email="twice@example.vn", full_name="Một"))
            db.session.add(User(email="twice@example.vn", full_name="Hai"))
            db.session.flush()  # a unique constraint fails here, for real
            return "unreachable"

        @app.get("/_test/duplicate")
        def duplicate_page() -> str:
            return duplicate()

        with app.app_context():
            admin = make_user(roles=(Role.admin,))
            db.session.commit()
            from tests.factories import make_token

            headers = {"Authorization": f"Bearer {make_token(admin)}"}
            db.session.commit()
            admin_id = admin.id
        client = app.test_client()
        response = client.get("/api/v1/_test/duplicate", headers=headers)
        assert response.status_code == 500
        assert response.json == {
            "code": 500,
            "status": "Internal Server Error",
            "message": "Hệ thống gặp sự cố. Lỗi đã được ghi lại.",
        }
        after = client.get(f"/api/v1/users/{admin_id}", headers=headers)
        assert after.status_code == 200, after.json
        page = client.get("/_test/duplicate", headers={"Accept": "text/html"})
        assert page.status_code == 500
        assert "Hệ thống gặp sự cố" in page.get_data(as_text=True)
        assert client.get("/courses").status_code == 200


def _json() -> dict[str, str]:
    return {"Accept": "application/json"}


# --- numbers typed into pages and forms -------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/courses?page=99999999999999999999", "/courses?page=-3", "/courses?page=x"]
)
def test_a_page_number_out_of_range_shows_the_first_page(client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code == 200


def test_a_year_out_of_range_in_the_dashboard_shows_this_year(
    client: FlaskClient, people: dict[str, Any]
) -> None:
    login(client, people["admin"])
    unit = people["province"].code
    for path in (f"/dashboard?unit={unit}&year=99999999999", "/units?year=99999999999"):
        response = client.get(path)
        assert response.status_code == 200, path


def test_an_actor_id_out_of_range_in_the_audit_filter_is_ignored(
    client: FlaskClient, people: dict[str, Any]
) -> None:
    login(client, people["admin"])
    assert client.get("/audit?actor=99999999999").status_code == 200


def test_a_class_form_with_a_huge_capacity_is_422_on_the_page(
    client: FlaskClient, people: dict[str, Any]
) -> None:
    course = make_course()
    login(client, people["admin"])
    response = client.post(
        "/classes/new",
        data={
            "code": "LD-2026-09",
            "course": course.slug,
            "unit": people["commune"].code,
            "title": "Lớp",
            "mode": "in_person",
            "capacity": "99999999999",
        },
    )
    assert response.status_code == 422
    assert "2147483647" in response.get_data(as_text=True)


def test_attendance_with_a_huge_user_id_is_422(
    client: FlaskClient, auth_headers, people: dict[str, Any]
) -> None:  # type: ignore[no-untyped-def]
    klass = make_class(make_course(), people["commune"], sessions=1)
    session = klass.sessions[0]
    response = client.put(
        f"/api/v1/classes/{klass.code}/sessions/{session.id}/attendance",
        json=[{"user_id": 9999999999, "present": True}],
        headers=auth_headers(people["admin"]),
    )
    refused(response, 422, "0.user_id")


def test_chunked_bodies_through_a_real_server(tmp_path: Path) -> None:
    """Werkzeug's server de-chunks as gunicorn does; over the limit is 413, under is read whole."""
    import http.client
    from urllib.parse import urlsplit

    from tests.conftest import serving
    from tests.factories import make_token

    with throwaway_app(tmp_path, MAX_CONTENT_LENGTH=64 * 1024) as app:
        with app.app_context():
            admin = make_user(roles=(Role.admin,))
            db.session.commit()
            token = make_token(admin)
            db.session.commit()
        with serving(app) as url:
            host = urlsplit(url)

            def post(body: bytes) -> tuple[int, bytes]:
                conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
                chunks = (body[i : i + 8192] for i in range(0, len(body), 8192))
                conn.request(
                    "POST",
                    "/api/v1/users/import",
                    body=chunks,
                    encode_chunked=True,
                    headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
                )
                response = conn.getresponse()
                result = response.status, response.read()
                conn.close()
                return result

            rows = "".join(f"big{n}@example.vn,Người {n}\n" for n in range(3000))
            status, _body = post(("email,full_name\n" + rows).encode())
            assert status == 413
            status, body = post("email,full_name\nsmall@example.vn,Nhỏ\n".encode())
            assert status == 201, body
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(User)) == 2


@pytest.mark.parametrize("host", ["x" * 64, "a." + "b" * 70 + ".vn"])
@pytest.mark.parametrize("path", ["/", "/healthz", "/courses", "/api/v1/courses", "/xapi/about"])
def test_a_host_header_no_url_can_be_built_for_is_400(
    client: FlaskClient, host: str, path: str
) -> None:
    """Werkzeug refuses to bind a Host with a label over 63 characters (BadHost, 400); the
    error page then built its links with no URL adapter, and that second error was a bare 500
    for anyone who sent such a header."""
    response = client.get(path, headers={"Host": host})
    assert response.status_code == 400
