"""Emergency plans, drills, drill follow-up actions and incidents (第三十七条)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Column, Date, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inventory.models import System
from security.response.choices import DrillType, IncidentCategory, IncidentGrade
from taizhang.db import Base, IdMixin, TimestampMixin, Tracked, VersionedMixin
from taizhang.enum_type import EnumColumn

incident_systems = Table(
    "incident_systems",
    Base.metadata,
    Column("incident_id", ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True),
    Column("system_id", ForeignKey("systems.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class EmergencyPlan(Tracked, VersionedMixin, IdMixin, TimestampMixin, Base):
    """应急预案 of one system, or of a whole unit when ``system_id`` is empty."""

    __tablename__ = "emergency_plans"

    name: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    system_id: Mapped[int | None] = mapped_column(ForeignKey("systems.id", ondelete="RESTRICT"), index=True)
    plan_version: Mapped[str] = mapped_column(String(50), default="")
    approved_on: Mapped[dt.date] = mapped_column(Date)
    last_reviewed_on: Mapped[dt.date | None] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text, default="")

    @property
    def scope_kind(self) -> str:
        return "system" if self.system_id is not None else "unit"


class Drill(Tracked, VersionedMixin, IdMixin, TimestampMixin, Base):
    """应急演练 of one plan."""

    __tablename__ = "drills"

    plan_id: Mapped[int] = mapped_column(ForeignKey("emergency_plans.id", ondelete="RESTRICT"), index=True)
    drill_type: Mapped[DrillType] = mapped_column(EnumColumn(DrillType))
    scenario: Mapped[str] = mapped_column(String(300))
    held_on: Mapped[dt.date] = mapped_column(Date, index=True)
    participants: Mapped[list[str]] = mapped_column(JSON, default=list)
    findings: Mapped[str] = mapped_column(Text, default="")


class DrillAction(Tracked, VersionedMixin, IdMixin, TimestampMixin, Base):
    """A follow-up action (整改措施) from a drill, with its owner and due date."""

    __tablename__ = "drill_actions"

    drill_id: Mapped[int] = mapped_column(ForeignKey("drills.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(300))
    owner: Mapped[str] = mapped_column(String(100))
    due_on: Mapped[dt.date] = mapped_column(Date, index=True)
    completed_on: Mapped[dt.date | None] = mapped_column(Date)


class Incident(Tracked, VersionedMixin, IdMixin, TimestampMixin, Base):
    """网络安全事件 with its handling timeline and reports."""

    __tablename__ = "incidents"
    __changelog_collections__ = ("systems",)

    title: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    category: Mapped[IncidentCategory] = mapped_column(EnumColumn(IncidentCategory), index=True)
    grade: Mapped[IncidentGrade] = mapped_column(EnumColumn(IncidentGrade), index=True)
    critical_infrastructure: Mapped[bool] = mapped_column(Boolean, default=False)
    occurred_at: Mapped[dt.datetime] = mapped_column()
    detected_at: Mapped[dt.datetime] = mapped_column(index=True)
    handling_ended_at: Mapped[dt.datetime | None] = mapped_column()
    timeline: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    report_recipient: Mapped[str] = mapped_column(String(200), default="")
    reported_at: Mapped[dt.datetime | None] = mapped_column()
    summary_reported_at: Mapped[dt.datetime | None] = mapped_column()
    description: Mapped[str] = mapped_column(Text, default="")

    systems: Mapped[list[System]] = relationship(
        secondary=incident_systems, lazy="raise", passive_deletes=True
    )

    @property
    def system_ids(self) -> list[int]:
        return sorted(s.id for s in self.systems)
