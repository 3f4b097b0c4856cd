"""Findings of the demo county: one evaluation, one waiver and one rectification notice.

Idempotent: the evaluation finds the same findings again, and the waiver and the notice are looked
up by their natural keys before being created.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.models import Unit
from security.findings import rectification, waivers
from security.findings.choices import FindingState, SubjectType
from security.findings.engine import evaluate
from security.findings.models import Finding, RectificationNotice, Waiver

DEMO_UNIT = "XF004"  # 教育科技局: the unit of the demo user unit_edu


def load_demo(session: Session, *, today: dt.date | None = None) -> dict[str, int]:
    today = today or dt.date.today()
    unit_id = session.execute(select(Unit.id).where(Unit.code == DEMO_UNIT)).scalar_one()
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
