"""Migration tables. Every table is tracked in the change log and versioned against lost updates.

The hosting state itself lives on ``inventory.models.System.hosting``; plans move it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inventory.choices import Hosting
from inventory.models import System
from migration.choices import CloudServiceCategory, PlanState
from taizhang.db import Base, IdMixin, TimestampMixin, Tracked, VersionedMixin, utcnow
from taizhang.enum_type import EnumColumn


class Wave(Tracked, VersionedMixin, IdMixin, TimestampMixin, Base):
    """迁移批次: systems planned to move together by a target date."""

    __tablename__ = "migration_waves"

    name: Mapped[str] = mapped_column(String(100), unique=True)
    target_date: Mapped[dt.date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text, default="")


class MigrationPlan(Tracked, VersionedMixin, IdMixin, TimestampMixin, Base):
    """One system's move to the city government cloud (第三十五条)."""

    __tablename__ = "migration_plans"
    __table_args__ = (
        CheckConstraint(
            "planned_start IS NULL OR planned_cutover IS NULL OR planned_start <= planned_cutover",
            name="dates_ordered",
        ),
    )

    system_id: Mapped[int] = mapped_column(ForeignKey("systems.id", ondelete="CASCADE"), unique=True)
    wave_id: Mapped[int | None] = mapped_column(
        ForeignKey("migration_waves.id", ondelete="RESTRICT"), index=True
    )
    owner: Mapped[str] = mapped_column(String(100))
    planned_start: Mapped[dt.date | None] = mapped_column(Date)
    planned_cutover: Mapped[dt.date | None] = mapped_column(Date, index=True)
    state: Mapped[PlanState] = mapped_column(EnumColumn(PlanState), default=PlanState.PLANNED, index=True)
    held_from: Mapped[PlanState | None] = mapped_column(EnumColumn(PlanState))
    original_hosting: Mapped[Hosting] = mapped_column(EnumColumn(Hosting))
    note: Mapped[str] = mapped_column(Text, default="")

    system: Mapped[System] = relationship(lazy="raise")
    wave: Mapped[Wave | None] = relationship(lazy="raise")


class PlanTransition(Tracked, VersionedMixin, IdMixin, TimestampMixin, Base):
    """One move of a plan's state machine: who, when, from where to where, and why."""

    __tablename__ = "migration_transitions"

    plan_id: Mapped[int] = mapped_column(ForeignKey("migration_plans.id", ondelete="CASCADE"), index=True)
    from_state: Mapped[PlanState] = mapped_column(EnumColumn(PlanState))
    to_state: Mapped[PlanState] = mapped_column(EnumColumn(PlanState))
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")


class Blocker(Tracked, VersionedMixin, IdMixin, TimestampMixin, Base):
    """Something holding a plan up, with who clears it and by when."""

    __tablename__ = "migration_blockers"

    plan_id: Mapped[int] = mapped_column(ForeignKey("migration_plans.id", ondelete="CASCADE"), index=True)
    description: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(100))
    due_date: Mapped[dt.date] = mapped_column(Date)
    resolved_on: Mapped[dt.date | None] = mapped_column(Date)
    resolution: Mapped[str] = mapped_column(Text, default="")


class Exemption(Tracked, VersionedMixin, IdMixin, TimestampMixin, Base):
    """豁免 / 暂缓上云: an approved exception with an expiry; an expired one no longer exempts."""

    __tablename__ = "migration_exemptions"
    __table_args__ = (CheckConstraint("approved_on <= expires_on", name="dates_ordered"),)

    system_id: Mapped[int] = mapped_column(ForeignKey("systems.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    approver: Mapped[str] = mapped_column(String(100))
    approval_reference: Mapped[str] = mapped_column(String(100))
    approved_on: Mapped[dt.date] = mapped_column(Date)
    expires_on: Mapped[dt.date] = mapped_column(Date, index=True)


class CatalogueVersion(Tracked, VersionedMixin, IdMixin, TimestampMixin, Base):
    """One edition of 《临汾市市级政务云平台服务目录》; the newest in effect is the current one."""

    __tablename__ = "cloud_catalogue_versions"

    name: Mapped[str] = mapped_column(String(50), unique=True)
    effective_from: Mapped[dt.date] = mapped_column(Date, unique=True)
    source_document: Mapped[str] = mapped_column(String(200), default="")


class CatalogueItem(Tracked, VersionedMixin, IdMixin, TimestampMixin, Base):
    """A service of one catalogue edition with its specifications."""

    __tablename__ = "cloud_catalogue_items"
    __table_args__ = (UniqueConstraint("catalogue_version_id", "code", name="uq_cloud_catalogue_items_code"),)

    catalogue_version_id: Mapped[int] = mapped_column(
        ForeignKey("cloud_catalogue_versions.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(100))
    category: Mapped[CloudServiceCategory] = mapped_column(EnumColumn(CloudServiceCategory), index=True)
    specs: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    unit_of_measure: Mapped[str] = mapped_column(String(20), default="")


class Subscription(Tracked, VersionedMixin, IdMixin, TimestampMixin, Base):
    """A city-cloud service a system consumes (第十二条: from the catalogue, no duplicate building)."""

    __tablename__ = "cloud_subscriptions"
    __table_args__ = (
        UniqueConstraint("system_id", "item_id", name="uq_cloud_subscriptions_pair"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    system_id: Mapped[int] = mapped_column(ForeignKey("systems.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("cloud_catalogue_items.id", ondelete="RESTRICT"), index=True
    )
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    since: Mapped[dt.date] = mapped_column(Date)
    approved_exception: Mapped[bool] = mapped_column(Boolean, default=False)
    exception_reference: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(Text, default="")
