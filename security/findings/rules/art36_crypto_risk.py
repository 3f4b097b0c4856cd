"""第三十六条: 密码 (同步规划、同步建设、同步运行并定期评估) and the security risk assessment.

Flags come from ``security.grading.service.security_statuses`` (shared with the 等保 rules through
``art36_security.statuses``). The approval gate also needs each plan's evaluation date, read from
the ``crypto_plans`` table in one query.

- 密码应用方案 missing before approval: an approved project names a system that must be assessed
  (``crypto_in_scope``) and that system has no plan that passed evaluation on or before the
  project's approval date.
- 密评 overdue (yearly, or before go-live) and 密评 failing (last conclusion 不符合).
- Risk assessment overdue (``risk.assessment.months``); a running system at a graded level
  (``mlps.filing.min_level`` up) that was never risk-assessed fires under the same rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from inventory.choices import SystemLifecycle
from security.findings.choices import Severity, SubjectType
from security.findings.rules import Hit, rule
from security.findings.rules.art36_security import ARTICLE, CITATION, _graded_level, _hit, statuses
from security.findings.snapshot import LedgerSnapshot
from security.grading.choices import CryptoPlanConclusion
from security.grading.models import CryptoPlan


def _passed_by(plans: list[Any], day: Any) -> bool:
    return any(
        p.conclusion is CryptoPlanConclusion.PASSED and p.evaluated_on is not None and p.evaluated_on <= day
        for p in plans
    )


@rule(
    "art36.crypto_plan_missing_before_approval",
    title="项目审批前未编制并通过评估密码应用方案",
    severity=Severity.HIGH,
    citation=CITATION,
    article=ARTICLE,
)
def crypto_plan_missing_before_approval(snap: LedgerSnapshot) -> Iterator[Hit]:
    """An approved project's system in 密评 scope had no evaluated (passed) 密码应用方案 by the approval date."""
    in_scope = {system.id for system, status in statuses(snap) if status.crypto.in_scope}
    plans = snap.rows_by_system(CryptoPlan)
    for project in snap.projects.values():
        if project.approved_on is None:
            continue
        for system_id in snap.project_system_ids(project.id):
            if system_id not in in_scope or _passed_by(plans.get(system_id, []), project.approved_on):
                continue
            name = snap.systems[system_id].name
            yield Hit(
                SubjectType.PROJECT,
                project.id,
                project.name,
                project.implementing_unit_id,
                f"项目“{project.name}”于 {project.approved_on} 审批，所涉系统“{name}”"
                "在审批前没有通过评估的密码应用方案（同步规划）",
                system_id=system_id,
                discriminator=f"system:{system_id}",
                facts={"approved_on": project.approved_on.isoformat(), "system_id": system_id},
            )


@rule(
    "art36.crypto_assessment_overdue",
    title="商用密码应用安全性评估逾期",
    severity=Severity.HIGH,
    citation=CITATION,
    article=ARTICLE,
)
def crypto_assessment_overdue(snap: LedgerSnapshot) -> Iterator[Hit]:
    """The next 密评 (yearly, or before go-live for a new system) is past due."""
    for system, status in statuses(snap):
        if status.crypto.assessment_overdue:
            yield _hit(
                system,
                f"信息系统“{system.name}”应于 {status.crypto.next_assessment_due} 前完成密评，已逾期",
                due_date=status.crypto.next_assessment_due,
                facts={"last_assessment_on": str(status.crypto.last_assessment_on)},
            )


@rule(
    "art36.crypto_assessment_failing",
    title="最近一次密评结论为不符合",
    severity=Severity.HIGH,
    citation=CITATION,
    article=ARTICLE,
)
def crypto_assessment_failing(snap: LedgerSnapshot) -> Iterator[Hit]:
    """The last 密评 concluded 不符合."""
    for system, status in statuses(snap):
        if status.crypto.failing:
            yield _hit(
                system,
                f"信息系统“{system.name}”{status.crypto.last_assessment_on} 密评结论为“不符合”",
                discriminator=f"crypto_assessment:{status.crypto.last_assessment_id}",
                facts={"assessment_id": status.crypto.last_assessment_id, "score": status.crypto.last_score},
            )


@rule(
    "art36.risk_assessment_overdue",
    title="网络与信息安全风险评估逾期或从未开展",
    severity=Severity.MEDIUM,
    citation=CITATION,
    article=ARTICLE,
)
def risk_assessment_overdue(snap: LedgerSnapshot) -> Iterator[Hit]:
    """Risk assessment past ``risk.assessment.months``, or never done for a running graded system."""
    for system, status in statuses(snap):
        if status.risk.assessment_overdue:
            yield _hit(
                system,
                f"信息系统“{system.name}”应于 {status.risk.next_assessment_due} 前再次开展风险评估，已逾期",
                due_date=status.risk.next_assessment_due,
                facts={"last_assessment_on": str(status.risk.last_assessment_on)},
            )
        elif (
            status.risk.never_assessed
            and system.lifecycle is SystemLifecycle.RUNNING
            and _graded_level(snap, system)
        ):
            yield _hit(system, f"信息系统“{system.name}”已投入运行，从未开展网络与信息安全风险评估", facts={})
