"""Background jobs and their progress, shown as a progress bar in the browser and CLI."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lms.db import CreatedAt, JSONType, Model, UTCDateTime, db, new_uuid


class JobStatus(enum.StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class Job(Model):
    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    kind: Mapped[str] = mapped_column(String(50), index=True)
    status: Mapped[JobStatus] = mapped_column(
        db.Enum(JobStatus, native_enum=False, length=20), default=JobStatus.queued, index=True
    )
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    error: Mapped[str | None] = mapped_column(Text)
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[CreatedAt]
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the job was last sent to the workers; a queued job not taken within
    #: ``LMS_JOB_STALE_SECONDS`` of it is sent again (``lms.jobs.services.requeue_stale``).
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: How many times it was sent again; after ``MAX_REQUEUES`` it is marked failed.
    requeues: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Last sign of life of a running job (its claim, each progress, the runner's beat): one
    #: running with none for ``LMS_JOB_STALE_SECONDS`` lost its worker and is sent again.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def percent(self) -> int:
        return (
            100
            if self.total == 0 and self.status == JobStatus.done
            else (int(100 * self.done / self.total) if self.total else 0)
        )

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind} {self.status} {self.done}/{self.total}>"
