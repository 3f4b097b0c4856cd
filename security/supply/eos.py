"""Hosts and products running past (or close to) their end of support.

Hosts are matched against the policy's end-of-support table (``get_policy().eos_for``), which a
county extends in its policy file. Matching is by name, so it runs once per distinct
(os_name, os_version) pair counted by GROUP BY, not once per host; only the hosts of matching pairs
are then loaded. Products use their own ``end_of_support`` date, else the table by vendor and model.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select, tuple_
from sqlalchemy.orm import Session

from inventory.choices import HostLifecycle
from inventory.entities import hosts_in_scope
from inventory.models import Host, Product, ProductUsage, System
from security.response.dates import local_today
from taizhang.auth.principal import ALL, Scope
from taizhang.enums import LabeledEnum, register
from taizhang.policy import EosEntry, Policy, get_policy


@register
class SupportState(LabeledEnum):
    ENDED = "ended", "已停止支持"
    ENDING = "ending", "即将停止支持"


@dataclass(frozen=True)
class HostEos:
    host_id: int
    hostname: str
    unit_id: int | None
    os_name: str
    os_version: str
    product: str
    end_of_support: dt.date
    state: SupportState
    replacement_plan: str
    replacement_date: dt.date | None
    suggested_replacement: str
    source: str

    @property
    def has_plan(self) -> bool:
        return bool(self.replacement_plan)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(
            end_of_support=self.end_of_support.isoformat(),
            replacement_date=self.replacement_date.isoformat() if self.replacement_date else None,
            state=self.state.value,
            state_label=self.state.label,
            has_plan=self.has_plan,
        )
        return out


def host_eos_entry(policy: Policy, os_name: str, os_version: str) -> EosEntry | None:
    """The table entry for a host: by name and version, else by "name version" ("Windows Server 2012 R2")."""
    if not os_name:
        return None
    return policy.eos_for(os_name, os_version) or policy.eos_for(f"{os_name} {os_version}".strip())


def _state(end: dt.date, today: dt.date, horizon: dt.date) -> SupportState | None:
    if end < today:
        return SupportState.ENDED
    if end <= horizon:
        return SupportState.ENDING
    return None


def hosts_past_eos(
    session: Session,
    *,
    scope: Scope = ALL,
    today: dt.date | None = None,
    within_days: int | None = None,
    policy: Policy | None = None,
) -> list[HostEos]:
    """Active hosts whose OS support has ended, or ends within ``supply_chain.eos_warning_days``."""
    today = local_today(today)
    policy = policy or get_policy()
    days = within_days if within_days is not None else policy.days("supply_chain.eos_warning_days")
    horizon = today + dt.timedelta(days=days)
    active = Host.lifecycle == HostLifecycle.ACTIVE
    pairs = select(Host.os_name, Host.os_version, func.count()).where(active)
    if not scope.everything:
        pairs = pairs.where(hosts_in_scope(scope))
    matched: dict[tuple[str, str], tuple[EosEntry, SupportState]] = {}
    for os_name, os_version, _count in session.execute(pairs.group_by(Host.os_name, Host.os_version)):
        entry = host_eos_entry(policy, os_name, os_version)
        state = _state(entry.end_of_support, today, horizon) if entry else None
        if entry and state:
            matched[(os_name, os_version)] = (entry, state)
    if not matched:
        return []
    stmt = select(Host).where(active, tuple_(Host.os_name, Host.os_version).in_(list(matched)))
    if not scope.everything:
        stmt = stmt.where(hosts_in_scope(scope))
    out = []
    for host in session.execute(stmt.order_by(Host.hostname)).scalars():
        entry, state = matched[(host.os_name, host.os_version)]
        out.append(
            HostEos(
                host.id,
                host.hostname,
                host.unit_id,
                host.os_name,
                host.os_version,
                entry.product,
                entry.end_of_support,
                state,
                host.replacement_plan,
                host.replacement_date,
                entry.replacement,
                entry.source,
            )
        )
    return out


@dataclass(frozen=True)
class ProductEos:
    product_id: int
    vendor: str
    model: str
    product_version: str
    end_of_support: dt.date
    state: SupportState
    replacement_plan: str
    replacement_date: dt.date | None
    items: int
    systems: int

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(
            end_of_support=self.end_of_support.isoformat(),
            replacement_date=self.replacement_date.isoformat() if self.replacement_date else None,
            state=self.state.value,
            state_label=self.state.label,
        )
        return out


def products_past_eos(
    session: Session,
    *,
    scope: Scope = ALL,
    today: dt.date | None = None,
    within_days: int | None = None,
    policy: Policy | None = None,
) -> list[ProductEos]:
    """Products in use (by systems in scope) whose support has ended or ends soon."""
    today = local_today(today)
    policy = policy or get_policy()
    days = within_days if within_days is not None else policy.days("supply_chain.eos_warning_days")
    horizon = today + dt.timedelta(days=days)
    stmt = (
        select(Product, func.sum(ProductUsage.quantity), func.count(func.distinct(ProductUsage.system_id)))
        .join(ProductUsage, ProductUsage.product_id == Product.id)
        .join(System, System.id == ProductUsage.system_id)
        .group_by(Product.id)
        .order_by(Product.id)
    )
    if not scope.everything:
        stmt = stmt.where(System.owner_unit_id.in_(scope.unit_ids or frozenset()))
    stmt = stmt.where(or_(Product.end_of_support.is_(None), and_(Product.end_of_support <= horizon)))
    out = []
    for product, items, systems in session.execute(stmt):
        end = product.end_of_support
        if end is None:
            entry = policy.eos_for(
                f"{product.vendor} {product.model}", product.product_version
            ) or policy.eos_for(product.model, product.product_version)
            end = entry.end_of_support if entry else None
        state = _state(end, today, horizon) if end else None
        if end and state:
            out.append(
                ProductEos(
                    product.id,
                    product.vendor,
                    product.model,
                    product.product_version,
                    end,
                    state,
                    product.replacement_plan,
                    product.replacement_date,
                    int(items),
                    int(systems),
                )
            )
    return out
