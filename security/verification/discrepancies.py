"""Ledger against reality: what the findings rules consume from host verification."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.models import Host
from security.verification.choices import CheckOutcome
from security.verification.models import CheckResult
from taizhang.auth.principal import ALL, Scope

OS_CHECK = "TZ-OS-001"


@dataclass(frozen=True)
class Discrepancy:
    host_id: int
    hostname: str
    unit_id: int | None
    check_id: str
    outcome: CheckOutcome
    evidence: str
    checked_at: dt.datetime
    observed_os: str
    ledger_os: str


def verification_discrepancies(
    session: Session, *, scope: Scope = ALL, host_ids: Collection[int] | None = None
) -> list[Discrepancy]:
    """Failing checks, and hosts whose reported OS or version differs from the ledger (TZ-OS-001).

    ``host_ids`` restricts the answer to those hosts (a one-system evaluation reads only its hosts).
    """
    stmt = select(CheckResult, Host).join(Host, Host.id == CheckResult.host_id)
    if host_ids is None:
        stmt = stmt.where(CheckResult.outcome == CheckOutcome.FAIL)
    else:
        # A few hosts: read their results through the (host_id, check_id) index and keep the
        # failures here; filtering on outcome in SQL makes SQLite scan every failure instead.
        stmt = stmt.where(CheckResult.host_id.in_(sorted(host_ids)))
    if not scope.everything:
        stmt = stmt.where(Host.unit_id.in_(scope.unit_ids or []))
    out = []
    for result, host in session.execute(stmt.order_by(Host.hostname, CheckResult.check_id)).all():
        if result.outcome != CheckOutcome.FAIL:
            continue
        observed = result.observed or {}
        observed_os = " ".join(x for x in (observed.get("os_pretty_name", ""),) if x) or "未知"
        if observed.get("os_version_id") and observed["os_version_id"] not in observed_os:
            observed_os = f"{observed_os} {observed['os_version_id']}"
        out.append(
            Discrepancy(
                host_id=host.id,
                hostname=host.hostname,
                unit_id=host.unit_id,
                check_id=result.check_id,
                outcome=result.outcome,
                evidence=result.evidence,
                checked_at=result.checked_at,
                observed_os=observed_os,
                ledger_os=f"{host.os_name} {host.os_version}".strip(),
            )
        )
    return out
