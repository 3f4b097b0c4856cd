"""Due dates and flags of 等保, 密评 and risk assessments, as pure functions of a system and its records.

Every number comes from the policy, every working day from the working-day calendar. A due date D
means "done on or before D"; a record is overdue when ``today > D``. The records may be unsaved
objects: nothing here touches the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from inventory.models import System
from security.grading.choices import (
    CryptoConclusion,
    CryptoPlanConclusion,
    GradingStatus,
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
from security.grading.status import CryptoStatus, MlpsStatus, RiskStatus
from taizhang.policy import Policy
from taizhang.workdays import UnknownYearError, WorkdayCalendar, add_months

SHANGHAI = ZoneInfo("Asia/Shanghai")
_NOT_LIVE = ("planning", "building")


def shanghai_today() -> dt.date:
    return dt.datetime.now(SHANGHAI).date()


@dataclass
class Records:
    """One system's security records (any order)."""

    gradings: list[MlpsGrading] = field(default_factory=list)
    filings: list[MlpsFiling] = field(default_factory=list)
    assessments: list[MlpsAssessment] = field(default_factory=list)
    self_checks: list[MlpsSelfCheck] = field(default_factory=list)
    rectifications: list[MlpsRectification] = field(default_factory=list)
    crypto_plans: list[CryptoPlan] = field(default_factory=list)
    crypto_assessments: list[CryptoAssessment] = field(default_factory=list)
    risk_assessments: list[RiskAssessment] = field(default_factory=list)


@dataclass
class _Ctx:
    policy: Policy
    calendar: WorkdayCalendar
    today: dt.date
    notes: list[str] = field(default_factory=list)

    def days_to(self, due: dt.date | None) -> int | None:
        return None if due is None else (due - self.today).days

    def overdue(self, due: dt.date | None) -> bool:
        return due is not None and self.today > due

    def rolled(self, label: str, compute: Callable[[], dt.date], fallback: dt.date | None) -> dt.date | None:
        """A deadline that needs the working-day calendar; an unknown year gives a noted fallback."""
        try:
            return compute()
        except UnknownYearError as exc:
            shown = fallback.isoformat() if fallback else "无法计算"
            self.notes.append(f"{label}：{exc.year} 年工作日安排未知，期限未顺延至工作日（{shown}）")
            return fallback


def _latest(items: Iterable[Any], attr: str) -> Any | None:
    dated = [i for i in items if getattr(i, attr) is not None]
    return max(dated, key=lambda i: (getattr(i, attr), i.id or 0)) if dated else None


# --- 等保 ------------------------------------------------------------------------------------


def _filing_start(system: System, graded_on: dt.date, ctx: _Ctx) -> dt.date | None:
    """公通字〔2007〕43号 第十五条: 30 days after grading, for a new system after it goes live."""
    if ctx.policy.text("mlps.filing.mode") == "workdays_10":
        return graded_on
    if system.go_live_date is not None:
        return max(graded_on, system.go_live_date)
    if str(system.lifecycle) in _NOT_LIVE:
        ctx.notes.append("新建系统尚未投入运行：备案期限自投入运行之日起算")
        return None
    return graded_on


def _filing_deadline(start: dt.date, ctx: _Ctx) -> dt.date | None:
    policy = ctx.policy
    if policy.text("mlps.filing.mode") == "workdays_10":
        return ctx.rolled("备案期限", lambda: policy.mlps_filing_deadline(start, calendar=ctx.calendar), None)
    plain = policy.deadline("mlps.filing.calendar_days", start, calendar=ctx.calendar, roll_to_workday=False)
    return ctx.rolled("备案期限", lambda: policy.mlps_filing_deadline(start, calendar=ctx.calendar), plain)


def certificate_valid_until(
    issued_on: dt.date, assessment_dates: Iterable[dt.date], policy: Policy
) -> dt.date:
    """公网安〔2025〕1846号: valid 3 years; each assessment completed while valid extends it 1 year.

    An assessment completed after the certificate lapsed does not revive it.
    """
    valid_until = policy.deadline("mlps.certificate.validity_years", issued_on, roll_to_workday=False)
    for day in sorted(d for d in assessment_dates if d > issued_on):
        if day > valid_until:
            break
        valid_until = policy.deadline("mlps.certificate.extension_years", valid_until, roll_to_workday=False)
    return valid_until


