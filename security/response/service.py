"""Schedules of emergency response per plan and per system, overdue follow-ups, incident deadlines.

Plain functions over the session; ``today`` / ``now`` are injectable (default: Asia/Shanghai).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import case, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from inventory.choices import SystemLifecycle
from inventory.models import System
from security.response.dates import (
    Due,
    IncidentDeadlines,
    IncidentFacts,
    deadlines_of,
    incident_deadlines,
    local_today,
    next_drill_due,
    plan_review_due,
)
from security.response.entities import drill_actions_in_scope, incidents_in_scope, plans_in_scope
from security.response.models import Drill, DrillAction, EmergencyPlan, Incident, incident_systems
from taizhang.auth.principal import ALL, Scope
from taizhang.policy import Policy, get_policy
from taizhang.workdays import WorkdayCalendar, get_calendar


@dataclass(frozen=True)
class PlanSchedule:
    plan_id: int
    name: str
    unit_id: int
    system_id: int | None
    level: int | None
    last_drill_on: dt.date | None
    next_drill_due: dt.date
    drill_provisional: bool
    drill_overdue: bool
    review_required: bool
    review_due: dt.date | None
    review_overdue: bool

    def as_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


@dataclass(frozen=True)
class SystemStatus:
    """Drill and plan status of one system, from the plans that cover it (its own, else its unit's)."""

    system_id: int
    unit_id: int
    level: int | None
    has_plan: bool
    plan_ids: tuple[int, ...]
    last_drill_on: dt.date | None
    next_drill_due: dt.date | None
    drill_overdue: bool
    review_required: bool
    review_due: dt.date | None
    review_overdue: bool

    def as_dict(self) -> dict[str, Any]:
        return _jsonable(asdict(self))


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (v.isoformat() if isinstance(v, dt.date) else list(v) if isinstance(v, tuple) else v)
        for k, v in data.items()
    }


def _context(
    today: dt.date | None, policy: Policy | None, calendar: WorkdayCalendar | None
) -> tuple[dt.date, Policy, WorkdayCalendar]:
    return local_today(today), policy or get_policy(), calendar or get_calendar()


def _unit_levels(session: Session, unit_ids: set[int]) -> dict[int, int]:
    """Highest MLPS level of each unit's running systems: a unit plan covers all of them."""
    if not unit_ids:
        return {}
    stmt = (
        select(System.owner_unit_id, func.max(System.mlps_level))
        .where(System.owner_unit_id.in_(unit_ids), System.lifecycle == SystemLifecycle.RUNNING)
        .group_by(System.owner_unit_id)
    )
    return {unit: level for unit, level in session.execute(stmt) if level is not None}


def plan_schedules(
    session: Session,
    *,
    scope: Scope = ALL,
    plan_ids: list[int] | None = None,
    today: dt.date | None = None,
    policy: Policy | None = None,
    calendar: WorkdayCalendar | None = None,
) -> list[PlanSchedule]:
    """Next drill and next review of every plan in scope (one query for plans, one for last drills)."""
    today, policy, calendar = _context(today, policy, calendar)
    last_drill = (
        select(Drill.plan_id, func.max(Drill.held_on).label("last")).group_by(Drill.plan_id).subquery()
    )
    stmt = (
        select(EmergencyPlan, last_drill.c.last, System.mlps_level)
        .outerjoin(last_drill, last_drill.c.plan_id == EmergencyPlan.id)
        .outerjoin(System, System.id == EmergencyPlan.system_id)
        .order_by(EmergencyPlan.id)
    )
    if not scope.everything:
        stmt = stmt.where(plans_in_scope(scope))
    if plan_ids is not None:
        stmt = stmt.where(EmergencyPlan.id.in_(plan_ids))
    rows = session.execute(stmt).all()
    unit_levels = _unit_levels(session, {plan.unit_id for plan, _, _ in rows if plan.system_id is None})
    out = []
    for plan, last, system_level in rows:
        level = system_level if plan.system_id is not None else unit_levels.get(plan.unit_id)
        drill = next_drill_due(
            approved_on=plan.approved_on, last_drill_on=last, policy=policy, calendar=calendar
        )
        review = plan_review_due(
            approved_on=plan.approved_on,
            last_reviewed_on=plan.last_reviewed_on,
            level=level,
            policy=policy,
            calendar=calendar,
        )
        out.append(_schedule(plan, level, last, drill, review, today))
    return out


