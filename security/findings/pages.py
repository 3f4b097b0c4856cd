"""Findings pages: the filtered list, one finding (facts, citation, history) with its assign, comment
and waive forms, the waivers list, and the blocks on shared pages (system panel, dashboard).

Rectification notices live in ``security.findings.notice_pages`` (included by this router).
Every handler passes the principal's scope: a unit user sees only its units' findings, another
unit's finding is a 404 page. Writes need SECURITY_WRITE.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from inventory.entities import SYSTEMS
from inventory.models import System, Unit
from security.findings import background, notice_pages, service, waivers
from security.findings.choices import SEVERITY_ORDER, FindingState, Severity
from security.findings.models import Finding, FindingComment
from security.findings.rules import all_rules
from security.findings.schemas import WaiverCreate
from security.findings.triggers import evaluation_pending
from taizhang import changelog_query, crud
from taizhang.api import DB
from taizhang.auth.models import User
from taizhang.auth.principal import Principal
from taizhang.auth.roles import Permission
from taizhang.clock import china_today
from taizhang.listing import Listing
from taizhang.pagination import count_of
from taizhang.web import flash
from taizhang.web.forms import FormField, FormState, save
from taizhang.web.objects import ObjectType, describe_entry, register_object_type
from taizhang.web.registry import (
    DashboardSection,
    NavEntry,
    Panel,
    register_dashboard_section,
    register_nav,
    register_panel,
)
from taizhang.web.render import add_template_package, render
from taizhang.web.security import CsrfForm, page_allow

router = APIRouter(include_in_schema=False)
router.include_router(notice_pages.router)
add_template_package("security.findings")

READ, WRITE = Permission.SECURITY_READ, Permission.SECURITY_WRITE
PER_PAGE = 25
WAIVE_FIELDS = [
    FormField("reason", "textarea"),
    FormField("approver"),
    FormField("approval_reference"),
    FormField("expires_on", "date"),
]
COMMENT_FIELDS = [FormField("body", "textarea")]


def _enum_or_none(enum_cls: Any, raw: str | None) -> Any:
    try:
        return enum_cls(raw) if raw else None
    except ValueError:
        return None


def _int_or_none(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() else None


def unit_names(session: Session) -> dict[int, str]:
    return {row.id: row.name for row in session.execute(select(Unit.id, Unit.name))}


def scoped_units(session: Session, principal: Principal) -> list[Unit]:
    stmt = select(Unit).order_by(Unit.code)
    if not principal.scope.everything:
        stmt = stmt.where(Unit.id.in_(principal.scope.unit_ids or frozenset()))
    return list(session.execute(stmt).scalars())


@router.get("/findings")
def findings_list(
    request: Request,
    q: str | None = Query(None, max_length=200),
    state: str | None = Query(None, max_length=32),
    rule_id: str | None = Query(None, max_length=64),
    severity: str | None = Query(None, max_length=32),
    unit_id: str | None = Query(None, max_length=12),
    system_id: str | None = Query(None, max_length=12),
    page: int = Query(1, ge=1, le=100000),
    principal: Principal = page_allow(READ),
    session: Session = DB,
) -> Response:
    filters = {
        "state": _enum_or_none(FindingState, state),
        "rule_id": rule_id or None,
        "severity": _enum_or_none(Severity, severity),
        "unit_id": _int_or_none(unit_id),
        "system_id": _int_or_none(system_id),
    }
    # asked before the rows are read: if nothing waits, the rows below reflect every committed write
    pending = evaluation_pending(session, filters["system_id"])
    stmt = service.finding_query(principal.scope, q=(q or "").strip() or None, **filters)
    total = count_of(session, stmt)
    pages = max(1, -(-total // PER_PAGE))
    page = min(page, pages)
    rows = session.execute(stmt.limit(PER_PAGE).offset((page - 1) * PER_PAGE)).scalars().all()
    context = {
        "page_title": "合规问题",
        "listing": Listing(rows=rows, total=total, page=page, per_page=PER_PAGE),
        "units": scoped_units(session, principal),
        "unit_names": unit_names(session),
        "rules": all_rules(),
        "q": q or "",
        "chosen": {k: ("" if v is None else str(getattr(v, "value", v))) for k, v in filters.items()},
        "enums": {"state": FindingState, "severity": Severity},
        "can_write": principal.can(WRITE),
        "pending": pending,
    }
    if pending:
        background.notify()
    return render(request, "findings/list.html", context)


def _finding_context(
    session: Session, principal: Principal, finding: Finding, **forms: FormState
) -> dict[str, Any]:
    history = changelog_query.history_of(session, [("security.finding", [finding.id])], limit=30)
    waiver = waivers.get_waiver(session, finding.waiver_id) if finding.waiver_id else None
    default_expiry = (china_today() + dt.timedelta(days=180)).isoformat()
    return {
        "page_title": f"问题 {finding.id}",
        "finding": finding,
        "unit_name": unit_names(session).get(finding.unit_id or 0, "—"),
        "waiver": waiver,
        "assignee": session.get(User, finding.assignee_id) if finding.assignee_id else None,
        "users": list(session.execute(select(User).order_by(User.username)).scalars()),
        "history": [describe_entry(e) for e in history],
        "waive_form": forms.get("waive") or FormState(values={"expires_on": default_expiry}),
        "comment_form": forms.get("comment") or FormState(),
        "assign_form": forms.get("assign")
        or FormState(values={"assignee_id": str(finding.assignee_id or "")}),
        "can_write": principal.can(WRITE),
    }


@router.get("/findings/{finding_id:int}")
def finding_page(
    request: Request, finding_id: int, principal: Principal = page_allow(READ), session: Session = DB
) -> Response:
    finding = service.get_finding(session, finding_id, scope=principal.scope)
    return render(request, "findings/finding.html", _finding_context(session, principal, finding))


def _back(request: Request, finding_id: int, message: str) -> Response:
    response = RedirectResponse(f"/findings/{finding_id}", status_code=303)
    flash.add(request, response, message)
    return response


def _again(
    request: Request, session: Session, principal: Principal, finding_id: int, **forms: FormState
) -> Response:
    finding = service.get_finding(session, finding_id, scope=principal.scope)
    context = _finding_context(session, principal, finding, **forms)
    return render(request, "findings/finding.html", context, status_code=422)


@router.post("/findings/{finding_id:int}/waive")
def finding_waive(
    request: Request,
    finding_id: int,
    form_data: FormData = CsrfForm,
    principal: Principal = page_allow(WRITE),
    session: Session = DB,
) -> Response:
    finding = service.get_finding(session, finding_id, scope=principal.scope)
    form = FormState.from_form(form_data, WAIVE_FIELDS)
    form.values.update(
        rule_id=finding.rule_id, subject_type=finding.subject_type.value, subject_id=str(finding.subject_id)
    )
    fields = [*WAIVE_FIELDS, FormField("rule_id"), FormField("subject_type"), FormField("subject_id")]
    payload = form.payload(WaiverCreate, fields, partial=False)
    created = None
    if payload is not None:
        data = payload.model_dump()
        created = save(
            session,
            form,
            fields,
            lambda: waivers.create_waiver(session, data, actor=principal.username, today=china_today()),
        )
    if created is None:
        return _again(request, session, principal, finding_id, waive=form)
    return _back(request, finding_id, f"已豁免至 {created.expires_on.isoformat()}")


@router.post("/findings/{finding_id:int}/comment")
def finding_comment(
    request: Request,
    finding_id: int,
    form_data: FormData = CsrfForm,
    principal: Principal = page_allow(WRITE),
    session: Session = DB,
) -> Response:
    service.get_finding(session, finding_id, scope=principal.scope)
    form = FormState.from_form(form_data, COMMENT_FIELDS)
    body = form.value("body")
    if not body:
        form.errors["body"] = "不能为空"
    elif len(body) > 4000:
        form.errors["body"] = "不能超过 4000 个字符"
    added: FindingComment | None = None
    if form.ok:
        added = save(
            session,
            form,
            COMMENT_FIELDS,
            lambda: service.add_comment(
                session, finding_id, author=principal.username, body=body, scope=principal.scope
            ),
        )
    if added is not None:
        return _back(request, finding_id, "已添加备注")
    return _again(request, session, principal, finding_id, comment=form)


@router.post("/findings/{finding_id:int}/assign")
def finding_assign(
    request: Request,
    finding_id: int,
    form_data: FormData = CsrfForm,
    principal: Principal = page_allow(WRITE),
    session: Session = DB,
) -> Response:
    service.get_finding(session, finding_id, scope=principal.scope)
    fields = [FormField("assignee_id", "select")]
    form = FormState.from_form(form_data, fields)
    raw = form.value("assignee_id")
    if raw and not raw.isdigit():
        form.errors["assignee_id"] = "请从列表中选择"
    else:
        assignee = int(raw) if raw else None
        version = _int_or_none(str(form.values.get("version", "")))
        if save(
            session,
            form,
            fields,
            lambda: service.assign(session, finding_id, assignee, expected_version=version),
        ):
            return _back(request, finding_id, "已更新负责人" if assignee else "已取消指派")
    return _again(request, session, principal, finding_id, assign=form)


@router.get("/findings/waivers")
def waivers_list(
    request: Request,
    page: int = Query(1, ge=1, le=100000),
    principal: Principal = page_allow(READ),
    session: Session = DB,
) -> Response:
    stmt = waivers.waiver_query(principal.scope)
    total = count_of(session, stmt)
    pages = max(1, -(-total // PER_PAGE))
    page = min(page, pages)
    rows = session.execute(stmt.limit(PER_PAGE).offset((page - 1) * PER_PAGE)).scalars().all()
    context = {
        "page_title": "豁免",
        "listing": Listing(rows=rows, total=total, page=page, per_page=PER_PAGE),
        "unit_names": unit_names(session),
        "rules": {r.id: r.title for r in all_rules()},
        "today": china_today(),
    }
    return render(request, "findings/waivers.html", context)


# ---------------------------------------------------------------- blocks on shared pages


def system_panel(session: Session, principal: Principal, system: System) -> dict[str, Any]:
    """The system's live findings, and whether a saved change still waits for re-evaluation.

    While one waits the panel says so and refreshes itself (``/findings/systems/{id}/panel``) until
    the background evaluation has committed, so a user who just recorded an assessment watches the
    finding it settles go away instead of reading the findings of before the save.
    """
    pending = evaluation_pending(session, system.id)  # before the rows: see evaluation_pending
    stmt = service.finding_query(principal.scope, system_id=system.id).where(
        Finding.state.in_(service.LIVE_STATES)
    )
    rows = list(session.execute(stmt).scalars())
    rank = {s: i for i, s in enumerate(SEVERITY_ORDER)}
    rows.sort(key=lambda f: (f.state is FindingState.WAIVED, rank[f.severity], f.id))
    if pending:
        background.notify()  # also wakes this process's pump for writes made elsewhere (CLI, sync)
    return {"findings": rows, "pending": pending}


@router.get("/findings/systems/{system_id:int}/panel")
def system_panel_fragment(
    request: Request, system_id: int, principal: Principal = page_allow(READ), session: Session = DB
) -> Response:
    """The findings panel of a system page, alone: what its htmx refresh swaps in."""
    system = crud.get(session, SYSTEMS, system_id, scope=principal.scope)
    context = {"data": system_panel(session, principal, system), "obj": system}
    return render(request, "findings/system_panel.html", context)


def dashboard_section(session: Session, principal: Principal) -> dict[str, Any]:
    figures = service.summary(session, scope=principal.scope)
    units = figures["by_unit"][:15]
    names = [u["unit_name"].removeprefix("襄汾县") for u in reversed(units)]
    series = [(s.label, [u[s.value] for u in reversed(units)]) for s in SEVERITY_ORDER]
    open_total = sum(v["open"] for v in figures["by_severity"].values())
    waived_total = sum(v["waived"] for v in figures["by_severity"].values())
    return {
        "tiles": [
            ("未整改问题", str(open_total), ""),
            *[(f"{s.label}风险", str(figures["by_severity"][s.value]["open"]), "") for s in SEVERITY_ORDER],
            ("已豁免", str(waived_total), ""),
        ],
        "chart": {
            "kind": "bar",
            "title": "各单位未整改问题（按严重程度）",
            "horizontal": True,
            "stack": True,
            "categories": names,
            "series": [{"name": n, "data": d} for n, d in series],
            "table": {
                "columns": ["", *[n for n, _ in series]],
                "rows": [[c, *[d[i] for _, d in series]] for i, c in enumerate(names)],
            },
        },
        "has_units": bool(units),
    }


register_nav(NavEntry("findings", "合规问题", "/findings", READ, order=40))
register_panel("system", Panel("findings", "合规问题", system_panel, "findings/system_panel.html", READ, 150))
register_dashboard_section(
    DashboardSection("findings", "合规问题", dashboard_section, "findings/dashboard.html", READ, 60)
)
register_object_type(ObjectType("security.finding", "合规问题", None, "/findings/{id}"))
register_object_type(ObjectType("security.waiver", "豁免", None, None))
