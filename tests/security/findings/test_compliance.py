"""The NetBox compliance provider: open findings of a host and its systems, latest verification."""

from __future__ import annotations

import datetime as dt
from typing import Any

from security.findings.choices import FindingState
from security.findings.compliance import host_compliance
from security.findings.models import Finding
from security.verification.choices import CheckOutcome
from security.verification.models import CheckResult

TODAY = dt.date(2026, 11, 20)
UTC = dt.UTC


def test_host_compliance_counts_host_and_system_findings(ledger: Any, session: Any) -> None:
    unit = ledger.unit()
    system, other = ledger.system(unit, catalogue_number=" "), ledger.system(unit)
    shared = ledger.host([system, other], os_name="麒麟", os_version="V10")
    alone = ledger.host([other])
    orphan = ledger.host([], unit_id=unit.id)
    at = dt.datetime(2026, 11, 19, 18, 30, tzinfo=UTC)  # 20 November in Shanghai
    for host, check, outcome in (
        (shared, "TZ-OS-001", CheckOutcome.FAIL),
        (shared, "TZ-SSH-001", CheckOutcome.PASS),
        (alone, "TZ-OS-001", CheckOutcome.PASS),
        (alone, "TZ-SSH-001", CheckOutcome.NOT_APPLICABLE),
    ):
        ledger.add(CheckResult(host_id=host.id, check_id=check, outcome=outcome, checked_at=at))
    ledger.evaluate(TODAY)  # art10: blank catalogue number (system); host without system; OS mismatch
    open_ = {
        (f.rule_id, f.subject_id)
        for f in session.query(Finding).filter(Finding.state == FindingState.OPEN).all()
    }
    assert ("art10.system_without_catalogue_number", system.id) in open_
    assert ("art10.host_without_system", orphan.id) in open_
    assert ("verify.check_failed", shared.id) in open_

    def expected(host: Any, systems: list[Any]) -> int:
        return sum(
            1
            for f in session.query(Finding).filter(Finding.state == FindingState.OPEN).all()
            if (f.subject_type.value == "host" and f.subject_id == host.id)
            or (f.subject_type.value == "system" and f.subject_id in {s.id for s in systems})
        )

    found = host_compliance(session, [shared.id, alone.id, orphan.id])
    assert found[shared.id].open_findings == expected(shared, [system, other]) >= 2
    assert found[alone.id].open_findings == expected(alone, [other])
    assert found[orphan.id].open_findings == 1
    assert found[shared.id].last_verification == "不符合（2026-11-20）"
    assert found[alone.id].last_verification == "符合（2026-11-20）"
    assert found[orphan.id].last_verification is None
    assert host_compliance(session, []) == {}
