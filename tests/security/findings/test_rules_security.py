"""第三十六条 (等保, 密评, risk) rules fire and keep quiet (both databases)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from security.grading.choices import (
    CryptoConclusion,
    CryptoPlanConclusion,
    MlpsConclusion,
    MlpsTemplate,
    RiskMethod,
)
from security.grading.models import (
    CryptoAssessment,
    CryptoPlan,
    MlpsAssessment,
    MlpsFiling,
    MlpsGrading,
    MlpsRectification,
    RiskAssessment,
)
from taizhang.policy import get_policy
from taizhang.workdays import get_calendar

D = dt.date
TODAY = D(2026, 11, 20)
_n = iter(range(1, 10_000))


def grade(ledger: Any, system: Any, on: dt.date, level: int = 3) -> MlpsGrading:
    return ledger.add(MlpsGrading(system_id=system.id, level=level, graded_on=on))  # type: ignore[no-any-return]


def assess(ledger: Any, system: Any, on: dt.date, conclusion: MlpsConclusion = MlpsConclusion.CONFORM) -> Any:
    return ledger.add(
        MlpsAssessment(
            system_id=system.id,
            assessed_on=on,
            agency="测评机构",
            report_number=f"R-{next(_n)}",
            template_version=MlpsTemplate.V2025,
            conclusion=conclusion,
            conformity_rate=95.0 if conclusion is MlpsConclusion.CONFORM else 50.0,
            high_risk_count=0,
        )
    )


def ids(ledger: Any, rule: str, today: dt.date = TODAY, **kw: Any) -> list[int]:
    return sorted(h.subject_id for h in ledger.hits(rule, today, **kw))


def test_not_graded(ledger: Any) -> None:
    unit = ledger.unit()
    missing = ledger.system(unit, mlps_level=2)
    graded = ledger.system(unit, mlps_level=3)
    grade(ledger, graded, D(2026, 1, 5))
    ledger.system(unit, mlps_level=1)
    ledger.system(unit)
    assert ids(ledger, "art36.not_graded") == [missing.id]


def test_filing_deadline_rolls_to_the_next_working_day(ledger: Any) -> None:
    unit = ledger.unit()
    system = ledger.system(unit, mlps_level=3, go_live_date=D(2026, 1, 5))
    graded_on = D(2026, 10, 1)  # + 30 days = Saturday 31 October
    grade(ledger, system, graded_on)
    deadline = get_policy().mlps_filing_deadline(graded_on, calendar=get_calendar())
    assert deadline > graded_on + dt.timedelta(days=30)  # rolled past the weekend
    assert ids(ledger, "art36.filing_overdue", graded_on + dt.timedelta(days=31)) == []
    assert ids(ledger, "art36.filing_overdue", deadline) == []
    assert ids(ledger, "art36.filing_overdue", deadline + dt.timedelta(days=1)) == [system.id]
    ledger.add(MlpsFiling(system_id=system.id, submitted_on=deadline + dt.timedelta(days=2)))
    ledger.session.expire_all()
    assert ids(ledger, "art36.filing_overdue", deadline + dt.timedelta(days=5)) == []


def test_certificate_expired_and_expiring(ledger: Any) -> None:
    unit = ledger.unit()
    system = ledger.system(unit, mlps_level=2)
    grade(ledger, system, D(2023, 1, 2), level=2)
    ledger.add(
        MlpsFiling(
            system_id=system.id,
            submitted_on=D(2023, 1, 10),
            certificate_number="C-1",
            issued_on=D(2023, 12, 1),
        )
    )
    warning = get_policy().days("mlps.certificate.expiring_warning_days")
    valid_until = D(2026, 12, 1)
    assert ids(ledger, "art36.certificate_expiring", valid_until - dt.timedelta(days=warning + 1)) == []
    assert ids(ledger, "art36.certificate_expiring", valid_until - dt.timedelta(days=warning)) == [system.id]
    assert ids(ledger, "art36.certificate_expired", valid_until) == []
    assert ids(ledger, "art36.certificate_expired", valid_until + dt.timedelta(days=1)) == [system.id]
    assert ids(ledger, "art36.certificate_expiring", valid_until + dt.timedelta(days=1)) == []


def test_assessment_overdue_failing_and_rectification(ledger: Any) -> None:
    unit = ledger.unit()
    overdue = ledger.system(unit, mlps_level=3)
    grade(ledger, overdue, D(2024, 3, 1))
    assess(ledger, overdue, D(2025, 3, 1))
    fresh = ledger.system(unit, mlps_level=3)
    grade(ledger, fresh, D(2024, 3, 1))
    failed = assess(ledger, fresh, D(2026, 6, 1), MlpsConclusion.NONCONFORM)
    ledger.add(
        MlpsRectification(
            system_id=fresh.id, assessment_id=failed.id, description="弱口令", owner="王五", due_on=TODAY
        )
    )
    late = ledger.add(
        MlpsRectification(
            system_id=fresh.id,
            assessment_id=failed.id,
            description="日志留存不足",
            owner="王五",
            due_on=TODAY - dt.timedelta(days=1),
        )
    )
    assert ids(ledger, "art36.assessment_overdue") == [overdue.id]
    assert ids(ledger, "art36.assessment_failing") == [fresh.id]
    hits = ledger.hits("art36.rectification_overdue", TODAY)
    assert [h.discriminator for h in hits] == [f"rectification:{late.id}"]


def test_crypto_rules(ledger: Any) -> None:
    unit = ledger.unit()
    system = ledger.system(unit, mlps_level=3, go_live_date=D(2025, 1, 6))
    other = ledger.system(unit, mlps_level=3, go_live_date=D(2025, 1, 6))
    ledger.add(
        CryptoPlan(
            system_id=other.id,
            drafted_on=D(2024, 5, 1),
            evaluated_on=D(2024, 6, 1),
            conclusion=CryptoPlanConclusion.PASSED,
        )
    )
    ledger.add(
        CryptoPlan(
            system_id=system.id,
            drafted_on=D(2024, 5, 1),
            evaluated_on=D(2024, 9, 1),
            conclusion=CryptoPlanConclusion.PASSED,
        )
    )
    late_plan = ledger.project(unit, [system], approved_on=D(2024, 8, 1))
    ledger.project(unit, [other], approved_on=D(2024, 8, 1))
    ledger.project(unit, [system])  # not approved: no gate yet
    hits = ledger.hits("art36.crypto_plan_missing_before_approval", TODAY)
    assert [(h.subject_id, h.system_id) for h in hits] == [(late_plan.id, system.id)]
    ledger.add(
        CryptoAssessment(
            system_id=other.id,
            assessed_on=D(2026, 3, 2),
            agency="密评机构",
            report_number=f"M-{next(_n)}",
            score=50.0,
            conclusion=CryptoConclusion.NONCONFORM,
            rule_version="2023",
        )
    )
    assert ids(ledger, "art36.crypto_assessment_failing") == [other.id]
    assert ids(ledger, "art36.crypto_assessment_overdue") == [system.id]  # never assessed, live since 2025


def test_risk_assessment(ledger: Any) -> None:
    unit = ledger.unit()
    never = ledger.system(unit, mlps_level=2)
    old = ledger.system(unit, mlps_level=3)
    recent = ledger.system(unit, mlps_level=3)
    ledger.system(unit, mlps_level=1)

    def risk(system: Any, on: dt.date) -> None:
        ledger.add(
            RiskAssessment(system_id=system.id, assessed_on=on, scope="全系统", method=RiskMethod.SELF)
        )

    risk(old, D(2025, 6, 1))
    risk(recent, D(2026, 6, 1))
    assert ids(ledger, "art36.risk_assessment_overdue") == sorted([never.id, old.id])
    assert ids(ledger, "art36.risk_assessment_overdue", system_ids=[recent.id]) == []
