"""Headers, versions, parameters, alternate syntax, CORS, errors (Communication 1, 3.2, 3.3)."""

from __future__ import annotations

from urllib.parse import urlencode

import orjson
import pytest

from tests.xapi.conftest import Lrs, new_id, statement


@pytest.mark.parametrize(
    ("version", "answered"),
    [
        ("1.0", "1.0.3"),
        ("1.0.0", "1.0.3"),
        ("1.0.1", "1.0.3"),
        ("1.0.2", "1.0.3"),
        ("1.0.3", "1.0.3"),
        ("1.0.9", "1.0.3"),
        ("2.0", "2.0.0"),
        ("2.0.0", "2.0.0"),
        ("2.0.1", "2.0.0"),
    ],
)
def test_supported_versions_are_accepted(lrs: Lrs, version: str, answered: str) -> None:
    """Communication 3.3.s3.b2-b3, b5: 1.0 and 1.0.x accepted, answered as 1.0.3; xAPI 2.0
    (Communication 3.3 as IEEE 9274.1.1 keeps it): 2.0 and 2.0.x, answered as 2.0.0."""
    response = lrs.get(params={"limit": "1"}, X_Experience_API_Version=version)
    assert response.status_code == 200
    assert response.headers["X-Experience-API-Version"] == answered


@pytest.mark.parametrize("version", ["0.9", "0.95", "1.1.0", "2.1.0", "3.0.0", "banana", ""])
def test_unsupported_versions_are_400(lrs: Lrs, version: str) -> None:
    """Communication 3.3.s3.b4, b6, b7: reject with 400 and say why."""
    response = lrs.get(X_Experience_API_Version=version)
    assert response.status_code == 400
    assert "X-Experience-API-Version" in response.json["message"]
    assert response.headers["X-Experience-API-Version"] == "1.0.3"


def test_missing_version_header_is_400(lrs: Lrs) -> None:
    """Communication 3.3.s3.b4.1: requests without the header are rejected."""
    response = lrs.client.get("/xapi/statements", headers={"Authorization": lrs.authorization})
    assert response.status_code == 400


def test_about_needs_no_version_and_no_credentials(lrs: Lrs) -> None:
    """Communication 2.8.s5.b1-b4: versions listed, extensions allowed, no rejection."""
    response = lrs.client.get("/xapi/about", headers={"X-Experience-API-Version": "0.9"})
    assert response.status_code == 200
    body = response.json
    assert "1.0.3" in body["version"]
    assert "1.0.0" in body["version"]
    assert set(body) <= {"version", "extensions"}
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
    assert response.headers["ETag"].startswith('"')
    assert lrs.client.head("/xapi/about").status_code == 200


def test_unknown_and_miscased_parameters_are_400(lrs: Lrs) -> None:
    """Communication 3.2.s3.b7-b8: unknown parameters, and known ones in another case."""
    response = lrs.get(params={"colour": "blue"})
    assert response.status_code == 400
    response = lrs.get(params={"Verb": "http://adlnet.gov/expapi/verbs/completed"})
    assert response.status_code == 400
    assert "did you mean verb" in response.json["message"]
    response = lrs.client.post(
        "/xapi/statements?statementId=" + new_id(),
        data=orjson.dumps(statement()),
        content_type="application/json",
        headers=lrs.h(),
    )
    assert response.status_code == 400


def test_repeated_parameter_is_400(lrs: Lrs) -> None:
    """A parameter given twice is ambiguous: 400, not a silent choice."""
    response = lrs.client.get("/xapi/statements?limit=1&limit=2", headers=lrs.h())
    assert response.status_code == 400


