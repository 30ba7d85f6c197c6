"""Messages sent to people (e-mail and SMS), kept so a failed send is seen, not lost."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lms.db import CreatedAt, IntPK, Model, UTCDateTime, db


class Channel(enum.StrEnum):
    email = "email"
    sms = "sms"


class MessageStatus(enum.StrEnum):
    queued = "queued"
    sent = "sent"
    failed = "failed"


class Message(Model):
    """One e-mail or SMS to one address.

    The body carries a one-time link or code, which is stored nowhere else in clear: it is kept
    only until the message is sent or has finally failed, then erased.
    """

    __tablename__ = "messages"

    id: Mapped[IntPK]
    channel: Mapped[Channel] = mapped_column(db.Enum(Channel, native_enum=False, length=10))
    recipient: Mapped[str] = mapped_column(String(254))
    #: What the message is for (``invitation``, ``reset``), for the pages that show it.
    purpose: Mapped[str] = mapped_column(String(30))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    subject: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    status: Mapped[MessageStatus] = mapped_column(
        db.Enum(MessageStatus, native_enum=False, length=10), default=MessageStatus.queued
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    #: The gateway's id for an SMS, the Message-ID of an e-mail.
    provider_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[CreatedAt]
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<Message {self.id} {self.channel} {self.status}>"