def _apply_filing(status: MlpsStatus, system: System, grading: MlpsGrading, rec: Records, ctx: _Ctx) -> None:
    policy = ctx.policy
    status.filing_required = grading.level >= policy.int_value("mlps.filing.min_level")
    filed = [f for f in rec.filings if f.grading_id == grading.id or f.submitted_on >= grading.graded_on]
    first = min(filed, key=lambda f: f.submitted_on) if filed else None
    status.filed_on = first.submitted_on if first else None
    if not status.filing_required:
        return
    start = _filing_start(system, grading.graded_on, ctx)
    status.filing_deadline = _filing_deadline(start, ctx) if start else None
    if status.filing_deadline is not None:
        if status.filed_on is None:
            status.filing_overdue = ctx.overdue(status.filing_deadline)
        else:
            status.filed_late = status.filed_on > status.filing_deadline


def _apply_certificate(status: MlpsStatus, rec: Records, ctx: _Ctx) -> None:
    filing = _latest(rec.filings, "issued_on")
    if filing is None:
        return
    status.certificate_number = filing.certificate_number
    status.certificate_issued_on = filing.issued_on
    until = certificate_valid_until(filing.issued_on, (a.assessed_on for a in rec.assessments), ctx.policy)
    status.certificate_valid_until = until
    status.certificate_days_left = ctx.days_to(until)
    status.certificate_expired = ctx.overdue(until)
    warning = ctx.policy.days("mlps.certificate.expiring_warning_days")
    left = status.certificate_days_left or 0
    status.certificate_expiring = not status.certificate_expired and left <= warning
    window = ctx.policy.months("mlps.certificate.renewal_window_months")
    status.renewal_window_opens = add_months(until, -window)


def _apply_assessment(
    status: MlpsStatus, system: System, grading: MlpsGrading, rec: Records, ctx: _Ctx
) -> None:
    policy = ctx.policy
    last = _latest(rec.assessments, "assessed_on")
    if last is not None:
        status.last_assessment_id = last.id
        status.last_assessment_on = last.assessed_on
        status.last_template = last.template_version
        status.last_conclusion = last.conclusion
        status.last_score = last.score
        status.last_conformity_rate = last.conformity_rate
        status.last_high_risk_count = last.high_risk_count
    interval = policy.assessment_interval_months(grading.level)
    status.assessment_interval_months = interval
    if interval is None:
        return
    live = system.go_live_date
    prelaunch = (
        grading.level >= policy.int_value("mlps.assessment.prelaunch_min_level")
        and live is not None
        and live >= grading.graded_on
    )
    if prelaunch and live is not None:
        status.prelaunch_assessment_missing = not any(a.assessed_on <= live for a in rec.assessments)
    if last is not None:
        status.next_assessment_due = add_months(last.assessed_on, interval)
    elif prelaunch:
        status.next_assessment_due = live
    else:
        status.next_assessment_due = add_months(grading.graded_on, interval)
    status.days_until_assessment = ctx.days_to(status.next_assessment_due)
    status.assessment_overdue = ctx.overdue(status.next_assessment_due)
    finals = sorted(
        (g for g in rec.gradings if g.status is GradingStatus.FINAL), key=lambda g: (g.graded_on, g.id or 0)
    )
    level_changed = len(finals) >= 2 and finals[-1].level != finals[-2].level
    not_retested = last is None or last.assessed_on < grading.graded_on
    status.retest_required = (
        policy.flag("mlps.assessment.retest_after_major_change") and level_changed and not_retested
    )


def _apply_self_check(status: MlpsStatus, grading: MlpsGrading, rec: Records, ctx: _Ctx) -> None:
    last = _latest(rec.self_checks, "checked_on")
    status.last_self_check_on = last.checked_on if last else None
    base = last.checked_on if last else grading.graded_on
    status.next_self_check_due = add_months(base, ctx.policy.months("mlps.self_check.months"))
    status.self_check_overdue = ctx.overdue(status.next_self_check_due)


def _apply_rectifications(status: MlpsStatus, rec: Records, ctx: _Ctx) -> None:
    open_items = [r for r in rec.rectifications if r.status is RectificationStatus.OPEN]
    overdue = sorted(r.id for r in open_items if ctx.overdue(r.due_on))
    status.open_rectifications = len(open_items)
    status.overdue_rectification_ids = overdue
    status.overdue_rectifications = len(overdue)


