"""A real SMTP server (aiosmtpd) and a real HTTP SMS gateway, started by the tests.

Both run in this process on 127.0.0.1 and keep what they receive, so a test reads the e-mail
or the SMS the LMS sent and follows its link or types its code, as the person would. The
context managers point an app's settings at them for the duration (``monkeypatch``).
"""

from __future__ import annotations

import email
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message as EmailMessage
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from flask import Flask

from tests.conftest import free_port

SMTP_LOGIN, SMTP_PASSWORD = "lms", "bi-mat"


class Mailbox:
    """aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.received: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.received.append(email.message_from_bytes(envelope.content, policy=default_policy))
        return "250 Message accepted"


def _authenticate(
    server: Any, session: Any, envelope: Any, mechanism: str, data: Any
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        SMTP_LOGIN.encode(),
        SMTP_PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)  # not handled: the server answers 535


@contextmanager
def smtp_server(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Mailbox]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=_authenticate,
        auth_require_tls=False,
        auth_exclude_mechanism=["LOGIN"],
    )
    controller.start()
    settings = {
        "MAIL_BACKEND": "smtp",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": port,
        "SMTP_SECURITY": "none",
        "SMTP_USERNAME": SMTP_LOGIN,
        "SMTP_PASSWORD": SMTP_PASSWORD,
        "MAIL_FROM": "LMS 146 <no-reply@lms146.example.vn>",
        "SMTP_TIMEOUT": 5,
    }
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    try:
        yield mailbox
    finally:
        controller.stop()


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
    assert body is not None
    return str(body.get_content())


@dataclass
class Gateway:
    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    #: Answers to give, in order; the last one repeats.
    answers: list[tuple[int, dict[str, Any]]] = field(
        default_factory=lambda: [(200, {"CodeResult": "100", "SMSID": "sms-1"})]
    )


@contextmanager
def sms_gateway(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Gateway]:
    """A brandname SMS provider's JSON endpoint that records every request."""
    state = Gateway(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            state.requests.append(
                {
                    "path": self.path,
                    "authorization": self.headers.get("Authorization"),
                    "content_type": self.headers.get("Content-Type"),
                    "json": json.loads(self.rfile.read(length)),
                }
            )
            status, answer = state.answers[min(len(state.requests), len(state.answers)) - 1]
            body = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}/MainService.svc/json/SendSms"
    settings = {
        "SMS_BACKEND": "http",
        "SMS_URL": state.url,
        "SMS_USERNAME": "api-key",
        "SMS_PASSWORD": "secret-key",
        "SMS_BRANDNAME": "SOTTTT-HP",
    }
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
