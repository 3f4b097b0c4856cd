"""Read services the inventory pages need beyond plain CRUD: names for ids, a system's products."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inventory.entities import UNITS, systems_in_scope
from inventory.models import Product, ProductUsage, System, Unit
from taizhang import crud
from taizhang.auth.principal import ALL, Scope


def units(session: Session, scope: Scope = ALL) -> Sequence[Unit]:
    return session.execute(crud.list_query(UNITS, scope=scope)).scalars().all()


def unit_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(wanted))).all()
    return {uid: name for uid, name in rows}


def system_counts_by_unit(session: Session, scope: Scope = ALL) -> dict[int, int]:
    stmt = select(System.owner_unit_id, func.count()).group_by(System.owner_unit_id)
    if not scope.everything:
        stmt = stmt.where(systems_in_scope(scope))
    return {uid: int(n) for uid, n in session.execute(stmt).all()}


@dataclass(frozen=True)
class UsedProduct:
    usage_id: int
    quantity: int
    product: Product


def system_products(session: Session, system_id: int) -> list[UsedProduct]:
    stmt = (
        select(ProductUsage.id, ProductUsage.quantity, Product)
        .join(Product, Product.id == ProductUsage.product_id)
        .where(ProductUsage.system_id == system_id)
        .order_by(Product.product_class, Product.vendor, Product.model)
    )
    return [UsedProduct(uid, int(q), p) for uid, q, p in session.execute(stmt).all()]


def visible_systems(systems: Iterable[System], scope: Scope) -> list[System]:
    """Of a host's systems, those the principal may see (a shared host never leaks another unit's)."""
    return sorted(
        (s for s in systems if scope.allows_unit(s.owner_unit_id)), key=lambda s: s.catalogue_number
    )
