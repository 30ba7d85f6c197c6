"""Identical requests fired at once, against a live server on a database of its own.

The rolled-back ``db`` fixture cannot show a race: other connections never see its rows, and
it runs everything on one connection. These helpers commit their data into a database the
server (werkzeug, one thread per request) reads through its own connections, and release the
requests together through a :class:`threading.Barrier`, so that they meet in the service's
check-then-write as they would in production. Tests use fresh names (:func:`fresh`) because
what they commit stays for the rest of the session.
"""

from __future__ import annotations

import http.client
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import orjson
import pytest
from flask import Flask

#: Requests fired at once per race.
PARALLEL = 20


def fresh(prefix: str = "race") -> str:
    """A name no other test of the session uses."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def fire(count: int, call: Callable[[int], Any]) -> list[Any]:
    """Run ``call(index)`` in ``count`` threads released at the same instant.

    Returns the results in index order; an exception raised by a call is its result (the
    assertions show it rather than a thread dying unseen).
    """
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = call(index)
        except Exception as exc:  # reported by the caller's assertions
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@dataclass
class Reply:
    status: int
    body: bytes

    @property
    def json(self) -> Any:
        return orjson.loads(self.body) if self.body else None

    def __repr__(self) -> str:
        return f"<Reply {self.status} {self.body[:300]!r}>"


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    """A ``multipart/form-data`` body and its content type."""
    boundary = uuid.uuid4().hex
    parts: list[bytes] = []
    for name, value in fields.items():
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(f"{head}{value}\r\n".encode())
    for name, (filename, content) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        )
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@dataclass
class LiveApi:
    """A running server and its app (for setting up data and reading the outcome)."""

    app: Flask
    url: str

    def request(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        json: Any = None,
        body: bytes | None = None,
        content_type: str | None = None,
    ) -> Reply:
        parsed = urlparse(self.url)
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=120)
        headers = {"Accept": "application/json", "Accept-Language": "en"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if json is not None:
            body, content_type = orjson.dumps(json), "application/json"
        if content_type is not None:
            headers["Content-Type"] = content_type
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return Reply(response.status, response.read())
        finally:
            conn.close()

    def race(self, method: str, path: str, **kwargs: Any) -> list[Reply]:
        """:data:`PARALLEL` identical requests at once; their replies."""
        replies = fire(PARALLEL, lambda _i: self.request(method, path, **kwargs))
        failed = [r for r in replies if not isinstance(r, Reply)]
        assert not failed, failed
        return replies

    @contextmanager
    def data(self) -> Iterator[Any]:
        """An app context whose session is committed at the end (and then removed)."""
        from lms.extensions import db

        with self.app.app_context():
            try:
                yield db
                db.session.commit()
            finally:
                db.session.remove()

    def token(self, user_id: int) -> str:
        from lms.auth.models import User
        from tests.factories import make_token

        with self.data() as db:
            return make_token(db.session.get(User, user_id))


def outcome(replies: Sequence[Reply]) -> Counter[int]:
    return Counter(r.status for r in replies)


def one_winner(replies: Sequence[Reply], *, won: int, lost: int) -> Reply:
    """Assert one reply ``won`` and all the others ``lost`` (each in the API's envelope)."""
    statuses = outcome(replies)
    assert statuses == Counter({won: 1, lost: len(replies) - 1}), (statuses, replies)
    for reply in replies:
        if reply.status >= 400:
            body = reply.json
            assert body["code"] == reply.status, reply
            assert body["message"], reply
    return next(r for r in replies if r.status == won)


@pytest.fixture(scope="session")
def live_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApi]:
    """A threaded server on a database of its own (PostgreSQL when the suite runs on it)."""
    from tests.conftest import free_port, serving, throwaway_app

    port = free_port()
    with (
        throwaway_app(
            tmp_path_factory.mktemp("races"),
            BASE_URL=f"http://127.0.0.1:{port}",
            # One connection per request in flight, so requests wait on locks, not on the pool.
            SQLALCHEMY_ENGINE_OPTIONS={"pool_size": PARALLEL + 5, "max_overflow": 5},
        ) as app,
        serving(app, port) as url,
    ):
        yield LiveApi(app=app, url=url)
