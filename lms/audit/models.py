"""Audit entries: append-only, enforced three times (no code path, the ORM, the database).

An entry keeps the names it was written with (the actor's name, the summary of the target):
the log must still read right after a person is renamed or a unit merged. It therefore has no
foreign keys either, so no cascade can ever rewrite or delete it; ``unit_id`` and ``actor_id``
are plain numbers, used to scope and filter.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import DDL, Index, String, Text, event
from sqlalchemy.orm import Mapped, Mapper, mapped_column, relationship

from lms.db import IntPK, JSONType, Model, UTCDateTime, utcnow

if TYPE_CHECKING:
    from lms.org.models import Unit


class AuditLogIsAppendOnly(RuntimeError):
    """Raised when code tries to change or delete an audit entry: no code may."""


class AuditEntry(Model):
    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_target", "target_type", "target_id"),)

    id: Mapped[IntPK]
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: None: the system itself, or an operator at the command line (see ``user_agent``).
    actor_id: Mapped[int | None] = mapped_column(index=True)
    actor_name: Mapped[str | None] = mapped_column(String(200))
    #: The client's address as the app sees it (``LMS_PROXY_HOPS`` decides whom to trust).
    address: Mapped[str | None] = mapped_column(String(64))
    #: The browser or program; for the command line, the command and the shell user.
    user_agent: Mapped[str | None] = mapped_column(String(300))
    #: The ``X-Request-ID`` of the request, to find its line in the request log.
    request_id: Mapped[str | None] = mapped_column(String(64))
    #: An :class:`lms.audit.constants.AuditAction` code.
    action: Mapped[str] = mapped_column(String(50), index=True)
    target_type: Mapped[str] = mapped_column(String(30))
    target_id: Mapped[str] = mapped_column(String(100))
    #: The unit the act concerns (of the target): officials see the entries of their subtree.
    unit_id: Mapped[int | None] = mapped_column(index=True)
    summary: Mapped[str] = mapped_column(String(500))
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    unit: Mapped[Unit | None] = relationship(
        primaryjoin="foreign(AuditEntry.unit_id) == Unit.id", viewonly=True, lazy="joined"
    )

    def __repr__(self) -> str:
        return f"<AuditEntry {self.id} {self.action} {self.target_type}={self.target_id}>"


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_change(mapper: Mapper[Any], connection: Any, target: AuditEntry) -> None:
    raise AuditLogIsAppendOnly(f"{target!r} cannot be changed or deleted")


#: The same refusal in the database, for SQL that bypasses the ORM. The migration
#: ``3f6c0a9d2b71_audit_log`` creates the same triggers on an existing database.
_PG_FUNCTION = DDL(
    "CREATE OR REPLACE FUNCTION audit_entries_append_only() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN "
    "RAISE EXCEPTION 'audit entries cannot be changed or deleted' "
    "USING ERRCODE = 'insufficient_privilege'; END $$"
)
_PG_TRIGGER = DDL(
    "CREATE TRIGGER audit_entries_append_only "
    "BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_entries "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_append_only()"
)
_SQLITE_TRIGGERS = [
    DDL(
        f"CREATE TRIGGER audit_entries_no_{verb.lower()} BEFORE {verb} ON audit_entries "
        "BEGIN SELECT RAISE(ABORT, 'audit entries cannot be changed or deleted'); END"
    )
    for verb in ("UPDATE", "DELETE")
]

for _ddl in (_PG_FUNCTION, _PG_TRIGGER):
    event.listen(AuditEntry.__table__, "after_create", _ddl.execute_if(dialect="postgresql"))
for _ddl in _SQLITE_TRIGGERS:
    event.listen(AuditEntry.__table__, "after_create", _ddl.execute_if(dialect="sqlite"))
