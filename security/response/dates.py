"""Pure date arithmetic of emergency response: next drill, plan review, incident report deadlines.

Every number comes from the policy (``emergency.*``, ``incident.*``); "today" and "now" are passed in.
Cadence dates (a drill every N months) that fall on a day off move to the next working day when the
working-day calendar knows that year; for a year it does not know yet the plain date is kept and
marked ``provisional`` — never later than the rolled date, so nothing is reported late by a guess.
Report deadlines in hours are wall-clock hours from detection: holidays do not stop the clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm.base import NO_VALUE

from security.response.choices import IncidentGrade
from security.response.models import Incident
from taizhang.clock import china_now
from taizhang.enums import LabeledEnum, register
from taizhang.policy import Policy
from taizhang.workdays import UnknownYearError, WorkdayCalendar, add_months

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


@register
class DeadlineState(LabeledEnum):
    NOT_REQUIRED = "not_required", "无需报告"
    WAITING = "waiting", "尚未起算"
    PENDING = "pending", "未到期"
    MET = "met", "按时完成"
    LATE = "late", "逾期完成"
    OVERDUE = "overdue", "已逾期"


def local_now(now: dt.datetime | None = None) -> dt.datetime:
    if now is None:
        return china_now()
    if now.tzinfo is None:
        raise ValueError("now 须带时区")
    return now.astimezone(LOCAL_TZ)


def local_today(today: dt.date | None = None) -> dt.date:
    return today if today is not None else local_now().date()


def local_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(LOCAL_TZ).date()


@dataclass(frozen=True)
class Due:
    """A due date; ``provisional`` when the calendar of its year is not known yet (not rolled)."""

    on: dt.date
    provisional: bool = False

    def overdue(self, today: dt.date) -> bool:
        return today > self.on

    def days_left(self, today: dt.date) -> int:
        return (self.on - today).days


def cadence_due(start: dt.date, months: int, calendar: WorkdayCalendar) -> Due:
    end = add_months(start, months)
    try:
        return Due(calendar.roll_to_workday(end))
    except UnknownYearError:
        return Due(end, provisional=True)


def next_drill_due(
    *, approved_on: dt.date, last_drill_on: dt.date | None, policy: Policy, calendar: WorkdayCalendar
) -> Due:
    """One drill per ``emergency.drill.months`` per plan, counted from the last drill (else approval)."""
    start = last_drill_on if last_drill_on is not None else approved_on
    return cadence_due(start, policy.months("emergency.drill.months"), calendar)


def plan_review_due(
    *,
    approved_on: dt.date,
    last_reviewed_on: dt.date | None,
    level: int | None,
    policy: Policy,
    calendar: WorkdayCalendar,
) -> Due | None:
    """Yearly review of plans of systems at ``emergency.plan_review.min_level`` or above; else None."""
    if level is None or level < policy.int_value("emergency.plan_review.min_level"):
        return None
    start = max(approved_on, last_reviewed_on) if last_reviewed_on else approved_on
    return cadence_due(start, policy.months("emergency.plan_review.months"), calendar)


# --- incidents ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class IncidentDeadlines:
    incident_id: int | None
    must_report: bool
    operator_kind: str
    report_hours: int | None
    report_due: dt.datetime | None
    report_state: DeadlineState
    summary_due: dt.date | None
    summary_provisional: bool
    summary_state: DeadlineState
    citations: tuple[str, ...]

    @property
    def flagged(self) -> bool:
        return DeadlineState.OVERDUE in (self.report_state, self.summary_state) or DeadlineState.LATE in (
            self.report_state,
            self.summary_state,
        )

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["report_due"] = self.report_due.astimezone(LOCAL_TZ).isoformat() if self.report_due else None
        out["summary_due"] = self.summary_due.isoformat() if self.summary_due else None
        out["report_state_label"] = self.report_state.label
        out["summary_state_label"] = self.summary_state.label
        out["report_state"] = self.report_state.value
        out["summary_state"] = self.summary_state.value
        out["citations"] = list(self.citations)
        out["flagged"] = self.flagged
        return out


def must_report(grade: IncidentGrade, policy: Policy) -> bool:
    threshold = IncidentGrade.from_label(policy.text("incident.report.min_grade"))
    return grade.rank >= threshold.rank


def _state(done: Any, due: Any, current: Any) -> DeadlineState:
    if done is not None:
        return DeadlineState.MET if done <= due else DeadlineState.LATE
    return DeadlineState.OVERDUE if current > due else DeadlineState.PENDING


def involves_critical_infrastructure(incident: Incident) -> bool:
    """The operator counts as critical infrastructure, or an affected system is one (when loaded)."""
    if incident.critical_infrastructure:
        return True
    systems = sa_inspect(incident).attrs.systems.loaded_value
    return systems is not NO_VALUE and any(s.critical_infrastructure for s in systems)


def summary_report_due(ended: dt.datetime, policy: Policy, calendar: WorkdayCalendar) -> Due:
    """``incident.summary_report.days`` calendar days after the local date handling ended, rolled."""
    end = local_date(ended) + dt.timedelta(days=policy.days("incident.summary_report.days"))
    try:
        return Due(calendar.roll_to_workday(end))
    except UnknownYearError:
        return Due(end, provisional=True)


class IncidentFacts(NamedTuple):
    """What an incident's deadlines depend on."""

    id: int | None
    grade: IncidentGrade
    critical_infrastructure: bool  # the operator, or an affected system, is critical infrastructure
    detected_at: dt.datetime
    handling_ended_at: dt.datetime | None
    reported_at: dt.datetime | None
    summary_reported_at: dt.datetime | None


