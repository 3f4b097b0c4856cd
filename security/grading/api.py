"""Routes under ``/api/v1/security/``: the 等保 / 密评 / risk records and each system's computed status."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session

from inventory.models import System
from security.grading import service
from security.grading.entities import ALL_ENTITIES
from security.grading.status import SecurityStatus
from taizhang.api import DB, allow
from taizhang.auth.principal import Principal
from taizhang.auth.roles import Permission
from taizhang.pagination import Page, PageParams, build_page, count_of
from taizhang.routes import crud_router

router = APIRouter(prefix="/security", tags=["等保与密评"])
for _entity in ALL_ENTITIES:
    router.include_router(
        crud_router(_entity, read=Permission.SECURITY_READ, write=Permission.SECURITY_WRITE)
    )

TODAY = Query(None, description="计算基准日（默认为北京时间今天）")


@router.get(
    "/systems/{system_id}/status",
    response_model=SecurityStatus,
    summary="信息系统的等保、密评与风险评估状态（各项期限与逾期标志）",
)
def system_status(
    system_id: int,
    today: dt.date | None = TODAY,
    principal: Principal = allow(Permission.SECURITY_READ),
    session: Session = DB,
) -> SecurityStatus:
    return service.security_status(session, system_id, today=today, scope=principal.scope)


@router.get(
    "/status",
    response_model=Page[SecurityStatus],
    summary="所有信息系统的等保、密评与风险评估状态",
)
def all_status(
    request: Request,
    today: dt.date | None = TODAY,
    owner_unit_id: int | None = Query(None, description="主管单位"),
    page: PageParams = Depends(PageParams),
    principal: Principal = allow(Permission.SECURITY_READ),
    session: Session = DB,
) -> dict[str, Any]:
    from sqlalchemy import select

    stmt = select(System.id).order_by(System.catalogue_number)
    if owner_unit_id is not None:
        stmt = stmt.where(System.owner_unit_id == owner_unit_id)
    if not principal.scope.everything:
        from inventory.entities import systems_in_scope

        stmt = stmt.where(systems_in_scope(principal.scope))
    total = count_of(session, stmt)
    ids = list(session.execute(stmt.limit(page.limit).offset(page.offset)).scalars())
    rows = service.security_statuses(session, today=today, scope=principal.scope, system_ids=ids)
    return build_page(request, total, rows, page, lambda row: row.model_dump(mode="json"))
