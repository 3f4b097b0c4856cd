"""The demo county's migration: four waves, plans in every state, exemptions, a two-edition catalogue.

Deterministic and idempotent: rows are found by their natural keys first, and the systems that get a
plan are chosen from the hosting they had *before* any demo plan moved them (a plan remembers it),
so a second run picks the same systems and changes nothing. Plans reach their state through the
state machine itself, so every move is recorded as it would be by a user.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inventory.choices import Classification, Hosting, SystemLifecycle
from inventory.models import System
from migration import service
from migration.choices import CloudServiceCategory as C
from migration.choices import PlanState as P
from migration.machine import MIGRATING
from migration.models import (
    Blocker,
    CatalogueItem,
    CatalogueVersion,
    Exemption,
    MigrationPlan,
    PlanTransition,
    Subscription,
    Wave,
)

WAVES = [
    ("第一批（2026年上半年）", dt.date(2026, 6, 30), "门户网站、信息发布等无状态系统"),
    ("第二批（2026年三季度）", dt.date(2026, 9, 30), "办公自动化与业务审批系统"),
    ("第三批（2026年四季度）", dt.date(2026, 12, 31), "数据共享与统计分析平台"),
    ("第四批（2027年上半年）", dt.date(2027, 6, 30), "行业云上的系统与依赖专用设备的系统"),
]

# The path each demo plan takes to its final state (through the machine, in order).
PATHS: dict[P, list[P]] = {
    P.PLANNED: [],
    P.ASSESSMENT: [P.ASSESSMENT],
    P.DESIGN: [P.ASSESSMENT, P.DESIGN],
    P.RESOURCES: [P.ASSESSMENT, P.DESIGN, P.RESOURCES],
    P.IMPLEMENTATION: [P.ASSESSMENT, P.DESIGN, P.RESOURCES, P.IMPLEMENTATION],
    P.CUTOVER: [P.ASSESSMENT, P.DESIGN, P.RESOURCES, P.IMPLEMENTATION, P.CUTOVER],
    P.VERIFICATION: [P.ASSESSMENT, P.DESIGN, P.RESOURCES, P.IMPLEMENTATION, P.CUTOVER, P.VERIFICATION],
    P.DECOMMISSION: [
        *[P.ASSESSMENT, P.DESIGN, P.RESOURCES, P.IMPLEMENTATION, P.CUTOVER, P.VERIFICATION],
        P.DECOMMISSION,
    ],
    P.DONE: [
        *[P.ASSESSMENT, P.DESIGN, P.RESOURCES, P.IMPLEMENTATION, P.CUTOVER, P.VERIFICATION],
        *[P.DECOMMISSION, P.DONE],
    ],
    P.ON_HOLD: [P.ASSESSMENT, P.DESIGN, P.ON_HOLD],
    P.CANCELLED: [P.ASSESSMENT, P.CANCELLED],
}
NOTES = {
    P.ON_HOLD: "等待财政资金批复",
    P.CANCELLED: "系统将并入县政务服务平台，不再单独迁移",
}
# Plans whose system already ran in migration start in a state where the system is migrating.
MIGRATING_STATES = [s for s in PATHS if s in MIGRATING]
OTHER_STATES = [
    P.PLANNED,
    P.ASSESSMENT,
    P.DONE,
    P.DESIGN,
    P.RESOURCES,
    P.ON_HOLD,
    P.IMPLEMENTATION,
    P.CANCELLED,
]
OWNERS = ["张伟", "王芳", "李强", "赵敏", "刘洋", "陈静"]

CATALOGUE = [
    ("2024版", dt.date(2024, 1, 1), "临汾市市级政务云平台服务目录（2024版）"),
    ("2026版", dt.date(2026, 1, 1), "临汾市市级政务云平台服务目录（2026版）"),
]
# (code, name, category, specs, unit, editions it is in)
ITEMS: list[tuple[str, str, C, dict[str, str], str, tuple[str, ...]]] = [
    (
        "ECS-4C8G",
        "通用型云主机 4核8G",
        C.COMPUTE,
        {"vCPU": "4", "内存": "8GB", "CPU": "海光/鲲鹏"},
        "台",
        ("2024版", "2026版"),
    ),
    (
        "ECS-8C16G",
        "通用型云主机 8核16G",
        C.COMPUTE,
        {"vCPU": "8", "内存": "16GB", "CPU": "海光/鲲鹏"},
        "台",
        ("2024版", "2026版"),
    ),
    (
        "RDS-DM8",
        "云数据库 达梦 DM8",
        C.DATABASE,
        {"引擎": "达梦 DM8", "规格": "4核16G", "存储": "500GB"},
        "实例",
        ("2024版", "2026版"),
    ),
    (
        "RDS-KES",
        "云数据库 人大金仓 KES",
        C.DATABASE,
        {"引擎": "KingbaseES V9", "规格": "4核16G"},
        "实例",
        ("2026版",),
    ),
    (
        "RDS-MYSQL57",
        "云数据库 MySQL 5.7",
        C.DATABASE,
        {"引擎": "MySQL 5.7", "规格": "4核8G"},
        "实例",
        ("2024版",),
    ),
    ("OSS-STD", "对象存储 标准型", C.OBJECT_STORAGE, {"冗余": "三副本"}, "TB", ("2024版", "2026版")),
    ("SLB-STD", "负载均衡 标准型", C.LOAD_BALANCER, {"并发连接": "5万"}, "个", ("2024版", "2026版")),
    ("SEC-WAF", "云安全服务 Web应用防火墙", C.SECURITY, {"防护域名": "10个"}, "套", ("2024版", "2026版")),
    ("SEC-HIDS", "云安全服务 主机安全", C.SECURITY, {"防护": "入侵检测、基线核查"}, "台", ("2026版",)),
    ("BAK-STD", "云备份", C.BACKUP, {"保留": "30天"}, "TB", ("2026版",)),
]
EXEMPTIONS = [
    ("依赖本地专用加密设备与专网链路，市级政务云暂不具备接入条件", dt.date(2026, 3, 1), dt.date(2027, 2, 28)),
    ("工业控制类采集系统，须与现场设备同机房部署", dt.date(2026, 5, 10), dt.date(2027, 5, 9)),
    ("系统计划于2027年整合至省级平台，暂缓上云", dt.date(2026, 1, 15), dt.date(2026, 12, 31)),
    ("原定年内完成改造后上云，豁免已到期", dt.date(2025, 7, 1), dt.date(2026, 6, 30)),  # expired
]


def _get_or_create(session: Session, model: type[Any], key: dict[str, Any], values: dict[str, Any]) -> Any:
    stmt = select(model)
    for column, value in key.items():
        stmt = stmt.where(getattr(model, column) == value)
    obj = session.execute(stmt).scalar_one_or_none()
    if obj is None:
        obj = model(**key, **values)
        session.add(obj)
        session.flush()
    return obj


def _candidates(session: Session) -> list[tuple[System, Hosting, MigrationPlan | None]]:
    """Non-city-cloud systems in scope, by the hosting they had before any demo plan moved them."""
    plans = {p.system_id: p for p in session.execute(select(MigrationPlan)).scalars()}
    stmt = (
        select(System)
        .where(
            System.classification != Classification.CLASSIFIED, System.lifecycle != SystemLifecycle.RETIRED
        )
        .order_by(System.catalogue_number)
    )
    out: list[tuple[System, Hosting, MigrationPlan | None]] = []
    for system in session.execute(stmt).scalars():
        plan = plans.get(system.id)
        before = plan.original_hosting if plan is not None else system.hosting
        if before is not Hosting.CITY_CLOUD:
            out.append((system, before, plan))
    return out


def _drive(session: Session, plan: MigrationPlan, target: P, start: dt.date) -> None:
    at = dt.datetime.combine(start, dt.time(9, 30), tzinfo=service.LOCAL_TZ)
    for n, step in enumerate(PATHS[target]):
        moment = at + dt.timedelta(days=9 * n)
        service.advance(
            session, plan, to=step, note=NOTES.get(step, f"进入{step.label}"), actor="demo", at=moment
        )


def _load_plans(session: Session, waves: list[Wave]) -> tuple[list[MigrationPlan], list[System]]:
    """About half the non-city-cloud systems get a plan; the others stay unplanned."""
    plans: list[MigrationPlan] = []
    unplanned: list[System] = []
    migrating_n = other_n = 0
    for index, (system, before, plan) in enumerate(_candidates(session)):
        if plan is None and before is not Hosting.MIGRATING and index % 2 == 1:
            unplanned.append(system)
            continue
        if plan is None:
            if before is Hosting.MIGRATING:
                target = MIGRATING_STATES[migrating_n % len(MIGRATING_STATES)]
                migrating_n += 1
            else:
                target = OTHER_STATES[other_n % len(OTHER_STATES)]
                other_n += 1
            n = len(plans)
            wave = waves[n % len(waves)]
            cutover = wave.target_date - dt.timedelta(days=7 * (n % 5))
            start = cutover - dt.timedelta(days=120)
            plan = MigrationPlan(
                system=system,
                wave_id=wave.id,
                owner=OWNERS[n % len(OWNERS)],
                planned_start=start,
                planned_cutover=cutover,
                original_hosting=before,
                state=P.PLANNED,
            )
            session.add(plan)
            session.flush()
            if before is Hosting.MIGRATING:
                # The inventory already shows it migrating; the plan starts from where it came from.
                plan.original_hosting = Hosting.LEGACY
                system.hosting = Hosting.LEGACY
            _drive(session, plan, target, start)
        plans.append(plan)
    return plans, unplanned


def _load_blockers(session: Session, plans: list[MigrationPlan]) -> int:
    open_plans = [p for p in plans if p.state in (P.RESOURCES, P.ON_HOLD, P.IMPLEMENTATION)][:6]
    for n, plan in enumerate(open_plans):
        _get_or_create(
            session,
            Blocker,
            {
                "plan_id": plan.id,
                "description": ["市级政务云资源配额待审批", "原厂商停止服务，数据导出方案待定"][n % 2],
            },
            {
                "owner": OWNERS[(n + 2) % len(OWNERS)],
                "due_date": dt.date(2026, 10, 15) + dt.timedelta(days=30 * n),
                "resolved_on": dt.date(2026, 11, 2) if n == 0 else None,
                "resolution": "已获批 16 核 64G 配额" if n == 0 else "",
            },
        )
    return len(open_plans)


def _load_exemptions(session: Session, unplanned: list[System]) -> int:
    chosen = unplanned[-len(EXEMPTIONS) :]
    for n, ((reason, approved, expires), system) in enumerate(zip(EXEMPTIONS, chosen, strict=False)):
        _get_or_create(
            session,
            Exemption,
            {"system_id": system.id, "approval_reference": f"襄政信批〔{approved.year}〕{n + 11}号"},
            {
                "reason": reason,
                "approver": "县政务信息管理局",
                "approved_on": approved,
                "expires_on": expires,
            },
        )
    return len(chosen)


def _load_catalogue(session: Session) -> dict[tuple[str, str], CatalogueItem]:
    versions = {
        name: _get_or_create(
            session, CatalogueVersion, {"name": name}, {"effective_from": day, "source_document": doc}
        )
        for name, day, doc in CATALOGUE
    }
    items = {}
    for code, name, category, specs, unit, editions in ITEMS:
        for edition in editions:
            items[(edition, code)] = _get_or_create(
                session,
                CatalogueItem,
                {"catalogue_version_id": versions[edition].id, "code": code},
                {"name": name, "category": category, "specs": specs, "unit_of_measure": unit},
            )
    return items


def _load_subscriptions(session: Session, items: dict[tuple[str, str], CatalogueItem]) -> int:
    on_cloud = session.execute(
        select(System).where(System.hosting == Hosting.CITY_CLOUD).order_by(System.catalogue_number)
    ).scalars()
    count = 0
    for n, system in enumerate(on_cloud):
        wanted = [("ECS-4C8G" if n % 3 else "ECS-8C16G", 2 + n % 3), ("RDS-DM8" if n % 2 else "RDS-KES", 1)]
        if n % 4 == 0:
            wanted.append(("SEC-WAF", 1))
        for code, quantity in wanted:
            _get_or_create(
                session,
                Subscription,
                {"system_id": system.id, "item_id": items[("2026版", code)].id},
                {"quantity": quantity, "since": dt.date(2026, 1, 1) + dt.timedelta(days=5 * n)},
            )
            count += 1
        if n == 0:  # an old edition's item kept under an approved exception
            _get_or_create(
                session,
                Subscription,
                {"system_id": system.id, "item_id": items[("2024版", "RDS-MYSQL57")].id},
                {
                    "quantity": 1,
                    "since": dt.date(2024, 6, 1),
                    "approved_exception": True,
                    "exception_reference": "襄政信批〔2026〕3号",
                    "note": "原有业务依赖 MySQL 5.7，2027 年前改造至国产数据库",
                },
            )
            count += 1
    return count


def load_demo(session: Session) -> dict[str, int]:
    """Load (or find) the demo county's migration data; returns counts by Chinese label."""
    waves = [
        _get_or_create(session, Wave, {"name": name}, {"target_date": day, "description": text})
        for name, day, text in WAVES
    ]
    plans, unplanned = _load_plans(session, waves)
    counts = {
        "迁移批次": len(waves),
        "迁移计划": len(plans),
        "迁移阻碍": _load_blockers(session, plans),
        "上云豁免": _load_exemptions(session, unplanned),
    }
    items = _load_catalogue(session)
    counts["云服务目录条目"] = len(items)
    counts["云服务订购"] = _load_subscriptions(session, items)
    counts["状态变更记录"] = session.execute(select(func.count()).select_from(PlanTransition)).scalar_one()
    return counts
