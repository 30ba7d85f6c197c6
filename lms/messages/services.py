"""Queue messages in the caller's transaction; send them in a background job, with retries.

A message is a row first (:func:`queue`), written with whatever made it necessary (an
invitation, a reset code), so nothing is sent for work that rolls back. Once the caller has
committed, :func:`dispatch` hands the new rows to one job (``messages.deliver``): in the web
process when no Redis is configured, else to the Celery worker. The job tries each message up
to ``MESSAGE_ATTEMPTS`` times, waiting longer each time; a message that still fails is marked
``failed`` with the reason, which the invitation page shows next to the person.
"""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select

from lms.db import utcnow
from lms.extensions import db
from lms.jobs import services as jobs
from lms.messages.backends import SendError, backend_for, sms_text
from lms.messages.models import Channel, Message, MessageStatus

logger = logging.getLogger(__name__)

JOB_KIND = "messages.deliver"
_PENDING = "lms_messages_pending"


def queue(
    channel: Channel | str,
    recipient: str,
    body: str,
    *,
    purpose: str,
    user_id: int | None,
    subject: str | None = None,
) -> Message:
    """A message to send once the caller commits (then call :func:`dispatch`)."""
    channel = Channel(channel)
    message = Message(
        channel=channel,
        recipient=recipient,
        subject=subject,
        body=sms_text(body) if channel == Channel.sms else body,
        purpose=purpose,
        user_id=user_id,
    )
    db.session.add(message)
    db.session.flush()
    db.session.info.setdefault(_PENDING, []).append(message.id)
    logger.info("Queued %s message %s (%s) for user %s", channel, message.id, purpose, user_id)
    return message


def dispatch() -> None:
    """Send what this session queued and committed; call it after the commit."""
    ids = db.session.info.pop(_PENDING, [])
    if not ids:
        return
    still_there = list(db.session.scalars(select(Message.id).where(Message.id.in_(ids))))
    if still_there:
        jobs.submit(JOB_KIND, {"ids": sorted(still_there)})


def discard_pending() -> None:
    """Forget queued ids after a rollback (their rows are gone)."""
    db.session.info.pop(_PENDING, None)


def deliver(payload: dict[str, Any], progress: jobs.Progress) -> dict[str, Any]:
    """The job: send each message, retrying; commits after each so the page sees it move."""
    ids = list(payload.get("ids") or [])
    sent = failed = 0
    for done, message_id in enumerate(ids, start=1):
        message = db.session.get(Message, message_id)
        if message is not None and message.status == MessageStatus.queued:
            if send_now(message):
                sent += 1
            else:
                failed += 1
        progress(done, len(ids))
    return {"sent": sent, "failed": failed}


def send_now(message: Message) -> bool:
    """Try ``message`` until it is handed over or the attempts are spent; commits."""
    attempts = max(1, int(current_app.config.get("MESSAGE_ATTEMPTS", 3)))
    pause = float(current_app.config.get("MESSAGE_RETRY_SECONDS", 5))
    backend = backend_for(message.channel)
    while True:
        message.attempts += 1
        try:
            provider_id = backend.send(message)
        except SendError as exc:
            message.last_error = str(exc)[:2000]
            logger.warning("Message %s attempt %s failed: %s", message.id, message.attempts, exc)
            if message.attempts >= attempts:
                _finish(message, MessageStatus.failed)
                return False
            db.session.commit()
            time.sleep(pause * 2 ** (message.attempts - 1))
            continue
        message.provider_id = provider_id
        message.sent_at = utcnow()
        _finish(message, MessageStatus.sent)
        return True


def _finish(message: Message, status: MessageStatus) -> None:
    message.status = status
    message.body = None  # the one-time code or link is not kept in clear
    db.session.commit()
    logger.info("Message %s %s after %s attempt(s)", message.id, status, message.attempts)


def latest_for(user_ids: list[int], purpose: str) -> dict[int, Message]:
    """The newest message of ``purpose`` to each of ``user_ids``."""
    out: dict[int, Message] = {}
    for start in range(0, len(user_ids), 500):
        chunk = user_ids[start : start + 500]
        stmt = (
            select(Message)
            .where(Message.user_id.in_(chunk), Message.purpose == purpose)
            .order_by(Message.id)
        )
        for message in db.session.scalars(stmt):
            if message.user_id is not None:
                out[message.user_id] = message
    return out


def describe_setup() -> str:
    """One line saying where messages go, for the log at start-up and ``make run``."""
    config = current_app.config
    outbox = config.get("OUTBOX_DIR") or f"{current_app.instance_path}/outbox"
    mail = (
        f"e-mail by SMTP {config['SMTP_HOST']}:{config['SMTP_PORT']}"
        if config["MAIL_BACKEND"] == "smtp"
        else f"e-mail written to {outbox}/ (set LMS_SMTP_HOST to send)"
        if config["MAIL_BACKEND"] == "file"
        else f"e-mail kept by the {config['MAIL_BACKEND']} backend"
    )
    sms = (
        f"SMS through {urlsplit(config['SMS_URL']).netloc}"
        if config["SMS_BACKEND"] == "http"
        else f"SMS written to {outbox}/ (set LMS_SMS_URL to send)"
        if config["SMS_BACKEND"] == "file"
        else f"SMS kept by the {config['SMS_BACKEND']} backend"
    )
    return f"{mail}; {sms}"
