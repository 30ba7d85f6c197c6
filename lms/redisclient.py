"""The app's one Redis connection, and what it does while Redis is unreachable.

Redis holds the shared rate-limit counters and is the Celery broker. When it goes away the
site must not: every caller asks :func:`available` (or catches :class:`redis.RedisError`) and
degrades. Without a memory of the failure each request would wait for a connect timeout
again, so a failure opens a breaker for ``LMS_REDIS_RETRY_SECONDS``, during which Redis is
treated as down without being asked; the first request after it tries again.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import redis
from flask import Flask, current_app

logger = logging.getLogger(__name__)

#: Seconds to wait for Redis to connect or answer. A request waits at most this long (once per
#: breaker window) on an unreachable Redis; a healthy one answers in well under a millisecond.
TIMEOUT = 1.0


class Breaker:
    """Remembers, per process, that a server (Redis, a database replica) failed and when to try
    it again."""

    def __init__(self, retry_seconds: float, name: str = "Redis") -> None:
        self.retry_seconds = retry_seconds
        self.name = name
        self._lock = threading.Lock()
        self._down_until = 0.0
        self.last_error: str | None = None

    def is_open(self) -> bool:
        return time.monotonic() < self._down_until

    def trip(self, exc: BaseException, doing: str) -> None:
        """Record a failure; logs a warning once per window, not once per request."""
        with self._lock:
            was_open = self.is_open()
            self._down_until = time.monotonic() + self.retry_seconds
            self.last_error = type(exc).__name__
        if not was_open:
            logger.warning(
                "%s unreachable while %s (%s: %s); treating it as down for %s s",
                self.name,
                doing,
                type(exc).__name__,
                exc,
                self.retry_seconds,
            )

    def reset(self) -> None:
        with self._lock:
            if self._down_until:
                logger.info("%s reachable again", self.name)
            self._down_until = 0.0
            self.last_error = None


class RedisLink:
    """A client with short timeouts, and the breaker that guards it."""

    def __init__(self, url: str, retry_seconds: float) -> None:
        self.url = url
        self.client = redis.Redis.from_url(
            url,
            socket_connect_timeout=TIMEOUT,
            socket_timeout=TIMEOUT,
            health_check_interval=30,
        )
        self.breaker = Breaker(retry_seconds)

    def ping(self) -> bool:
        """Whether Redis answers now; asks it even while the breaker is open (for ``/readyz``)."""
        try:
            self.client.ping()
        except redis.RedisError as exc:
            self.breaker.trip(exc, "checking it")
            return False
        self.breaker.reset()
        return True

    def available(self) -> bool:
        """Whether to use Redis for this request: not while the breaker is open, else a ping."""
        return not self.breaker.is_open() and self.ping()


def init_app(app: Flask) -> None:
    url = app.config.get("REDIS_URL")
    retry = float(app.config.get("REDIS_RETRY_SECONDS", 5))
    app.extensions["lms_redis"] = RedisLink(url, retry) if url else None


def link(app: Flask | None = None) -> RedisLink | None:
    """The app's Redis, or None when none is configured."""
    found: Any = (app or current_app).extensions.get("lms_redis")
    return found if isinstance(found, RedisLink) else None
