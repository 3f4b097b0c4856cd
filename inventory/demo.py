"""The demo county: 襄汾县 with about 20 units, 150 systems, 800 hosts, 300 products, 40 projects.

Deterministic (a fixed seed) and idempotent: every row is found by its natural key first, so running
it twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from inventory.choices import (
    BaseLibrary,
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
from inventory.models import Host, NetworkAttachment, Product, ProductUsage, Project, Resource, System, Unit

SEED = 20220125  # the day 襄政办发〔2022〕2号 was printed

# (code, name, kind, domain words used to name its systems)
UNITS: list[tuple[str, str, UnitKind, str]] = [
    ("XF001", "襄汾县政务信息管理局", UnitKind.COUNTY_DEPARTMENT, "政务服务"),
    ("XF002", "襄汾县财政局", UnitKind.COUNTY_DEPARTMENT, "财政"),
    ("XF003", "襄汾县发展和改革局", UnitKind.COUNTY_DEPARTMENT, "发展改革"),
    ("XF004", "襄汾县教育科技局", UnitKind.COUNTY_DEPARTMENT, "教育"),
    ("XF005", "襄汾县民政局", UnitKind.COUNTY_DEPARTMENT, "民政"),
    ("XF006", "襄汾县人力资源和社会保障局", UnitKind.COUNTY_DEPARTMENT, "社保"),
    ("XF007", "襄汾县自然资源局", UnitKind.COUNTY_DEPARTMENT, "自然资源"),
    ("XF008", "襄汾县生态环境分局", UnitKind.COUNTY_DEPARTMENT, "生态环境"),
    ("XF009", "襄汾县住房和城乡建设管理局", UnitKind.COUNTY_DEPARTMENT, "住建"),
    ("XF010", "襄汾县交通运输局", UnitKind.COUNTY_DEPARTMENT, "交通"),
    ("XF011", "襄汾县水利局", UnitKind.COUNTY_DEPARTMENT, "水利"),
    ("XF012", "襄汾县农业农村局", UnitKind.COUNTY_DEPARTMENT, "农业农村"),
    ("XF013", "襄汾县卫生健康和体育局", UnitKind.COUNTY_DEPARTMENT, "卫生健康"),
    ("XF014", "襄汾县应急管理局", UnitKind.COUNTY_DEPARTMENT, "应急"),
    ("XF015", "襄汾县市场监督管理局", UnitKind.COUNTY_DEPARTMENT, "市场监管"),
    ("XF016", "襄汾县医疗保障局", UnitKind.COUNTY_DEPARTMENT, "医保"),
    ("XF017", "襄汾县行政审批服务管理局", UnitKind.COUNTY_DEPARTMENT, "行政审批"),
    ("XF018", "襄汾县统计局", UnitKind.COUNTY_DEPARTMENT, "统计"),
    ("XF019", "襄汾经济技术开发区管理委员会", UnitKind.DEVELOPMENT_ZONE, "开发区"),
    ("XF020", "襄汾县新城镇人民政府", UnitKind.TOWNSHIP, "新城镇"),
    ("XF021", "襄汾县汾城镇人民政府", UnitKind.TOWNSHIP, "汾城镇"),
]

SYSTEM_KINDS = [
    "综合业务管理系统",
    "数据共享交换平台",
    "门户网站",
    "办公自动化系统",
    "业务审批系统",
    "档案管理系统",
    "视频监控平台",
    "统计分析平台",
    "移动服务平台",
    "信息发布系统",
    "电子证照系统",
    "监管执法系统",
]
PURPOSES = [
    "支撑日常业务办理",
    "面向群众提供在线服务",
    "汇聚共享业务数据",
    "内部办公与协同",
    "监督管理与执法",
]

OS_CHOICES: list[tuple[str, str, CpuArch]] = [
    ("CentOS Linux", "7.9.2009", CpuArch.X86_64),
    ("CentOS Linux", "7.6.1810", CpuArch.X86_64),
    ("Windows Server", "2012 R2", CpuArch.X86_64),
    ("Windows Server", "2016", CpuArch.X86_64),
    ("银河麒麟高级服务器操作系统", "V10 SP3", CpuArch.AARCH64),
    ("银河麒麟高级服务器操作系统", "V10 SP2", CpuArch.X86_64),
    ("统信服务器操作系统", "V20 1070", CpuArch.AARCH64),
    ("openEuler", "22.03 LTS SP3", CpuArch.AARCH64),
    ("Ubuntu", "18.04", CpuArch.X86_64),
    ("Red Hat Enterprise Linux", "7.9", CpuArch.X86_64),
]

PRODUCT_CATALOGUE: list[tuple[ProductClass, str, list[tuple[str, str, Controllability]]]] = [
    (
        ProductClass.SECURITY_DEVICE,
        "防火墙",
        [
            ("华为", "USG6000E", Controllability.CONTROLLABLE),
            ("奇安信", "NSG5000", Controllability.CONTROLLABLE),
            ("Fortinet", "FortiGate-200F", Controllability.UNCONTROLLABLE),
        ],
    ),
    (
        ProductClass.SECURITY_DEVICE,
        "堡垒机",
        [
            ("安恒信息", "明御运维审计", Controllability.CONTROLLABLE),
            ("齐治科技", "ShtermA", Controllability.CONTROLLABLE),
        ],
    ),
    (
        ProductClass.SECURITY_DEVICE,
        "日志审计",
        [
            ("启明星辰", "天玥日志审计", Controllability.CONTROLLABLE),
            ("Splunk", "Enterprise", Controllability.UNCONTROLLABLE),
        ],
    ),
    (
        ProductClass.SECURITY_DEVICE,
        "服务器密码机",
        [
            ("三未信安", "SJJ1012", Controllability.CONTROLLABLE),
            ("渔翁信息", "SJJ1528", Controllability.CONTROLLABLE),
        ],
    ),
    (
        ProductClass.CORE_NETWORK,
        "交换机",
        [
            ("华为", "CE6881", Controllability.CONTROLLABLE),
            ("新华三", "S6850", Controllability.PARTIAL),
            ("Cisco", "Catalyst 9300", Controllability.UNCONTROLLABLE),
        ],
    ),
    (
        ProductClass.CORE_NETWORK,
        "路由器",
        [("华为", "NE40E", Controllability.CONTROLLABLE), ("锐捷", "RSR7716", Controllability.CONTROLLABLE)],
    ),
    (
        ProductClass.BASE_SOFTWARE,
        "数据库",
        [
            ("达梦", "DM8", Controllability.CONTROLLABLE),
            ("人大金仓", "KingbaseES V8", Controllability.CONTROLLABLE),
            ("Oracle", "Database 11g", Controllability.UNCONTROLLABLE),
            ("MySQL", "Community 5.7", Controllability.UNCONTROLLABLE),
        ],
    ),
    (
        ProductClass.BASE_SOFTWARE,
        "中间件",
        [
            ("东方通", "TongWeb 7", Controllability.CONTROLLABLE),
            ("宝兰德", "BES 9.5", Controllability.CONTROLLABLE),
            ("Oracle", "WebLogic 12c", Controllability.UNCONTROLLABLE),
        ],
    ),
    (
        ProductClass.SYSTEM_SOFTWARE,
        "操作系统",
        [
            ("麒麟软件", "银河麒麟 V10", Controllability.CONTROLLABLE),
            ("统信软件", "UOS V20", Controllability.CONTROLLABLE),
            ("Microsoft", "Windows Server 2012 R2", Controllability.UNCONTROLLABLE),
            ("CentOS", "CentOS 7", Controllability.UNCONTROLLABLE),
        ],
    ),
    (
        ProductClass.SYSTEM_SOFTWARE,
        "虚拟化平台",
        [
            ("华为", "FusionCompute 8", Controllability.CONTROLLABLE),
            ("VMware", "vSphere 6.7", Controllability.UNCONTROLLABLE),
        ],
    ),
    (
        ProductClass.APPLICATION,
        "办公软件",
        [
            ("金山办公", "WPS Office 2023", Controllability.CONTROLLABLE),
            ("永中软件", "永中Office 2022", Controllability.CONTROLLABLE),
        ],
    ),
    (
        ProductClass.APPLICATION,
        "业务应用",
        [
            ("山西云时代", "政务应用定制开发", Controllability.CONTROLLABLE),
            ("浪潮软件", "政务服务平台", Controllability.PARTIAL),
        ],
    ),
    (
        ProductClass.HARDWARE,
        "服务器",
        [
            ("华为", "TaiShan 200", Controllability.CONTROLLABLE),
            ("中科曙光", "I620-G30", Controllability.CONTROLLABLE),
            ("Dell", "PowerEdge R740", Controllability.UNCONTROLLABLE),
        ],
    ),
    (
        ProductClass.HARDWARE,
        "CPU",
        [
            ("海光", "7285", Controllability.CONTROLLABLE),
            ("飞腾", "FT-2000+/64", Controllability.CONTROLLABLE),
            ("Intel", "Xeon Silver 4214", Controllability.UNCONTROLLABLE),
        ],
    ),
]
PRODUCT_VERSIONS = ["2018", "2019", "2020", "2021", "2022", "2023", "2024", "2025"]

LOCATIONS = ["县政务信息中心机房", "县财政局机房", "市级政务云（临汾）", "行业云（省级）", "单位自建机房"]


def _get_or_create(session: Session, model: type[Any], key: dict[str, Any], values: dict[str, Any]) -> Any:
    stmt = select(model)
    for column, value in key.items():
        stmt = stmt.where(getattr(model, column) == value)
    obj = session.execute(stmt).scalar_one_or_none()
    if obj is None:
        obj = model(**key, **values)
        session.add(obj)
    return obj


def _load_units(session: Session) -> list[Unit]:
    units = [
        _get_or_create(
            session,
            Unit,
            {"code": code},
            {"name": name, "kind": kind, "contact_person": "联络员", "contact_phone": "0357-3850000"},
        )
        for code, name, kind, _ in UNITS
    ]
    session.flush()
    return units


def _load_systems(session: Session, rng: random.Random, units: list[Unit]) -> list[System]:
    systems: list[System] = []
    libraries = list(BaseLibrary)
    for unit_index, unit in enumerate(units):
        domain = UNITS[unit_index][3]
        count = 6 + (unit_index % 3)  # 21 units x 6..8 = 147
        kinds = rng.sample(SYSTEM_KINDS, count)
        for n, kind in enumerate(kinds, start=1):
            lifecycle = rng.choices(list(SystemLifecycle), weights=[5, 10, 80, 5])[0]
            level = rng.choices([None, 1, 2, 3, 4], weights=[8, 5, 55, 30, 2])[0]
            hosting = rng.choices(list(Hosting), weights=[45, 12, 13, 30])[0]
            go_live = dt.date(2012, 1, 1) + dt.timedelta(days=rng.randrange(0, 4700))
            values = {
                "name": f"{domain}{kind}",
                "owner_unit_id": unit.id,
                "purpose": rng.choice(PURPOSES),
                "lifecycle": lifecycle,
                "go_live_date": None
                if lifecycle in (SystemLifecycle.PLANNING, SystemLifecycle.BUILDING)
                else go_live,
                "mlps_level": level,
                "critical_infrastructure": level is not None and level >= 3 and rng.random() < 0.2,
                "data_sharing": rng.choices(list(DataSharing), weights=[50, 20, 10, 20])[0],
                "base_libraries_fed": sorted(rng.sample(libraries, rng.randrange(0, 3)), key=libraries.index),
                "base_libraries_used": sorted(
                    rng.sample(libraries, rng.randrange(0, 3)), key=libraries.index
                ),
                "hosting": hosting,
                "needs_crypto_assessment": True,
            }
            systems.append(
                _get_or_create(session, System, {"catalogue_number": f"XF-{unit.code[2:]}-{n:03d}"}, values)
            )
    session.flush()
    return systems


def _load_networks(session: Session, rng: random.Random, systems: list[System]) -> int:
    count = 0
    for system in systems:
        networks = [Network.EXTRANET] + ([Network.INTERNET] if rng.random() < 0.35 else [])
        for network in networks:
            _get_or_create(
                session, NetworkAttachment, {"system_id": system.id, "network": network, "name": ""}, {}
            )
            count += 1
        if rng.random() < 0.12:
            approved = rng.random() < 0.7
            _get_or_create(
                session,
                NetworkAttachment,
                {"system_id": system.id, "network": Network.PRIVATE, "name": "行业业务专网"},
                {
                    "approval_reference": f"襄政信函〔{rng.randrange(2019, 2026)}〕{rng.randrange(1, 60)}号"
                    if approved
                    else None,
                    "approval_date": dt.date(2021, 3, 1) + dt.timedelta(days=rng.randrange(0, 1200))
                    if approved
                    else None,
                },
            )
            count += 1
    return count


def _load_products(session: Session, rng: random.Random) -> list[Product]:
    products: list[Product] = []
    for product_class, category, models in PRODUCT_CATALOGUE:
        for vendor, model, controllability in models:
            for version in PRODUCT_VERSIONS:
                has_evidence = controllability is not Controllability.UNCONTROLLABLE and rng.random() < 0.85
                values = {
                    "product_class": product_class,
                    "category": category,
                    "controllability": controllability,
                    "cpu_arch": rng.choice([CpuArch.X86_64, CpuArch.AARCH64])
                    if product_class in (ProductClass.HARDWARE, ProductClass.SECURITY_DEVICE)
                    else None,
                    "evidence_reference": f"安可测评-{rng.randrange(10000, 99999)}" if has_evidence else "",
                    "evidence_expiry": dt.date(2025, 6, 1) + dt.timedelta(days=rng.randrange(0, 1100))
                    if has_evidence
                    else None,
                    "end_of_support": dt.date(2024, 6, 30) if model == "CentOS 7" else None,
                    "replacement_plan": "替换为银河麒麟 V10"
                    if model == "CentOS 7" and rng.random() < 0.5
                    else "",
                }
                products.append(
                    _get_or_create(
                        session,
                        Product,
                        {"vendor": vendor, "model": model, "product_version": version},
                        values,
                    )
                )
    session.flush()
    return products


def _load_usages(session: Session, rng: random.Random, systems: list[System], products: list[Product]) -> int:
    count = 0
    for system in systems:
        for product in rng.sample(products, rng.randrange(2, 6)):
            _get_or_create(
                session,
                ProductUsage,
                {"system_id": system.id, "product_id": product.id},
                {"quantity": rng.randrange(1, 8)},
            )
            count += 1
    session.flush()
    return count


def _load_hosts(session: Session, rng: random.Random, systems: list[System]) -> int:
    existing = {
        h.hostname: h for h in session.execute(select(Host).options(selectinload(Host.systems))).scalars()
    }
    count = 0
    for index in range(800):
        system = systems[index % len(systems)]
        hostname = f"xf-{system.catalogue_number[3:].lower()}-{index // len(systems) + 1:02d}"
        if hostname in existing:
            count += 1
            continue
        os_name, os_version, arch = rng.choice(OS_CHOICES)
        kind = {Hosting.CITY_CLOUD: HostKind.CLOUD, Hosting.INDUSTRY_CLOUD: HostKind.CLOUD}.get(
            system.hosting, rng.choice([HostKind.PHYSICAL, HostKind.VIRTUAL])
        )
        host = Host(
            hostname=hostname,
            kind=kind,
            ip_addresses=[f"10.{20 + index // 250}.{(index // 50) % 5 + 1}.{index % 250 + 2}"],
            os_name=os_name,
            os_version=os_version,
            cpu_arch=arch,
            location=LOCATIONS[list(Hosting).index(system.hosting) % len(LOCATIONS)]
            if system.hosting is not Hosting.LEGACY
            else rng.choice([LOCATIONS[0], LOCATIONS[1], LOCATIONS[4]]),
            role=rng.choice(["web", "app", "db"]),
            unit_id=system.owner_unit_id,
            lifecycle=HostLifecycle.RETIRED if rng.random() < 0.03 else HostLifecycle.ACTIVE,
            replacement_plan="迁移至 openEuler 22.03"
            if os_name == "CentOS Linux" and rng.random() < 0.4
            else "",
            systems=[system],
        )
        session.add(host)
        count += 1
    session.flush()
    return count


def _load_projects(session: Session, rng: random.Random, units: list[Unit], systems: list[System]) -> int:
    by_unit: dict[int, list[System]] = {}
    for system in systems:
        by_unit.setdefault(system.owner_unit_id, []).append(system)
    existing = {p.name for p in session.execute(select(Project)).scalars()}
    count = 0
    for index in range(40):
        unit = units[index % len(units)]
        kind = list(ProjectKind)[index % len(ProjectKind)]
        year = 2021 + index % 5
        name = f"{UNITS[index % len(units)][3]}信息化{kind.label}项目（{year}年）"
        approved = dt.date(year, rng.randrange(2, 10), rng.randrange(1, 28))
        signed = approved + dt.timedelta(days=rng.randrange(20, 120))
        filed_delay = rng.choice([2, 3, 5, 6, 12, None])
        accepted = signed + dt.timedelta(days=rng.randrange(150, 500))
        finished = accepted < dt.date(2026, 10, 1)
        total = Decimal(rng.randrange(20, 600) * 10000)
        first = (total * Decimal("0.6")).quantize(Decimal("0.01"))
        project = Project(
            name=name,
            implementing_unit_id=unit.id,
            kind=kind,
            total_budget=total,
            yearly_budgets={str(year): str(first), str(year + 1): str(total - first)},
            contractor=rng.choice(["山西云时代技术有限公司", "临汾市信息产业有限公司", "中国电信临汾分公司"]),
            supervision_unit=rng.choice(["山西省信息工程监理公司", ""]),
            construction_started_on=signed + dt.timedelta(days=7)
            if rng.random() < 0.9
            else approved - dt.timedelta(days=30),
            approved_on=approved,
            budget_reviewed_on=approved - dt.timedelta(days=rng.randrange(10, 40)),
            contract_signed_on=signed,
            contract_filed_on=signed + dt.timedelta(days=filed_delay) if filed_delay else None,
            supervision_filed_on=signed + dt.timedelta(days=10) if rng.random() < 0.7 else None,
            accepted_on=accepted if finished else None,
            acceptance_report_filed_on=accepted + dt.timedelta(days=rng.choice([10, 25, 60]))
            if finished and rng.random() < 0.8
            else None,
            controllability_checked=finished and rng.random() < 0.75,
            self_evaluations={
                str(y): f"{y + 1}-03-{rng.randrange(10, 31)}" for y in range(year, 2025) if rng.random() < 0.8
            },
            systems=rng.sample(by_unit.get(unit.id, []), min(2, len(by_unit.get(unit.id, [])))),
        )
        count += 1
        if name not in existing:  # the random draws above happen either way, so reruns match
            session.add(project)
    session.flush()
    return count


def _load_resources(session: Session, rng: random.Random, systems: list[System]) -> int:
    count = 0
    for system in systems[::2]:
        for suffix in ("基础信息", "业务办理记录"):
            sharing = rng.choice(list(SharingAttr))
            _get_or_create(
                session,
                Resource,
                {"system_id": system.id, "name": f"{system.name}{suffix}"},
                {
                    "owner_unit_id": system.owner_unit_id,
                    "format": rng.choice(list(ResourceFormat)),
                    "update_cycle": rng.choice(list(UpdateCycle)),
                    "sharing": sharing,
                    "sharing_condition": ""
                    if sharing is SharingAttr.UNCONDITIONAL
                    else "依据《政务信息资源共享管理暂行办法》",
                    "openness": rng.choice(list(OpennessAttr)),
                    "data_owner": "业务科室",
                    "data_checker": "信息中心",
                    "registered_on_platform": rng.random() < 0.6,
                },
            )
            count += 1
    session.flush()
    return count


def load_inventory(session: Session) -> dict[str, int]:
    rng = random.Random(SEED)
    units = _load_units(session)
    systems = _load_systems(session, rng, units)
    counts = {"单位": len(units), "信息系统": len(systems)}
    counts["网络接入"] = _load_networks(session, rng, systems)
    products = _load_products(session, rng)
    counts["产品"] = len(products)
    counts["产品使用"] = _load_usages(session, rng, systems, products)
    counts["主机"] = _load_hosts(session, rng, systems)
    counts["项目"] = _load_projects(session, rng, units, systems)
    counts["信息资源"] = _load_resources(session, rng, systems)
    edu = next(u for u in units if u.code == "XF004")
    _uncatalogued_workloads(session, edu.id)
    return counts


def load_demo(session: Session) -> dict[str, Any]:
    counts = load_inventory(session)
    users = load_demo_users(session)
    return {"counts": counts, "users": users}


DEMO_PASSWORD = "Demo@2026!"


def load_demo_users(session: Session) -> list[dict[str, str]]:
    from taizhang.auth import service
    from taizhang.auth.models import User
    from taizhang.auth.roles import Role

    edu = session.execute(select(Unit).where(Unit.code == "XF004")).scalar_one()
    wanted = [
        ("admin", Role.ADMIN, []),
        ("ops", Role.OPS, []),
        ("security", Role.SECURITY, []),
        ("unit_edu", Role.UNIT, [edu.id]),
        ("auditor", Role.AUDITOR, []),
    ]
    out = []
    for username, role, unit_ids in wanted:
        if session.execute(select(User.id).where(User.username == username)).first() is None:
            service.create_user(
                session, username=username, role=role, password=DEMO_PASSWORD, unit_ids=unit_ids
            )
        out.append({"username": username, "password": DEMO_PASSWORD, "role": role.label})
    return out


def _uncatalogued_workloads(session: Session, unit_id: int) -> None:
    """What a county finds when it first checks its catalogue (第十条): a host serving no catalogued
    system, and a project approved without naming the systems it builds."""
    if session.execute(select(Host.id).where(Host.hostname == "xf-004-ftp-legacy")).first() is None:
        session.add(
            Host(
                hostname="xf-004-ftp-legacy",
                kind=HostKind.PHYSICAL,
                ip_addresses=["10.20.9.15"],
                os_name="CentOS Linux",
                os_version="7.4.1708",
                location="单位自建机房",
                unit_id=unit_id,
                systems=[],
            )
        )
    name = "教育资源共享平台扩容项目（2025年）"
    if session.execute(select(Project.id).where(Project.name == name)).first() is None:
        session.add(
            Project(
                name=name,
                implementing_unit_id=unit_id,
                kind=ProjectKind.EXPANSION,
                total_budget=Decimal("480000"),
                yearly_budgets={"2025": "480000"},
                contractor="临汾市信息产业有限公司",
                approved_on=dt.date(2025, 4, 18),
                systems=[],
            )
        )
    session.flush()
