"""Computed dates of 等保, 密评 and risk assessments at their edges (pure functions, no database).

Expected dates are written out by hand from the State Council's 2026 holiday notice: 春节 02-15..02-23
off with 02-14 and 02-28 (Saturdays) worked; 国庆 10-01..10-07 off with 09-20 and 10-10 worked.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from inventory.choices import SystemLifecycle
from inventory.models import System
from security.grading.choices import (
    CryptoConclusion,
    CryptoPlanConclusion,
    GradingStatus,
    MlpsConclusion,
    MlpsTemplate,
    RectificationStatus,
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
from security.grading.service import (
    Records,
    certificate_valid_until,
    compute_crypto_status,
    compute_mlps_status,
    compute_risk_status,
)
from taizhang.policy import Policy, load_policy
from taizhang.workdays import WorkdayCalendar

CAL = WorkdayCalendar()
POLICY = load_policy()


def county(tmp_path: Path, text: str) -> Policy:
    path = tmp_path / "county.toml"
    path.write_text(text, encoding="utf-8")
    return load_policy(path)


def system(level: int | None = 3, **extra: Any) -> System:
    values: dict[str, Any] = {
        "id": 1,
        "catalogue_number": "XF-T-001",
        "name": "测试系统",
        "owner_unit_id": 1,
        "lifecycle": SystemLifecycle.RUNNING,
        "go_live_date": date(2015, 1, 1),
        "mlps_level": level,
        "critical_infrastructure": False,
        "needs_crypto_assessment": True,
    }
    values.update(extra)
    return System(**values)


def grading(graded_on: date, level: int = 3, gid: int = 1, **extra: Any) -> MlpsGrading:
    values: dict[str, Any] = {"status": GradingStatus.FINAL, **extra}
    return MlpsGrading(id=gid, system_id=1, level=level, graded_on=graded_on, **values)


def assessment(day: date, aid: int = 1, **extra: Any) -> MlpsAssessment:
    values: dict[str, Any] = {
        "template_version": MlpsTemplate.V2025,
        "conformity_rate": 92.0,
        "conclusion": MlpsConclusion.CONFORM,
        "high_risk_count": 0,
    }
    values.update(extra)
    return MlpsAssessment(id=aid, system_id=1, assessed_on=day, **values)


def mlps(sys: System, rec: Records, today: date, policy: Policy = POLICY) -> Any:
    return compute_mlps_status(sys, rec, today=today, policy=policy, calendar=CAL)


def crypto(sys: System, rec: Records, today: date, policy: Policy = POLICY) -> Any:
    return compute_crypto_status(sys, rec, today=today, policy=policy, calendar=CAL)


# --- filing deadline ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("graded_on", "deadline"),
    [
        (date(2026, 5, 6), date(2026, 6, 5)),  # Friday: no roll
        (date(2026, 9, 24), date(2026, 10, 26)),  # 10-24 is a Saturday
        (date(2026, 9, 1), date(2026, 10, 8)),  # 10-01 National Day: first working day after the holiday
        (date(2026, 1, 16), date(2026, 2, 24)),  # 02-15 falls in the Spring Festival break
        (date(2026, 1, 15), date(2026, 2, 14)),  # 02-14 is a Saturday but a make-up working day
    ],
)
def test_filing_deadline_30_calendar_days_rolls_onto_working_day(graded_on: date, deadline: date) -> None:
    status = mlps(system(), Records(gradings=[grading(graded_on)]), graded_on)
    assert status.filing_required and status.filing_deadline == deadline


def test_filing_on_deadline_is_in_time_and_a_day_later_is_late() -> None:
    g = grading(date(2026, 9, 1))
    on_time = mlps(
        system(),
        Records(gradings=[g], filings=[MlpsFiling(system_id=1, submitted_on=date(2026, 10, 8))]),
        date(2026, 11, 1),
    )
    assert on_time.filed_on == date(2026, 10, 8) and not on_time.filed_late and not on_time.filing_overdue
    late = mlps(
        system(),
        Records(gradings=[g], filings=[MlpsFiling(system_id=1, submitted_on=date(2026, 10, 9))]),
        date(2026, 11, 1),
    )
    assert late.filed_late and not late.filing_overdue


def test_unfiled_is_overdue_only_after_the_deadline_day() -> None:
    rec = Records(gradings=[grading(date(2026, 9, 1))])
    assert not mlps(system(), rec, date(2026, 10, 8)).filing_overdue
    assert mlps(system(), rec, date(2026, 10, 9)).filing_overdue


def test_filing_before_the_latest_grading_does_not_count() -> None:
    rec = Records(
        gradings=[grading(date(2020, 3, 1), level=2, gid=1), grading(date(2026, 9, 1), gid=2)],
        filings=[MlpsFiling(system_id=1, grading_id=1, submitted_on=date(2020, 3, 20))],
    )
    status = mlps(system(), rec, date(2026, 10, 9))
    assert status.filed_on is None and status.filing_overdue


def test_new_system_counts_from_going_live() -> None:
    sys = system(go_live_date=date(2026, 4, 1))
    status = mlps(sys, Records(gradings=[grading(date(2026, 2, 1))]), date(2026, 5, 1))
    assert status.filing_deadline == date(2026, 5, 6)  # 05-01 is Labour Day; 05-01..05-05 off
    building = system(go_live_date=None, lifecycle=SystemLifecycle.BUILDING)
    waiting = mlps(building, Records(gradings=[grading(date(2026, 2, 1))]), date(2026, 5, 1))
    assert waiting.filing_deadline is None and not waiting.filing_overdue and waiting.notes


def test_filing_mode_switch_counts_working_days(tmp_path: Path) -> None:
    policy = county(tmp_path, 'mlps.filing.mode = "workdays_10"\n')
    status = mlps(system(), Records(gradings=[grading(date(2026, 9, 28))]), date(2026, 10, 1), policy)
    # 09-29, 09-30, then 10-08, 10-09, 10-10 (make-up Saturday), 10-12 .. 10-16
    assert status.filing_deadline == date(2026, 10, 16)


def test_unknown_year_is_noted_never_guessed(tmp_path: Path) -> None:
    status = mlps(system(), Records(gradings=[grading(date(2026, 12, 10))]), date(2026, 12, 11))
    assert status.filing_deadline == date(2027, 1, 9)
    assert any("2027" in note and "未顺延" in note for note in status.notes)
    policy = county(tmp_path, 'mlps.filing.mode = "workdays_10"\n')
    worked = mlps(system(), Records(gradings=[grading(date(2026, 12, 25))]), date(2026, 12, 26), policy)
    assert worked.filing_deadline is None and any("2027" in note for note in worked.notes)


def test_level_one_needs_no_filing_and_no_assessment() -> None:
    status = mlps(system(1), Records(gradings=[grading(date(2026, 1, 5), level=1)]), date(2026, 11, 1))
    assert not status.filing_required and status.filing_deadline is None
    assert status.next_assessment_due is None and not status.assessment_overdue


# --- certificate --------------------------------------------------------------------------------


def test_certificate_valid_three_years_and_extended_per_assessment() -> None:
    issued = date(2023, 5, 31)
    assert certificate_valid_until(issued, [], POLICY) == date(2026, 5, 31)
    assert certificate_valid_until(issued, [date(2024, 5, 10)], POLICY) == date(2027, 5, 31)
    assert certificate_valid_until(issued, [date(2025, 5, 12), date(2024, 5, 10)], POLICY) == date(
        2028, 5, 31
    )


def test_certificate_extension_edges() -> None:
    issued = date(2023, 5, 31)
    assert certificate_valid_until(issued, [issued], POLICY) == date(2026, 5, 31)  # the filing's own test
    assert certificate_valid_until(issued, [date(2026, 5, 31)], POLICY) == date(2027, 5, 31)  # last valid day
    assert certificate_valid_until(issued, [date(2026, 6, 1)], POLICY) == date(
        2026, 5, 31
    )  # lapsed: no revival
    assert certificate_valid_until(date(2024, 2, 29), [], POLICY) == date(2027, 2, 28)


def test_certificate_validity_follows_the_policy(tmp_path: Path) -> None:
    policy = county(tmp_path, "mlps.certificate.validity_years = 4\nmlps.certificate.extension_years = 2\n")
    assert certificate_valid_until(date(2023, 5, 31), [date(2024, 1, 1)], policy) == date(2029, 5, 31)


@pytest.mark.parametrize(
    ("today", "days_left", "expiring", "expired"),
    [
        (date(2026, 4, 30), 31, False, False),
        (date(2026, 5, 1), 30, True, False),
        (date(2026, 5, 31), 0, True, False),
        (date(2026, 6, 1), -1, False, True),
    ],
)
def test_certificate_days_left_and_flags(today: date, days_left: int, expiring: bool, expired: bool) -> None:
    rec = Records(
        gradings=[grading(date(2023, 4, 1))],
        filings=[
            MlpsFiling(
                id=1,
                system_id=1,
                submitted_on=date(2023, 4, 20),
                certificate_number="X-1",
                issued_on=date(2023, 5, 31),
            )
        ],
    )
    status = mlps(system(), rec, today)
    assert status.certificate_valid_until == date(2026, 5, 31)
    assert (status.certificate_days_left, status.certificate_expiring, status.certificate_expired) == (
        days_left,
        expiring,
        expired,
    )
    assert status.renewal_window_opens == date(2026, 2, 28)


# --- assessments --------------------------------------------------------------------------------


def test_next_assessment_level3_yearly_due_day_is_not_overdue() -> None:
    rec = Records(gradings=[grading(date(2020, 1, 6))], assessments=[assessment(date(2025, 11, 26))])
    assert mlps(system(), rec, date(2026, 11, 26)).next_assessment_due == date(2026, 11, 26)
    assert not mlps(system(), rec, date(2026, 11, 26)).assessment_overdue
    late = mlps(system(), rec, date(2026, 11, 27))
    assert late.assessment_overdue and late.days_until_assessment == -1
    assert late.last_conclusion is MlpsConclusion.CONFORM and late.last_template is MlpsTemplate.V2025


def test_level2_every_two_years_and_level4_switch(tmp_path: Path) -> None:
    rec2 = Records(gradings=[grading(date(2020, 1, 6), level=2)], assessments=[assessment(date(2025, 3, 3))])
    assert mlps(system(2), rec2, date(2026, 1, 1)).next_assessment_due == date(2027, 3, 3)
    rec4 = Records(gradings=[grading(date(2020, 1, 6), level=4)], assessments=[assessment(date(2025, 8, 31))])
    assert mlps(system(4), rec4, date(2026, 1, 1)).next_assessment_due == date(2026, 8, 31)
    half = county(tmp_path, 'mlps.assessment.level4_mode = "half_yearly"\n')
    assert mlps(system(4), rec4, date(2026, 1, 1), half).next_assessment_due == date(2026, 2, 28)


def test_never_assessed_new_level3_system_is_due_at_go_live() -> None:
    sys = system(go_live_date=date(2026, 6, 1))
    status = mlps(sys, Records(gradings=[grading(date(2026, 3, 2))]), date(2026, 6, 2))
    assert status.next_assessment_due == date(2026, 6, 1)
    assert status.prelaunch_assessment_missing and status.assessment_overdue
    assessed = mlps(
        sys,
        Records(gradings=[grading(date(2026, 3, 2))], assessments=[assessment(date(2026, 5, 20))]),
        date(2026, 6, 2),
    )
    assert not assessed.prelaunch_assessment_missing and assessed.next_assessment_due == date(2027, 5, 20)


def test_never_assessed_existing_system_counts_from_grading() -> None:
    status = mlps(system(2), Records(gradings=[grading(date(2025, 1, 31), level=2)]), date(2026, 1, 1))
    assert status.next_assessment_due == date(2027, 1, 31) and not status.prelaunch_assessment_missing


def test_level_change_requires_a_retest() -> None:
    gradings = [grading(date(2021, 1, 4), level=2, gid=1), grading(date(2026, 3, 2), level=3, gid=2)]
    before = Records(gradings=gradings, assessments=[assessment(date(2025, 12, 1))])
    assert mlps(system(), before, date(2026, 4, 1)).retest_required
    after = Records(
        gradings=gradings, assessments=[assessment(date(2025, 12, 1)), assessment(date(2026, 3, 20), aid=2)]
    )
    assert not mlps(system(), after, date(2026, 4, 1)).retest_required
    drafts = [gradings[0], grading(date(2026, 3, 2), level=3, gid=2, status=GradingStatus.DRAFT)]
    assert not mlps(
        system(), Records(gradings=drafts, assessments=before.assessments), date(2026, 4, 1)
    ).retest_required


# --- self-checks and rectification --------------------------------------------------------------


def test_self_check_yearly_from_last_check_or_grading() -> None:
    rec = Records(gradings=[grading(date(2024, 2, 29))])
    assert mlps(system(), rec, date(2025, 2, 28)).next_self_check_due == date(2025, 2, 28)
    assert mlps(system(), rec, date(2025, 3, 1)).self_check_overdue
    rec.self_checks = [MlpsSelfCheck(id=1, system_id=1, checked_on=date(2025, 12, 15))]
    status = mlps(system(), rec, date(2026, 12, 15))
    assert status.next_self_check_due == date(2026, 12, 15) and not status.self_check_overdue


def test_rectification_overdue_after_its_due_day_only_while_open() -> None:
    items = [
        MlpsRectification(id=1, system_id=1, due_on=date(2026, 11, 26), status=RectificationStatus.OPEN),
        MlpsRectification(id=2, system_id=1, due_on=date(2026, 11, 25), status=RectificationStatus.OPEN),
        MlpsRectification(id=3, system_id=1, due_on=date(2026, 1, 1), status=RectificationStatus.DONE),
    ]
    status = mlps(
        system(), Records(gradings=[grading(date(2026, 1, 5))], rectifications=items), date(2026, 11, 26)
    )
    assert (status.open_rectifications, status.overdue_rectifications) == (2, 1)
    assert status.overdue_rectification_ids == [2]


# --- 密评 -----------------------------------------------------------------------------------------


def crypto_assessment(day: date, filed_on: date | None = None, **extra: Any) -> CryptoAssessment:
    values: dict[str, Any] = {
        "score": 82.0,
        "conclusion": CryptoConclusion.BASIC_CONFORM,
        "rule_version": "2023",
    }
    values.update(extra)
    return CryptoAssessment(id=1, system_id=1, assessed_on=day, filed_on=filed_on, **values)


def test_crypto_result_filing_deadline_rolls_past_national_day() -> None:
    rec = Records(crypto_assessments=[crypto_assessment(date(2026, 9, 1))])
    assert crypto(system(), rec, date(2026, 10, 8)).result_filing_deadline == date(2026, 10, 8)
    assert not crypto(system(), rec, date(2026, 10, 8)).result_filing_overdue
    assert crypto(system(), rec, date(2026, 10, 9)).result_filing_overdue
    filed = Records(crypto_assessments=[crypto_assessment(date(2026, 9, 1), filed_on=date(2026, 10, 9))])
    status = crypto(system(), filed, date(2026, 11, 1))
    assert status.result_filed_late and not status.result_filing_overdue


def test_crypto_next_due_yearly_and_level_follows_system() -> None:
    rec = Records(crypto_assessments=[crypto_assessment(date(2025, 11, 26))])
    status = crypto(system(3), rec, date(2026, 11, 27))
    assert status.level == 3 and status.in_scope
    assert status.next_assessment_due == date(2026, 11, 26) and status.assessment_overdue
    assert not crypto(system(3), rec, date(2026, 11, 26)).assessment_overdue


def test_crypto_never_assessed_live_system_is_due_at_go_live_and_plan_missing() -> None:
    status = crypto(system(2, go_live_date=date(2024, 7, 1)), Records(), date(2026, 1, 1))
    assert (
        status.next_assessment_due == date(2024, 7, 1) and status.assessment_overdue and status.plan_missing
    )
    plans = [
        CryptoPlan(
            id=1,
            system_id=1,
            drafted_on=date(2024, 1, 2),
            evaluated_on=date(2024, 2, 1),
            conclusion=CryptoPlanConclusion.PASSED,
        )
    ]
    assert not crypto(system(2), Records(crypto_plans=plans), date(2026, 1, 1)).plan_missing


def test_crypto_scope_follows_the_policy(tmp_path: Path) -> None:
    assert not crypto(system(3, needs_crypto_assessment=False), Records(), date(2026, 1, 1)).in_scope
    narrow = county(tmp_path, "crypto.scope.government_systems = false\n")
    assert not crypto(system(2), Records(), date(2026, 1, 1), narrow).in_scope
    assert crypto(system(3), Records(), date(2026, 1, 1), narrow).in_scope
    assert crypto(system(2, critical_infrastructure=True), Records(), date(2026, 1, 1), narrow).in_scope


def test_crypto_failing_flag() -> None:
    rec = Records(
        crypto_assessments=[
            crypto_assessment(date(2026, 3, 2), score=40.0, conclusion=CryptoConclusion.NONCONFORM)
        ]
    )
    assert crypto(system(), rec, date(2026, 4, 1)).failing


# --- risk assessments ---------------------------------------------------------------------------


def test_risk_assessment_yearly() -> None:
    rec = Records(
        risk_assessments=[
            RiskAssessment(
                id=1,
                system_id=1,
                assessed_on=date(2025, 11, 26),
                high_count=1,
                medium_count=4,
                low_count=9,
                report_reference="FX-1",
            )
        ]
    )
    status = compute_risk_status(system(), rec, today=date(2026, 11, 26), policy=POLICY, calendar=CAL)
    assert status.next_assessment_due == date(2026, 11, 26) and not status.assessment_overdue
    assert (status.high_count, status.medium_count, status.low_count) == (1, 4, 9)
    later = compute_risk_status(system(), rec, today=date(2026, 11, 27), policy=POLICY, calendar=CAL)
    assert later.assessment_overdue
    never = compute_risk_status(system(), Records(), today=date(2026, 11, 27), policy=POLICY, calendar=CAL)
    assert never.never_assessed and never.next_assessment_due is None


def test_crypto_result_filing_in_an_unknown_year_is_noted() -> None:
    status = crypto(
        system(), Records(crypto_assessments=[crypto_assessment(date(2026, 12, 10))]), date(2026, 12, 11)
    )
    assert status.result_filing_deadline == date(2027, 1, 9)
    assert any("密评结果备案期限" in note and "2027" in note for note in status.notes)


def test_crypto_result_filing_follows_the_policy(tmp_path: Path) -> None:
    policy = county(tmp_path, "crypto.result_filing.days = 20\ncrypto.assessment.months = 6\n")
    status = crypto(
        system(),
        Records(crypto_assessments=[crypto_assessment(date(2026, 9, 11))]),
        date(2026, 10, 1),
        policy,
    )
    assert status.result_filing_deadline == date(2026, 10, 8)  # 10-01 falls in the National Day break
    assert status.next_assessment_due == date(2027, 3, 11)
