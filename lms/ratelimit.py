"""Fixed-window counters for rate limits, in Redis when configured, else in process memory.

With several gunicorn workers or hosts the counters must be shared, so production sets
``LMS_REDIS_URL``; the in-memory store is for the embedded single-process default.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

from flask import Flask, current_app


class CounterStore(Protocol):
    def hit(self, key: str, window: int) -> int: ...
    def get(self, key: str) -> int: ...


class MemoryStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._data: dict[str, tuple[int, float]] = {}

    def hit(self, key: str, window: int) -> int:
        now = time.monotonic()
        with self._lock:
            count, expires = self._data.get(key, (0, now + window))
            if expires <= now:
                count, expires = 0, now + window
            self._data[key] = (count + 1, expires)
            if len(self._data) > 100_000:  # keep a flood of keys from growing forever
                self._data = {k: v for k, v in self._data.items() if v[1] > now}
            return count + 1

    def get(self, key: str) -> int:
        count, expires = self._data.get(key, (0, 0.0))
        return count if expires > time.monotonic() else 0


class RedisStore:
    def __init__(self, url: str, prefix: str = "lms:rl:") -> None:
        import redis

        self._redis = redis.Redis.from_url(url)
        self._prefix = prefix

    def hit(self, key: str, window: int) -> int:
        pipe = self._redis.pipeline()
        full = self._prefix + key
        pipe.incr(full)
        pipe.expire(full, window, nx=True)
        count, _ = pipe.execute()
        return int(count)

    def get(self, key: str) -> int:
        value = self._redis.get(self._prefix + key)
        return int(value) if value else 0


def init_app(app: Flask) -> None:
    url = app.config.get("REDIS_URL")
    app.extensions["lms_ratelimit"] = RedisStore(url) if url else MemoryStore()


def store() -> CounterStore:
    found: CounterStore = current_app.extensions["lms_ratelimit"]
    return found
