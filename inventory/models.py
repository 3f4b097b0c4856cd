"""Inventory tables. Every table is tracked in the change log and versioned against lost updates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inventory.choices import (
    Classification,
    Controllability,
    CpuArch,
    DataSharing,
    Hosting,
    HostKind,
    HostLifecycle,
    Network,
    OpennessAttr,
    ProductClass,
    ProjectKind,
    ResourceFormat,
    SharingAttr,
    SystemLifecycle,
    UnitKind,
    UpdateCycle,
)
from taizhang.db import Base, IdMixin, TimestampMixin, Tracked, VersionedMixin
from taizhang.enum_type import EnumColumn

host_systems = Table(
    "host_systems",
    Base.metadata,
    Column("host_id", ForeignKey("hosts.id", ondelete="CASCADE"), primary_key=True),
    Column("system_id", ForeignKey("systems.id", ondelete="CASCADE"), primary_key=True, index=True),
)

project_systems = Table(
    "project_systems",
    Base.metadata,
    Column("project_id", ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("system_id", ForeignKey("systems.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Unit(Tracked, VersionedMixin, IdMixin, TimestampMixin, Base):
    """单位: a county department, the development zone or a township."""

    __tablename__ = "units"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[UnitKind] = mapped_column(EnumColumn(UnitKind))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    contact_person: Mapped[str] = mapped_column(String(50), default="")
    contact_phone: Mapped[str] = mapped_column(String(30), default="")


class System(Tracked, VersionedMixin, IdMixin, TimestampMixin, Base):
    """政务信息系统: one entry of the system catalogue (第十条)."""

    __tablename__ = "systems"
    __table_args__ = (
        CheckConstraint("mlps_level IS NULL OR (mlps_level BETWEEN 1 AND 5)", name="mlps_level"),
        # Each list filter with the list's order, so a filtered page is read in index order and
        # its count comes from the index alone (province scale: 10,000 systems).
        Index("ix_systems_owner_unit_order", "owner_unit_id", "catalogue_number"),
        Index("ix_systems_lifecycle_order", "lifecycle", "catalogue_number"),
        Index("ix_systems_mlps_level_order", "mlps_level", "catalogue_number"),
        Index("ix_systems_hosting_order", "hosting", "catalogue_number"),
    )

    catalogue_number: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))
    purpose: Mapped[str] = mapped_column(Text, default="")
    classification: Mapped[Classification] = mapped_column(
        EnumColumn(Classification), default=Classification.NON_CLASSIFIED
    )
    lifecycle: Mapped[SystemLifecycle] = mapped_column(EnumColumn(SystemLifecycle))
    go_live_date: Mapped[dt.date | None] = mapped_column(Date)
    mlps_level: Mapped[int | None] = mapped_column(Integer)
    critical_infrastructure: Mapped[bool] = mapped_column(Boolean, default=False)
    data_sharing: Mapped[DataSharing] = mapped_column(
        EnumColumn(DataSharing), default=DataSharing.NOT_REQUIRED
    )
    base_libraries_fed: Mapped[list[str]] = mapped_column(JSON, default=list)
    base_libraries_used: Mapped[list[str]] = mapped_column(JSON, default=list)
    hosting: Mapped[Hosting] = mapped_column(EnumColumn(Hosting), default=Hosting.LEGACY)
    needs_crypto_assessment: Mapped[bool] = mapped_column(Boolean, default=True)

    owner_unit: Mapped[Unit] = relationship(lazy="raise")
    hosts: Mapped[list[Host]] = relationship(
        secondary=host_systems, back_populates="systems", lazy="raise", passive_deletes=True
    )
    network_attachments: Mapped[list[NetworkAttachment]] = relationship(
        back_populates="system", lazy="raise", passive_deletes=True
    )


class Host(Tracked, VersionedMixin, IdMixin, TimestampMixin, Base):
    __tablename__ = "hosts"
    __table_args__ = (
        UniqueConstraint("netbox_kind", "netbox_id", name="uq_hosts_netbox"),
        # Each list filter with the list's order (see System): province scale is 100,000 hosts.
        Index("ix_hosts_unit_order", "unit_id", "hostname"),
        Index("ix_hosts_kind_order", "kind", "hostname"),
        Index("ix_hosts_lifecycle_order", "lifecycle", "hostname"),
        Index("ix_hosts_os_name_order", "os_name", "hostname"),
        # Serves lookups by unit, and lets the exporter's host counts (by unit, kind, lifecycle, OS,
        # version and whether a replacement is planned) read the index alone, in its order.
        Index(
            "ix_hosts_unit_state", "unit_id", "kind", "lifecycle", "os_name", "os_version", "replacement_plan"
        ),
    )
    __changelog_collections__ = ("systems",)

    hostname: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[HostKind] = mapped_column(EnumColumn(HostKind))
    ip_addresses: Mapped[list[str]] = mapped_column(JSON, default=list)
    os_name: Mapped[str] = mapped_column(String(100), default="")
    os_version: Mapped[str] = mapped_column(String(50), default="")
    cpu_arch: Mapped[CpuArch | None] = mapped_column(EnumColumn(CpuArch))
    location: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(50), default="", doc="role for the listening-service allow-list")
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"))
    netbox_kind: Mapped[str | None] = mapped_column(String(16))
    netbox_id: Mapped[int | None] = mapped_column(Integer)
    lifecycle: Mapped[HostLifecycle] = mapped_column(EnumColumn(HostLifecycle), default=HostLifecycle.ACTIVE)
    replacement_plan: Mapped[str] = mapped_column(String(200), default="")
    replacement_date: Mapped[dt.date | None] = mapped_column(Date)

    systems: Mapped[list[System]] = relationship(
        secondary=host_systems, back_populates="hosts", lazy="raise", passive_deletes=True
    )

    @property
    def system_ids(self) -> list[int]:
        return sorted(s.id for s in self.systems)


class NetworkAttachment(Tracked, VersionedMixin, IdMixin, TimestampMixin, Base):
    """A network a system touches (第十一条: 业务专网 needs the authority's approval)."""

    __tablename__ = "network_attachments"
    __table_args__ = (UniqueConstraint("system_id", "network", "name", name="uq_network_attachments_key"),)

    system_id: Mapped[int] = mapped_column(ForeignKey("systems.id", ondelete="CASCADE"), index=True)
    network: Mapped[Network] = mapped_column(EnumColumn(Network))
    name: Mapped[str] = mapped_column(String(100), default="")
    approval_reference: Mapped[str | None] = mapped_column(String(100))
    approval_date: Mapped[dt.date | None] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text, default="")

    system: Mapped[System] = relationship(back_populates="network_attachments", lazy="raise")


