"""Routes under ``/api/v1/security/``: plans, drills, follow-up actions, incidents and their schedules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from security.response import service
from security.response.dates import incident_deadlines
from security.response.entities import ALL_ENTITIES, DRILL_ACTIONS, INCIDENTS
from security.response.schemas import DrillActionRead, IncidentDeadlinesOut, PlanScheduleOut, SystemStatusOut
from taizhang import crud
from taizhang.api import DB, allow
from taizhang.auth.principal import Principal
from taizhang.auth.roles import Permission
from taizhang.errors import Invalid
from taizhang.policy import get_policy
from taizhang.routes import crud_router

router = APIRouter(prefix="/security", tags=["应急与事件"])
for _entity in ALL_ENTITIES:
    router.include_router(
        crud_router(_entity, read=Permission.SECURITY_READ, write=Permission.SECURITY_WRITE)
    )

AS_OF = Query(None, description="按该日期计算（默认今天，Asia/Shanghai）")
AT = Query(None, description="按该时刻计算（须带时区，默认现在）")


def _aware(at: dt.datetime | None) -> dt.datetime | None:
    if at is not None and at.tzinfo is None:
        raise Invalid("时刻须带时区，如 2026-10-01T08:00:00+08:00", field="at")
    return at


@router.get("/plan-schedules", response_model=list[PlanScheduleOut], summary="各应急预案的下次演练与评审期限")
def plan_schedules(
    as_of: dt.date | None = AS_OF,
    overdue: bool = Query(False, description="只列出演练或评审已逾期的预案"),
    principal: Principal = allow(Permission.SECURITY_READ),
    session: Session = DB,
) -> list[dict[str, Any]]:
    rows = service.plan_schedules(session, scope=principal.scope, today=as_of)
    return [r.as_dict() for r in rows if not overdue or r.drill_overdue or r.review_overdue]


@router.get(
    "/system-status", response_model=list[SystemStatusOut], summary="各信息系统的应急预案、演练与评审状态"
)
def system_status(
    system_id: int | None = Query(None, description="信息系统"),
    as_of: dt.date | None = AS_OF,
    principal: Principal = allow(Permission.SECURITY_READ),
    session: Session = DB,
) -> list[dict[str, Any]]:
    ids = [system_id] if system_id is not None else None
    rows = service.system_statuses(session, scope=principal.scope, system_ids=ids, today=as_of)
    return [r.as_dict() for r in rows]


@router.get(
    "/overdue-drill-actions", response_model=list[DrillActionRead], summary="逾期未完成的演练整改措施"
)
def overdue_actions(
    as_of: dt.date | None = AS_OF,
    principal: Principal = allow(Permission.SECURITY_READ),
    session: Session = DB,
) -> list[dict[str, Any]]:
    rows = service.overdue_actions(session, scope=principal.scope, today=as_of)
    return [DRILL_ACTIONS.read.model_validate(r).model_dump(mode="json") for r in rows]


@router.get(
    "/incidents/{object_id}/deadlines",
    response_model=IncidentDeadlinesOut,
    summary="事件的报告与总结报告期限",
)
def one_incident_deadlines(
    object_id: int,
    at: dt.datetime | None = AT,
    principal: Principal = allow(Permission.SECURITY_READ),
    session: Session = DB,
) -> dict[str, Any]:
    incident = crud.get(session, INCIDENTS, object_id, scope=principal.scope)
    return incident_deadlines(incident, get_policy(), now=_aware(at)).as_dict()


@router.get(
    "/incident-deadlines", response_model=list[IncidentDeadlinesOut], summary="各事件的报告期限（可只列逾期）"
)
def all_incident_deadlines(
    flagged: bool = Query(False, description="只列出逾期或逾期完成的事件"),
    at: dt.datetime | None = AT,
    principal: Principal = allow(Permission.SECURITY_READ),
    session: Session = DB,
) -> list[dict[str, Any]]:
    rows = service.incident_deadline_list(
        session, scope=principal.scope, now=_aware(at), only_flagged=flagged
    )
    return [{"title": incident.title, **deadlines.as_dict()} for incident, deadlines in rows]