def test_alternate_syntax_put(lrs: Lrs) -> None:
    """Communication 1.3 / Appendix C: PUT as POST ?method=PUT with headers in the form."""
    statement_id = new_id()
    form = {
        "statementId": statement_id,
        "Authorization": lrs.authorization,
        "X-Experience-API-Version": "1.0.3",
        "Content-Type": "application/json",
        "content": orjson.dumps(statement()).decode(),
    }
    response = lrs.client.post(
        "/xapi/statements?method=PUT",
        data=urlencode(form),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 204, response.get_data(as_text=True)
    assert lrs.get(params={"statementId": statement_id}).status_code == 200


def test_alternate_syntax_get_and_head(lrs: Lrs) -> None:
    """Communication 1.3 / 2.1.2.s2.b2: GET (and HEAD) through POST with form parameters."""
    (statement_id,) = lrs.post(statement()).json
    form = {
        "statementId": statement_id,
        "Authorization": lrs.authorization,
        "X-Experience-API-Version": "1.0.3",
    }
    response = lrs.client.post(
        "/xapi/statements?method=GET",
        data=urlencode(form),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert response.json["id"] == statement_id
    head = lrs.client.post(
        "/xapi/statements?method=HEAD",
        data=urlencode(form),
        content_type="application/x-www-form-urlencoded",
    )
    assert head.status_code == 200
    assert head.data == b""


def test_alternate_syntax_documents(lrs: Lrs) -> None:
    """Communication 1.3.s3.b15: the syntax works for every resource (here: state)."""
    params = {
        "activityId": "https://lms146.example.vn/courses/x",
        "agent": '{"mbox": "mailto:hoa@example.vn"}',
        "stateId": "bookmark",
    }
    form = params | {
        "Authorization": lrs.authorization,
        "X-Experience-API-Version": "1.0.3",
        "Content-Type": "application/json",
        "content": '{"page": 3}',
    }
    response = lrs.client.post(
        "/xapi/activities/state?method=PUT",
        data=urlencode(form),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 204
    got = lrs.get("/xapi/activities/state", params)
    assert got.json == {"page": 3}
    assert got.headers["Content-Type"] == "application/json"


def test_alternate_syntax_rules(lrs: Lrs) -> None:
    """Communication 1.3.s3.b1-b3: POST only, and nothing but ``method`` in the query."""
    form = urlencode({"Authorization": lrs.authorization, "X-Experience-API-Version": "1.0.3"})
    form_type = "application/x-www-form-urlencoded"
    assert (
        lrs.client.put("/xapi/statements?method=GET", data=form, content_type=form_type).status_code
        == 400
    )
    assert (
        lrs.client.post(
            "/xapi/statements?method=GET&limit=1", data=form, content_type=form_type
        ).status_code
        == 400
    )
    assert (
        lrs.client.post(
            "/xapi/statements?method=PATCH", data=form, content_type=form_type
        ).status_code
        == 400
    )
    assert (
        lrs.client.post(
            "/xapi/statements?method=GET", data=form, content_type="application/json"
        ).status_code
        == 400
    )


def test_cors_preflight_and_exposed_headers(lrs: Lrs) -> None:
    """Communication 1.3: browser content on other origins can call the LRS (CORS)."""
    preflight = lrs.client.options(
        "/xapi/statements",
        headers={
            "Origin": "https://content.example.org",
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "authorization, x-experience-api-version",
        },
    )
    assert preflight.status_code in (200, 204)
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://content.example.org"
    allowed = preflight.headers["Access-Control-Allow-Headers"].lower()
    for header in (
        "authorization",
        "x-experience-api-version",
        "content-type",
        "if-match",
        "if-none-match",
    ):
        assert header in allowed
    assert "PUT" in preflight.headers["Access-Control-Allow-Methods"]
    response = lrs.get(params={"limit": "1"}, Origin="https://content.example.org")
    exposed = response.headers["Access-Control-Expose-Headers"]
    for header in (
        "ETag",
        "Last-Modified",
        "X-Experience-API-Consistent-Through",
        "X-Experience-API-Version",
    ):
        assert header in exposed
    assert response.headers["Access-Control-Allow-Origin"] == "https://content.example.org"


def test_errors_follow_content_negotiation(lrs: Lrs) -> None:
    """Communication 3.2.s3.b2-b4: a message, in JSON, plain text or HTML as accepted."""
    response = lrs.get(params={"statementId": "nope"})
    assert response.status_code == 400
    assert response.json["message"]
    text = lrs.get(params={"statementId": "nope"}, Accept="text/plain")
    assert text.headers["Content-Type"].startswith("text/plain")
    assert text.get_data(as_text=True).startswith("400 Bad Request")
    html = lrs.get(params={"statementId": "<b>"}, Accept="text/html")
    assert html.headers["Content-Type"].startswith("text/html")
    assert "<b>" not in html.get_data(as_text=True)


def test_unknown_path_and_method_get_xapi_errors(lrs: Lrs) -> None:
    """Unknown resources are 404 and unsupported methods 405, with the xAPI headers."""
    missing = lrs.get("/xapi/nothing/here")
    assert missing.status_code == 404
    assert missing.headers["X-Experience-API-Version"] == "1.0.3"
    wrong = lrs.client.delete("/xapi/statements", headers=lrs.h())
    assert wrong.status_code == 405
    assert "POST" in wrong.headers["Allow"]
    assert lrs.client.patch("/xapi/about").status_code == 405


def test_too_large_request_is_413(lrs: Lrs) -> None:
    """Communication 3.2.s3.b11: 413 when a statement or document is too big."""
    app = lrs.client.application
    old = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 1000
    try:
        response = lrs.post([statement() for _ in range(20)])
    finally:
        app.config["MAX_CONTENT_LENGTH"] = old
    assert response.status_code == 413
    assert response.headers["X-Experience-API-Version"] == "1.0.3"


def test_bad_input_never_gives_500(lrs: Lrs) -> None:
    """Communication 3.2: bad input is a 4xx, whatever the database can or cannot store."""
    nul = orjson.dumps(statement(result={"response": "a\u0000b"}))
    response = lrs.client.post(
        "/xapi/statements", data=nul, content_type="application/json", headers=lrs.h()
    )
    assert response.status_code == 400
    literal = orjson.dumps(statement(result={"response": "the text \\u0000"}))
    response = lrs.client.post(
        "/xapi/statements", data=literal, content_type="application/json", headers=lrs.h()
    )
    assert response.status_code == 200
    deep = b"[" * 100_000 + b"]" * 100_000
    response = lrs.client.post(
        "/xapi/statements", data=deep, content_type="application/json", headers=lrs.h()
    )
    assert response.status_code == 400
    state = {
        "activityId": "https://lms146.example.vn/courses/x",
        "agent": '{"mbox": "mailto:hoa@example.vn"}',
        "stateId": "a\x00b",
    }
    assert lrs.get("/xapi/activities/state", state).status_code == 400
    agent = {"agent": '{"account": {"homePage": "https://x.vn", "name": "a\\u0000"}}'}
    assert lrs.get(params=agent).status_code == 400
    long_type = lrs.client.put(
        "/xapi/activities/state",
        query_string=state | {"stateId": "ok"},
        data=b"x",
        content_type="text/plain; x=" + "y" * 300,
        headers=lrs.h(),
    )
    assert long_type.status_code == 400
