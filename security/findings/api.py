"""Routes under ``/api/v1/security/``: rules, findings, waivers and rectification notices."""

# No "from __future__ import annotations": FastAPI reads the route signatures.

from typing import Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from sqlalchemy.orm import Session

from security.findings import rectification, service, waivers
from security.findings.choices import FindingState, RectificationState, Severity, SubjectType
from security.findings.rules import all_rules
from security.findings.schemas import (
    CommentCreate,
    CommentRead,
    EvaluationQueued,
    FindingBrief,
    FindingDetail,
    FindingRead,
    FindingUpdate,
    RectificationCreate,
    RectificationRead,
    RectificationTransition,
    RuleRead,
    WaiverCreate,
    WaiverRead,
    WaiverUpdate,
)
from security.findings.triggers import request_evaluation
from taizhang.api import DB, allow
from taizhang.auth.principal import Principal
from taizhang.auth.roles import Permission
from taizhang.clock import china_today
from taizhang.pagination import Page, PageParams, build_page, fetch_page
from taizhang.routes import parse_if_match

router = APIRouter(prefix="/security", tags=["合规检查"])
READ = Permission.SECURITY_READ
WRITE = Permission.SECURITY_WRITE


def _page(request: Request, session: Session, stmt: Any, page: PageParams, read: Any, brief: Any) -> Any:
    total, rows = fetch_page(session, stmt, page)
    model = brief if page.brief else read
    return build_page(request, total, rows, page, lambda o: model.model_validate(o).model_dump(mode="json"))


@router.get("/rules", response_model=list[RuleRead], summary="合规规则列表")
def list_rules(principal: Principal = allow(READ)) -> Any:
    return [r.as_dict() for r in all_rules()]


@router.get("/findings", response_model=Page[FindingRead | FindingBrief], summary="合规问题列表")
def list_findings(
    request: Request,
    page: PageParams = Depends(PageParams),
    state: FindingState | None = Query(None, description="状态"),
    rule_id: str | None = Query(None, description="规则"),
    severity: Severity | None = Query(None, description="严重程度"),
    unit_id: int | None = Query(None, description="单位"),
    system_id: int | None = Query(None, description="信息系统"),
    subject_type: SubjectType | None = Query(None, description="对象类型"),
    assignee_id: int | None = Query(None, description="责任人"),
    q: str | None = Query(None, max_length=200, description="按描述或对象名称搜索"),
    principal: Principal = allow(READ),
    session: Session = DB,
) -> Any:
    stmt = service.finding_query(
        principal.scope,
        state=state,
        rule_id=rule_id,
        severity=severity,
        unit_id=unit_id,
        system_id=system_id,
        subject_type=subject_type,
        assignee_id=assignee_id,
        q=q,
    )
    return _page(request, session, stmt, page, FindingRead, FindingBrief)


@router.get("/findings/summary", summary="按规则、单位、严重程度汇总未整改与已豁免问题")
def findings_summary(principal: Principal = allow(READ), session: Session = DB) -> dict[str, Any]:
    return service.summary(session, scope=principal.scope)


@router.get("/findings/scores", summary="按信息系统或单位统计问题数（按严重程度计数，无隐含权重）")
def findings_scores(
    by: str = Query("unit", pattern="^(system|unit)$", description="system 或 unit"),
    principal: Principal = allow(READ),
    session: Session = DB,
) -> list[dict[str, Any]]:
    return service.scores(session, by=by, scope=principal.scope)


