"""Fixtures of the LRS tests: credentials, an xAPI-speaking client, a live LRS server.

``lrs`` talks to the app through the Flask test client inside the rolled-back ``db``
transaction. ``live_lrs`` is a real HTTP server (werkzeug, threaded) on its own database,
for clients that speak HTTP themselves (tincan) and for concurrency between requests;
what it writes is committed, so its tests use fresh ids and activities.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

VERSION = "1.0.3"
VERB = "http://adlnet.gov/expapi/verbs/experienced"


def basic(key: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


def new_id() -> str:
    return str(uuid.uuid4())


def statement(**overrides: Any) -> dict[str, Any]:
    """A small valid statement; keyword arguments replace its properties."""
    stmt: dict[str, Any] = {
        "actor": {"objectType": "Agent", "name": "Nguyễn Thị Hoa", "mbox": "mailto:hoa@example.vn"},
        "verb": {"id": VERB, "display": {"en-US": "experienced", "vi-VN": "đã học"}},
        "object": {
            "objectType": "Activity",
            "id": "https://lms146.example.vn/courses/dich-vu-cong",
            "definition": {
                "name": {"vi-VN": "Dịch vụ công trực tuyến", "en-US": "Online services"}
            },
        },
    }
    stmt.update(overrides)
    return stmt


@dataclass
class Lrs:
    """An LRS client for tests: the Flask test client plus credentials and the version."""

    client: FlaskClient
    authorization: str
    key: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    def h(self, **extra: str) -> dict[str, str]:
        headers = {"Authorization": self.authorization, "X-Experience-API-Version": VERSION}
        headers.update(self.headers)
        headers.update({k.replace("_", "-"): v for k, v in extra.items()})
        return headers

    def post(self, body: Any, **headers: str) -> TestResponse:
        return self.client.post(
            "/xapi/statements",
            data=orjson.dumps(body),
            content_type="application/json",
            headers=self.h(**headers),
        )

    def put(self, body: Any, statement_id: str, **headers: str) -> TestResponse:
        return self.client.put(
            "/xapi/statements",
            query_string={"statementId": statement_id},
            data=orjson.dumps(body),
            content_type="application/json",
            headers=self.h(**headers),
        )

    def get(
        self, path: str = "/xapi/statements", params: dict[str, Any] | None = None, **headers: str
    ) -> TestResponse:
        return self.client.get(path, query_string=params or {}, headers=self.h(**headers))

    def query(self, **params: Any) -> dict[str, Any]:
        """GET statements with ``params`` (dicts become JSON); assert 200; the result."""
        encoded = {
            k: orjson.dumps(v).decode() if isinstance(v, dict) else v for k, v in params.items()
        }
        response = self.get(params=encoded)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.json  # type: ignore[return-value]

    def ids(self, **params: Any) -> list[str]:
        return [s["id"] for s in self.query(**params)["statements"]]


def make_client(scopes: list[str], name: str = "test client") -> tuple[str, str]:
    from lms.xapi import clients

    client, secret = clients.create_client(name, scopes=scopes)
    return client.key, secret


@pytest.fixture
def lrs_factory(client: FlaskClient):  # type: ignore[no-untyped-def]
    """``lrs_factory(scopes)`` -> an :class:`Lrs` with a new client holding ``scopes``."""

    def make(scopes: list[str] | None = None, name: str = "test client") -> Lrs:
        from lms.extensions import db

        key, secret = make_client(scopes or ["all"], name)
        # "Commit" (a SAVEPOINT release inside the test's transaction): an error response
        # rolls the request back, and must not take the client with it.
        db.session.commit()
        return Lrs(client=client, authorization=basic(key, secret), key=key)

    return make


@pytest.fixture
def lrs(lrs_factory) -> Lrs:  # type: ignore[no-untyped-def]
    """A client with scope ``all``."""
    return lrs_factory(["all"])


# --- a live server on its own database ---------------------------------------------------


@dataclass
class LiveLrs:
    app: Flask
    url: str  #: base URL, e.g. http://127.0.0.1:5123
    key: str
    secret: str

    @property
    def endpoint(self) -> str:
        return self.url + "/xapi/"

    @property
    def authorization(self) -> str:
        return basic(self.key, self.secret)


@pytest.fixture(scope="session")
def live_lrs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveLrs]:
    from lms.extensions import db
    from tests.conftest import free_port, serving, throwaway_app

    port = free_port()
    folder = tmp_path_factory.mktemp("live_lrs")
    with throwaway_app(folder, BASE_URL=f"http://127.0.0.1:{port}") as app:
        with app.app_context():
            key, secret = make_client(["all"], "live client")
            db.session.commit()
        with serving(app, port) as url:
            yield LiveLrs(app=app, url=url, key=key, secret=secret)


# --- the tincan client (its quirks are listed in test_tincan.py) ------------------------------


@pytest.fixture
def remote(live_lrs: LiveLrs) -> Any:
    """tincan's RemoteLRS (an xAPI 1.0.x client) pointed at the live LRS."""
    from tincan import RemoteLRS

    return RemoteLRS(
        endpoint=live_lrs.endpoint,
        version="1.0.3",
        username=live_lrs.key,
        password=live_lrs.secret,
    )


@pytest.fixture
def tincan_documents(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let tincan's Document take ``bytes`` (its setter only handles str on Python 3)."""
    from tincan.documents import document as tincan_document

    original = tincan_document.Document.content

    def set_content(self: Any, value: Any) -> None:
        original.fset(self, bytearray(value) if isinstance(value, bytes) else value)

    monkeypatch.setattr(tincan_document.Document, "content", property(original.fget, set_content))
