"""Ledger against reality (第三十六条 “切实保障……安全稳定运行”, 第二十一条 台账真实): host verification.

- ``verify.check_failed``: the latest result of a verification check on a host is 不符合; the
  OS check (TZ-OS-001) failing means the host runs another OS or version than the ledger says.
  Read through ``security.verification.discrepancies.verification_discrepancies`` (one query).
- ``verify.unverifiable``: the latest result is 检查出错 (host unreachable, login refused, no
  Python...). It is not evidence of non-compliance, so it is a separate low-severity rule
  (“无法核验”): the ledger cannot be confirmed for that host until it can be checked. Results
  ``not_applicable`` / ``not_checked`` produce nothing.

Hosts outside the snapshot's scope are skipped, so a one-system evaluation sees that system's hosts.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select

from security.findings.choices import Severity, SubjectType
from security.findings.rules import REGULATION, Hit, rule
from security.findings.snapshot import LedgerSnapshot
from security.verification.choices import CheckOutcome
from security.verification.discrepancies import OS_CHECK, verification_discrepancies
from security.verification.models import CheckResult

CITATION = f"{REGULATION} 第三十六条"


def _system_of(snap: LedgerSnapshot, host_id: int) -> int | None:
    linked = sorted(snap.host_system_links.get(host_id, []))
    return linked[0] if linked else None


@rule(
    "verify.check_failed",
    title="主机核验不符合：台账与实际不一致或安全检查未通过",
    severity=Severity.MEDIUM,
    citation=CITATION,
    article="第三十六条",
)
def check_failed(snap: LedgerSnapshot) -> Iterator[Hit]:
    """The latest result of a check on a host is 不符合 (OS mismatch with the ledger, or a failed control)."""
    host_ids = list(snap.hosts) if snap.partial else None
    found = snap.memo(
        "verification_discrepancies", lambda: verification_discrepancies(snap.session, host_ids=host_ids)
    )
    for d in found:
        host = snap.hosts.get(d.host_id)
        if host is None:
            continue
        if d.check_id == OS_CHECK:
            message = f"主机 {d.hostname} 实际操作系统为“{d.observed_os}”，与台账登记的“{d.ledger_os}”不一致"
        else:
            message = f"主机 {d.hostname} 核验项 {d.check_id} 不符合"
        yield Hit(
            SubjectType.HOST,
            host.id,
            host.hostname,
            snap.host_unit(host),
            message,
            system_id=_system_of(snap, host.id),
            discriminator=d.check_id,
            facts={
                "check_id": d.check_id,
                "evidence": d.evidence[:500],
                "checked_at": d.checked_at.isoformat(),
            },
        )


@rule(
    "verify.unverifiable",
    title="无法核验：主机核验出错（不可达或无法登录）",
    severity=Severity.LOW,
    citation=CITATION,
    article="第三十六条",
)
def unverifiable(snap: LedgerSnapshot) -> Iterator[Hit]:
    """The latest results on a host are 检查出错: the ledger cannot be confirmed (one finding per host)."""
    stmt = select(CheckResult.host_id, CheckResult.check_id).where(CheckResult.outcome == CheckOutcome.ERROR)
    if snap.partial:
        stmt = stmt.where(CheckResult.host_id.in_(sorted(snap.hosts)))
    errors: dict[int, list[str]] = {}
    for host_id, check_id in snap.session.execute(stmt):
        errors.setdefault(host_id, []).append(check_id)
    for host_id, checks in sorted(errors.items()):
        host = snap.hosts.get(host_id)
        if host is None:
            continue
        yield Hit(
            SubjectType.HOST,
            host.id,
            host.hostname,
            snap.host_unit(host),
            f"主机 {host.hostname} 核验出错，无法确认台账登记与实际是否一致",
            system_id=_system_of(snap, host.id),
            facts={"check_ids": sorted(checks)},
        )
