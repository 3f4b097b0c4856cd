"""Demo 等保 / 密评 / risk-assessment records over the demo county's systems (inventory/demo.py).

Deterministic for a given ``today`` (each system's choices come from a generator seeded with its
catalogue number) and idempotent (a system that already has records of a kind gets none of that
kind again). Dates are placed relative to ``today`` so that the demo always shows a mix: most
systems in order, some overdue (filing, assessment, 密评, rectification), some expiring soon.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inventory.models import System
from security.grading import rules
from security.grading.choices import (
    CryptoPlanConclusion,
    GradingReason,
    GradingStatus,
    RectificationStatus,
    RiskLevel,
    RiskMethod,
)
from security.grading.models import (
    CryptoAssessment,
    CryptoPlan,
    MlpsAssessment,
    MlpsFiling,
    MlpsGrading,
    MlpsRectification,
    MlpsSelfCheck,
    RiskAssessment,
)
from taizhang.policy import Policy, get_policy
from taizhang.workdays import add_months

SEED = "taizhang-security-grading"
AGENCIES = ["山西省信息安全测评中心", "临汾市网络安全等级测评中心", "山西智网安全科技有限公司"]
CRYPTO_AGENCIES = ["山西省商用密码检测中心", "国家密码管理局商用密码检测中心"]
POLICE = "襄汾县公安局网络安全保卫大队"
AUTHORITY = "襄汾县政务信息管理局"
PROBLEMS = [
    "口令复杂度策略未启用",
    "安全审计日志留存不足六个月",
    "未部署入侵防范措施",
    "重要数据未加密存储",
    "备份未异地存放",
]

#: what goes wrong for a system, by its position in the catalogue (most are in order).
SCENARIOS = [
    "fine",
    "fine",
    "fine",
    "assessment_due_soon",
    "assessment_overdue",
    "certificate_expiring",
    "filing_overdue",
    "rectification_overdue",
    "crypto_overdue",
    "fine",
]

TABLES: dict[str, Any] = {
    "定级记录": MlpsGrading,
    "备案记录": MlpsFiling,
    "等级测评": MlpsAssessment,
    "等保自查": MlpsSelfCheck,
    "整改项": MlpsRectification,
    "密码应用方案": CryptoPlan,
    "密评": CryptoAssessment,
    "风险评估": RiskAssessment,
}


def _ago(today: dt.date, months: int = 0, days: int = 0) -> dt.date:
    return add_months(today, -months) - dt.timedelta(days=days)


def _assessment(
    policy: Policy, system: System, day: dt.date, rng: random.Random, high: int = 0
) -> MlpsAssessment:
    template = rules.template_for(policy, day)
    score = rate = None
    if template.value == "2021":
        score = float(rng.randrange(72, 96))
    else:
        rate = float(rng.randrange(80, 99))
    _, conclusion = rules.check_mlps_result(
        policy,
        assessed_on=day,
        template=template,
        score=score,
        conformity_rate=rate,
        high_risk_count=high,
        conclusion=None,
    )
    return MlpsAssessment(
        system_id=system.id,
        assessed_on=day,
        agency=rng.choice(AGENCIES),
        report_number=f"{system.catalogue_number}-CP-{day:%Y%m}",
        template_version=template,
        level=system.mlps_level,
        score=score,
        conformity_rate=rate,
        conclusion=conclusion,
        high_risk_count=high,
        medium_risk_count=rng.randrange(0, 8),
        low_risk_count=rng.randrange(3, 20),
    )


def _grading(system: System, graded: dt.date) -> MlpsGrading:
    return MlpsGrading(
        system_id=system.id,
        level=system.mlps_level or 1,
        graded_on=graded,
        status=GradingStatus.FINAL,
        reason=GradingReason.INITIAL,
        expert_review_on=graded - dt.timedelta(days=12),
        approving_authority=AUTHORITY,
    )


def _filing(system: System, graded: dt.date, issued: dt.date, rng: random.Random) -> MlpsFiling:
    submitted = graded + dt.timedelta(days=rng.randrange(8, 28))
    return MlpsFiling(
        system_id=system.id,
        submitted_on=min(submitted, issued),
        police_authority=POLICE,
        issued_on=issued,
        certificate_number=f"141028{system.id:05d}-{issued:%y}001",
    )


def _last_assessment_on(
    scenario: str, today: dt.date, issued: dt.date, interval: int, rng: random.Random
) -> dt.date:
    return {
        "assessment_due_soon": _ago(today, months=interval) + dt.timedelta(days=15),
        "assessment_overdue": _ago(today, months=interval, days=50),
        "certificate_expiring": issued - dt.timedelta(days=30),
    }.get(scenario, _ago(today, months=4, days=rng.randrange(0, 30)))


def _mlps_records(
    policy: Policy, system: System, scenario: str, today: dt.date, rng: random.Random
) -> list[Any]:
    """A grading, and for level 2+ its filing, assessments every cycle since, a self-check, rectification."""
    graded = (
        _ago(today, days=45)
        if scenario == "filing_overdue"
        else _ago(today, months=40, days=rng.randrange(60))
    )
    records: list[Any] = [_grading(system, graded)]
    checked = _ago(today, months=14) if scenario == "assessment_overdue" else _ago(today, months=2)
    if scenario != "filing_overdue":
        records.append(
            MlpsSelfCheck(
                system_id=system.id, checked_on=checked, checked_by="信息中心", issues_found=rng.randrange(4)
            )
        )
    if (system.mlps_level or 1) < 2 or scenario == "filing_overdue":
        return records
    issued = graded + dt.timedelta(days=40)
    if scenario == "certificate_expiring":
        issued = _ago(today, months=36) + dt.timedelta(days=20)
    records.append(_filing(system, graded, issued, rng))
    interval = policy.assessment_interval_months(system.mlps_level or 2) or 24
    day = _last_assessment_on(scenario, today, issued, interval, rng)
    high = 1 if scenario == "rectification_overdue" else 0
    latest = _assessment(policy, system, day, rng, high)
    records.append(latest)
    day = add_months(day, -interval)
    while day > issued:  # the earlier yearly (or two-yearly) assessments, each extending the certificate
        records.append(_assessment(policy, system, day, rng))
        day = add_months(day, -interval)
    due = today - dt.timedelta(days=10) if high else today + dt.timedelta(days=60)
    for n in range(1 + high):
        records.append(
            MlpsRectification(
                system_id=system.id,
                assessment=latest,
                description=PROBLEMS[(system.id + n) % len(PROBLEMS)],
                risk_level=RiskLevel.HIGH if n < high else RiskLevel.MEDIUM,
                owner="信息中心负责人",
                due_on=due,
                status=RectificationStatus.OPEN,
            )
        )
    return records


def _crypto_records(system: System, scenario: str, today: dt.date, rng: random.Random) -> list[Any]:
    drafted = _ago(today, months=44)
    plan = CryptoPlan(
        system_id=system.id,
        title=f"{system.name}密码应用方案",
        drafted_on=drafted,
        evaluated_on=drafted + dt.timedelta(days=30),
        evaluation_agency=rng.choice(CRYPTO_AGENCIES),
        conclusion=None if scenario == "crypto_overdue" else CryptoPlanConclusion.PASSED,
    )
    day = (
        _ago(today, months=13)
        if scenario == "crypto_overdue"
        else _ago(today, months=5, days=rng.randrange(0, 20))
    )
    score = float(rng.randrange(55, 95))
    conclusion = rules.check_crypto_result(get_policy(), score=score, high_risk_count=0, conclusion=None)
    filed = None if scenario == "crypto_overdue" else day + dt.timedelta(days=rng.randrange(5, 25))
    assessment = CryptoAssessment(
        system_id=system.id,
        assessed_on=day,
        agency=rng.choice(CRYPTO_AGENCIES),
        report_number=f"{system.catalogue_number}-MP-{day:%Y%m}",
        level=system.mlps_level,
        score=score,
        conclusion=conclusion,
        rule_version="商用密码应用安全性评估量化评估规则（2023 版）",
        filed_on=filed,
    )
    return [plan, assessment]


def _risk_record(system: System, index: int, today: dt.date, rng: random.Random) -> RiskAssessment:
    months = 15 if index % 7 == 0 else rng.randrange(1, 11)
    return RiskAssessment(
        system_id=system.id,
        assessed_on=_ago(today, months=months),
        scope=f"{system.name}及其承载主机、网络",
        method=rng.choice(list(RiskMethod)),
        assessor="襄汾县政务信息管理局",
        high_count=rng.randrange(0, 3),
        medium_count=rng.randrange(0, 9),
        low_count=rng.randrange(2, 25),
        report_reference=f"{system.catalogue_number}-FX",
    )


def _present(session: Session, model: Any) -> set[int]:
    return set(session.execute(select(model.system_id).distinct()).scalars())


def load_demo(session: Session, *, today: dt.date | None = None) -> dict[str, int]:
    """Add the demo records; returns how many rows each table holds afterwards."""
    from security.grading.dates import shanghai_today

    day = today or shanghai_today()
    policy = get_policy()
    graded, crypto, risk = (
        _present(session, MlpsGrading),
        _present(session, CryptoAssessment),
        _present(session, RiskAssessment),
    )
    systems = session.execute(
        select(System).where(System.catalogue_number.like("XF-%")).order_by(System.catalogue_number)
    ).scalars()
    for index, system in enumerate(systems):
        rng = random.Random(f"{SEED}-{system.catalogue_number}")
        scenario = SCENARIOS[index % len(SCENARIOS)]
        if system.mlps_level is not None and system.id not in graded:
            session.add_all(_mlps_records(policy, system, scenario, day, rng))
        if system.mlps_level is not None and system.needs_crypto_assessment and system.id not in crypto:
            session.add_all(_crypto_records(system, scenario, day, rng))
        if system.id not in risk:
            session.add(_risk_record(system, index, day, rng))
    session.flush()
    return {
        label: session.execute(select(func.count()).select_from(model)).scalar_one()
        for label, model in TABLES.items()
    }
