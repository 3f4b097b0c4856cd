"""Platform routes: status, enums, change log, the caller's own identity."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from taizhang import __version__
from taizhang.api import DB, allow, public
from taizhang.auth.principal import Principal
from taizhang.auth.roles import Permission
from taizhang.changelog import ChangeLogEntry
from taizhang.db import get_engine
from taizhang.enums import all_enums
from taizhang.pagination import Page, PageParams, build_page, fetch_page
from taizhang.schemas import ReadSchema

router = APIRouter(tags=["平台"])


@router.get("/status", summary="版本与数据库健康状况", dependencies=[Depends(public("health check"))])
def status() -> dict[str, Any]:
    database: dict[str, Any] = {"ok": False}
    try:
        engine = get_engine()
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        database = {"ok": True, "backend": engine.dialect.name}
    except Exception as exc:  # report, never fail the health check itself
        database = {"ok": False, "error": type(exc).__name__}
    return {"name": "taizhang", "version": __version__, "database": database}


@router.get("/enums", summary="所有枚举的取值与中文标签", dependencies=[Depends(public("enum labels"))])
def enums() -> dict[str, list[dict[str, Any]]]:
    return all_enums()


class MeRead(BaseModel):
    username: str
    role: str
    role_label: str
    unit_ids: list[int]


@router.get("/me", response_model=MeRead, summary="当前用户")
def me(principal: Principal = allow(Permission.AUTHENTICATED)) -> MeRead:
    return MeRead(
        username=principal.username,
        role=principal.role.value,
        role_label=principal.role.label,
        unit_ids=sorted(principal.unit_ids),
    )


class ChangeLogRead(ReadSchema):
    id: int
    time: dt.datetime
    actor: str
    action: str
    object_type: str
    object_id: int | None
    object_repr: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None
    message: str | None
    hash: str


@router.get("/changelog", response_model=Page[ChangeLogRead], summary="变更日志（只读）")
def changelog(
    request: Request,
    object_type: str | None = Query(None, description="对象类型，如 inventory.system"),
    object_id: int | None = Query(None, description="对象编号"),
    actor: str | None = Query(None, description="操作人"),
    action: str | None = Query(None, pattern="^(create|update|delete)$", description="操作"),
    since: dt.datetime | None = Query(None, description="起始时间"),
    until: dt.datetime | None = Query(None, description="截止时间"),
    page: PageParams = Depends(PageParams),
    principal: Principal = allow(Permission.CHANGELOG_READ),
    session: Session = DB,
) -> dict[str, Any]:
    stmt = select(ChangeLogEntry)
    if object_type:
        stmt = stmt.where(ChangeLogEntry.object_type == object_type)
    if object_id is not None:
        stmt = stmt.where(ChangeLogEntry.object_id == object_id)
    if actor:
        stmt = stmt.where(ChangeLogEntry.actor == actor)
    if action:
        stmt = stmt.where(ChangeLogEntry.action == action)
    if since:
        stmt = stmt.where(ChangeLogEntry.time >= since)
    if until:
        stmt = stmt.where(ChangeLogEntry.time <= until)
    total, rows = fetch_page(session, stmt.order_by(ChangeLogEntry.id.desc()), page)
    return build_page(
        request, total, rows, page, lambda r: ChangeLogRead.model_validate(r).model_dump(mode="json")
    )
