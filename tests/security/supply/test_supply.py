"""Supply-chain figures (替代率), evidence gaps and end of support, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from inventory.choices import (
    Controllability,
    HostKind,
    HostLifecycle,
    ProductClass,
    SystemLifecycle,
    UnitKind,
)
from inventory.models import Host, Product, ProductUsage, System, Unit
from security.evidence.models import EvidenceFile
from security.supply import eos, service
from taizhang.auth.principal import Scope
from taizhang.policy import load_policy

TODAY = dt.date(2026, 11, 1)
C, P, U = Controllability.CONTROLLABLE, Controllability.PARTIAL, Controllability.UNCONTROLLABLE


@pytest.fixture
def ledger(session: Session) -> dict[str, Any]:
    edu = Unit(code="U1", name="县教育局", kind=UnitKind.COUNTY_DEPARTMENT)
    civ = Unit(code="U2", name="县民政局", kind=UnitKind.COUNTY_DEPARTMENT)
    session.add_all([edu, civ])
    session.flush()
    s1 = System(
        catalogue_number="E-1", name="学籍系统", owner_unit_id=edu.id, lifecycle=SystemLifecycle.RUNNING
    )
    s2 = System(
        catalogue_number="E-2", name="门户网站", owner_unit_id=edu.id, lifecycle=SystemLifecycle.RUNNING
    )
    s3 = System(
        catalogue_number="M-1", name="低保系统", owner_unit_id=civ.id, lifecycle=SystemLifecycle.RUNNING
    )
    old = System(
        catalogue_number="M-2", name="旧系统", owner_unit_id=civ.id, lifecycle=SystemLifecycle.RETIRED
    )
    session.add_all([s1, s2, s3, old])

    def product(cls: ProductClass, vendor: str, model: str, ctl: Controllability, **kw: Any) -> Product:
        p = Product(
            product_class=cls, vendor=vendor, model=model, product_version="1", controllability=ctl, **kw
        )
        session.add(p)
        return p

    dm = product(
        ProductClass.BASE_SOFTWARE,
        "达梦",
        "DM8",
        C,
        evidence_reference="安可-1",
        evidence_expiry=TODAY + dt.timedelta(days=90),
    )
    kylin = product(
        ProductClass.SYSTEM_SOFTWARE,
        "麒麟软件",
        "银河麒麟 V10",
        C,
        evidence_reference="安可-2",
        evidence_expiry=TODAY + dt.timedelta(days=91),
    )
    h3c = product(
        ProductClass.CORE_NETWORK, "新华三", "S6850", P, evidence_reference="", evidence_expiry=None
    )
    centos = product(
        ProductClass.SYSTEM_SOFTWARE, "CentOS", "CentOS 7", U, end_of_support=dt.date(2024, 6, 30)
    )
    win = product(ProductClass.SYSTEM_SOFTWARE, "Microsoft", "Windows Server 2012 R2", U)
    fw = product(
        ProductClass.SECURITY_DEVICE,
        "华为",
        "USG6000E",
        C,
        evidence_reference="证书-3",
        evidence_expiry=TODAY - dt.timedelta(days=1),
    )
    server = product(ProductClass.HARDWARE, "Dell", "R740", U)
    session.flush()
    uses = [
        (s1, dm, 2),
        (s1, kylin, 3),
        (s1, centos, 1),
        (s1, server, 4),
        (s2, h3c, 2),
        (s2, win, 1),
        (s3, fw, 5),
        (s3, kylin, 1),
        (old, centos, 9),
    ]
    session.add_all([ProductUsage(system_id=s.id, product_id=p.id, quantity=q) for s, p, q in uses])
    session.add(
        EvidenceFile(
            object_type="inventory.product",
            object_id=win.id,
            kind="other",
            filename="x.pdf",
            media_type="application/pdf",
            size=1,
            sha256="0" * 64,
        )
    )

    def host(name: str, os_name: str, os_version: str, unit: Unit, **kw: Any) -> None:
        session.add(
            Host(
                hostname=name,
                kind=HostKind.VIRTUAL,
                os_name=os_name,
                os_version=os_version,
                unit_id=unit.id,
                **kw,
            )
        )

    host(
        "edu-web-01",
        "CentOS Linux",
        "7.9.2009",
        edu,
        replacement_plan="迁移至 openEuler 22.03",
        replacement_date=dt.date(2027, 3, 1),
    )
    host("edu-web-02", "CentOS Linux", "7.9.2009", edu)
    host("edu-ad-01", "Windows Server", "2012 R2", edu)
    host("edu-app-01", "Windows Server", "2016", edu)
    host("edu-db-01", "银河麒麟高级服务器操作系统", "V10 SP3", edu)
    host("civ-db-01", "CentOS Linux", "7.6.1810", civ)
    host("civ-old-01", "CentOS Linux", "7.6.1810", civ, lifecycle=HostLifecycle.RETIRED)
    session.commit()
    return {"edu": edu, "civ": civ, "s1": s1, "s2": s2, "s3": s3, "win": win, "centos": centos}


def test_replacement_rate_per_system_is_weighted_by_quantity(
    session: Session, ledger: dict[str, Any]
) -> None:
    figures = {f.key: f for f in service.supply_chain_summary(session, group_by="system", today=TODAY)}
    s1 = figures[str(ledger["s1"].id)]
    assert (s1.items, s1.controllable, s1.uncontrollable) == (6, 5, 1)  # the Dell servers are hardware
    assert s1.replacement_rate == round(5 / 6, 4)
    assert s1.without_evidence == 1 and s1.evidence_expiring == 2 and s1.evidence_expired == 0
    s2 = figures[str(ledger["s2"].id)]
    assert (s2.items, s2.controllable, s2.partial, s2.replacement_rate) == (3, 0, 2, 0.0)
    assert s2.without_evidence == 2  # the Windows licence has a file attached
    assert str(ledger["s1"].id) in figures and len(figures) == 3  # the retired system is left out
    with_hw = {
        f.key: f
        for f in service.supply_chain_summary(session, group_by="system", today=TODAY, include_hardware=True)
    }
    assert with_hw[str(ledger["s1"].id)].items == 10


def test_per_unit_and_per_class_and_policy_window(
    session: Session, ledger: dict[str, Any], tmp_path: Path
) -> None:
    units = {f.label: f for f in service.supply_chain_summary(session, group_by="unit", today=TODAY)}
    assert (units["县教育局"].items, units["县教育局"].controllable) == (9, 5)
    assert (units["县民政局"].items, units["县民政局"].controllable, units["县民政局"].evidence_expired) == (
        6,
        6,
        5,
    )
    classes = {f.key: f for f in service.supply_chain_summary(session, group_by="product_class", today=TODAY)}
    assert classes["system_software"].label == "系统软件"
    assert (classes["system_software"].items, classes["system_software"].controllable) == (6, 4)
    total = service.county_total(list(classes.values()))
    assert total.items == 15 and total.replacement_rate == round(11 / 15, 4)
    wider = county_policy(tmp_path, "evidence.expiring_warning_days = 91\n")
    widened = {
        f.key: f for f in service.supply_chain_summary(session, group_by="system", today=TODAY, policy=wider)
    }
    narrowed = {
        f.key: f
        for f in service.supply_chain_summary(session, group_by="system", today=TODAY, within_days=89)
    }
    assert widened[str(ledger["s1"].id)].evidence_expiring == 5
    assert narrowed[str(ledger["s1"].id)].evidence_expiring == 0
    scoped = service.supply_chain_summary(
        session, scope=Scope(frozenset({ledger["civ"].id})), group_by="unit", today=TODAY
    )
    assert [f.label for f in scoped] == ["县民政局"]


def county_policy(tmp_path: Path, text: str) -> Any:
    path = tmp_path / "county.toml"
    path.write_text(text, encoding="utf-8")
    return load_policy(path)


def test_evidence_gaps(session: Session, ledger: dict[str, Any]) -> None:
    gaps = {g.model: g for g in service.evidence_gaps(session, today=TODAY)}
    assert gaps["S6850"].state == "missing" and gaps["CentOS 7"].state == "missing"
    assert gaps["USG6000E"].state == "expired" and gaps["DM8"].state == "expiring"
    assert "银河麒麟 V10" not in gaps and "Windows Server 2012 R2" not in gaps
    assert gaps["CentOS 7"].items == 1  # the retired system's nine copies are not counted


def test_hosts_past_end_of_support(session: Session, ledger: dict[str, Any], tmp_path: Path) -> None:
    rows = {h.hostname: h for h in eos.hosts_past_eos(session, today=TODAY)}
    assert set(rows) == {"edu-web-01", "edu-web-02", "edu-ad-01", "edu-app-01", "civ-db-01"}
    assert rows["edu-web-01"].state is eos.SupportState.ENDED and rows[
        "edu-web-01"
    ].end_of_support == dt.date(2024, 6, 30)
    assert rows["edu-web-01"].has_plan and not rows["edu-web-02"].has_plan
    assert rows["edu-ad-01"].end_of_support == dt.date(2023, 10, 10)
    assert rows["edu-app-01"].state is eos.SupportState.ENDING  # 2027-01-12 is within 180 days
    short = {h.hostname for h in eos.hosts_past_eos(session, today=TODAY, within_days=30)}
    assert "edu-app-01" not in short
    # the last day of support is still supported; the day after it has ended
    on_day = {
        h.hostname: h.state for h in eos.hosts_past_eos(session, today=dt.date(2027, 1, 12), within_days=0)
    }
    assert on_day["edu-app-01"] is eos.SupportState.ENDING
    after = {
        h.hostname: h.state for h in eos.hosts_past_eos(session, today=dt.date(2027, 1, 13), within_days=0)
    }
    assert after["edu-app-01"] is eos.SupportState.ENDED
    extended = county_policy(
        tmp_path,
        '[eos.kylin-v10]\nproduct = "银河麒麟 V10"\nnames = ["银河麒麟高级服务器操作系统"]\nversion = "10"\n'
        'end_of_support = 2026-12-31\ncategory = "操作系统"\nreplacement = "银河麒麟 V11"\nsource = "县级测试"\n',
    )
    assert "edu-db-01" in {h.hostname for h in eos.hosts_past_eos(session, today=TODAY, policy=extended)}
    scoped = eos.hosts_past_eos(session, scope=Scope(frozenset({ledger["civ"].id})), today=TODAY)
    assert [h.hostname for h in scoped] == ["civ-db-01"]


def test_products_past_end_of_support(session: Session, ledger: dict[str, Any]) -> None:
    rows = {p.model: p for p in eos.products_past_eos(session, today=TODAY)}
    assert rows["CentOS 7"].end_of_support == dt.date(2024, 6, 30) and rows["CentOS 7"].items == 10
    assert rows["Windows Server 2012 R2"].end_of_support == dt.date(2023, 10, 10)  # from the shipped table
    assert "DM8" not in rows


def test_api_and_unit_scope(
    client: TestClient, ledger: dict[str, Any], make_user: Callable[..., dict[str, str]]
) -> None:
    body = client.get(
        "/api/v1/security/supply/summary", params={"group_by": "unit", "as_of": TODAY.isoformat()}
    ).json()
    assert body["total"]["items"] == 15 and "quantity" in body["definition"]
    r = client.get("/api/v1/security/supply/summary", params={"group_by": "vendor"})
    assert r.status_code == 422 and r.json()["field"] == "group_by"
    headers = make_user("civ_user", "unit", (ledger["civ"].id,))
    mine = client.get("/api/v1/security/supply/summary", params={"group_by": "unit"}, headers=headers).json()
    assert [f["label"] for f in mine["results"]] == ["县民政局"]
    hosts = client.get(
        "/api/v1/security/supply/end-of-support/hosts", params={"as_of": TODAY.isoformat()}, headers=headers
    ).json()
    assert [h["hostname"] for h in hosts] == ["civ-db-01"] and hosts[0]["state_label"] == "已停止支持"
    no_plan = client.get(
        "/api/v1/security/supply/end-of-support/hosts",
        params={"without_plan": True, "as_of": TODAY.isoformat()},
    ).json()
    assert "edu-web-01" not in {h["hostname"] for h in no_plan}
    gaps = client.get(
        "/api/v1/security/supply/evidence-gaps", params={"as_of": TODAY.isoformat()}, headers=headers
    ).json()
    assert {g["model"] for g in gaps} == {"USG6000E"}
    products = client.get(
        "/api/v1/security/supply/end-of-support/products", params={"as_of": TODAY.isoformat()}
    ).json()
    assert {p["model"] for p in products} == {"CentOS 7", "Windows Server 2012 R2"}