def compute_mlps_status(
    system: System, records: Records, *, today: dt.date, policy: Policy, calendar: WorkdayCalendar
) -> MlpsStatus:
    ctx = _Ctx(policy, calendar, today)
    status = MlpsStatus(system_id=system.id, level=system.mlps_level, policy_version=policy.version)
    _apply_rectifications(status, records, ctx)
    finals = [g for g in records.gradings if g.status is GradingStatus.FINAL]
    grading = _latest(finals, "graded_on")
    if grading is not None:
        status.grading_id = grading.id
        status.graded_on = grading.graded_on
        _apply_filing(status, system, grading, records, ctx)
        _apply_assessment(status, system, grading, records, ctx)
        _apply_self_check(status, grading, records, ctx)
    elif system.mlps_level is not None:
        ctx.notes.append("系统已登记等级但无定级记录：请补录定级与备案信息")
    _apply_certificate(status, records, ctx)
    status.notes = ctx.notes
    return status


# --- 密评 ------------------------------------------------------------------------------------


def crypto_in_scope(system: System, policy: Policy) -> bool:
    """商用密码管理条例 第三十八条: level 3+, critical infrastructure, and government systems."""
    if not system.needs_crypto_assessment:
        return False
    level = system.mlps_level or 0
    return (
        policy.flag("crypto.scope.government_systems")
        or system.critical_infrastructure
        or level >= policy.int_value("crypto.scope.min_level")
    )


def _apply_crypto_plan(status: CryptoStatus, rec: Records) -> None:
    plan = _latest(rec.crypto_plans, "drafted_on")
    if plan is not None:
        status.plan_id = plan.id
        status.plan_drafted_on = plan.drafted_on
        status.plan_evaluated_on = plan.evaluated_on
        status.plan_conclusion = plan.conclusion
    passed = any(p.conclusion is CryptoPlanConclusion.PASSED for p in rec.crypto_plans)
    status.plan_missing = status.in_scope and not passed


def compute_crypto_status(
    system: System, records: Records, *, today: dt.date, policy: Policy, calendar: WorkdayCalendar
) -> CryptoStatus:
    ctx = _Ctx(policy, calendar, today)
    status = CryptoStatus(system_id=system.id, level=system.mlps_level, policy_version=policy.version)
    status.in_scope = crypto_in_scope(system, policy)
    _apply_crypto_plan(status, records)
    last = _latest(records.crypto_assessments, "assessed_on")
    if last is not None:
        status.last_assessment_id = last.id
        status.last_assessment_on = last.assessed_on
        status.last_score = last.score
        status.last_conclusion = last.conclusion
        status.last_rule_version = last.rule_version
        status.failing = last.conclusion is CryptoConclusion.NONCONFORM
        status.result_filed_on = last.filed_on
        plain = policy.deadline("crypto.result_filing.days", last.assessed_on, roll_to_workday=False)
        status.result_filing_deadline = ctx.rolled(
            "密评结果备案期限",
            lambda: policy.deadline("crypto.result_filing.days", last.assessed_on, calendar=calendar),
            plain,
        )
        if status.result_filing_deadline is not None:
            if last.filed_on is None:
                status.result_filing_overdue = ctx.overdue(status.result_filing_deadline)
            else:
                status.result_filed_late = last.filed_on > status.result_filing_deadline
    if status.in_scope:
        if last is not None:
            status.next_assessment_due = policy.deadline("crypto.assessment.months", last.assessed_on)
        elif policy.flag("crypto.assessment.before_go_live") and system.go_live_date is not None:
            status.next_assessment_due = system.go_live_date
        elif system.go_live_date is None and str(system.lifecycle) in _NOT_LIVE:
            ctx.notes.append("系统尚未投入运行：上线前须通过密评")
        status.days_until_assessment = ctx.days_to(status.next_assessment_due)
        status.assessment_overdue = ctx.overdue(status.next_assessment_due)
    status.notes = ctx.notes
    return status


# --- 风险评估 --------------------------------------------------------------------------------


def compute_risk_status(
    system: System, records: Records, *, today: dt.date, policy: Policy, calendar: WorkdayCalendar
) -> RiskStatus:
    ctx = _Ctx(policy, calendar, today)
    status = RiskStatus(system_id=system.id, policy_version=policy.version)
    last = _latest(records.risk_assessments, "assessed_on")
    if last is None:
        return status
    status.never_assessed = False
    status.last_assessment_id = last.id
    status.last_assessment_on = last.assessed_on
    status.high_count, status.medium_count, status.low_count = (
        last.high_count,
        last.medium_count,
        last.low_count,
    )
    status.report_reference = last.report_reference
    status.next_assessment_due = policy.deadline("risk.assessment.months", last.assessed_on)
    status.days_until_assessment = ctx.days_to(status.next_assessment_due)
    status.assessment_overdue = ctx.overdue(status.next_assessment_due)
    return status
