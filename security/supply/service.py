"""Supply-chain figures: the controllable share (替代率), evidence gaps and end of support.

替代率 = controllable items ÷ all items, where an item is one ``ProductUsage`` weighted by its
``quantity`` (three servers of one model count three). 部分可控 counts as not controllable. The five
key-product classes of 第二十四条 are counted; hardware only with ``include_hardware``. Figures are
computed by GROUP BY in the database, never by loading every usage row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import Session

from inventory.choices import KEY_PRODUCT_CLASSES, Controllability, ProductClass, SystemLifecycle
from inventory.models import Product, ProductUsage, System, Unit
from security.evidence.models import EvidenceFile
from security.response.dates import local_today
from taizhang.auth.principal import ALL, Scope
from taizhang.changelog import object_type_of
from taizhang.errors import Invalid
from taizhang.policy import Policy, get_policy

GroupBy = Literal["system", "unit", "product_class"]
GROUPS: tuple[str, ...] = ("system", "unit", "product_class")


@dataclass(frozen=True)
class SupplyFigure:
    key: str
    label: str
    items: int
    controllable: int
    partial: int
    uncontrollable: int
    without_evidence: int
    evidence_expired: int
    evidence_expiring: int

    @property
    def replacement_rate(self) -> float | None:
        return round(self.controllable / self.items, 4) if self.items else None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "replacement_rate": self.replacement_rate}


def has_evidence() -> ColumnElement[bool]:
    """A product has evidence when it cites a listing/certificate or has a file attached."""
    attached = exists().where(
        EvidenceFile.object_type == object_type_of(Product), EvidenceFile.object_id == Product.id
    )
    return or_(Product.evidence_reference != "", attached)


def _group_columns(group_by: str) -> tuple[Any, Any]:
    if group_by == "system":
        return System.id, System.catalogue_number + literal(" ") + System.name
    if group_by == "unit":
        return Unit.id, Unit.name
    if group_by == "product_class":
        return Product.product_class, Product.product_class
    raise Invalid(f"未知的分组方式“{group_by}”（可选：{'、'.join(GROUPS)}）", field="group_by")


def _weighted(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, ProductUsage.quantity), else_=0)), 0)


def usage_base(scope: Scope, include_hardware: bool) -> Any:
    """Usages of non-retired systems in ``scope`` joined to their product, system and unit."""
    stmt = (
        select()
        .select_from(ProductUsage)
        .join(Product, Product.id == ProductUsage.product_id)
        .join(System, System.id == ProductUsage.system_id)
        .join(Unit, Unit.id == System.owner_unit_id)
        .where(System.lifecycle != SystemLifecycle.RETIRED)
    )
    if not include_hardware:
        stmt = stmt.where(Product.product_class.in_(sorted(KEY_PRODUCT_CLASSES)))
    if not scope.everything:
        stmt = stmt.where(System.owner_unit_id.in_(scope.unit_ids or frozenset()))
    return stmt


def supply_chain_summary(
    session: Session,
    *,
    scope: Scope = ALL,
    group_by: str = "system",
    today: dt.date | None = None,
    within_days: int | None = None,
    include_hardware: bool = False,
    policy: Policy | None = None,
) -> list[SupplyFigure]:
    """Figures per system, unit or product class (one GROUP BY query); ``within_days`` defaults to
    the policy's ``evidence.expiring_warning_days``."""
    today = local_today(today)
    policy = policy or get_policy()
    days = within_days if within_days is not None else policy.days("evidence.expiring_warning_days")
    horizon = today + dt.timedelta(days=days)
    key, label = _group_columns(group_by)
    stmt = usage_base(scope, include_hardware).add_columns(
        key,
        label,
        func.sum(ProductUsage.quantity),
        _weighted(Product.controllability == Controllability.CONTROLLABLE),
        _weighted(Product.controllability == Controllability.PARTIAL),
        _weighted(Product.controllability == Controllability.UNCONTROLLABLE),
        _weighted(~has_evidence()),
        _weighted(Product.evidence_expiry < today),
        _weighted(and_(Product.evidence_expiry >= today, Product.evidence_expiry <= horizon)),
    )
    rows = session.execute(stmt.group_by(key, label).order_by(key)).all()
    return [_figure(group_by, row) for row in rows]


def _figure(group_by: str, row: Any) -> SupplyFigure:
    key, label, *numbers = row
    if group_by == "product_class":
        member = ProductClass(key)
        key, label = member.value, member.label
    items, ok, partial, bad, missing, expired, expiring = (int(n or 0) for n in numbers)
    return SupplyFigure(str(key), str(label), items, ok, partial, bad, missing, expired, expiring)


def county_total(figures: list[SupplyFigure]) -> SupplyFigure:
    fields = (
        "items",
        "controllable",
        "partial",
        "uncontrollable",
        "without_evidence",
        "evidence_expired",
        "evidence_expiring",
    )
    sums = {name: sum(getattr(f, name) for f in figures) for name in fields}
    return SupplyFigure(key="total", label="合计", **sums)


@dataclass(frozen=True)
class ProductGap:
    product_id: int
    product_class: str
    vendor: str
    model: str
    product_version: str
    evidence_reference: str
    evidence_expiry: dt.date | None
    items: int
    systems: int
    state: str

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["evidence_expiry"] = self.evidence_expiry.isoformat() if self.evidence_expiry else None
        return out


def evidence_gaps(
    session: Session,
    *,
    scope: Scope = ALL,
    today: dt.date | None = None,
    within_days: int | None = None,
    include_hardware: bool = False,
    policy: Policy | None = None,
) -> list[ProductGap]:
    """Products in use without evidence, with expired evidence, or expiring within N days."""
    today = local_today(today)
    policy = policy or get_policy()
    days = within_days if within_days is not None else policy.days("evidence.expiring_warning_days")
    horizon = today + dt.timedelta(days=days)
    state = case(
        (~has_evidence(), literal("missing")),
        (Product.evidence_expiry < today, literal("expired")),
        else_=literal("expiring"),
    )
    stmt = (
        usage_base(scope, include_hardware)
        .add_columns(
            Product.id,
            Product.product_class,
            Product.vendor,
            Product.model,
            Product.product_version,
            Product.evidence_reference,
            Product.evidence_expiry,
            func.sum(ProductUsage.quantity),
            func.count(func.distinct(ProductUsage.system_id)),
            state,
        )
        .where(or_(~has_evidence(), Product.evidence_expiry <= horizon))
        .group_by(Product.id)
        .order_by(Product.evidence_expiry, Product.id)
    )
    return [
        ProductGap(pid, ProductClass(pc).label, v, m, pv, ref, exp, int(items), int(n), st)
        for pid, pc, v, m, pv, ref, exp, items, n, st in session.execute(stmt)
    ]
