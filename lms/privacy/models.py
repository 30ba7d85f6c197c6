"""Requests to delete a person's data, decided by an administrator."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import CreatedAt, IntPK, Model, UTCDateTime, db

if TYPE_CHECKING:
    from lms.auth.models import User


class DeletionStatus(enum.StrEnum):
    pending = "pending"
    approved = "approved"
    refused = "refused"


class DeletionRequest(Model):
    """A learner asked for their identifying data to be removed (Decree 13/2023, art. 16)."""

    __tablename__ = "deletion_requests"

    id: Mapped[IntPK]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    status: Mapped[DeletionStatus] = mapped_column(
        db.Enum(DeletionStatus, native_enum=False, length=10), default=DeletionStatus.pending
    )
    created_at: Mapped[CreatedAt]
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: Why a request was refused (shown to the person).
    note: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")

    def __repr__(self) -> str:
        return f"<DeletionRequest {self.id} user={self.user_id} {self.status}>"
