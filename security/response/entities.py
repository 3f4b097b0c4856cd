"""How plans, drills, follow-up actions and incidents are listed, filtered, scoped and checked."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, exists, select
from sqlalchemy.orm import Session, selectinload

from inventory.entities import SYSTEM_REF, UNIT_REF
from inventory.models import System
from security.response import schemas as s
from security.response.choices import DrillType, IncidentCategory, IncidentGrade
from security.response.models import Drill, DrillAction, EmergencyPlan, Incident, incident_systems
from taizhang.auth.principal import Scope
from taizhang.crud import Entity, Filter, Reference, Relation
from taizhang.errors import Invalid


def _eq(column: Any) -> Any:
    return lambda stmt, value: stmt.where(column == value)


def _units(scope: Scope) -> frozenset[int]:
    return scope.unit_ids or frozenset()


def plans_in_scope(scope: Scope) -> ColumnElement[bool]:
    return EmergencyPlan.unit_id.in_(_units(scope))


def drills_in_scope(scope: Scope) -> ColumnElement[bool]:
    return Drill.plan_id.in_(select(EmergencyPlan.id).where(plans_in_scope(scope)))


def drill_actions_in_scope(scope: Scope) -> ColumnElement[bool]:
    visible = select(Drill.id).join(EmergencyPlan, EmergencyPlan.id == Drill.plan_id)
    return DrillAction.drill_id.in_(visible.where(plans_in_scope(scope)))


def incidents_in_scope(scope: Scope) -> ColumnElement[bool]:
    return Incident.unit_id.in_(_units(scope))


PLAN_REF = Reference(EmergencyPlan, "应急预案", scoped_by=plans_in_scope)
DRILL_REF = Reference(Drill, "演练", scoped_by=drills_in_scope)


def _scalar(session: Session, stmt: Select[Any]) -> Any:
    return session.execute(stmt).scalar_one_or_none()


def _owner_of_drill(session: Session, obj: Drill) -> set[int]:
    unit_id = _scalar(session, select(EmergencyPlan.unit_id).where(EmergencyPlan.id == obj.plan_id))
    return {unit_id} if unit_id is not None else set()


def _owner_of_action(session: Session, obj: DrillAction) -> set[int]:
    stmt = (
        select(EmergencyPlan.unit_id)
        .join(Drill, Drill.plan_id == EmergencyPlan.id)
        .where(Drill.id == obj.drill_id)
    )
    unit_id = _scalar(session, stmt)
    return {unit_id} if unit_id is not None else set()


def _validate_plan(session: Session, plan: EmergencyPlan) -> None:
    if plan.system_id is not None:
        owner = session.execute(
            select(System.owner_unit_id).where(System.id == plan.system_id)
        ).scalar_one_or_none()
        if owner is not None and owner != plan.unit_id:
            raise Invalid(
                f"信息系统 {plan.system_id} 不属于单位 {plan.unit_id}，系统级预案须由其主管单位制定",
                field="system_id",
            )
    if plan.last_reviewed_on is not None and plan.last_reviewed_on < plan.approved_on:
        raise Invalid("最近评审修订日期不能早于批准日期", field="last_reviewed_on")


def _validate_action(session: Session, action: DrillAction) -> None:
    held_on = session.execute(select(Drill.held_on).where(Drill.id == action.drill_id)).scalar_one_or_none()
    if held_on is not None and action.due_on < held_on:
        raise Invalid(f"完成期限不能早于演练日期 {held_on.isoformat()}", field="due_on")
    if held_on is not None and action.completed_on is not None and action.completed_on < held_on:
        raise Invalid(f"完成日期不能早于演练日期 {held_on.isoformat()}", field="completed_on")


def _validate_incident(session: Session, incident: Incident) -> None:
    checks = [
        ("detected_at", "occurred_at", "发现时间不能早于发生时间"),
        ("handling_ended_at", "detected_at", "处置结束时间不能早于发现时间"),
        ("reported_at", "occurred_at", "报告时间不能早于发生时间"),
        ("summary_reported_at", "handling_ended_at", "总结报告时间不能早于处置结束时间"),
    ]
    for later, earlier, message in checks:
        a, b = getattr(incident, later), getattr(incident, earlier)
        if a is not None and b is not None and a < b:
            raise Invalid(message, field=later)
    if incident.summary_reported_at is not None and incident.handling_ended_at is None:
        raise Invalid("处置结束后才能报送总结报告，请先填写处置结束时间", field="handling_ended_at")
    if incident.reported_at is not None and not incident.report_recipient:
        raise Invalid("已报告的事件须填写报告对象", field="report_recipient")


def _incident_has_system(stmt: Select[Any], system_id: int) -> Select[Any]:
    return stmt.where(
        exists().where(
            incident_systems.c.incident_id == Incident.id, incident_systems.c.system_id == system_id
        )
    )


PLANS = Entity(
    path="plans",
    label="应急预案",
    model=EmergencyPlan,
    create=s.PlanCreate,
    update=s.PlanUpdate,
    read=s.PlanRead,
    brief=s.PlanBrief,
    references={"unit_id": UNIT_REF, "system_id": SYSTEM_REF},
    filters={
        "unit_id": Filter(int, _eq(EmergencyPlan.unit_id), "所属单位"),
        "system_id": Filter(int, _eq(EmergencyPlan.system_id), "信息系统"),
    },
    search=[EmergencyPlan.name, EmergencyPlan.plan_version],
    order_by=[EmergencyPlan.id],
    scope_clause=plans_in_scope,
    owner_units=lambda session, obj: {obj.unit_id} if obj.unit_id is not None else set(),
    validate=_validate_plan,
)

DRILLS = Entity(
    path="drills",
    label="应急演练",
    model=Drill,
    create=s.DrillCreate,
    update=s.DrillUpdate,
    read=s.DrillRead,
    brief=s.DrillBrief,
    references={"plan_id": PLAN_REF},
    filters={
        "plan_id": Filter(int, _eq(Drill.plan_id), "应急预案"),
        "drill_type": Filter(DrillType, _eq(Drill.drill_type), "演练类型"),
    },
    search=[Drill.scenario, Drill.findings],
    order_by=[Drill.held_on.desc(), Drill.id],
    scope_clause=drills_in_scope,
    owner_units=_owner_of_drill,
)

DRILL_ACTIONS = Entity(
    path="drill-actions",
    label="演练整改措施",
    model=DrillAction,
    create=s.DrillActionCreate,
    update=s.DrillActionUpdate,
    read=s.DrillActionRead,
    brief=s.DrillActionBrief,
    references={"drill_id": DRILL_REF},
    filters={
        "drill_id": Filter(int, _eq(DrillAction.drill_id), "演练"),
        "completed": Filter(
            bool,
            lambda stmt, value: stmt.where(
                DrillAction.completed_on.is_not(None) if value else DrillAction.completed_on.is_(None)
            ),
            "是否已完成",
        ),
    },
    search=[DrillAction.action, DrillAction.owner],
    order_by=[DrillAction.due_on, DrillAction.id],
    scope_clause=drill_actions_in_scope,
    owner_units=_owner_of_action,
    validate=_validate_action,
)

INCIDENTS = Entity(
    path="incidents",
    label="网络安全事件",
    model=Incident,
    create=s.IncidentCreate,
    update=s.IncidentUpdate,
    read=s.IncidentRead,
    brief=s.IncidentBrief,
    references={"unit_id": UNIT_REF},
    relations={"system_ids": Relation("systems", SYSTEM_REF)},
    filters={
        "unit_id": Filter(int, _eq(Incident.unit_id), "报告单位"),
        "system_id": Filter(int, _incident_has_system, "受影响的信息系统"),
        "category": Filter(IncidentCategory, _eq(Incident.category), "事件类别"),
        "grade": Filter(IncidentGrade, _eq(Incident.grade), "事件级别"),
    },
    search=[Incident.title, Incident.description],
    order_by=[Incident.detected_at.desc(), Incident.id],
    load_options=[selectinload(Incident.systems)],
    scope_clause=incidents_in_scope,
    owner_units=lambda session, obj: {obj.unit_id} if obj.unit_id is not None else set(),
    validate=_validate_incident,
)

ALL_ENTITIES = [PLANS, DRILLS, DRILL_ACTIONS, INCIDENTS]
