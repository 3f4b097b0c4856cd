"""Metric groups over the inventory. Labels are bounded: unit codes, enum values, levels."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily, Metric
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from exporters.prometheus.collector import metric_group
from inventory.choices import Controllability, HostLifecycle
from inventory.models import Host, Product, ProductUsage, System, Unit
from taizhang.policy import get_policy

NO_UNIT = "none"


def _unit_codes(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Unit.id, Unit.code)).all())


@metric_group("units")
def units(session: Session, now: dt.datetime) -> Iterable[Metric]:
    info = InfoMetricFamily(
        "taizhang_unit", "单位编码与名称的对照（供 Grafana 关联显示中文名称）", labels=["unit"]
    )
    for code, name, kind in session.execute(select(Unit.code, Unit.name, Unit.kind)):
        info.add_metric([code], {"name": name, "kind": kind.value})
    yield info


@metric_group("systems")
def systems(session: Session, now: dt.datetime) -> Iterable[Metric]:
    codes = _unit_codes(session)
    by_state = GaugeMetricFamily(
        "taizhang_systems",
        "信息系统数量，按单位、部署位置和生命周期",
        labels=["unit", "hosting", "lifecycle"],
    )
    rows = session.execute(
        select(System.owner_unit_id, System.hosting, System.lifecycle, func.count()).group_by(
            System.owner_unit_id, System.hosting, System.lifecycle
        )
    )
    for unit_id, hosting, lifecycle, count in rows:
        by_state.add_metric([codes.get(unit_id, NO_UNIT), hosting.value, lifecycle.value], count)
    yield by_state

    by_level = GaugeMetricFamily(
        "taizhang_systems_by_mlps_level",
        "信息系统数量，按单位和等保级别（none 为未定级）",
        labels=["unit", "level"],
    )
    level_rows = session.execute(
        select(System.owner_unit_id, System.mlps_level, func.count()).group_by(
            System.owner_unit_id, System.mlps_level
        )
    )
    for unit_id, level, count in level_rows:
        by_level.add_metric([codes.get(unit_id, NO_UNIT), str(level) if level else "none"], count)
    yield by_level


@metric_group("hosts")
def hosts(session: Session, now: dt.datetime) -> Iterable[Metric]:
    """Counts by unit, kind and lifecycle, and end of support: one GROUP BY for both.

    One row per (unit, kind, lifecycle, OS, version) with how many hosts and how many of them have a
    replacement plan; the end of support is matched in Python against the policy table, once per
    distinct OS and version.
    """
    codes = _unit_codes(session)
    policy = get_policy()
    today = now.date()
    planned = func.sum(case((Host.replacement_plan != "", 1), else_=0))
    keys = (Host.unit_id, Host.kind, Host.lifecycle, Host.os_name, Host.os_version)
    rows = session.execute(select(*keys, func.count(), planned).group_by(*keys))
    by_kind: dict[tuple[str, str, str], int] = defaultdict(int)
    past: dict[tuple[str, str], int] = defaultdict(int)
    ended: dict[tuple[str, str], bool] = {}
    for unit_id, kind, lifecycle, os_name, os_version, count, with_plan in rows:
        unit = codes.get(unit_id, NO_UNIT) if unit_id else NO_UNIT
        by_kind[(unit, kind.value, lifecycle.value)] += count
        if lifecycle is not HostLifecycle.ACTIVE or not os_name:
            continue
        if (os_name, os_version) not in ended:
            entry = policy.eos_for(os_name, os_version)
            ended[(os_name, os_version)] = entry is not None and entry.end_of_support < today
        if ended[(os_name, os_version)]:
            for has_plan, n in (("true", int(with_plan)), ("false", count - int(with_plan))):
                if n:
                    past[(unit, has_plan)] += n
    family = GaugeMetricFamily(
        "taizhang_hosts", "主机数量，按单位、类型和状态", labels=["unit", "kind", "lifecycle"]
    )
    for labels, count in by_kind.items():
        family.add_metric(list(labels), count)
    yield family
    eos = GaugeMetricFamily(
        "taizhang_hosts_past_end_of_support",
        "在用主机中操作系统已停止支持的数量，按单位及是否已有替代计划（第二十四、三十六条）",
        labels=["unit", "replacement_planned"],
    )
    for (unit, has_plan), count in sorted(past.items()):
        eos.add_metric([unit, has_plan], count)
    yield eos


@metric_group("supply_chain")
def supply_chain(session: Session, now: dt.datetime) -> Iterable[Metric]:
    codes = _unit_codes(session)
    controllable_qty = func.sum(
        case((Product.controllability == Controllability.CONTROLLABLE, ProductUsage.quantity), else_=0)
    )
    rows = session.execute(
        select(System.owner_unit_id, Product.product_class, controllable_qty, func.sum(ProductUsage.quantity))
        .join(ProductUsage, ProductUsage.product_id == Product.id)
        .join(System, System.id == ProductUsage.system_id)
        .group_by(System.owner_unit_id, Product.product_class)
    )
    ratio = GaugeMetricFamily(
        "taizhang_controllable_products_ratio",
        "自主可控产品占比（按使用数量加权，第二十四条 信创替代率），按单位和产品类别",
        labels=["unit", "product_class"],
    )
    items = GaugeMetricFamily(
        "taizhang_product_items",
        "各单位在用关键产品数量（按使用数量），按产品类别",
        labels=["unit", "product_class"],
    )
    for unit_id, product_class, controllable, total in rows:
        labels = [codes.get(unit_id, NO_UNIT), product_class.value]
        items.add_metric(labels, int(total or 0))
        ratio.add_metric(labels, (int(controllable or 0) / int(total)) if total else 0.0)
    yield ratio
    yield items