class Product(Tracked, VersionedMixin, IdMixin, TimestampMixin, Base):
    """A key product of the supply chain (第二十四条)."""

    __tablename__ = "products"
    __table_args__ = (UniqueConstraint("vendor", "model", "product_version", name="uq_products_identity"),)

    product_class: Mapped[ProductClass] = mapped_column(EnumColumn(ProductClass), index=True)
    category: Mapped[str] = mapped_column(String(50), default="")
    vendor: Mapped[str] = mapped_column(String(100))
    model: Mapped[str] = mapped_column(String(100))
    product_version: Mapped[str] = mapped_column(String(50), default="")
    cpu_arch: Mapped[CpuArch | None] = mapped_column(EnumColumn(CpuArch))
    controllability: Mapped[Controllability] = mapped_column(EnumColumn(Controllability), index=True)
    evidence_reference: Mapped[str] = mapped_column(String(200), default="")
    evidence_expiry: Mapped[dt.date | None] = mapped_column(Date)
    end_of_support: Mapped[dt.date | None] = mapped_column(Date)
    replacement_plan: Mapped[str] = mapped_column(String(200), default="")
    replacement_date: Mapped[dt.date | None] = mapped_column(Date)


class ProductUsage(Tracked, VersionedMixin, IdMixin, TimestampMixin, Base):
    __tablename__ = "product_usages"
    __table_args__ = (UniqueConstraint("system_id", "product_id", name="uq_product_usages_pair"),)

    system_id: Mapped[int] = mapped_column(ForeignKey("systems.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="RESTRICT"), index=True)
    quantity: Mapped[int] = mapped_column(Integer, default=1)


class Project(Tracked, VersionedMixin, IdMixin, TimestampMixin, Base):
    """政务信息化项目 with the dates of each stage the regulation names."""

    __tablename__ = "projects"
    __changelog_collections__ = ("systems",)

    name: Mapped[str] = mapped_column(String(200), index=True)
    implementing_unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[ProjectKind] = mapped_column(EnumColumn(ProjectKind))
    total_budget: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"))
    yearly_budgets: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    contractor: Mapped[str] = mapped_column(String(200), default="")
    supervision_unit: Mapped[str] = mapped_column(String(200), default="")
    construction_started_on: Mapped[dt.date | None] = mapped_column(Date)
    approved_on: Mapped[dt.date | None] = mapped_column(Date)
    budget_reviewed_on: Mapped[dt.date | None] = mapped_column(Date)
    contract_signed_on: Mapped[dt.date | None] = mapped_column(Date)
    contract_filed_on: Mapped[dt.date | None] = mapped_column(Date)
    supervision_filed_on: Mapped[dt.date | None] = mapped_column(Date)
    accepted_on: Mapped[dt.date | None] = mapped_column(Date)
    acceptance_report_filed_on: Mapped[dt.date | None] = mapped_column(Date)
    controllability_checked: Mapped[bool] = mapped_column(Boolean, default=False)
    self_evaluations: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)

    systems: Mapped[list[System]] = relationship(
        secondary=project_systems, lazy="raise", passive_deletes=True
    )

    @property
    def system_ids(self) -> list[int]:
        return sorted(s.id for s in self.systems)


class Resource(Tracked, VersionedMixin, IdMixin, TimestampMixin, Base):
    """An entry of the information resource catalogue (第九、二十三、三十四条)."""

    __tablename__ = "resources"
    __table_args__ = (UniqueConstraint("system_id", "name", name="uq_resources_key"),)

    system_id: Mapped[int] = mapped_column(ForeignKey("systems.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    owner_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    format: Mapped[ResourceFormat] = mapped_column(EnumColumn(ResourceFormat))
    update_cycle: Mapped[UpdateCycle] = mapped_column(EnumColumn(UpdateCycle))
    sharing: Mapped[SharingAttr] = mapped_column(EnumColumn(SharingAttr))
    sharing_condition: Mapped[str] = mapped_column(Text, default="")
    openness: Mapped[OpennessAttr] = mapped_column(EnumColumn(OpennessAttr))
    openness_condition: Mapped[str] = mapped_column(Text, default="")
    data_owner: Mapped[str] = mapped_column(String(100), default="")
    data_checker: Mapped[str] = mapped_column(String(100), default="")
    registered_on_platform: Mapped[bool] = mapped_column(Boolean, default=False)
    registered_on: Mapped[dt.date | None] = mapped_column(Date)
