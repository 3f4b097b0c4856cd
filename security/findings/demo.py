"""Findings of the demo county: one evaluation, one waiver and one rectification notice.

Idempotent: the evaluation finds the same findings again, and the waiver and the notice are looked
up by their natural keys before being created.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.choices import Hosting, HostLifecycle
from inventory.models import Host, System, Unit
from migration.models import CatalogueItem, CatalogueVersion, Subscription
from security.findings import rectification, waivers
from security.findings.choices import FindingState, SubjectType
from security.findings.engine import evaluate
from security.findings.models import Finding, RectificationNotice, Waiver
from security.verification.choices import CheckOutcome
from security.verification.discrepancies import OS_CHECK
from security.verification.models import CheckResult
from taizhang.clock import china_today

DEMO_UNIT = "XF004"  # 教育科技局: the unit of the demo user unit_edu


def load_demo(session: Session, *, today: dt.date | None = None) -> dict[str, int]:
    today = today or china_today()
    unit_id = session.execute(select(Unit.id).where(Unit.code == DEMO_UNIT)).scalar_one()
    _demo_gaps(session, today)
    report = evaluate(session, today=today)
    _demo_waiver(session, unit_id, today)
    _demo_notice(session, unit_id, today)
    live = session.execute(
        select(Finding.id).where(Finding.state.in_((FindingState.OPEN, FindingState.WAIVED)))
    ).all()
    return {
        "合规问题": len(live),
        "豁免": len(session.execute(select(Waiver.id)).all()),
        "整改通知": len(session.execute(select(RectificationNotice.id)).all()),
        "规则执行错误": len(report.errors),
    }


def _demo_gaps(session: Session, today: dt.date) -> None:
    """Two things the other demos leave out, so that every kind of finding shows up once:

    - a subscription carried over from a superseded catalogue edition without an approved
      exception (the entity checks refuse to create one; imported legacy data has them);
    - verification results: one host whose OS differs from the ledger, one unreachable host
      (the verification package has no demo of its own: no demo host can be reached).
    """
    current = (
        session.execute(
            select(CatalogueVersion)
            .where(CatalogueVersion.effective_from <= today)
            .order_by(CatalogueVersion.effective_from.desc())
        )
        .scalars()
        .first()
    )
    stale = (
        session.execute(
            select(CatalogueItem)
            .where(CatalogueItem.catalogue_version_id != current.id)
            .order_by(CatalogueItem.id)
        )
        .scalars()
        .first()
        if current is not None
        else None
    )
    on_cloud = (
        session.execute(
            select(System.id).where(System.hosting == Hosting.CITY_CLOUD).order_by(System.catalogue_number)
        )
        .scalars()
        .all()
    )
    if stale is not None and len(on_cloud) > 1:
        key = {"system_id": on_cloud[1], "item_id": stale.id}
        if session.execute(select(Subscription.id).filter_by(**key)).first() is None:
            session.add(
                Subscription(**key, quantity=1, since=dt.date(2024, 3, 1), note="沿用 2024 版目录服务")
            )
    hosts = (
        session.execute(
            select(Host)
            .where(Host.lifecycle == HostLifecycle.ACTIVE, Host.os_name != "")
            .order_by(Host.hostname)
            .limit(2)
        )
        .scalars()
        .all()
    )
    at = dt.datetime.combine(today, dt.time(2, 0), tzinfo=dt.timezone(dt.timedelta(hours=8)))
    results = [
        (CheckOutcome.FAIL, "操作系统与台账不一致", {"os_pretty_name": "CentOS Linux 7 (Core)"}),
        (CheckOutcome.ERROR, "主机不可达：连接 22 端口超时", {}),
    ]
    for host, (outcome, evidence, observed) in zip(hosts, results, strict=False):
        if session.execute(select(CheckResult.id).filter_by(host_id=host.id, check_id=OS_CHECK)).first():
            continue
        session.add(
            CheckResult(
                host_id=host.id,
                check_id=OS_CHECK,
                outcome=outcome,
                evidence=evidence,
                observed=observed,
                checked_at=at,
            )
        )
    session.flush()


def _unit_findings(session: Session, unit_id: int, rule_id: str | None = None) -> list[Finding]:
    stmt = select(Finding).where(Finding.unit_id == unit_id, Finding.state == FindingState.OPEN)
    if rule_id is not None:
        stmt = stmt.where(Finding.rule_id == rule_id)
    return list(session.execute(stmt.order_by(Finding.id)).scalars())


def _demo_waiver(session: Session, unit_id: int, today: dt.date) -> None:
    rule_id = "art24.uncontrollable_key_product"
    if session.execute(select(Waiver.id).where(Waiver.rule_id == rule_id)).first() is not None:
        return
    candidates = _unit_findings(session, unit_id, rule_id)
    if not candidates:
        return
    waivers.create_waiver(
        session,
        {
            "rule_id": rule_id,
            "subject_type": SubjectType.PRODUCT_USAGE,
            "subject_id": candidates[0].subject_id,
            "reason": "现有设备尚在维保期内，已列入下一年度国产化替代计划，过渡期内保留使用",
            "approver": "县政务信息管理局",
            "approval_reference": f"襄政信函〔{today.year}〕8号",
            "expires_on": today + dt.timedelta(days=180),
        },
        actor="demo",
        today=today,
    )


def _demo_notice(session: Session, unit_id: int, today: dt.date) -> None:
    number = f"襄政信整改〔{today.year}〕1号"
    if session.execute(select(RectificationNotice.id).where(RectificationNotice.number == number)).first():
        return
    findings = [
        f for f in _unit_findings(session, unit_id) if f.rule_id.startswith(("art18", "art25", "art21"))
    ]
    findings = findings or _unit_findings(session, unit_id)
    if not findings:
        return
    rectification.create_notice(
        session,
        {
            "number": number,
            "unit_id": unit_id,
            "title": "关于限期整改政务信息化项目备案问题的通知",
            "requirements": "请于期限内补齐合同、监理及竣工验收报告备案材料，并报送整改情况。",
            "issued_on": today,
            "deadline": today + dt.timedelta(days=30),
            "finding_ids": [f.id for f in findings[:5]],
        },
        actor="demo",
        today=today,
    )
