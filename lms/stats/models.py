"""Indicators of the provincial plans, their targets, and the aggregates that answer them.

Figures are read from aggregates kept up to date as certificates are issued or revoked
(``stat_holdings`` per person, ``stat_rollups`` per unit subtree), never from a scan of the
certificates table per request. ``flask reports rebuild`` recomputes both from scratch.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.constants import TargetGroup
from lms.db import CreatedAt, IntPK, JSONType, Model, UTCDateTime, db
from lms.org.models import Unit


class IndicatorKind(enum.StrEnum):
    #: Share of a target group's headcount holding a qualifying certificate.
    share_of_headcount = "share_of_headcount"
    #: Number of people holding a qualifying certificate (e.g. at least 20 DX experts).
    count_people = "count_people"
    #: Share of units of a kind (schools, communes) with at least one qualifying holder.
    share_of_units = "share_of_units"


class IndicatorPeriod(enum.StrEnum):
    #: Certificates issued in the year only (DX specialists are assessed every year).
    year = "year"
    #: Certificates issued in the year or before, still valid at its end.
    cumulative = "cumulative"


class Indicator(Model):
    __tablename__ = "indicators"
    __table_args__ = (UniqueConstraint("plan_unit_id", "code"),)

    id: Mapped[IntPK]
    #: The province (or other unit) whose plan sets this indicator.
    plan_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    code: Mapped[str] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str | None] = mapped_column(String(300))
    kind: Mapped[IndicatorKind] = mapped_column(
        db.Enum(IndicatorKind, native_enum=False, length=30)
    )
    period: Mapped[IndicatorPeriod] = mapped_column(
        db.Enum(IndicatorPeriod, native_enum=False, length=20), default=IndicatorPeriod.cumulative
    )
    target_group: Mapped[TargetGroup | None] = mapped_column(
        db.Enum(TargetGroup, native_enum=False, length=30)
    )
    #: Courses whose ``indicators`` list this code qualify (defaults to ``code``).
    qualifying_code: Mapped[str] = mapped_column(String(50))
    #: For ``share_of_units``: the kind of unit counted (``school``, ``commune``).
    unit_kind: Mapped[str | None] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[CreatedAt]

    plan_unit: Mapped[Unit] = relationship()
    targets: Mapped[list[IndicatorTarget]] = relationship(
        back_populates="indicator", cascade="all, delete-orphan", order_by="IndicatorTarget.year"
    )

    def target_for(self, year: int) -> float | None:
        """The target of ``year``; between two set years the line between them."""
        points = sorted((t.year, t.value) for t in self.targets)
        if not points:
            return None
        for y, v in points:
            if y == year:
                return v
        before = [(y, v) for y, v in points if y < year]
        after = [(y, v) for y, v in points if y > year]
        if before and after:
            (y0, v0), (y1, v1) = before[-1], after[0]
            return round(v0 + (v1 - v0) * (year - y0) / (y1 - y0), 1)
        return before[-1][1] if before else None

    def __repr__(self) -> str:
        return f"<Indicator {self.id} {self.code} plan={self.plan_unit_id}>"


class IndicatorTarget(Model):
    __tablename__ = "indicator_targets"
    __table_args__ = (UniqueConstraint("indicator_id", "year"),)

    id: Mapped[IntPK]
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    #: Percent for shares, a number of people for counts.
    value: Mapped[float] = mapped_column(Float)

    indicator: Mapped[Indicator] = relationship(back_populates="targets")


class StatHolding(Model):
    """A person counted for a qualifying code in a year, and where they are counted."""

    __tablename__ = "stat_holdings"
    __table_args__ = (
        # The person first: the incremental path reads a person's holdings by ``user_id``
        # (and a deleted user's go by it), which this key serves, so no index of its own;
        # and a rebuild builds it from 3.4 million rows in 1.4 to 2.3 s, where led by
        # ``code`` (a handful of values) it took 6.5 to 8.8 s.
        UniqueConstraint("user_id", "code", "year", "in_year"),
    )

    id: Mapped[IntPK]
    code: Mapped[str] = mapped_column(String(50))
    year: Mapped[int] = mapped_column(Integer)
    #: Which ``period`` this holding answers: 0 = cumulative, 1 = issued in that year.
    in_year: Mapped[bool] = mapped_column(default=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    #: The unit the person is counted on (the certificate's snapshot; the issuing unit's
    #: province when the person had no unit or no target group: then ``unassigned`` is true).
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    unassigned: Mapped[bool] = mapped_column(default=False)
    target_group: Mapped[str | None] = mapped_column(String(30))
    certificate_id: Mapped[int] = mapped_column(Integer)
    #: The units this holding is counted on (``/province/.../unit/``), as the tree was that
    #: year; a recount after a move takes it off exactly these.
    chain: Mapped[str] = mapped_column(String(1000), default="")


class StatRollup(Model):
    """How many people count for (code, year) in the subtree of a unit, per target group."""

    __tablename__ = "stat_rollups"
    __table_args__ = (
        # Led by code: the units with holders of a code (share_of_units) are a range of it
        # (led by year and unit, the province's indicator table took 155 ms instead of 80).
        UniqueConstraint("code", "year", "in_year", "unit_id", "target_group", "unassigned"),
        # A unit's figures for a year (the indicator table), and "does this year have rows".
        Index("ix_stat_rollups_year_unit", "year", "unit_id"),
    )

    id: Mapped[IntPK]
    code: Mapped[str] = mapped_column(String(50))
    year: Mapped[int] = mapped_column(Integer)
    in_year: Mapped[bool] = mapped_column(default=False)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    #: "" when the person had no target group.
    target_group: Mapped[str] = mapped_column(String(30), default="")
    unassigned: Mapped[bool] = mapped_column(default=False)
    count: Mapped[int] = mapped_column(Integer, default=0)


class StatSnapshot(Model):
    """A year's figures of a unit as closed and sent; live figures move on beside it."""

    __tablename__ = "stat_snapshots"
    __table_args__ = (UniqueConstraint("unit_id", "year"),)

    id: Mapped[IntPK]
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: The annual report's data exactly as closed (indicators, breakdowns).
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    note: Mapped[str | None] = mapped_column(String(500))
    #: The report's document number (``Số: 05/BC-SKHCN``), in the series of the year it was
    #: sent in; None for years closed before reports were numbered.
    number: Mapped[int | None] = mapped_column(Integer)

    unit: Mapped[Unit] = relationship()


