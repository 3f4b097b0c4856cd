"""What the inventory plugs into the pages: nav entries, dashboard sections, panels, object types."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from inventory import stats, views
from inventory.choices import KEY_PRODUCT_CLASSES, BaseLibrary, Controllability, Hosting
from inventory.entities import (
    HOSTS,
    NETWORK_ATTACHMENTS,
    PRODUCT_USAGES,
    PROJECTS,
    RESOURCES,
    SYSTEMS,
    UNITS,
)
from inventory.models import Host, System
from taizhang import changelog_query
from taizhang.auth.principal import Principal
from taizhang.auth.roles import Permission
from taizhang.clock import china_today
from taizhang.listing import all_rows
from taizhang.web.objects import ObjectType, describe_entry, register_object_type
from taizhang.web.registry import (
    DashboardSection,
    NavEntry,
    Panel,
    register_dashboard_section,
    register_nav,
    register_panel,
)

MLPS_NAMES = {1: "第一级", 2: "第二级", 3: "第三级", 4: "第四级", 5: "第五级", None: "未定级"}


def today() -> dt.date:
    return china_today()


def bar(
    title: str,
    categories: list[str],
    series: list[tuple[str, list[int]]],
    *,
    horizontal: bool = False,
    stack: bool = False,
) -> dict[str, Any]:
    return {
        "kind": "bar",
        "title": title,
        "horizontal": horizontal,
        "stack": stack,
        "categories": categories,
        "series": [{"name": n, "data": d} for n, d in series],
        "table": {
            "columns": ["", *[n for n, _ in series]],
            "rows": [[c, *[d[i] for _, d in series]] for i, c in enumerate(categories)],
        },
    }


def pie(title: str, items: list[tuple[str, int]]) -> dict[str, Any]:
    return {
        "kind": "pie",
        "title": title,
        "data": [{"name": n, "value": v} for n, v in items],
        "table": {"columns": ["", "数量"], "rows": [[n, v] for n, v in items]},
    }


# ---------------------------------------------------------------- dashboard


def systems_section(session: Session, principal: Principal) -> dict[str, Any]:
    figures = stats.hosting(session, principal.scope)
    levels = stats.mlps_levels(session, principal.scope)
    units = stats.by_unit(session, principal.scope)[:15]
    graded = sum(n for level, n in levels.items() if level is not None)
    high = sum(n for level, n in levels.items() if level is not None and level >= 3)
    return {
        "tiles": [
            ("在建、运行系统", str(figures.total), ""),
            (
                "上云率",
                f"{figures.cloud_rate * 100:.1f}%" if figures.cloud_rate is not None else "—",
                "市级政务云 ÷ 在建、运行系统（第三十二、三十五条）",
            ),
            ("已上市级政务云", str(figures.counts[Hosting.CITY_CLOUD]), ""),
            ("已定级", str(graded), f"其中三级及以上 {high} 个"),
        ],
        "hosting_chart": pie("部署位置", [(h.label, n) for h, n in figures.counts.items()]),
        "mlps_chart": bar(
            "等保级别", [MLPS_NAMES.get(lv, str(lv)) for lv in levels], [("系统数", list(levels.values()))]
        ),
        "unit_chart": bar(
            "各单位系统与上云情况",
            [u.name.removeprefix("襄汾县") for u in reversed(units)],
            [
                ("已上云", [u.on_city_cloud for u in reversed(units)]),
                ("未上云", [u.systems - u.on_city_cloud for u in reversed(units)]),
            ],
            horizontal=True,
            stack=True,
        ),
        "units": units,
    }


def supply_chain_section(session: Session, principal: Principal) -> dict[str, Any]:
    classes = [
        c for c in stats.controllability(session, principal.scope) if c.product_class in KEY_PRODUCT_CLASSES
    ]
    total = sum(c.total for c in classes)
    controllable = sum(c.counts[Controllability.CONTROLLABLE] for c in classes)
    return {
        "rate": controllable / total if total else None,
        "total": total,
        "classes": classes,
        "chart": bar(
            "关键产品安全可控情况（按使用数量）",
            [c.product_class.label for c in classes],
            [(v.label, [c.counts[v] for c in classes]) for v in Controllability],
            stack=True,
        ),
    }


def hosts_section(session: Session, principal: Principal) -> dict[str, Any]:
    figures = stats.hosts_by_os(session, principal.scope)
    now = today()
    top = figures[:10]
    return {
        "total": sum(f.hosts for f in figures),
        "past_eos": stats.past_end_of_support(figures, now),
        "rows": top,
        "today": now,
        "chart": bar(
            "在用主机操作系统（前十）",
            [f.label for f in reversed(top)],
            [("主机数", [f.hosts for f in reversed(top)])],
            horizontal=True,
        ),
    }


# ---------------------------------------------------------------- system and host panels


def _no_data(session: Session, principal: Principal, obj: Any) -> dict[str, Any]:
    return {}


def basic_panel(session: Session, principal: Principal, system: System) -> dict[str, Any]:
    return {"libraries": {b.value: b.label for b in BaseLibrary}}


def networks_panel(session: Session, principal: Principal, system: System) -> dict[str, Any]:
    return {"rows": all_rows(session, NETWORK_ATTACHMENTS, filters={"system_id": system.id})}


def products_panel(session: Session, principal: Principal, system: System) -> dict[str, Any]:
    used = views.system_products(session, system.id)
    key = [u for u in used if u.product.product_class in KEY_PRODUCT_CLASSES]
    total = sum(u.quantity for u in key)
    good = sum(u.quantity for u in key if u.product.controllability is Controllability.CONTROLLABLE)
    return {"rows": used, "rate": good / total if total else None}


def hosts_panel(session: Session, principal: Principal, system: System) -> dict[str, Any]:
    rows = all_rows(session, HOSTS, scope=principal.scope, filters={"system_id": system.id})
    return {"rows": rows, "eos": eos_of_hosts(rows), "today": today()}


def projects_panel(session: Session, principal: Principal, system: System) -> dict[str, Any]:
    return {"rows": all_rows(session, PROJECTS, scope=principal.scope, filters={"system_id": system.id})}


def resources_panel(session: Session, principal: Principal, system: System) -> dict[str, Any]:
    return {"rows": all_rows(session, RESOURCES, filters={"system_id": system.id})}


def system_history_panel(session: Session, principal: Principal, system: System) -> dict[str, Any]:
    children = [
        ("inventory.networkattachment", NETWORK_ATTACHMENTS),
        ("inventory.productusage", PRODUCT_USAGES),
        ("inventory.resource", RESOURCES),
    ]
    objects: list[tuple[str, Sequence[int]]] = [("inventory.system", [system.id])]
    for object_type, entity in children:
        objects.append(
            (object_type, [r.id for r in all_rows(session, entity, filters={"system_id": system.id})])
        )
    entries = changelog_query.history_of(session, objects, limit=30)
    return {"entries": [describe_entry(e) for e in entries]}


def host_systems_panel(session: Session, principal: Principal, host: Host) -> dict[str, Any]:
    return {"rows": views.visible_systems(host.systems, principal.scope)}


def host_history_panel(session: Session, principal: Principal, host: Host) -> dict[str, Any]:
    entries = changelog_query.history_of(session, [("inventory.host", [host.id])], limit=30)
    return {"entries": [describe_entry(e) for e in entries]}


def eos_of_hosts(hosts: Sequence[Host]) -> dict[int, dt.date | None]:
    return {host.id: stats.end_of_support(host.os_name, host.os_version) for host in hosts}


def register() -> None:
    read = Permission.INVENTORY_READ
    register_nav(NavEntry("systems", "信息系统", "/systems", read, order=10))
    register_nav(NavEntry("hosts", "主机", "/hosts", read, order=50))
    register_nav(NavEntry("projects", "项目", "/projects", read, order=60))
    register_nav(NavEntry("units", "单位", "/units", read, order=70))

    register_dashboard_section(
        DashboardSection(
            "inventory.systems", "信息系统与上云", systems_section, "inventory/dash_systems.html", read, 10
        )
    )
    register_dashboard_section(
        DashboardSection(
            "inventory.supply_chain",
            "信创替代率",
            supply_chain_section,
            "inventory/dash_supply_chain.html",
            read,
            40,
        )
    )
    register_dashboard_section(
        DashboardSection(
            "inventory.hosts", "主机与操作系统", hosts_section, "inventory/dash_hosts.html", read, 50
        )
    )

    panels = [
        Panel("basic", "基本信息", basic_panel, "inventory/panels/system_basic.html", read, 10),
        Panel("hosting", "部署与上云", _no_data, "inventory/panels/system_hosting.html", read, 20),
        Panel("networks", "接入网络", networks_panel, "inventory/panels/system_networks.html", read, 30),
        Panel(
            "products", "产品与安全可控", products_panel, "inventory/panels/system_products.html", read, 40
        ),
        Panel("hosts", "承载主机", hosts_panel, "inventory/panels/system_hosts.html", read, 50),
        Panel("projects", "建设项目", projects_panel, "inventory/panels/system_projects.html", read, 60),
        Panel(
            "resources", "信息资源目录", resources_panel, "inventory/panels/system_resources.html", read, 70
        ),
        Panel(
            "history",
            "变更记录",
            system_history_panel,
            "inventory/panels/history.html",
            Permission.CHANGELOG_READ,
            900,
        ),
    ]
    for panel in panels:
        register_panel("system", panel)
    register_panel(
        "host",
        Panel(
            "systems", "承载的信息系统", host_systems_panel, "inventory/panels/host_systems.html", read, 20
        ),
    )
    register_panel(
        "host",
        Panel(
            "history",
            "变更记录",
            host_history_panel,
            "inventory/panels/history.html",
            Permission.CHANGELOG_READ,
            900,
        ),
    )

    for object_type, label, entity, url in [
        ("inventory.unit", "单位", UNITS, "/units"),
        ("inventory.system", "信息系统", SYSTEMS, "/systems/{id}"),
        ("inventory.host", "主机", HOSTS, "/hosts/{id}"),
        ("inventory.networkattachment", "网络接入", NETWORK_ATTACHMENTS, None),
        ("inventory.productusage", "产品使用", PRODUCT_USAGES, None),
        ("inventory.project", "项目", PROJECTS, "/projects/{id}"),
        ("inventory.resource", "信息资源", RESOURCES, None),
    ]:
        register_object_type(ObjectType(object_type, label, entity, url))
    from inventory.entities import PRODUCTS

    register_object_type(ObjectType("inventory.product", "产品", PRODUCTS, None))