def incident_deadlines(
    incident: Incident,
    policy: Policy,
    *,
    now: dt.datetime | None = None,
    calendar: WorkdayCalendar | None = None,
) -> IncidentDeadlines:
    """The deadlines of an incident object (its systems count when loaded): see ``deadlines_of``."""
    facts = IncidentFacts(
        incident.id,
        incident.grade,
        involves_critical_infrastructure(incident),
        incident.detected_at,
        incident.handling_ended_at,
        incident.reported_at,
        incident.summary_reported_at,
    )
    return deadlines_of(facts, policy, now=now, calendar=calendar)


def deadlines_of(
    incident: IncidentFacts,
    policy: Policy,
    *,
    now: dt.datetime | None = None,
    calendar: WorkdayCalendar | None = None,
) -> IncidentDeadlines:
    """The report and summary-report deadlines of an incident and whether they were met.

    Reportable from ``incident.report.min_grade`` up. The report is due ``incident.report_hours.*``
    wall-clock hours after detection (critical-infrastructure operators: the shorter key). The
    summary report is due ``incident.summary_report.days`` calendar days after handling ended (local
    date, Asia/Shanghai), moved to the next working day when that day is off.
    """
    from taizhang.workdays import get_calendar

    current = local_now(now)
    kind = "critical_infrastructure" if incident.critical_infrastructure else "county_unit"
    if not must_report(incident.grade, policy):
        citation = policy.entry("incident.report.min_grade").citation
        none = DeadlineState.NOT_REQUIRED
        return IncidentDeadlines(incident.id, False, kind, None, None, none, None, False, none, (citation,))
    hours = policy.incident_report_hours(kind)
    report_due = incident.detected_at + dt.timedelta(hours=hours)
    summary_due: Due | None = None
    summary_state = DeadlineState.WAITING
    if incident.handling_ended_at is not None:
        summary_due = summary_report_due(incident.handling_ended_at, policy, calendar or get_calendar())
        done = local_date(incident.summary_reported_at) if incident.summary_reported_at else None
        summary_state = _state(done, summary_due.on, current.date())
    hours_key = f"incident.report_hours.{'default' if kind == 'county_unit' else kind}"
    return IncidentDeadlines(
        incident_id=incident.id,
        must_report=True,
        operator_kind=kind,
        report_hours=hours,
        report_due=report_due,
        report_state=_state(incident.reported_at, report_due, current),
        summary_due=summary_due.on if summary_due else None,
        summary_provisional=bool(summary_due and summary_due.provisional),
        summary_state=summary_state,
        citations=(policy.entry(hours_key).citation, policy.entry("incident.summary_report.days").citation),
    )