class ReportSettings(Model):
    """How a unit's annual report is headed and signed (Decree 30/2020/NĐ-CP).

    Kept apart from the unit: the unit's officials change these, not the tree's keepers.
    A report once sent keeps the values it was sent with (in its snapshot).
    """

    __tablename__ = "report_settings"

    id: Mapped[IntPK]
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), unique=True)
    #: The body above the issuer, e.g. "UBND THÀNH PHỐ HẢI PHÒNG" ("" for none).
    parent_body: Mapped[str] = mapped_column(String(200), default="")
    #: The issuer's name as printed, e.g. "SỞ KHOA HỌC VÀ CÔNG NGHỆ" ("": the unit's name).
    issuer: Mapped[str] = mapped_column(String(200), default="")
    #: The issuer's abbreviation in the number, "SKHCN" in ``Số: 05/BC-SKHCN``.
    symbol: Mapped[str] = mapped_column(String(30), default="")
    #: The place before the date, e.g. "Hải Phòng".
    place: Mapped[str] = mapped_column(String(100), default="")
    #: "KT. GIÁM ĐỐC", "TM. ỦY BAN NHÂN DÂN" ... ("" when the head signs in person).
    signer_authority: Mapped[str] = mapped_column(String(200), default="")
    signer_title: Mapped[str] = mapped_column(String(100), default="")
    signer_name: Mapped[str] = mapped_column(String(100), default="")
    #: "Nơi nhận", one recipient a line.
    recipients: Mapped[str] = mapped_column(String(2000), default="")
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    unit: Mapped[Unit] = relationship()


class ReportNumber(Model):
    """The last document number a unit gave a report in a calendar year.

    Decree 30 numbers a body's documents from 01 each year; a number once given is never
    given again, even when the report it numbered is reopened.
    """

    __tablename__ = "report_numbers"
    __table_args__ = (UniqueConstraint("unit_id", "year"),)

    id: Mapped[IntPK]
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    last: Mapped[int] = mapped_column(Integer, default=0)


class StatCertCount(Model):
    """Certificates of a year that still count at its end, per holder unit and one dimension.

    ``dim`` is ``month`` (key ``01``..``12``), ``course`` (key: course id) or ``group``
    (key: target group, ``""`` when none). The breakdowns sum these over a subtree instead of
    counting a million certificates per request.
    """

    __tablename__ = "stat_cert_counts"
    __table_args__ = (
        UniqueConstraint("unit_id", "year", "dim", "key"),
        Index("ix_stat_cert_counts_year_dim", "year", "dim"),
    )

    id: Mapped[IntPK]
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    year: Mapped[int] = mapped_column(Integer)
    dim: Mapped[str] = mapped_column(String(10))
    key: Mapped[str] = mapped_column(String(40))
    count: Mapped[int] = mapped_column(Integer, default=0)
