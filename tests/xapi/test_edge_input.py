"""The LRS behind the edge (lms/edge.py): bodies over ``LMS_MAX_UPLOAD_MB`` however they are
sent, and hostile JSON, answered as the LRS answers (its own error body), never a 500."""

from __future__ import annotations

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
