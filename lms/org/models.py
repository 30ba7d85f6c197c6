"""The unit tree (with validity periods and successors), its history, and headcounts.

The current tree is a materialised path (``/1/7/42/``) so that a subtree is one indexed
prefix query on 20,000 units. Every change of a unit's place in the tree is also kept in
``unit_placements`` with the period it held, so a past year is counted by the tree as it
was then (a commune merged in 2025 still adds up under its old district for 2024).
"""

from __future__ import annotations

import enum
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms import periods
from lms.constants import TargetGroup
from lms.db import CreatedAt, IntPK, Model, Str200, db
from lms.text import fold

if TYPE_CHECKING:
    from lms.auth.models import User


class UnitKind(enum.StrEnum):
    province = "province"
    district = "district"
    commune = "commune"
    agency = "agency"
    school = "school"
    enterprise = "enterprise"
    other = "other"


class Unit(Model):
    __tablename__ = "units"
    __table_args__ = (
        Index(
            "ix_units_path_prefix",
            "path",
            postgresql_ops={"path": "varchar_pattern_ops"},
        ),
    )

    id: Mapped[IntPK]
    #: Stable public identifier used in URLs, imports and xAPI extensions.
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[Str200]
    name_en: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[UnitKind] = mapped_column(db.Enum(UnitKind, native_enum=False, length=20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    #: Materialised path of ids, ``/root/.../self/``; rewritten for the subtree on a move.
    path: Mapped[str] = mapped_column(String(1000))
    depth: Mapped[int] = mapped_column(Integer, default=0)
    valid_from: Mapped[date] = mapped_column(Date, default=date(2000, 1, 1))
    #: Last day the unit existed; None while it exists.
    valid_to: Mapped[date | None] = mapped_column(Date)
    successor_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    #: Short prefix for certificate serials (``HP`` in ``HP-2026-000123``); provinces only.
    serial_prefix: Mapped[str | None] = mapped_column(String(10))
    #: Day of December by which this province's units report (10 for Hải Phòng, 15 elsewhere).
    report_day: Mapped[int | None] = mapped_column(Integer)
    #: Code and names lower-cased without diacritics, so "hai phong" finds "Hải Phòng".
    search_text: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[CreatedAt]

    parent: Mapped[Unit | None] = relationship(
        remote_side="Unit.id", foreign_keys=[parent_id], back_populates="children"
    )
    children: Mapped[list[Unit]] = relationship(
        back_populates="parent", foreign_keys=[parent_id], order_by="Unit.code"
    )
    successor: Mapped[Unit | None] = relationship(
        remote_side="Unit.id", foreign_keys=[successor_id]
    )

    @property
    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to the parent, read from the path without a query."""
        return [int(part) for part in self.path.strip("/").split("/")[:-1] if part]

    def is_current(self, on: date | None = None) -> bool:
        on = on or periods.today()  # the province's day, not the server's
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)

    def __repr__(self) -> str:
        return f"<Unit {self.id} {self.code}>"


def search_text(code: str, name: str, name_en: str | None) -> str:
    return " ".join(fold(part) for part in (code, name, name_en) if part)


@event.listens_for(Unit, "before_insert")
@event.listens_for(Unit, "before_update")
def _fill_search_text(mapper: Any, connection: Any, unit: Unit) -> None:
    unit.search_text = search_text(unit.code, unit.name, unit.name_en)


class UnitPlacement(Model):
    """Where a unit sat in the tree during a period: its parent and its path then."""

    __tablename__ = "unit_placements"
    __table_args__ = (
        Index("ix_unit_placements_period", "valid_from", "valid_to"),
        Index(
            "ix_unit_placements_path_prefix",
            "path",
            postgresql_ops={"path": "varchar_pattern_ops"},
        ),
    )

    id: Mapped[IntPK]
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    path: Mapped[str] = mapped_column(String(1000))
    valid_from: Mapped[date] = mapped_column(Date)
    #: Last day of this placement; None for the current one.
    valid_to: Mapped[date | None] = mapped_column(Date)


class UnitMembership(Model):
    """A person's unit over time, so moves and mergers keep the history of who was where."""

    __tablename__ = "unit_memberships"

    id: Mapped[IntPK]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)

    user: Mapped[User] = relationship()
    unit: Mapped[Unit] = relationship()


class Headcount(Model):
    """How many people of a target group a unit has in a year: the denominator of a share."""

    __tablename__ = "headcounts"
    __table_args__ = (UniqueConstraint("unit_id", "target_group", "year"),)

    id: Mapped[IntPK]
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    target_group: Mapped[TargetGroup] = mapped_column(
        db.Enum(TargetGroup, native_enum=False, length=30)
    )
    year: Mapped[int] = mapped_column(Integer)
    count: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[CreatedAt]

    unit: Mapped[Unit] = relationship()
