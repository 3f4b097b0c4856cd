"""Inventory figures for dashboards: aggregate queries, confined to a principal's units.

上云率 counts systems that are built or being built (第三十二、三十五条: 已建和在建的非涉密系统迁移上云);
planned and retired systems are left out of both sides of the ratio.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from inventory.choices import Controllability, Hosting, HostLifecycle, ProductClass, SystemLifecycle
from inventory.entities import hosts_in_scope, systems_in_scope
from inventory.models import Host, Product, ProductUsage, System, Unit
from taizhang.auth.principal import Scope

IN_SERVICE = (SystemLifecycle.BUILDING, SystemLifecycle.RUNNING)


@dataclass(frozen=True)
class HostingFigures:
    counts: dict[Hosting, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def cloud_rate(self) -> float | None:
        return self.counts.get(Hosting.CITY_CLOUD, 0) / self.total if self.total else None


def _systems(scope: Scope) -> Select[Any]:
    stmt = select(System).where(System.lifecycle.in_(IN_SERVICE))
    return stmt if scope.everything else stmt.where(systems_in_scope(scope))


def hosting(session: Session, scope: Scope) -> HostingFigures:
    sub = _systems(scope).subquery()
    rows = session.execute(select(sub.c.hosting, func.count()).group_by(sub.c.hosting)).all()
    counts = {h: 0 for h in Hosting}
    counts.update({Hosting(h): int(n) for h, n in rows})
    return HostingFigures(counts)


def lifecycle_counts(session: Session, scope: Scope) -> dict[SystemLifecycle, int]:
    stmt = select(System.lifecycle, func.count()).group_by(System.lifecycle)
    if not scope.everything:
        stmt = stmt.where(systems_in_scope(scope))
    counts = {lc: 0 for lc in SystemLifecycle}
    counts.update({SystemLifecycle(v): int(n) for v, n in session.execute(stmt).all()})
    return counts


def mlps_levels(session: Session, scope: Scope) -> dict[int | None, int]:
    sub = _systems(scope).subquery()
    rows = session.execute(select(sub.c.mlps_level, func.count()).group_by(sub.c.mlps_level)).all()
    return {level: int(n) for level, n in sorted(rows, key=lambda r: (r[0] is None, r[0] or 0))}


@dataclass(frozen=True)
class UnitFigures:
    unit_id: int
    name: str
    systems: int
    on_city_cloud: int

    @property
    def cloud_rate(self) -> float | None:
        return self.on_city_cloud / self.systems if self.systems else None


def by_unit(session: Session, scope: Scope) -> list[UnitFigures]:
    sub = _systems(scope).subquery()
    on_cloud = func.sum(case((sub.c.hosting == Hosting.CITY_CLOUD.value, 1), else_=0))
    stmt = (
        select(Unit.id, Unit.name, func.count(sub.c.id), on_cloud)
        .join(sub, sub.c.owner_unit_id == Unit.id)
        .group_by(Unit.id, Unit.name)
        .order_by(func.count(sub.c.id).desc(), Unit.name)
    )
    return [UnitFigures(uid, name, int(n), int(c or 0)) for uid, name, n, c in session.execute(stmt).all()]


@dataclass(frozen=True)
class ClassFigures:
    product_class: ProductClass
    counts: dict[Controllability, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def controllable(self) -> int:
        return self.counts.get(Controllability.CONTROLLABLE, 0)

    @property
    def controllable_rate(self) -> float | None:
        return self.controllable / self.total if self.total else None


def controllability(session: Session, scope: Scope) -> list[ClassFigures]:
    """Items in use (usage quantities) by product class and verdict: the 替代率 per class."""
    stmt = (
        select(Product.product_class, Product.controllability, func.sum(ProductUsage.quantity))
        .join(ProductUsage, ProductUsage.product_id == Product.id)
        .join(System, System.id == ProductUsage.system_id)
        .group_by(Product.product_class, Product.controllability)
    )
    if not scope.everything:
        stmt = stmt.where(systems_in_scope(scope))
    table: dict[ProductClass, dict[Controllability, int]] = {
        pc: {c: 0 for c in Controllability} for pc in ProductClass
    }
    for pc, verdict, qty in session.execute(stmt).all():
        table[ProductClass(pc)][Controllability(verdict)] += int(qty or 0)
    return [ClassFigures(pc, counts) for pc, counts in table.items()]


@dataclass(frozen=True)
class OsFigures:
    os_name: str
    os_version: str
    hosts: int
    end_of_support: dt.date | None

    @property
    def label(self) -> str:
        return f"{self.os_name} {self.os_version}".strip() or "未登记"


def end_of_support(os_name: str, os_version: str) -> dt.date | None:
    """The policy's end-of-support date for an OS as a host reports it.

    Some inventories split the version off names that carry it ("Windows Server" + "2012 R2"
    for the policy's "Windows Server 2012"), so the joined name is tried as well.
    """
    from taizhang.policy import get_policy

    if not os_name:
        return None
    policy = get_policy()
    entry = policy.eos_for(os_name, os_version) or policy.eos_for(f"{os_name} {os_version}".strip(), "")
    return entry.end_of_support if entry else None


def hosts_by_os(session: Session, scope: Scope) -> list[OsFigures]:
    stmt = (
        select(Host.os_name, Host.os_version, func.count())
        .where(Host.lifecycle == HostLifecycle.ACTIVE)
        .group_by(Host.os_name, Host.os_version)
        .order_by(func.count().desc(), Host.os_name, Host.os_version)
    )
    if not scope.everything:
        stmt = stmt.where(hosts_in_scope(scope))
    return [
        OsFigures(name or "", version or "", int(n), end_of_support(name or "", version or ""))
        for name, version, n in session.execute(stmt).all()
    ]


def past_end_of_support(figures: Sequence[OsFigures], today: dt.date) -> int:
    return sum(f.hosts for f in figures if f.end_of_support is not None and f.end_of_support < today)
