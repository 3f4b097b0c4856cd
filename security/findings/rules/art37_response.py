"""第三十七条: emergency plans drilled regularly; incidents reported as the rules require.

Dates come from ``security.response.service`` (``system_statuses`` for plans and drills, which
counts a system's own plans or else its unit's; ``incident_deadline_list`` for incidents): a fixed
number of queries for the whole ledger.

- No plan: a running system from ``emergency.plan.min_level`` (county default 2) up has no plan.
- Drill overdue: no drill within ``emergency.drill.months`` of the last one (or of approval).
- Review overdue: level ``emergency.plan_review.min_level`` (3) up, plan not reviewed in time.
- Incident report / summary report late or overdue: one finding per affected system (an incident
  naming no system is a finding about its unit, whole-ledger evaluations only). ``now`` is the end
  of ``today`` (Asia/Shanghai), or the present moment when ``today`` is today.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from inventory.choices import SystemLifecycle
from security.findings.choices import Severity, SubjectType
from security.findings.rules import REGULATION, Hit, rule
from security.findings.snapshot import LedgerSnapshot
from security.response.dates import LOCAL_TZ, DeadlineState, IncidentDeadlines, local_now
from security.response.models import Incident
from security.response.service import SystemStatus, incident_deadline_list, system_statuses

CITATION = f"{REGULATION} 第三十七条"
ARTICLE = "第三十七条"
_LATE = (DeadlineState.LATE, DeadlineState.OVERDUE)


def _running(snap: LedgerSnapshot) -> list[tuple[Any, SystemStatus]]:
    def compute() -> list[tuple[Any, SystemStatus]]:
        found = system_statuses(
            snap.session,
            system_ids=snap.scoped_ids(),
            today=snap.today,
            policy=snap.policy,
            calendar=snap.calendar,
        )
        out = []
        for status in found:
            system = snap.systems.get(status.system_id)
            if system is not None and system.lifecycle is SystemLifecycle.RUNNING:
                out.append((system, status))
        return out

    return snap.memo("response_statuses", compute)


def _hit(system: Any, message: str, **kw: Any) -> Hit:
    return Hit(
        SubjectType.SYSTEM, system.id, system.name, system.owner_unit_id, message, system_id=system.id, **kw
    )


@rule(
    "art37.no_emergency_plan",
    title="运行中的信息系统没有应急预案",
    severity=Severity.HIGH,
    citation=CITATION,
    article=ARTICLE,
)
def no_emergency_plan(snap: LedgerSnapshot) -> Iterator[Hit]:
    """A running system at ``emergency.plan.min_level`` or above is covered by no plan (own or unit's)."""
    min_level = snap.policy.int_value("emergency.plan.min_level")
    for system, status in _running(snap):
        if not status.has_plan and (system.mlps_level or 0) >= min_level:
            yield _hit(
                system,
                f"运行中的信息系统“{system.name}”（等保{system.mlps_level}级）没有本系统或本单位的应急预案",
            )


@rule(
    "art37.drill_overdue",
    title="应急预案演练逾期",
    severity=Severity.MEDIUM,
    citation=CITATION,
    article=ARTICLE,
)
def drill_overdue(snap: LedgerSnapshot) -> Iterator[Hit]:
    """No drill of the covering plan within the drill cadence."""
    for system, status in _running(snap):
        if status.drill_overdue:
            yield _hit(
                system,
                f"信息系统“{system.name}”的应急预案应于 {status.next_drill_due} 前组织演练，已逾期",
                due_date=status.next_drill_due,
                facts={"plan_ids": list(status.plan_ids), "last_drill_on": str(status.last_drill_on)},
            )


@rule(
    "art37.plan_review_overdue",
    title="应急预案评估修订逾期",
    severity=Severity.LOW,
    citation=CITATION,
    article=ARTICLE,
)
def plan_review_overdue(snap: LedgerSnapshot) -> Iterator[Hit]:
    """A level-3+ system's plan was not reviewed within ``emergency.plan_review.months``."""
    for system, status in _running(snap):
        if status.review_overdue:
            yield _hit(
                system,
                f"信息系统“{system.name}”的应急预案应于 {status.review_due} 前完成评估修订，已逾期",
                due_date=status.review_due,
                facts={"plan_ids": list(status.plan_ids)},
            )


def _now(snap: LedgerSnapshot) -> dt.datetime:
    current = local_now()
    if current.date() == snap.today:
        return current
    return dt.datetime.combine(snap.today, dt.time(23, 59, 59), LOCAL_TZ)


def _incidents(snap: LedgerSnapshot) -> list[tuple[Incident, IncidentDeadlines]]:
    def compute() -> list[tuple[Incident, IncidentDeadlines]]:
        found = incident_deadline_list(
            snap.session, now=_now(snap), only_flagged=True, policy=snap.policy, calendar=snap.calendar
        )
        return [(i, d) for i, d in found]

    return snap.memo("incident_deadlines", compute)


def _incident_hits(
    snap: LedgerSnapshot, incident: Incident, message: str, due: Any, kind: str
) -> Iterator[Hit]:
    facts = {"incident_id": incident.id, "grade": incident.grade.value}
    systems = [snap.systems[s.id] for s in incident.systems if s.id in snap.systems]
    for system in systems:
        yield _hit(system, message, due_date=due, discriminator=f"{kind}:{incident.id}", facts=facts)
    if not incident.systems and not snap.partial:
        yield Hit(
            SubjectType.UNIT,
            incident.unit_id,
            snap.unit_name(incident.unit_id),
            incident.unit_id,
            message,
            due_date=due,
            discriminator=f"{kind}:{incident.id}",
            facts=facts,
        )


@rule(
    "art37.incident_report_late",
    title="网络安全事件未按时报告",
    severity=Severity.HIGH,
    citation=CITATION,
    article=ARTICLE,
)
def incident_report_late(snap: LedgerSnapshot) -> Iterator[Hit]:
    """A reportable incident was reported after its deadline (hours from detection), or not at all."""
    for incident, deadlines in _incidents(snap):
        if deadlines.report_state not in _LATE or deadlines.report_due is None:
            continue
        due = deadlines.report_due.astimezone(LOCAL_TZ)
        verb = "逾期报告" if deadlines.report_state is DeadlineState.LATE else "至今未报告"
        message = f"网络安全事件“{incident.title}”应于 {due:%Y-%m-%d %H:%M} 前报告，{verb}"
        yield from _incident_hits(snap, incident, message, due.date(), "report")


@rule(
    "art37.incident_summary_late",
    title="网络安全事件总结报告未按时报送",
    severity=Severity.MEDIUM,
    citation=CITATION,
    article=ARTICLE,
)
def incident_summary_late(snap: LedgerSnapshot) -> Iterator[Hit]:
    """The summary report after handling ended came late, or has not come past its deadline."""
    for incident, deadlines in _incidents(snap):
        if deadlines.summary_state not in _LATE:
            continue
        verb = "逾期报送" if deadlines.summary_state is DeadlineState.LATE else "至今未报送"
        message = f"网络安全事件“{incident.title}”的总结报告应于 {deadlines.summary_due} 前报送，{verb}"
        yield from _incident_hits(snap, incident, message, deadlines.summary_due, "summary")
