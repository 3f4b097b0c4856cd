"""Due dates and flags of 等保, 密评 and risk assessments, as pure functions of a system and its records.

Every number comes from the policy, every working day from the working-day calendar. A due date D
means "done on or before D"; a record is overdue when ``today > D``. The records may be unsaved
objects: nothing here touches the database.

The rules that decide the states counted county-wide (filing due and overdue, 等级测评 due, 密评
due, certificate validity) read a system's ``Facts`` — a few dates and levels picked out of its
records by ``facts_of``, or, for every system at once, by one query (``service.security_digests``).
``compute_mlps_status`` / ``compute_crypto_status`` (the full status, for pages, API and rules) and
``digest`` (the few flags the Prometheus gauges count) both apply those same rules to the facts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol
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
from taizhang.clock import china_today
from taizhang.policy import Policy
from taizhang.workdays import UnknownYearError, WorkdayCalendar, add_months

SHANGHAI = ZoneInfo("Asia/Shanghai")
_NOT_LIVE = ("planning", "building")


def shanghai_today() -> dt.date:
    return china_today()


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
class DateContext:
    """The policy, calendar and day a status is computed for; notes collect what could not be computed."""

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


# --- facts -----------------------------------------------------------------------------------


class SystemFields(Protocol):
    """The inventory fields the rules read (a ``System``, or a row of the bulk query)."""

    @property
    def mlps_level(self) -> int | None: ...
    @property
    def go_live_date(self) -> dt.date | None: ...
    @property
    def lifecycle(self) -> Any: ...
    @property
    def needs_crypto_assessment(self) -> bool: ...
    @property
    def critical_infrastructure(self) -> bool: ...


class Facts(NamedTuple):
    """What the county-wide states of one system depend on, picked out of its records."""

    mlps_level: int | None
    go_live_date: dt.date | None
    lifecycle: str
    needs_crypto_assessment: bool
    critical_infrastructure: bool
    grading_level: int | None  # the latest final grading, by grading date then id
    graded_on: dt.date | None
    filed_on: dt.date | None  # first filing for that grading (tied to it, or submitted since)
    last_assessed_on: dt.date | None  # latest 等级测评
    certificate_issued_on: dt.date | None  # latest filing with a certificate
    crypto_assessed_on: dt.date | None  # latest 密评, by report date then id
    crypto_conclusion: CryptoConclusion | None


def latest_final_grading(gradings: Iterable[MlpsGrading]) -> MlpsGrading | None:
    return _latest((g for g in gradings if g.status is GradingStatus.FINAL), "graded_on")


def first_filing(filings: Iterable[MlpsFiling], grading: MlpsGrading) -> MlpsFiling | None:
    """The filing of ``grading``: the first submitted of those tied to it or submitted since it."""
    filed = [f for f in filings if f.grading_id == grading.id or f.submitted_on >= grading.graded_on]
    return min(filed, key=lambda f: f.submitted_on) if filed else None


def facts_of(system: System, rec: Records) -> Facts:
    grading = latest_final_grading(rec.gradings)
    filing = first_filing(rec.filings, grading) if grading is not None else None
    assessment = _latest(rec.assessments, "assessed_on")
    certificate = _latest(rec.filings, "issued_on")
    crypto = _latest(rec.crypto_assessments, "assessed_on")
    return Facts(
        mlps_level=system.mlps_level,
        go_live_date=system.go_live_date,
        lifecycle=str(system.lifecycle),
        needs_crypto_assessment=system.needs_crypto_assessment,
        critical_infrastructure=system.critical_infrastructure,
        grading_level=grading.level if grading else None,
        graded_on=grading.graded_on if grading else None,
        filed_on=filing.submitted_on if filing else None,
        last_assessed_on=assessment.assessed_on if assessment else None,
        certificate_issued_on=certificate.issued_on if certificate else None,
        crypto_assessed_on=crypto.assessed_on if crypto else None,
        crypto_conclusion=crypto.conclusion if crypto else None,
    )


# --- 等保 ------------------------------------------------------------------------------------


def _filing_start(facts: Facts, graded_on: dt.date, ctx: DateContext) -> dt.date | None:
    """公通字〔2007〕43号 第十五条: 30 days after grading, for a new system after it goes live."""
    if ctx.policy.text("mlps.filing.mode") == "workdays_10":
        return graded_on
    if facts.go_live_date is not None:
        return max(graded_on, facts.go_live_date)
    if facts.lifecycle in _NOT_LIVE:
        ctx.notes.append("新建系统尚未投入运行：备案期限自投入运行之日起算")
        return None
    return graded_on


def _filing_deadline(start: dt.date, ctx: DateContext) -> dt.date | None:
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


class Filing(NamedTuple):
    required: bool
    deadline: dt.date | None
    overdue: bool
    late: bool


def filing(facts: Facts, ctx: DateContext) -> Filing:
    """Whether the latest final grading must be filed, by when, and whether that was missed."""
    if facts.grading_level is None or facts.graded_on is None:
        return Filing(False, None, False, False)
    if facts.grading_level < ctx.policy.int_value("mlps.filing.min_level"):
        return Filing(False, None, False, False)
    start = _filing_start(facts, facts.graded_on, ctx)
    deadline = _filing_deadline(start, ctx) if start else None
    if deadline is None:
        return Filing(True, None, False, False)
    if facts.filed_on is None:
        return Filing(True, deadline, ctx.overdue(deadline), False)
    return Filing(True, deadline, False, facts.filed_on > deadline)


def _apply_filing(status: MlpsStatus, facts: Facts, ctx: DateContext) -> None:
    status.filed_on = facts.filed_on
    status.filing_required, status.filing_deadline, status.filing_overdue, status.filed_late = filing(
        facts, ctx
    )


def _apply_certificate(status: MlpsStatus, rec: Records, ctx: DateContext) -> None:
    certificate = _latest(rec.filings, "issued_on")
    if certificate is None:
        return
    status.certificate_number = certificate.certificate_number
    status.certificate_issued_on = certificate.issued_on
    until = certificate_valid_until(
        certificate.issued_on, (a.assessed_on for a in rec.assessments), ctx.policy
    )
    status.certificate_valid_until = until
    status.certificate_days_left = ctx.days_to(until)
    status.certificate_expired = ctx.overdue(until)
    warning = ctx.policy.days("mlps.certificate.expiring_warning_days")
    left = status.certificate_days_left or 0
    status.certificate_expiring = not status.certificate_expired and left <= warning
    window = ctx.policy.months("mlps.certificate.renewal_window_months")
    status.renewal_window_opens = add_months(until, -window)


class AssessmentDue(NamedTuple):
    interval_months: int | None
    prelaunch: bool  # the first assessment is due when the system goes live
    due: dt.date | None


def assessment_due(facts: Facts, policy: Policy) -> AssessmentDue:
    """When the next 等级测评 of a graded system is due (level 1: never)."""
    if facts.grading_level is None or facts.graded_on is None:
        return AssessmentDue(None, False, None)
    interval = policy.assessment_interval_months(facts.grading_level)
    if interval is None:
        return AssessmentDue(None, False, None)
    live = facts.go_live_date
    prelaunch = (
        facts.grading_level >= policy.int_value("mlps.assessment.prelaunch_min_level")
        and live is not None
        and live >= facts.graded_on
    )
    if facts.last_assessed_on is not None:
        return AssessmentDue(interval, prelaunch, add_months(facts.last_assessed_on, interval))
    if prelaunch:
        return AssessmentDue(interval, prelaunch, live)
    return AssessmentDue(interval, prelaunch, add_months(facts.graded_on, interval))


def _apply_assessment(
    status: MlpsStatus, facts: Facts, grading: MlpsGrading, rec: Records, ctx: DateContext
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
    interval, prelaunch, status.next_assessment_due = assessment_due(facts, policy)
    status.assessment_interval_months = interval
    if interval is None:
        return
    live = facts.go_live_date
    if prelaunch and live is not None:
        status.prelaunch_assessment_missing = not any(a.assessed_on <= live for a in rec.assessments)
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


def _apply_self_check(status: MlpsStatus, grading: MlpsGrading, rec: Records, ctx: DateContext) -> None:
    last = _latest(rec.self_checks, "checked_on")
    status.last_self_check_on = last.checked_on if last else None
    base = last.checked_on if last else grading.graded_on
    status.next_self_check_due = add_months(base, ctx.policy.months("mlps.self_check.months"))
    status.self_check_overdue = ctx.overdue(status.next_self_check_due)


def _apply_rectifications(status: MlpsStatus, rec: Records, ctx: DateContext) -> None:
    open_items = [r for r in rec.rectifications if r.status is RectificationStatus.OPEN]
    overdue = sorted(r.id for r in open_items if ctx.overdue(r.due_on))
    status.open_rectifications = len(open_items)
    status.overdue_rectification_ids = overdue
    status.overdue_rectifications = len(overdue)


def compute_mlps_status(
    system: System, records: Records, *, today: dt.date, policy: Policy, calendar: WorkdayCalendar
) -> MlpsStatus:
    ctx = DateContext(policy, calendar, today)
    status = MlpsStatus(system_id=system.id, level=system.mlps_level, policy_version=policy.version)
    _apply_rectifications(status, records, ctx)
    facts = facts_of(system, records)
    grading = latest_final_grading(records.gradings)
    if grading is not None:
        status.grading_id = grading.id
        status.graded_on = grading.graded_on
        _apply_filing(status, facts, ctx)
        _apply_assessment(status, facts, grading, records, ctx)
        _apply_self_check(status, grading, records, ctx)
    elif system.mlps_level is not None:
        ctx.notes.append("系统已登记等级但无定级记录：请补录定级与备案信息")
    _apply_certificate(status, records, ctx)
    status.notes = ctx.notes
    return status


# --- 密评 ------------------------------------------------------------------------------------


def crypto_in_scope(system: SystemFields, policy: Policy) -> bool:
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
    ctx = DateContext(policy, calendar, today)
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
        status.failing = crypto_failing(last.conclusion)
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
        status.next_assessment_due = crypto_assessment_due(facts_of(system, records), ctx)
        status.days_until_assessment = ctx.days_to(status.next_assessment_due)
        status.assessment_overdue = ctx.overdue(status.next_assessment_due)
    status.notes = ctx.notes
    return status


def crypto_assessment_due(facts: Facts, ctx: DateContext) -> dt.date | None:
    """When the next 密评 of a system in scope is due: a cycle after the last, else at go-live."""
    policy = ctx.policy
    if facts.crypto_assessed_on is not None:
        return policy.deadline("crypto.assessment.months", facts.crypto_assessed_on)
    if policy.flag("crypto.assessment.before_go_live") and facts.go_live_date is not None:
        return facts.go_live_date
    if facts.go_live_date is None and facts.lifecycle in _NOT_LIVE:
        ctx.notes.append("系统尚未投入运行：上线前须通过密评")
    return None


def crypto_failing(conclusion: CryptoConclusion | None) -> bool:
    return conclusion is CryptoConclusion.NONCONFORM


# --- the states counted county-wide ---------------------------------------------------------


class MlpsDigest(NamedTuple):
    """The 等保 fields of ``MlpsStatus`` the gauges count: same names, same values."""

    level: int | None
    filing_required: bool
    filed_on: dt.date | None
    filing_overdue: bool
    assessment_overdue: bool
    certificate_valid_until: dt.date | None
    certificate_days_left: int | None


class CryptoDigest(NamedTuple):
    """The 密评 fields of ``CryptoStatus`` the gauges count: same names, same values."""

    in_scope: bool
    assessment_overdue: bool
    failing: bool
    last_assessment_on: dt.date | None


def digest(
    facts: Facts, assessment_dates: Iterable[dt.date], ctx: DateContext
) -> tuple[MlpsDigest, CryptoDigest]:
    """What ``compute_mlps_status`` / ``compute_crypto_status`` say of these fields, from the facts alone.

    ``assessment_dates``: the system's 等级测评 report dates (those after the certificate was issued
    suffice), which extend the certificate.
    """
    policy = ctx.policy
    filing_required, _, filing_overdue, _ = filing(facts, ctx)
    issued = facts.certificate_issued_on
    until = certificate_valid_until(issued, assessment_dates, policy) if issued is not None else None
    in_scope = crypto_in_scope(facts, policy)
    crypto_due = crypto_assessment_due(facts, ctx) if in_scope else None
    return (
        MlpsDigest(
            level=facts.mlps_level,
            filing_required=filing_required,
            filed_on=facts.filed_on,
            filing_overdue=filing_overdue,
            assessment_overdue=ctx.overdue(assessment_due(facts, policy).due),
            certificate_valid_until=until,
            certificate_days_left=ctx.days_to(until),
        ),
        CryptoDigest(
            in_scope=in_scope,
            assessment_overdue=ctx.overdue(crypto_due),
            failing=crypto_failing(facts.crypto_conclusion),
            last_assessment_on=facts.crypto_assessed_on,
        ),
    )


# --- 风险评估 --------------------------------------------------------------------------------


def compute_risk_status(
    system: System, records: Records, *, today: dt.date, policy: Policy, calendar: WorkdayCalendar
) -> RiskStatus:
    ctx = DateContext(policy, calendar, today)
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
