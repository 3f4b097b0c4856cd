"""A deterministic data set of the requested scale, written with bulk inserts.

Province: 200 units, 10,000 systems, 100,000 hosts (the scale DESIGN.md names); county: 20 units,
150 systems, 800 hosts. The rows are realistic in shape (Chinese names, the real enum mix, hosts
linked to systems) but bypass the change log: this is a measuring rig, not user data.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, insert

from inventory.choices import (
    Controllability,
    CpuArch,
    DataSharing,
    Hosting,
    HostKind,
    HostLifecycle,
    ProductClass,
    SystemLifecycle,
    UnitKind,
)
from inventory.models import Host, Product, ProductUsage, System, Unit, host_systems

SEED = 42
TABLES_WITH_IDS = ("units", "systems", "hosts", "products", "product_usages", "migration_waves")


@dataclass(frozen=True)
class Scale:
    name: str
    units: int
    systems: int
    hosts: int
    products: int


SCALES = {
    "county": Scale("county", 20, 150, 800, 300),
    "province": Scale("province", 200, 10_000, 100_000, 2_000),
}

OSES = [
    ("CentOS Linux", "7.9.2009"),
    ("银河麒麟高级服务器操作系统", "V10 SP3"),
    ("统信服务器操作系统", "V20 1070"),
    ("openEuler", "22.03 LTS SP3"),
    ("Windows Server", "2012 R2"),
    ("Ubuntu", "18.04"),
]
DOMAINS = [
    "教育",
    "民政",
    "社保",
    "医保",
    "自然资源",
    "交通",
    "水利",
    "农业",
    "卫健",
    "应急",
    "市场监管",
    "统计",
]
KINDS = ["综合业务管理系统", "数据共享交换平台", "门户网站", "办公自动化系统", "业务审批系统", "视频监控平台"]


def _chunks(rows: list[dict[str, Any]], size: int = 5000) -> list[list[dict[str, Any]]]:
    return [rows[i : i + size] for i in range(0, len(rows), size)]


def generate(engine: Engine, scale: Scale) -> dict[str, int]:
    rng = random.Random(SEED)
    now = dt.datetime.now(dt.UTC)
    stamp = {"version": 1, "created_at": now, "updated_at": now}
    units = [
        {
            "id": i + 1,
            "code": f"U{i + 1:04d}",
            "name": f"第{i + 1}号单位{rng.choice(DOMAINS)}局",
            "kind": rng.choice(list(UnitKind)),
            "contact_person": "",
            "contact_phone": "",
            **stamp,
        }
        for i in range(scale.units)
    ]
    systems = []
    for i in range(scale.systems):
        level = rng.choices([None, 1, 2, 3, 4], weights=[8, 5, 55, 30, 2])[0]
        systems.append(
            {
                "id": i + 1,
                "catalogue_number": f"S-{i + 1:06d}",
                "name": f"{rng.choice(DOMAINS)}{rng.choice(KINDS)}{i + 1}",
                "owner_unit_id": rng.randrange(1, scale.units + 1),
                "purpose": "",
                "classification": "non_classified",
                "lifecycle": rng.choices(list(SystemLifecycle), weights=[5, 10, 80, 5])[0],
                "go_live_date": None,
                "mlps_level": level,
                "critical_infrastructure": False,
                "data_sharing": DataSharing.SHARING,
                "base_libraries_fed": [],
                "base_libraries_used": [],
                "hosting": rng.choices(list(Hosting), weights=[45, 12, 13, 30])[0],
                "needs_crypto_assessment": True,
                **stamp,
            }
        )
    hosts, links = [], []
    for i in range(scale.hosts):
        system = systems[i % scale.systems]
        os_name, os_version = rng.choice(OSES)
        hosts.append(
            {
                "id": i + 1,
                "hostname": f"h{i + 1:07d}.example.gov",
                "kind": rng.choice(list(HostKind)),
                "ip_addresses": [f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"],
                "os_name": os_name,
                "os_version": os_version,
                "cpu_arch": rng.choice([CpuArch.X86_64, CpuArch.AARCH64]),
                "location": "",
                "role": rng.choice(["web", "app", "db"]),
                "unit_id": system["owner_unit_id"],
                "netbox_kind": None,
                "netbox_id": None,
                "lifecycle": HostLifecycle.ACTIVE,
                "replacement_plan": "",
                "replacement_date": None,
                **stamp,
            }
        )
        links.append({"host_id": i + 1, "system_id": system["id"]})
    products = [
        {
            "id": i + 1,
            "product_class": rng.choice(list(ProductClass)),
            "category": "",
            "vendor": f"厂商{i % 97}",
            "model": f"型号{i}",
            "product_version": "1.0",
            "cpu_arch": None,
            "controllability": rng.choices(list(Controllability), weights=[60, 20, 20])[0],
            "evidence_reference": "",
            "evidence_expiry": None,
            "end_of_support": None,
            "replacement_plan": "",
            "replacement_date": None,
            **stamp,
        }
        for i in range(scale.products)
    ]
    usages = []
    for system in systems:
        for product_id in rng.sample(range(1, scale.products + 1), 4):
            usages.append(
                {
                    "system_id": system["id"],
                    "product_id": product_id,
                    "quantity": rng.randrange(1, 5),
                    **stamp,
                }
            )
    with engine.begin() as conn:
        tables: list[tuple[Any, list[dict[str, Any]]]] = [
            (Unit.__table__, units),
            (System.__table__, systems),
            (Host.__table__, hosts),
            (host_systems, links),
            (Product.__table__, products),
            (ProductUsage.__table__, usages),
        ]
        for table, rows in tables:
            for chunk in _chunks(rows):
                conn.execute(insert(table), chunk)
        from bench.dataset_security import generate_security

        extra = generate_security(conn, rng, systems, hosts, stamp)
        if engine.dialect.name == "postgresql":
            from sqlalchemy import text

            for table_name in (
                *TABLES_WITH_IDS,
                "migration_plans",
                "findings",
                "check_results",
                "verification_runs",
            ):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table_name}', 'id'), "
                        f"(SELECT COALESCE(MAX(id), 1) FROM {table_name}))"
                    )
                )
    return {
        "units": len(units),
        "systems": len(systems),
        "hosts": len(hosts),
        "products": len(products),
        "product_usages": len(usages),
        **extra,
    }


def reset_database(engine: Engine) -> None:
    """Empty a PostgreSQL database given to the benchmarks (every taizhang table and the revision)."""
    from sqlalchemy import text

    from taizhang.models import metadata

    metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
