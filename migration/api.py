"""Routes under ``/api/v1/migration/``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from migration import schemas as s
from migration import service
from migration.choices import PlanState
from migration.entities import ALL_ENTITIES
from migration.machine import ORDER, TRANSITIONS, allowed_targets
from migration.models import MigrationPlan
from taizhang.api import DB, allow
from taizhang.auth.principal import Principal
from taizhang.auth.roles import Permission
from taizhang.routes import crud_router

router = APIRouter(prefix="/migration", tags=["上云迁移"])
for _entity in ALL_ENTITIES:
    router.include_router(
        crud_router(_entity, read=Permission.MIGRATION_READ, write=Permission.MIGRATION_WRITE)
    )


def _detail(plan: MigrationPlan) -> s.PlanDetail:
    read = s.PlanRead.model_validate(plan)
    return s.PlanDetail(
        **read.model_dump(),
        allowed_transitions=allowed_targets(plan.state, plan.held_from),
        hosting=plan.system.hosting,
    )


@router.get("/plans/{plan_id}/state", response_model=s.PlanDetail, summary="迁移计划的状态与可转入的状态")
def plan_state(
    plan_id: int, principal: Principal = allow(Permission.MIGRATION_READ), session: Session = DB
) -> s.PlanDetail:
    return _detail(service.get_plan(session, plan_id, scope=principal.scope))


@router.get(
    "/plans/{plan_id}/transitions", response_model=list[s.TransitionRead], summary="迁移计划的状态变更记录"
)
def list_transitions(
    plan_id: int, principal: Principal = allow(Permission.MIGRATION_READ), session: Session = DB
) -> list[Any]:
    plan = service.get_plan(session, plan_id, scope=principal.scope)
    return [s.TransitionRead.model_validate(t) for t in service.transitions_of(session, plan)]


@router.post(
    "/plans/{plan_id}/transitions",
    response_model=s.PlanDetail,
    summary="推进或回退迁移计划（不允许的状态转换返回 409 并列出允许的状态）",
)
def transition(
    plan_id: int,
    payload: s.TransitionCreate,
    principal: Principal = allow(Permission.MIGRATION_WRITE),
    session: Session = DB,
) -> s.PlanDetail:
    plan = service.get_plan(session, plan_id, scope=principal.scope)
    service.advance(
        session,
        plan,
        to=payload.to,
        note=payload.note,
        actor=principal.username,
        expected_version=payload.version,
    )
    return _detail(plan)


@router.get(
    "/waves/{wave_id}/systems", response_model=list[s.WaveSystemRead], summary="批次内的系统及其迁移状态"
)
def wave_systems(
    wave_id: int, principal: Principal = allow(Permission.MIGRATION_READ), session: Session = DB
) -> list[Any]:
    rows = service.wave_systems(session, wave_id, scope=principal.scope, today=service.local_today())
    return [s.WaveSystemRead.model_validate(row) for row in rows]


@router.get("/states", summary="迁移计划状态机：各状态允许转入的状态")
def states(principal: Principal = allow(Permission.MIGRATION_READ)) -> list[dict[str, Any]]:
    return [
        {
            "value": state.value,
            "label": state.label,
            "allowed": [t.value for t in ORDER if t in TRANSITIONS[state]],
            "resumes_to_held_from": state is PlanState.ON_HOLD,
        }
        for state in ORDER
    ]


@router.get("/summary", response_model=s.SummaryRead, summary="上云进度：全县、分单位、分批次")
def summary(
    unit_id: int | None = Query(None, description="只统计该单位"),
    wave_id: int | None = Query(None, description="只统计该批次"),
    principal: Principal = allow(Permission.MIGRATION_READ),
    session: Session = DB,
) -> dict[str, Any]:
    result = service.summary(
        session, scope=principal.scope, unit_id=unit_id, wave_id=wave_id, today=service.local_today()
    )
    return result.as_dict()