def _schedule(
    plan: EmergencyPlan,
    level: int | None,
    last: dt.date | None,
    drill: Due,
    review: Due | None,
    today: dt.date,
) -> PlanSchedule:
    return PlanSchedule(
        plan_id=plan.id,
        name=plan.name,
        unit_id=plan.unit_id,
        system_id=plan.system_id,
        level=level,
        last_drill_on=last,
        next_drill_due=drill.on,
        drill_provisional=drill.provisional,
        drill_overdue=drill.overdue(today),
        review_required=review is not None,
        review_due=review.on if review else None,
        review_overdue=bool(review and review.overdue(today)),
    )


def system_statuses(
    session: Session,
    *,
    scope: Scope = ALL,
    system_ids: list[int] | None = None,
    today: dt.date | None = None,
    policy: Policy | None = None,
    calendar: WorkdayCalendar | None = None,
) -> list[SystemStatus]:
    """Drill and review status of running systems (or of ``system_ids``); the worst covering plan counts."""
    stmt = select(System.id, System.owner_unit_id, System.mlps_level).order_by(System.id)
    if system_ids is not None:
        stmt = stmt.where(System.id.in_(system_ids))
    else:
        stmt = stmt.where(System.lifecycle == SystemLifecycle.RUNNING)
    if not scope.everything:
        stmt = stmt.where(System.owner_unit_id.in_(scope.unit_ids or frozenset()))
    systems = session.execute(stmt).all()
    schedules = plan_schedules(session, scope=scope, today=today, policy=policy, calendar=calendar)
    by_system: dict[int, list[PlanSchedule]] = defaultdict(list)
    by_unit: dict[int, list[PlanSchedule]] = defaultdict(list)
    for schedule in schedules:
        if schedule.system_id is not None:
            by_system[schedule.system_id].append(schedule)
        else:
            by_unit[schedule.unit_id].append(schedule)
    today, policy, _ = _context(today, policy, calendar)
    min_level = policy.int_value("emergency.plan_review.min_level")
    return [
        _system_status(sid, unit, level, _covering(by_system.get(sid), by_unit.get(unit, [])), min_level)
        for sid, unit, level in systems
    ]


def _covering(own: list[PlanSchedule] | None, unit_plans: list[PlanSchedule]) -> list[PlanSchedule]:
    """The plans that cover a system: its own, else its unit's."""
    return own or unit_plans


def running_system_counts(
    session: Session,
    *,
    today: dt.date | None = None,
    policy: Policy | None = None,
    calendar: WorkdayCalendar | None = None,
) -> list[tuple[SystemStatus, int]]:
    """What ``system_statuses`` says of every running system, as (status, number of systems).

    The systems without a plan of their own are covered by their unit's plans alike: they are
    counted by unit and level in the database and get one status per group (``system_id`` 0). The
    systems with plans of their own (no more than there are plans) come one by one. Three queries.
    """
    today, policy, calendar = _context(today, policy, calendar)
    schedules = plan_schedules(session, today=today, policy=policy, calendar=calendar)
    by_system: dict[int, list[PlanSchedule]] = defaultdict(list)
    by_unit: dict[int, list[PlanSchedule]] = defaultdict(list)
    for schedule in schedules:
        if schedule.system_id is not None:
            by_system[schedule.system_id].append(schedule)
        else:
            by_unit[schedule.unit_id].append(schedule)
    own = case((exists().where(EmergencyPlan.system_id == System.id), System.id)).label("own")
    keys = (System.owner_unit_id, System.mlps_level, own)
    rows = session.execute(
        select(*keys, func.count()).where(System.lifecycle == SystemLifecycle.RUNNING).group_by(*keys)
    )
    min_level = policy.int_value("emergency.plan_review.min_level")
    return [
        (
            _system_status(
                sid or 0, unit, level, _covering(by_system.get(sid or 0), by_unit.get(unit, [])), min_level
            ),
            count,
        )
        for unit, level, sid, count in rows
    ]


