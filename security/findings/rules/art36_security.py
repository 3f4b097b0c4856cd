"""第三十六条 with DOMAIN.md §2–3: graded protection (等保), cryptography (密评) and risk assessment.

Every date and flag comes from ``security.grading.service.security_statuses`` (one source of
truth, a fixed number of queries for any number of systems), computed once per snapshot and shared
by the rules below. Retired systems are skipped. 等保 rules apply from ``mlps.filing.min_level``
(level 2) up, the level that must be graded by expert review and filed; 密评 rules apply to the
systems ``crypto_in_scope`` says must be assessed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from inventory.choices import SystemLifecycle
from security.findings.choices import Severity, SubjectType
from security.findings.rules import REGULATION, Hit, rule
from security.findings.snapshot import LedgerSnapshot
from security.grading.choices import MlpsConclusion
from security.grading.service import security_statuses
from security.grading.status import SecurityStatus

CITATION = f"{REGULATION} 第三十六条"
ARTICLE = "第三十六条"
FAILING_MLPS = frozenset({MlpsConclusion.POOR, MlpsConclusion.NONCONFORM})


def statuses(snap: LedgerSnapshot) -> list[tuple[Any, SecurityStatus]]:
    """(system row, status) of every system in scope that is not retired, computed once."""

    def compute() -> list[tuple[Any, SecurityStatus]]:
        found = security_statuses(
            snap.session,
            today=snap.today,
            system_ids=snap.scoped_ids(),
            policy=snap.policy,
            calendar=snap.calendar,
        )
        out = []
        for status in found:
            system = snap.systems.get(status.system_id)
            if system is not None and system.lifecycle is not SystemLifecycle.RETIRED:
                out.append((system, status))
        return out

    return snap.memo("security_statuses", compute)


def _graded_level(snap: LedgerSnapshot, system: Any) -> bool:
    return (system.mlps_level or 0) >= snap.policy.int_value("mlps.filing.min_level")


def _hit(system: Any, message: str, **kw: Any) -> Hit:
    return Hit(
        SubjectType.SYSTEM, system.id, system.name, system.owner_unit_id, message, system_id=system.id, **kw
    )


@rule(
    "art36.not_graded",
    title="二级及以上系统无正式定级记录",
    severity=Severity.HIGH,
    citation=CITATION,
    article=ARTICLE,
)
def not_graded(snap: LedgerSnapshot) -> Iterator[Hit]:
    """A system recorded at level 2 or above has no final grading (定级) record."""
    for system, status in statuses(snap):
        if _graded_level(snap, system) and status.mlps.grading_id is None:
            yield _hit(
                system,
                f"信息系统“{system.name}”登记为等保{system.mlps_level}级，但无正式定级记录（定级、专家评审）",
                facts={"level": system.mlps_level},
            )


@rule(
    "art36.filing_overdue",
    title="等保定级后逾期未备案",
    severity=Severity.HIGH,
    citation=CITATION,
    article=ARTICLE,
)
def filing_overdue(snap: LedgerSnapshot) -> Iterator[Hit]:
    """The filing deadline after grading (policy ``mlps.filing.mode``) has passed with no filing."""
    for system, status in statuses(snap):
        if status.mlps.filing_overdue:
            yield _hit(
                system,
                f"信息系统“{system.name}”于 {status.mlps.graded_on} 定级，备案期限 {status.mlps.filing_deadline} 已过，仍未备案",
                due_date=status.mlps.filing_deadline,
                facts={"graded_on": str(status.mlps.graded_on)},
            )


@rule(
    "art36.certificate_expired",
    title="等保备案证明已过期",
    severity=Severity.HIGH,
    citation=CITATION,
    article=ARTICLE,
)
def certificate_expired(snap: LedgerSnapshot) -> Iterator[Hit]:
    """The filing certificate's validity (3 years, extended by assessments) has ended."""
    for system, status in statuses(snap):
        if status.mlps.certificate_expired:
            yield _hit(
                system,
                f"信息系统“{system.name}”的备案证明（{status.mlps.certificate_number}）有效期至 "
                f"{status.mlps.certificate_valid_until}，已过期",
                due_date=status.mlps.certificate_valid_until,
                facts={"certificate_number": status.mlps.certificate_number},
            )


@rule(
    "art36.certificate_expiring",
    title="等保备案证明即将到期",
    severity=Severity.LOW,
    citation=CITATION,
    article=ARTICLE,
)
def certificate_expiring(snap: LedgerSnapshot) -> Iterator[Hit]:
    """The certificate ends within ``mlps.certificate.expiring_warning_days``: apply for renewal."""
    for system, status in statuses(snap):
        if status.mlps.certificate_expiring:
            yield _hit(
                system,
                f"信息系统“{system.name}”的备案证明（{status.mlps.certificate_number}）将于 "
                f"{status.mlps.certificate_valid_until} 到期，请及时申请换证",
                due_date=status.mlps.certificate_valid_until,
                facts={"certificate_number": status.mlps.certificate_number},
            )


@rule(
    "art36.assessment_overdue",
    title="等级测评逾期",
    severity=Severity.HIGH,
    citation=CITATION,
    article=ARTICLE,
)
def assessment_overdue(snap: LedgerSnapshot) -> Iterator[Hit]:
    """The next 等级测评 (interval by level, policy) is past due."""
    for system, status in statuses(snap):
        if status.mlps.assessment_overdue:
            yield _hit(
                system,
                f"信息系统“{system.name}”应于 {status.mlps.next_assessment_due} 前完成等级测评，已逾期",
                due_date=status.mlps.next_assessment_due,
                facts={"last_assessment_on": str(status.mlps.last_assessment_on)},
            )


@rule(
    "art36.assessment_failing",
    title="最近一次等级测评结论为差或不符合",
    severity=Severity.HIGH,
    citation=CITATION,
    article=ARTICLE,
)
def assessment_failing(snap: LedgerSnapshot) -> Iterator[Hit]:
    """The last 等级测评 concluded 差 (2021 template) or 不符合 (2025 template)."""
    for system, status in statuses(snap):
        conclusion = status.mlps.last_conclusion
        if conclusion in FAILING_MLPS:
            assert conclusion is not None
            yield _hit(
                system,
                f"信息系统“{system.name}”{status.mlps.last_assessment_on} 等级测评结论为“{conclusion.label}”",
                discriminator=f"assessment:{status.mlps.last_assessment_id}",
                facts={"assessment_id": status.mlps.last_assessment_id, "conclusion": conclusion.value},
            )


@rule(
    "art36.rectification_overdue",
    title="等保测评整改项逾期未完成",
    severity=Severity.MEDIUM,
    citation=CITATION,
    article=ARTICLE,
)
def rectification_overdue(snap: LedgerSnapshot) -> Iterator[Hit]:
    """Open rectification items of an assessment whose due date has passed (one finding per item)."""
    for system, status in statuses(snap):
        for item_id in status.mlps.overdue_rectification_ids:
            yield _hit(
                system,
                f"信息系统“{system.name}”的等保整改项 {item_id} 已过整改期限，仍未完成",
                discriminator=f"rectification:{item_id}",
                facts={"rectification_id": item_id},
            )
