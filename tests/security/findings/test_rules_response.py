"""第三十七条 and ledger-versus-reality rules fire and keep quiet (both databases)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from inventory.choices import SystemLifecycle
from security.findings.choices import Severity, SubjectType
from security.findings.rules import get_rule
from security.response.choices import DrillType, IncidentCategory, IncidentGrade
from security.response.models import Drill, EmergencyPlan, Incident
from security.verification.choices import CheckOutcome
from security.verification.models import CheckResult

D = dt.date
TODAY = D(2026, 11, 20)
CST = dt.timezone(dt.timedelta(hours=8))


def ids(ledger: Any, rule: str, today: dt.date = TODAY, **kw: Any) -> list[int]:
    return sorted(h.subject_id for h in ledger.hits(rule, today, **kw))


def test_no_emergency_plan(ledger: Any) -> None:
    unit, covered_unit = ledger.unit(), ledger.unit()
    bare = ledger.system(unit, mlps_level=2)
    own = ledger.system(unit, mlps_level=3)
    ledger.add(EmergencyPlan(name="预案", unit_id=unit.id, system_id=own.id, approved_on=D(2026, 3, 2)))
    ledger.system(unit, mlps_level=1)  # below emergency.plan.min_level
    ledger.system(unit, mlps_level=3, lifecycle=SystemLifecycle.BUILDING)
    ledger.add(EmergencyPlan(name="单位预案", unit_id=covered_unit.id, approved_on=D(2026, 3, 2)))
    ledger.system(covered_unit, mlps_level=3)  # covered by its unit's plan
    assert ids(ledger, "art37.no_emergency_plan") == [bare.id]
    assert ids(ledger, "art37.no_emergency_plan", system_ids=[own.id]) == []


def test_drill_and_review_overdue(ledger: Any) -> None:
    unit = ledger.unit()
    stale = ledger.system(unit, mlps_level=3)
    plan = ledger.add(
        EmergencyPlan(name="预案", unit_id=unit.id, system_id=stale.id, approved_on=D(2024, 3, 1))
    )
    ledger.add(
        Drill(plan_id=plan.id, drill_type=DrillType.TABLETOP, scenario="勒索病毒", held_on=D(2025, 6, 2))
    )
    fresh = ledger.system(unit, mlps_level=2)
    fresh_plan = ledger.add(
        EmergencyPlan(name="预案2", unit_id=unit.id, system_id=fresh.id, approved_on=D(2024, 3, 1))
    )
    ledger.add(
        Drill(plan_id=fresh_plan.id, drill_type=DrillType.LIVE, scenario="断电", held_on=D(2026, 6, 2))
    )
    assert ids(ledger, "art37.drill_overdue") == [stale.id]
    assert ids(ledger, "art37.plan_review_overdue") == [stale.id]  # level 3: yearly review; level 2 none
    assert ids(ledger, "art37.drill_overdue", D(2026, 6, 1)) == []


def _incident(ledger: Any, unit: Any, systems: list[Any], **kw: Any) -> Incident:
    values: dict[str, Any] = {
        "title": f"网站篡改{len(systems)}{kw.get('grade', '')}",
        "unit_id": unit.id,
        "category": IncidentCategory.ATTACK,
        "grade": IncidentGrade.LARGER,
        "occurred_at": dt.datetime(2026, 10, 9, 7, 30, tzinfo=CST),
        "detected_at": dt.datetime(2026, 10, 9, 8, 0, tzinfo=CST),
        "systems": systems,
        **kw,
    }
    return ledger.add(Incident(**values))  # type: ignore[no-any-return]


def test_incident_report_and_summary(ledger: Any) -> None:
    unit = ledger.unit()
    system = ledger.system(unit)
    other = ledger.system(unit)
    late = _incident(ledger, unit, [system], reported_at=dt.datetime(2026, 10, 10, 9, 0, tzinfo=CST))
    _incident(ledger, unit, [other], reported_at=dt.datetime(2026, 10, 9, 9, 0, tzinfo=CST))
    _incident(ledger, unit, [other], grade=IncidentGrade.GENERAL)  # below incident.report.min_grade
    unnamed = _incident(ledger, unit, [])  # never reported, no system named
    hits = ledger.hits("art37.incident_report_late", TODAY)
    assert sorted((h.subject_type, h.subject_id, h.discriminator) for h in hits) == sorted(
        [
            (SubjectType.SYSTEM, system.id, f"report:{late.id}"),
            (SubjectType.UNIT, unit.id, f"report:{unnamed.id}"),
        ]
    )
    assert ids(ledger, "art37.incident_report_late", system_ids=[system.id]) == [system.id]
    # summary: handling ended Thursday 15 October; 30 days later is Saturday 14 November, rolled to Monday
    ended = _incident(
        ledger,
        unit,
        [other],
        reported_at=dt.datetime(2026, 10, 9, 9, 0, tzinfo=CST),
        handling_ended_at=dt.datetime(2026, 10, 15, 18, 0, tzinfo=CST),
    )
    hits = ledger.hits("art37.incident_summary_late", TODAY)
    assert [h.discriminator for h in hits] == [f"summary:{ended.id}"]
    due = hits[0].due_date
    assert due == D(2026, 11, 16)
    assert ledger.hits("art37.incident_summary_late", D(2026, 11, 15)) == []
    assert ledger.hits("art37.incident_summary_late", due) == []
    assert len(ledger.hits("art37.incident_summary_late", due + dt.timedelta(days=1))) == 1


def _result(ledger: Any, host: Any, check: str, outcome: CheckOutcome, **kw: Any) -> CheckResult:
    return ledger.add(  # type: ignore[no-any-return]
        CheckResult(
            host_id=host.id,
            check_id=check,
            outcome=outcome,
            checked_at=dt.datetime(2026, 11, 19, tzinfo=CST),
            **kw,
        )
    )


def test_verification_failures_and_errors(ledger: Any) -> None:
    unit = ledger.unit()
    system = ledger.system(unit)
    mismatch = ledger.host([system], os_name="麒麟", os_version="V10")
    ok = ledger.host([system])
    down = ledger.host([system])
    _result(ledger, mismatch, "TZ-OS-001", CheckOutcome.FAIL, observed={"os_pretty_name": "CentOS Linux 7"})
    _result(ledger, mismatch, "TZ-SSH-001", CheckOutcome.PASS)
    _result(ledger, ok, "TZ-OS-001", CheckOutcome.PASS)
    _result(ledger, ok, "TZ-SSH-001", CheckOutcome.NOT_APPLICABLE)
    _result(ledger, down, "TZ-OS-001", CheckOutcome.ERROR, evidence="unreachable")
    hits = ledger.hits("verify.check_failed", TODAY)
    assert [(h.subject_id, h.discriminator, h.system_id) for h in hits] == [
        (mismatch.id, "TZ-OS-001", system.id)
    ]
    assert "CentOS Linux 7" in hits[0].message and "麒麟 V10" in hits[0].message
    errors = ledger.hits("verify.unverifiable", TODAY)
    assert [h.subject_id for h in errors] == [down.id]
    rule = get_rule("verify.unverifiable")
    assert rule is not None and rule.severity is Severity.LOW
    other = ledger.system(unit)
    assert ledger.hits("verify.check_failed", TODAY, system_ids=[other.id]) == []