@router.get("/findings/export", summary="导出合规问题（CSV，Excel 可直接打开）")
def export_findings(
    state: FindingState | None = Query(None, description="状态"),
    unit_id: int | None = Query(None, description="单位"),
    rule_id: str | None = Query(None, description="规则"),
    principal: Principal = allow(READ),
    session: Session = DB,
) -> Response:
    stmt = service.finding_query(principal.scope, state=state, unit_id=unit_id, rule_id=rule_id)
    rows = service.export_rows(session, session.execute(stmt).scalars())
    filename = f"findings-{china_today().isoformat()}.csv"
    return Response(
        service.to_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.post(
    "/findings/evaluate", status_code=202, response_model=EvaluationQueued, summary="请求重新检查全部台账"
)
def queue_evaluation(principal: Principal = allow(WRITE), session: Session = DB) -> Any:
    request_evaluation(session, None)
    return {"queued": True, "detail": "已加入检查队列，将在后台完成"}


@router.get("/findings/{finding_id}", response_model=FindingDetail, summary="合规问题详情")
def get_finding(finding_id: int, principal: Principal = allow(READ), session: Session = DB) -> Any:
    return service.get_finding(session, finding_id, scope=principal.scope)


@router.patch("/findings/{finding_id}", response_model=FindingDetail, summary="指派合规问题")
def update_finding(
    finding_id: int,
    payload: FindingUpdate,
    if_match: str | None = Header(None, description="期望的版本号"),
    principal: Principal = allow(WRITE),
    session: Session = DB,
) -> Any:
    expected = parse_if_match(if_match) if if_match else payload.version
    return service.assign(session, finding_id, payload.assignee_id, expected_version=expected)


@router.post(
    "/findings/{finding_id}/comments", status_code=201, response_model=CommentRead, summary="评论合规问题"
)
def comment_finding(
    finding_id: int, payload: CommentCreate, principal: Principal = allow(WRITE), session: Session = DB
) -> Any:
    return service.add_comment(session, finding_id, author=principal.username, body=payload.body)


@router.get("/waivers", response_model=Page[WaiverRead], summary="豁免列表")
def list_waivers(
    request: Request,
    page: PageParams = Depends(PageParams),
    rule_id: str | None = Query(None, description="规则"),
    active: bool = Query(False, description="只列今天仍有效的"),
    principal: Principal = allow(READ),
    session: Session = DB,
) -> Any:
    stmt = waivers.waiver_query(principal.scope, rule_id=rule_id, active_on=china_today() if active else None)
    return _page(request, session, stmt, page, WaiverRead, WaiverRead)


@router.get("/waivers/{waiver_id}", response_model=WaiverRead, summary="豁免详情")
def get_waiver(waiver_id: int, principal: Principal = allow(READ), session: Session = DB) -> Any:
    return waivers.get_waiver(session, waiver_id, scope=principal.scope)


@router.post("/waivers", status_code=201, response_model=WaiverRead, summary="新增豁免")
def create_waiver(payload: WaiverCreate, principal: Principal = allow(WRITE), session: Session = DB) -> Any:
    return waivers.create_waiver(session, payload.model_dump(), actor=principal.username, today=china_today())


@router.patch("/waivers/{waiver_id}", response_model=WaiverRead, summary="修改豁免")
def update_waiver(
    waiver_id: int, payload: WaiverUpdate, principal: Principal = allow(WRITE), session: Session = DB
) -> Any:
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version", None)
    return waivers.update_waiver(session, waiver_id, data, today=china_today(), expected_version=version)


@router.delete("/waivers/{waiver_id}", status_code=204, summary="撤销豁免")
def delete_waiver(waiver_id: int, principal: Principal = allow(WRITE), session: Session = DB) -> Response:
    waivers.delete_waiver(session, waiver_id, today=china_today())
    return Response(status_code=204)


@router.get("/rectifications", response_model=Page[RectificationRead], summary="整改通知列表")
def list_rectifications(
    request: Request,
    page: PageParams = Depends(PageParams),
    unit_id: int | None = Query(None, description="单位"),
    state: RectificationState | None = Query(None, description="状态"),
    principal: Principal = allow(READ),
    session: Session = DB,
) -> Any:
    stmt = rectification.notice_query(principal.scope, unit_id=unit_id, state=state).options(
        *rectification.LOAD
    )
    return _page(request, session, stmt, page, RectificationRead, RectificationRead)


@router.get("/rectifications/{notice_id}", response_model=RectificationRead, summary="整改通知详情")
def get_rectification(notice_id: int, principal: Principal = allow(READ), session: Session = DB) -> Any:
    return rectification.get_notice(session, notice_id, scope=principal.scope)


@router.post(
    "/rectifications", status_code=201, response_model=RectificationRead, summary="下发整改通知（第二十八条）"
)
def create_rectification(
    payload: RectificationCreate, principal: Principal = allow(WRITE), session: Session = DB
) -> Any:
    return rectification.create_notice(
        session, payload.model_dump(), actor=principal.username, today=china_today()
    )


@router.post(
    "/rectifications/{notice_id}/transitions", response_model=RectificationRead, summary="变更整改通知状态"
)
def transition_rectification(
    notice_id: int,
    payload: RectificationTransition,
    principal: Principal = allow(WRITE),
    session: Session = DB,
) -> Any:
    return rectification.transition(
        session,
        notice_id,
        payload.to_state,
        actor=principal.username,
        comment=payload.comment,
        expected_version=payload.version,
    )
