"""Benchmark: evaluate the compliance rules over a province-sized ledger.

    .venv/bin/python scripts/bench_findings.py [--url URL] [--systems 10000] [--hosts 100000]

Builds the ledger with bulk inserts (outside the change log) in a scratch database (a temporary
SQLite file unless --url names an empty PostgreSQL database), then times: the first whole-ledger
evaluation (creates every finding), a second one (steady state: nothing changes), and a partial
evaluation of one system. Targets: steady-state whole ledger <= 10 s, one system <= 50 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from inventory.choices import (
    Controllability,
    DataSharing,
    HostKind,
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
from inventory.models import (
    Host,
    NetworkAttachment,
    Product,
    ProductUsage,
    Project,
    Resource,
    System,
    Unit,
    host_systems,
    project_systems,
)
from taizhang import db as tzdb


def _bulk(session: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), 5000):
        session.execute(insert(table), rows[start : start + 5000])


def build(session: Any, *, systems: int, hosts: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    units = max(20, systems // 50)
    _bulk(
        session,
        Unit.__table__,
        [
            {
                "id": i,
                "code": f"P{i:05d}",
                "name": f"单位{i}",
                "kind": UnitKind.COUNTY_DEPARTMENT,
                "contact_person": "",
                "contact_phone": "",
            }
            for i in range(1, units + 1)
        ],
    )
    _bulk(
        session,
        System.__table__,
        [
            {
                "id": i,
                "catalogue_number": f"S-{i:06d}",
                "name": f"系统{i}",
                "owner_unit_id": 1 + i % units,
                "purpose": "",
                "lifecycle": rng.choice(
                    [SystemLifecycle.RUNNING] * 8 + [SystemLifecycle.BUILDING, SystemLifecycle.RETIRED]
                ),
                "data_sharing": rng.choice(list(DataSharing)),
                "base_libraries_fed": [],
                "base_libraries_used": [],
                "mlps_level": rng.choice([2, 3]),
                "hosting": "legacy",
                "classification": "non_classified",
                "critical_infrastructure": False,
                "needs_crypto_assessment": True,
            }
            for i in range(1, systems + 1)
        ],
    )
    oses = [
        ("CentOS Linux", "7.9.2009"),
        ("银河麒麟高级服务器操作系统", "V10"),
        ("Windows Server", "2012 R2"),
        ("openEuler", "22.03"),
    ]
    _bulk(
        session,
        Host.__table__,
        [
            {
                "id": i,
                "hostname": f"h{i}",
                "kind": HostKind.VIRTUAL,
                "ip_addresses": [],
                "os_name": rng.choice(oses)[0],
                "os_version": "",
                "location": "",
                "role": "",
                "lifecycle": "active",
                "replacement_plan": "",
                "unit_id": None,
            }
            for i in range(1, hosts + 1)
        ],
    )
    _bulk(
        session,
        host_systems,
        [{"host_id": i, "system_id": 1 + i % systems} for i in range(1, hosts + 1) if i % 200],
    )
    products = 300
    _bulk(
        session,
        Product.__table__,
        [
            {
                "id": i,
                "product_class": rng.choice(list(ProductClass)),
                "category": "",
                "vendor": f"厂商{i}",
                "model": "M",
                "product_version": "1",
                "controllability": rng.choice(list(Controllability)),
                "evidence_reference": "",
                "end_of_support": dt.date(2024, 1, 1) if i % 17 == 0 else None,
                "replacement_plan": "",
            }
            for i in range(1, products + 1)
        ],
    )
    usage_rows, seen = [], set()
    for s in range(1, systems + 1):
        for p in rng.sample(range(1, products + 1), 5):
            if (s, p) not in seen:
                seen.add((s, p))
                usage_rows.append({"system_id": s, "product_id": p, "quantity": 1})
    _bulk(session, ProductUsage.__table__, usage_rows)
    _bulk(
        session,
        NetworkAttachment.__table__,
        [
            {
                "system_id": s,
                "network": Network.PRIVATE if s % 9 == 0 else Network.EXTRANET,
                "name": "",
                "description": "",
            }
            for s in range(1, systems + 1)
        ],
    )
    _bulk(
        session,
        Resource.__table__,
        [
            {
                "system_id": s,
                "name": "资源",
                "format": ResourceFormat.DATABASE,
                "update_cycle": UpdateCycle.DAILY,
                "sharing": SharingAttr.UNCONDITIONAL,
                "sharing_condition": "",
                "openness": OpennessAttr.CLOSED,
                "openness_condition": "",
                "data_owner": "",
                "data_checker": "",
                "registered_on_platform": s % 3 == 0,
            }
            for s in range(1, systems + 1, 2)
        ],
    )
    projects = systems // 2
    rows = []
    for i in range(1, projects + 1):
        approved = dt.date(2021, 1, 4) + dt.timedelta(days=rng.randrange(0, 1500))
        signed = approved + dt.timedelta(days=30)
        accepted = signed + dt.timedelta(days=300) if i % 2 else None
        rows.append(
            {
                "id": i,
                "name": f"项目{i}",
                "implementing_unit_id": 1 + i % units,
                "kind": ProjectKind.NEW,
                "total_budget": 100,
                "yearly_budgets": {str(approved.year): "100"},
                "contractor": "",
                "supervision_unit": "",
                "approved_on": approved,
                "contract_signed_on": signed,
                "contract_filed_on": signed + dt.timedelta(days=rng.choice([3, 12])),
                "construction_started_on": signed,
                "accepted_on": accepted,
                "acceptance_report_filed_on": None,
                "controllability_checked": i % 3 == 0,
                "self_evaluations": {},
            }
        )
    _bulk(session, Project.__table__, rows)
    _bulk(
        session,
        project_systems,
        [{"project_id": i, "system_id": 1 + (2 * i) % systems} for i in range(1, projects + 1)],
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url")
    parser.add_argument("--systems", type=int, default=10_000)
    parser.add_argument("--hosts", type=int, default=100_000)
    args = parser.parse_args()
    from security.findings.engine import evaluate
    from taizhang.schema import upgrade

    scratch = tempfile.TemporaryDirectory()
    url = args.url or f"sqlite:///{Path(scratch.name) / 'bench.db'}"
    engine = tzdb.make_engine(url)
    upgrade(engine)
    tzdb.set_engine(engine)
    today = dt.date(2026, 11, 20)
    with tzdb.session_scope(actor="bench") as session:
        started = time.perf_counter()
        build(session, systems=args.systems, hosts=args.hosts)
        print(
            f"ledger built: {args.systems} systems, {args.hosts} hosts in {time.perf_counter() - started:.1f} s"
        )
    for label in ("first whole-ledger evaluation", "second whole-ledger evaluation"):
        with tzdb.session_scope(actor="bench") as session:
            started = time.perf_counter()
            report = evaluate(session, today=today)
        print(f"{label}: {time.perf_counter() - started:.2f} s (commit included), {report.as_dict()}")
    timings = []
    for system_id in (1, args.systems // 2, args.systems):
        with tzdb.session_scope(actor="bench") as session:
            started = time.perf_counter()
            evaluate(session, today=today, system_ids=[system_id])
            timings.append(time.perf_counter() - started)
    print("one-system evaluations (ms):", [round(t * 1000, 1) for t in timings])
    engine.dispose()
    scratch.cleanup()


if __name__ == "__main__":
    main()