def _system_status(
    system_id: int, unit_id: int, level: int | None, plans: list[PlanSchedule], min_level: int
) -> SystemStatus:
    required = level is not None and level >= min_level
    reviews = [p for p in plans if p.review_due is not None] if required else []
    lasts = [p.last_drill_on for p in plans if p.last_drill_on is not None]
    return SystemStatus(
        system_id=system_id,
        unit_id=unit_id,
        level=level,
        has_plan=bool(plans),
        plan_ids=tuple(p.plan_id for p in plans),
        last_drill_on=max(lasts) if lasts else None,
        next_drill_due=min((p.next_drill_due for p in plans), default=None),
        drill_overdue=any(p.drill_overdue for p in plans),
        review_required=required,
        review_due=min((p.review_due for p in reviews if p.review_due), default=None),
        review_overdue=any(p.review_overdue for p in reviews),
    )


def drill_status(
    session: Session,
    system_id: int,
    *,
    scope: Scope = ALL,
    today: dt.date | None = None,
    policy: Policy | None = None,
    calendar: WorkdayCalendar | None = None,
) -> SystemStatus:
    """Drill and plan-review status of one system (any lifecycle); 404 when unknown or out of scope."""
    from taizhang.errors import NotFound

    found = system_statuses(
        session, scope=scope, system_ids=[system_id], today=today, policy=policy, calendar=calendar
    )
    if not found:
        raise NotFound(f"信息系统 {system_id} 不存在")
    return found[0]


#: The same answer carries the plan side (has_plan, review_due, review_overdue).
plan_status = drill_status


def overdue_actions(
    session: Session, *, scope: Scope = ALL, today: dt.date | None = None
) -> list[DrillAction]:
    """Follow-up actions past their due date and not completed."""
    stmt = (
        select(DrillAction)
        .where(DrillAction.completed_on.is_(None), DrillAction.due_on < local_today(today))
        .order_by(DrillAction.due_on, DrillAction.id)
    )
    if not scope.everything:
        stmt = stmt.where(drill_actions_in_scope(scope))
    return list(session.execute(stmt).scalars())


def incident_deadline_list(
    session: Session,
    *,
    scope: Scope = ALL,
    now: dt.datetime | None = None,
    only_flagged: bool = False,
    policy: Policy | None = None,
    calendar: WorkdayCalendar | None = None,
) -> list[tuple[Incident, IncidentDeadlines]]:
    stmt = select(Incident).options(selectinload(Incident.systems)).order_by(Incident.detected_at.desc())
    if not scope.everything:
        stmt = stmt.where(incidents_in_scope(scope))
    policy = policy or get_policy()
    out = []
    for incident in session.execute(stmt).scalars():
        deadlines = incident_deadlines(incident, policy, now=now, calendar=calendar)
        if deadlines.flagged or not only_flagged:
            out.append((incident, deadlines))
    return out


def incident_deadline_rows(
    session: Session,
    *,
    now: dt.datetime | None = None,
    policy: Policy | None = None,
    calendar: WorkdayCalendar | None = None,
) -> list[tuple[int, IncidentDeadlines]]:
    """(unit, deadlines) of every incident, as ``incident_deadline_list`` computes them: one query.

    Whether an affected system is critical infrastructure is asked of the database, not of loaded
    system objects.
    """
    critical_system = exists().where(
        incident_systems.c.incident_id == Incident.id,
        incident_systems.c.system_id == System.id,
        System.critical_infrastructure.is_(True),
    )
    stmt = select(
        Incident.unit_id,
        Incident.id,
        Incident.grade,
        or_(Incident.critical_infrastructure.is_(True), critical_system),
        Incident.detected_at,
        Incident.handling_ended_at,
        Incident.reported_at,
        Incident.summary_reported_at,
    )
    policy = policy or get_policy()
    return [
        (
            unit_id,
            deadlines_of(
                IncidentFacts(iid, grade, bool(critical), detected, ended, reported, summarised),
                policy,
                now=now,
                calendar=calendar,
            ),
        )
        for unit_id, iid, grade, critical, detected, ended, reported, summarised in session.execute(stmt)
    ]
