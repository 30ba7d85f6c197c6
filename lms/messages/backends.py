"""Where messages go: SMTP or files for e-mail; an HTTP SMS gateway or files for SMS.

Each channel has a small interface (``send(message) -> provider id``, raising
:class:`SendError`) and a registry of backends chosen by a setting, so a province adds its
own SMS provider as one class and one registry line. The file backends are the default with
no configuration: ``make run`` works, and every message can be read in ``instance/outbox/``.
The memory backend keeps messages in the app for the tests that read them without a server.
"""

from __future__ import annotations

import json
import logging
import smtplib
import ssl
import urllib.error
import urllib.request
from base64 import b64encode
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any, Protocol

from flask import current_app

from lms.messages.models import Message
from lms.text import strip_marks

logger = logging.getLogger(__name__)


class SendError(Exception):
    """The message could not be handed over; the text says why (shown on the page)."""


class Backend(Protocol):
    def send(self, message: Message) -> str | None: ...


def _outbox() -> Path:
    folder = Path(current_app.config.get("OUTBOX_DIR") or Path(current_app.instance_path, "outbox"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# --- e-mail --------------------------------------------------------------------------------


def build_email(message: Message) -> EmailMessage:
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_FROM"]
    email["To"] = message.recipient
    email["Subject"] = message.subject or ""
    email["Date"] = formatdate(localtime=False)
    domain = str(current_app.config["MAIL_FROM"]).rpartition("@")[2].strip("> ") or "localhost"
    email["Message-ID"] = make_msgid(f"lms{message.id}", domain=domain)
    email.set_content(message.body or "", charset="utf-8")
    return email


class SmtpMailer:
    """Standard-library SMTP: STARTTLS (587), implicit TLS (465) or plain (a local relay)."""

    def send(self, message: Message) -> str | None:
        config = current_app.config
        email = build_email(message)
        host, port = config["SMTP_HOST"], int(config["SMTP_PORT"])
        security, timeout = config["SMTP_SECURITY"], float(config["SMTP_TIMEOUT"])
        try:
            smtp: smtplib.SMTP
            if security == "ssl":
                smtp = smtplib.SMTP_SSL(
                    host, port, timeout=timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(host, port, timeout=timeout)
            with smtp:
                if security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if config.get("SMTP_USERNAME"):
                    smtp.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD") or "")
                refused = smtp.send_message(email)
        except (OSError, smtplib.SMTPException) as exc:
            raise SendError(f"SMTP {host}:{port}: {exc}") from exc
        if refused:
            raise SendError(f"SMTP refused {', '.join(refused)}")
        return str(email["Message-ID"])


class FileMailer:
    """Writes each e-mail as an ``.eml`` file under the outbox folder."""

    def send(self, message: Message) -> str | None:
        email = build_email(message)
        path = _outbox() / f"email-{message.id:06d}.eml"
        path.write_bytes(bytes(email))
        logger.info("E-mail %s to %s written to %s", message.id, message.recipient, path)
        return str(email["Message-ID"])


# --- SMS -----------------------------------------------------------------------------------


def sms_text(text: str) -> str:
    """SMS bodies without diacritics: brandname gateways bill Unicode SMS as two or three."""
    return strip_marks(text) if not current_app.config.get("SMS_UNICODE") else text


def sms_number(recipient: str) -> str:
    """``84912345678``: the form Vietnamese gateways take (an SMS is queued to E.164)."""
    return recipient.lstrip("+")


class HttpSmsGateway:
    """A brandname SMS provider's JSON API, as Vietnamese providers shape it.

    ``POST LMS_SMS_URL`` with ``{"ApiKey", "SecretKey", "Brandname", "Phone", "Content",
    "SmsType": "2", "RequestId"}`` (and HTTP Basic with the same credentials, for providers
    that read those); the provider answers ``{"CodeResult": "100", "SMSID": "…"}`` when it
    takes the message. Any other code, an HTTP error or no answer is a failure.
    """

    def send(self, message: Message) -> str | None:
        config = current_app.config
        user, secret = config.get("SMS_USERNAME") or "", config.get("SMS_PASSWORD") or ""
        payload = {
            "ApiKey": user,
            "SecretKey": secret,
            "Brandname": config["SMS_BRANDNAME"],
            "Phone": sms_number(message.recipient),
            "Content": message.body or "",
            "SmsType": "2",
            "RequestId": str(message.id),
        }
        request = urllib.request.Request(  # noqa: S310 - the operator's configured https URL
            config["SMS_URL"],
            data=json.dumps(payload, ensure_ascii=False).encode(),
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Authorization": "Basic " + b64encode(f"{user}:{secret}".encode()).decode(),
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=float(config["SMS_TIMEOUT"])) as reply:  # noqa: S310
                answer: Any = json.loads(reply.read() or b"{}")
        except urllib.error.HTTPError as exc:
            raise SendError(f"SMS gateway answered HTTP {exc.code}") from exc
        except (OSError, ValueError) as exc:
            raise SendError(f"SMS gateway: {exc}") from exc
        code = str(answer.get("CodeResult", "")) if isinstance(answer, dict) else ""
        if code != "100":
            detail = answer.get("ErrorMessage") if isinstance(answer, dict) else None
            raise SendError(f"SMS gateway refused the message (code {code or '?'}: {detail or ''})")
        return str(answer.get("SMSID") or "") or None


class FileSmsGateway:
    """Writes each SMS as a text file under the outbox folder (development)."""

    def send(self, message: Message) -> str | None:
        path = _outbox() / f"sms-{message.id:06d}.txt"
        path.write_text(f"To: {message.recipient}\n\n{message.body or ''}\n", encoding="utf-8")
        logger.info("SMS %s to %s written to %s", message.id, message.recipient, path)
        return path.name


class MemoryBackend:
    """Keeps what was sent in ``app.extensions["lms_sent"]`` (tests read it there)."""

    def send(self, message: Message) -> str | None:
        sent = current_app.extensions.setdefault("lms_sent", [])
        sent.append(
            {
                "id": message.id,
                "channel": str(message.channel),
                "to": message.recipient,
                "subject": message.subject,
                "body": message.body,
            }
        )
        return f"memory-{message.id}"


MAILERS: dict[str, Callable[[], Backend]] = {
    "smtp": SmtpMailer,
    "file": FileMailer,
    "memory": MemoryBackend,
}
SMS_GATEWAYS: dict[str, Callable[[], Backend]] = {
    "http": HttpSmsGateway,
    "file": FileSmsGateway,
    "memory": MemoryBackend,
}


def backend_for(channel: str) -> Backend:
    config = current_app.config
    if channel == "email":
        return MAILERS[config["MAIL_BACKEND"]]()
    return SMS_GATEWAYS[config["SMS_BACKEND"]]()
