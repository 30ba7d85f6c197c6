"""One log line per request: request id, method, path, status and duration."""

from __future__ import annotations

import logging
import time
import uuid

from flask import Flask, Response, g, request

logger = logging.getLogger("lms.request")


def init_app(app: Flask) -> None:
    @app.before_request
    def _start() -> None:
        g.request_started = time.perf_counter()
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming[:64] if incoming.isprintable() and incoming else uuid.uuid4().hex

    @app.after_request
    def _log(response: Response) -> Response:
        started = g.get("request_started")
        duration_ms = (time.perf_counter() - started) * 1000 if started else 0.0
        request_id = g.get("request_id", "-")
        response.headers["X-Request-ID"] = request_id
        logger.info(
            "request_id=%s method=%s path=%s status=%s duration_ms=%.1f",
            request_id,
            request.method,
            request.path,
            response.status_code,
            duration_ms,
        )
        return response
