"""Fixed-window counters for rate limits, in Redis when configured, else in process memory.

With several gunicorn workers or hosts the counters must be shared, so production sets
``LMS_REDIS_URL``; the in-memory store is for the embedded single-process default.

While Redis is unreachable the counters fall back to process memory (with a warning logged),
rather than failing open: login and registration keep working, and a password guesser is
still slowed down, per worker instead of per site, until Redis is back.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

import redis
from flask import Flask, current_app

from lms.redisclient import RedisLink, link


class CounterStore(Protocol):
    def hit(self, key: str, window: int) -> int: ...
    def get(self, key: str) -> int: ...
    def unhit(self, key: str) -> None: ...


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

    def unhit(self, key: str) -> None:
        """Take back one :meth:`hit` of this window (never below zero, never a new window)."""
        with self._lock:
            count, expires = self._data.get(key, (0, 0.0))
            if count > 0 and expires > time.monotonic():
                self._data[key] = (count - 1, expires)


#: DECR only a counter that exists and is above zero: a window that ended in between stays
#: ended (a bare DECR would make a counter of -1 that never expires).
_UNHIT = """
local value = redis.call('GET', KEYS[1])
if value and tonumber(value) > 0 then
  return redis.call('DECR', KEYS[1])
end
return 0
"""


class RedisStore:
    """Counters in Redis, and in ``fallback`` while the link's breaker says Redis is down."""

    def __init__(self, link: RedisLink, fallback: MemoryStore, prefix: str = "lms:rl:") -> None:
        self._link = link
        self._fallback = fallback
        self._prefix = prefix

    def hit(self, key: str, window: int) -> int:
        if self._link.breaker.is_open():
            return self._fallback.hit(key, window)
        pipe = self._link.client.pipeline()
        full = self._prefix + key
        pipe.incr(full)
        pipe.expire(full, window, nx=True)
        try:
            count, _ = pipe.execute()
        except redis.RedisError as exc:
            self._link.breaker.trip(exc, "counting for rate limits; counting in memory")
            return self._fallback.hit(key, window)
        return int(count)

    def get(self, key: str) -> int:
        if self._link.breaker.is_open():
            return self._fallback.get(key)
        try:
            value = self._link.client.get(self._prefix + key)
        except redis.RedisError as exc:
            self._link.breaker.trip(exc, "counting for rate limits; counting in memory")
            return self._fallback.get(key)
        return int(value) if value else 0

    def unhit(self, key: str) -> None:
        if self._link.breaker.is_open():
            self._fallback.unhit(key)
            return
        try:
            self._link.client.eval(_UNHIT, 1, self._prefix + key)
        except redis.RedisError as exc:
            self._link.breaker.trip(exc, "counting for rate limits; counting in memory")
            self._fallback.unhit(key)


def init_app(app: Flask) -> None:
    """Needs ``lms.redisclient.init_app`` first."""
    found = link(app)
    app.extensions["lms_ratelimit"] = (
        RedisStore(found, MemoryStore()) if found is not None else MemoryStore()
    )


def store() -> CounterStore:
    found: CounterStore = current_app.extensions["lms_ratelimit"]
    return found
