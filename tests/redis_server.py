"""A Redis of the test's own, to stop and start: the shared one on 6379 is never touched.

``redis_server`` starts ``redis-server`` on a free port with nothing persisted; a test stops it
to simulate an outage and starts it again (same port, empty, as a restarted Redis without
persistence is) to show recovery.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator

import pytest
import redis
from flask import Flask

from lms.ratelimit import MemoryStore, RedisStore
from lms.redisclient import RedisLink
from tests.conftest import free_port


class RedisServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self._process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline or self._process.poll() is not None:
                    raise RuntimeError(f"redis-server did not start on port {self.port}") from None
                time.sleep(0.05)
            finally:
                client.close()

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=10)
        self._process = None

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_connect_timeout=1)


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer(free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_app(
    app: Flask, db: object, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> Flask:
    """The test app as production runs it: Redis configured, jobs sent to Celery (and left
    in the queue: the tests run them as a worker would, with ``lms.jobs.services.run``)."""
    link = RedisLink(redis_server.url, retry_seconds=0.0)
    monkeypatch.setitem(app.config, "REDIS_URL", redis_server.url)
    monkeypatch.setitem(app.config, "JOBS_EAGER", False)
    monkeypatch.setitem(app.extensions, "lms_redis", link)
    monkeypatch.setitem(app.extensions, "lms_ratelimit", RedisStore(link, MemoryStore()))
    monkeypatch.delitem(app.extensions, "lms_celery", raising=False)
    return app
