"""Routes under ``/api/v1/security/verification/``: catalogue, runs, results, inventory."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from security.verification import service
from security.verification.catalogue import catalogue
from security.verification.choices import CheckOutcome
from security.verification.inventory import Selection, inventory_for
from security.verification.models import VerificationRun
from security.verification.profiles import PROFILES
from security.verification.schemas import ResultRead, RunRead
from taizhang.api import DB, allow
from taizhang.auth.principal import Principal
from taizhang.auth.roles import Permission
from taizhang.errors import NotFound
from taizhang.pagination import PageParams, build_page, fetch_page
from taizhang.routes import crud_router
from taizhang.schemas import Schema

router = APIRouter(prefix="/security/verification", tags=["主机核验"])
router.include_router(crud_router(PROFILES, read=Permission.SECURITY_READ, write=Permission.VERIFY_RUN))


class RunCreate(Schema):
    host_ids: list[int] = Field(default_factory=list, description="主机")
    system_ids: list[int] = Field(default_factory=list, description="系统")
    unit_ids: list[int] = Field(default_factory=list, description="单位")
    check_ids: list[str] = Field(default_factory=list, description="检查项（空为全部）")


def _visible_run(session: Session, principal: Principal, run_id: int) -> VerificationRun:
    run = service.get_run(session, run_id)
    if not principal.scope.everything and run.filters.get("scope_unit_ids") != sorted(principal.unit_ids):
        raise NotFound(f"核验任务 {run_id} 不存在")
    return run


@router.get("/checks", summary="检查项目录")
def list_checks(principal: Principal = allow(Permission.SECURITY_READ)) -> list[dict[str, Any]]:
    return [c.as_dict() for c in catalogue().values()]


@router.post("/runs", status_code=202, summary="发起核验（排队，由核验进程执行）")
def create_run(
    body: RunCreate, session: Session = DB, principal: Principal = allow(Permission.VERIFY_RUN)
) -> dict[str, Any]:
    run = service.enqueue_run(
        session,
        selection=Selection(**body.model_dump()),
        requested_by=principal.username,
        scope=principal.scope,
    )
    return RunRead.model_validate(run).model_dump(mode="json")


@router.get("/runs", summary="核验任务列表")
def list_runs(
    request: Request,
    session: Session = DB,
    principal: Principal = allow(Permission.SECURITY_READ),
    page: PageParams = Depends(),
) -> dict[str, Any]:
    stmt = select(VerificationRun).order_by(VerificationRun.id.desc())
    if not principal.scope.everything:
        stmt = stmt.where(VerificationRun.requested_by == principal.username)
    total, rows = fetch_page(session, stmt, page)
    return build_page(request, total, rows, page, lambda r: RunRead.model_validate(r).model_dump(mode="json"))


@router.get("/runs/{run_id}", summary="核验任务详情")
def get_run(
    run_id: int, session: Session = DB, principal: Principal = allow(Permission.SECURITY_READ)
) -> dict[str, Any]:
    return RunRead.model_validate(_visible_run(session, principal, run_id)).model_dump(mode="json")


@router.post("/runs/{run_id}/cancel", summary="取消核验")
def cancel_run(
    run_id: int, session: Session = DB, principal: Principal = allow(Permission.VERIFY_RUN)
) -> dict[str, Any]:
    _visible_run(session, principal, run_id)
    return RunRead.model_validate(service.request_cancel(session, run_id)).model_dump(mode="json")


def _results(
    request: Request, session: Session, principal: Principal, page: PageParams, history: bool, **filters: Any
) -> dict[str, Any]:
    stmt = service.results_query(scope=principal.scope, history=history, **filters)
    total, rows = fetch_page(session, stmt, page)
    return build_page(
        request, total, rows, page, lambda r: ResultRead.model_validate(r).model_dump(mode="json")
    )


@router.get("/results", summary="每台主机每个检查项的当前结果")
def current_results(
    request: Request,
    session: Session = DB,
    principal: Principal = allow(Permission.SECURITY_READ),
    page: PageParams = Depends(),
    host_id: int | None = Query(None, description="主机"),
    check_id: str | None = Query(None, description="检查项"),
    outcome: CheckOutcome | None = Query(None, description="结果"),
) -> dict[str, Any]:
    return _results(
        request, session, principal, page, False, host_id=host_id, check_id=check_id, outcome=outcome
    )


@router.get("/results/history", summary="检查结果历史")
def result_history(
    request: Request,
    session: Session = DB,
    principal: Principal = allow(Permission.SECURITY_READ),
    page: PageParams = Depends(),
    host_id: int | None = Query(None, description="主机"),
    check_id: str | None = Query(None, description="检查项"),
    outcome: CheckOutcome | None = Query(None, description="结果"),
) -> dict[str, Any]:
    return _results(
        request, session, principal, page, True, host_id=host_id, check_id=check_id, outcome=outcome
    )


@router.get("/inventory", summary="Ansible 动态清单（JSON）")
def dynamic_inventory(session: Session = DB, principal: Principal = allow(Permission.VERIFY_RUN)) -> Response:
    import json

    data = inventory_for(session, Selection(), scope=principal.scope)
    return Response(json.dumps(data, ensure_ascii=False), media_type="application/json")
