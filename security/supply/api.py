"""Routes under ``/api/v1/security/supply``: 替代率 figures, evidence gaps, end of support."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from security.supply import eos, service
from security.supply.schemas import HostEosOut, ProductEosOut, ProductGapOut, SupplySummaryOut
from taizhang.api import DB, allow
from taizhang.auth.principal import Principal
from taizhang.auth.roles import Permission

router = APIRouter(prefix="/security/supply", tags=["供应链安全可控"])

AS_OF = Query(None, description="按该日期计算（默认今天，Asia/Shanghai）")
WITHIN = Query(None, ge=0, le=3650, description="提前提示的天数（默认取策略值）")
HARDWARE = Query(False, description="同时统计服务器、CPU 等硬件")
DEFINITION = "替代率 = 自主可控数量 ÷ 全部数量；数量按产品使用记录的 quantity 加权，部分可控不计入自主可控"


@router.get("/summary", response_model=SupplySummaryOut, summary="安全可控替代率（按系统、单位或产品类别）")
def summary(
    group_by: str = Query("system", description="分组：system / unit / product_class"),
    as_of: dt.date | None = AS_OF,
    within_days: int | None = WITHIN,
    include_hardware: bool = HARDWARE,
    principal: Principal = allow(Permission.SECURITY_READ),
    session: Session = DB,
) -> dict[str, Any]:
    figures = service.supply_chain_summary(
        session,
        scope=principal.scope,
        group_by=group_by,
        today=as_of,
        within_days=within_days,
        include_hardware=include_hardware,
    )
    return {
        "group_by": group_by,
        "definition": DEFINITION,
        "total": service.county_total(figures).as_dict(),
        "results": [f.as_dict() for f in figures],
    }


@router.get(
    "/evidence-gaps", response_model=list[ProductGapOut], summary="缺少佐证、佐证已过期或即将到期的产品"
)
def evidence_gaps(
    as_of: dt.date | None = AS_OF,
    within_days: int | None = WITHIN,
    include_hardware: bool = HARDWARE,
    principal: Principal = allow(Permission.SECURITY_READ),
    session: Session = DB,
) -> list[dict[str, Any]]:
    gaps = service.evidence_gaps(
        session,
        scope=principal.scope,
        today=as_of,
        within_days=within_days,
        include_hardware=include_hardware,
    )
    return [g.as_dict() for g in gaps]


@router.get(
    "/end-of-support/hosts", response_model=list[HostEosOut], summary="操作系统已停止或即将停止支持的主机"
)
def hosts_eos(
    as_of: dt.date | None = AS_OF,
    within_days: int | None = WITHIN,
    without_plan: bool = Query(False, description="只列出没有替代计划的主机"),
    principal: Principal = allow(Permission.SECURITY_READ),
    session: Session = DB,
) -> list[dict[str, Any]]:
    rows = eos.hosts_past_eos(session, scope=principal.scope, today=as_of, within_days=within_days)
    return [r.as_dict() for r in rows if not without_plan or not r.has_plan]


@router.get(
    "/end-of-support/products", response_model=list[ProductEosOut], summary="已停止或即将停止支持的在用产品"
)
def products_eos(
    as_of: dt.date | None = AS_OF,
    within_days: int | None = WITHIN,
    principal: Principal = allow(Permission.SECURITY_READ),
    session: Session = DB,
) -> list[dict[str, Any]]:
    rows = eos.products_past_eos(session, scope=principal.scope, today=as_of, within_days=within_days)
    return [r.as_dict() for r in rows]
