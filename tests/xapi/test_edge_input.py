"""The LRS behind the edge (lms/edge.py): bodies over ``LMS_MAX_UPLOAD_MB`` however they are
sent, and hostile JSON, answered as the LRS answers (its own error body), never a 500."""

from __future__ import annotations

import base64
import io
from typing import Any

import orjson
import pytest
from flask import Flask
from sqlalchemy import func, select

from lms.extensions import db
from lms.xapi.models import Document
from tests.xapi.conftest import Lrs, statement

ACTIVITY = "https://lms146.example.vn/courses/dich-vu-cong"
AGENT = '{"objectType": "Agent", "mbox": "mailto:hoa@example.vn"}'
STATE = {"activityId": ACTIVITY, "agent": AGENT, "stateId": "big"}


def documents() -> int:
    return int(db.session.scalar(select(func.count()).select_from(Document)) or 0)


def chunked_put(lrs: Lrs, body: bytes) -> Any:
    """As gunicorn hands a chunked request on: no Content-Length, ``wsgi.input_terminated``."""
    return lrs.client.put(
        "/xapi/activities/state",
        query_string=STATE,
        input_stream=io.BytesIO(body),
        content_type="application/octet-stream",
        headers=lrs.h(Transfer_Encoding="chunked"),
        environ_overrides={"wsgi.input_terminated": True},
    )


def test_a_chunked_document_over_the_limit_is_413_and_nothing_is_stored(
    app: Flask, lrs: Lrs, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024 * 1024)
    before = documents()
    response = chunked_put(lrs, b"x" * (1024 * 1024 + 1))
    assert response.status_code == 413, response.get_data(as_text=True)
    assert documents() == before


def test_a_25_mb_chunked_document_is_413_at_the_default_limit(app: Flask, lrs: Lrs) -> None:
    assert app.config["MAX_CONTENT_LENGTH"] == 20 * 1024 * 1024
    before = documents()
    response = chunked_put(lrs, b"x" * (25 * 1024 * 1024))
    assert response.status_code == 413
    assert documents() == before


def test_a_chunked_document_at_the_limit_is_stored_whole(
    app: Flask, lrs: Lrs, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024 * 1024)
    body = b"y" * (1024 * 1024)
    assert chunked_put(lrs, body).status_code == 204
    fetched = lrs.get("/xapi/activities/state", STATE)
    assert fetched.status_code == 200
    assert fetched.data == body


def test_a_document_with_content_length_over_the_limit_is_413(
    app: Flask, lrs: Lrs, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    response = lrs.client.put(
        "/xapi/activities/state",
        query_string=STATE,
        data=b"z" * 2048,
        content_type="application/octet-stream",
        headers=lrs.h(),
    )
    assert response.status_code == 413


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 50_000 + b"]" * 50_000,
        orjson.dumps(statement(result={"response": "a\x00b"})),
        b'{"actor": "\\ud800"}',
    ],
    ids=["50000-deep", "nul", "lone-surrogate"],
)
def test_hostile_json_is_an_xapi_400(lrs: Lrs, body: bytes) -> None:
    response = lrs.client.post(
        "/xapi/statements", data=body, content_type="application/json", headers=lrs.h()
    )
    assert response.status_code == 400, response.get_data(as_text=True)


@pytest.mark.parametrize(
    "params",
    [
        STATE | {"stateId": "a\x00b"},
        STATE | {"activityId": "https://x.vn/a\x00"},
        STATE | {"agent": '{"objectType": "Agent", "mbox": "mailto:a\\u0000@x.vn"}'},
        STATE | {"registration": "\x00"},
    ],
    ids=["state-id", "activity-id", "agent", "registration"],
)
def test_nul_in_document_parameters_is_an_xapi_400(lrs: Lrs, params: dict[str, str]) -> None:
    for method in ("GET", "PUT", "DELETE"):
        response = lrs.client.open(
            "/xapi/activities/state",
            method=method,
            query_string=params,
            data=b'{"a": 1}',
            content_type="application/json",
            headers=lrs.h(),
        )
        assert response.status_code == 400, (method, response.get_data(as_text=True))


def test_nul_in_statement_query_parameters_is_an_xapi_400(lrs: Lrs) -> None:
    for params in ({"verb": "http://x.vn/\x00"}, {"activity": "\x00"}, {"statementId": "\x00"}):
        response = lrs.get(params=params)
        assert response.status_code == 400, (params, response.get_data(as_text=True))


@pytest.mark.parametrize(
    "credentials",
    [b"key\x00:secret", b"\x00:secret", b"key:sec\x00ret"],
    ids=["nul-in-key", "nul-key", "nul-in-secret"],
)
def test_nul_in_basic_credentials_is_a_401(lrs: Lrs, credentials: bytes) -> None:
    """The key is base64 inside the Authorization header: no edge sees it, and PostgreSQL
    refused the client lookup with a NUL in it (500 to anyone, before authentication)."""
    header = "Basic " + base64.b64encode(credentials).decode()
    for path in ("/xapi/statements", "/xapi/activities/state"):
        response = lrs.client.get(
            path, query_string=STATE, headers={**lrs.h(), "Authorization": header}
        )
        assert response.status_code == 401, (path, response.get_data(as_text=True))
        assert response.headers["X-Experience-API-Version"]
