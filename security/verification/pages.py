"""Host verification pages: a host panel with the current check results, starting a run, a run page.

Starting a run (``VERIFY_RUN``) only queues it through ``service.enqueue_run``; the worker executes
it. The run page polls its status fragment every 2 seconds with htmx (``hx-trigger="every 2s"``)
and stops once the run has finished, then shows each check's outcome per host.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from inventory import views
from inventory.entities import HOSTS, SYSTEMS
from inventory.models import Host, System
from security.verification import service
from security.verification.catalogue import catalogue
from security.verification.choices import FINISHED
from security.verification.inventory import Selection
from security.verification.models import CheckResultHistory, VerificationRun
from taizhang import crud
from taizhang.api import DB
from taizhang.auth.principal import Principal
from taizhang.auth.roles import Permission
from taizhang.errors import DomainError, NotFound
from taizhang.web import flash
from taizhang.web.registry import Panel, register_panel
from taizhang.web.render import add_template_package, render
from taizhang.web.security import CsrfForm, page_allow

router = APIRouter(include_in_schema=False)
add_template_package("security.verification")


def _titles() -> dict[str, str]:
    return {c.id: c.title for c in catalogue().values()}


def host_panel(session: Session, principal: Principal, host: Host) -> dict[str, Any]:
    results = session.execute(service.results_query(scope=principal.scope, host_id=host.id)).scalars()
    return {
        "results": list(results),
        "titles": _titles(),
        "can_run": principal.can(Permission.VERIFY_RUN),
    }


register_panel(
    "host",
    Panel(
        "verification", "核验结果", host_panel, "verification/panel_host.html", Permission.SECURITY_READ, 40
    ),
)


def visible_run(session: Session, principal: Principal, run_id: int) -> VerificationRun:
    """The run, if the principal may see it: a unit user sees runs confined to exactly their units."""
    run = service.get_run(session, run_id)
    if not principal.scope.everything and run.filters.get("scope_unit_ids") != sorted(principal.unit_ids):
        raise NotFound(f"核验任务 {run_id} 不存在")
    return run


def _target(session: Session, principal: Principal, host_id: str, system_id: str) -> tuple[Selection, str]:
    if host_id.isdigit():
        host = crud.get(session, HOSTS, int(host_id), scope=principal.scope)
        return Selection(host_ids=[host.id]), f"主机 {host.hostname}"
    if system_id.isdigit():
        system = crud.get(session, SYSTEMS, int(system_id), scope=principal.scope)
        return Selection(system_ids=[system.id]), f"信息系统 {system.name} 的主机"
    raise NotFound("请从主机或信息系统页面发起核验")


def _form_context(session: Session, principal: Principal, host_id: str, system_id: str) -> dict[str, Any]:
    _, label = _target(session, principal, host_id, system_id)
    return {
        "page_title": "发起核验",
        "target_label": label,
        "host_id": host_id if host_id.isdigit() else "",
        "system_id": system_id if system_id.isdigit() and not host_id.isdigit() else "",
        "checks": sorted(catalogue().values(), key=lambda c: c.id),
        "error": None,
    }


@router.get("/verification/runs/new")
def run_new(
    request: Request, principal: Principal = page_allow(Permission.VERIFY_RUN), session: Session = DB
) -> Response:
    host_id = request.query_params.get("host_id", "")
    system_id = request.query_params.get("system_id", "")
    return render(
        request, "verification/run_form.html", _form_context(session, principal, host_id, system_id)
    )


@router.post("/verification/runs/new")
def run_create(
    request: Request,
    form_data: FormData = CsrfForm,
    principal: Principal = page_allow(Permission.VERIFY_RUN),
    session: Session = DB,
) -> Response:
    host_id, system_id = str(form_data.get("host_id", "")), str(form_data.get("system_id", ""))
    selection, _ = _target(session, principal, host_id, system_id)
    selection = replace(selection, check_ids=[str(c) for c in form_data.getlist("check_ids")])
    try:
        run = service.enqueue_run(
            session, selection=selection, requested_by=principal.username, scope=principal.scope
        )
    except DomainError as exc:
        session.rollback()
        context = _form_context(session, principal, host_id, system_id)
        context["error"] = exc.message
        return render(request, "verification/run_form.html", context, status_code=422)
    response = RedirectResponse(f"/verification/runs/{run.id}", status_code=303)
    flash.add(request, response, f"核验任务 #{run.id} 已排队，等待核验进程执行")
    return response


def _run_context(session: Session, principal: Principal, run: VerificationRun) -> dict[str, Any]:
    finished = run.status in FINISHED
    results: list[CheckResultHistory] = []
    if finished:
        stmt = select(CheckResultHistory).where(CheckResultHistory.run_id == run.id)
        results = list(
            session.execute(stmt.order_by(CheckResultHistory.host_id, CheckResultHistory.check_id)).scalars()
        )
    host_ids = {r.host_id for r in results} | set(run.filters.get("host_ids") or [])
    hosts: list[Host] = list(session.execute(select(Host).where(Host.id.in_(host_ids))).scalars())
    system_ids = run.filters.get("system_ids") or []
    systems: list[System] = list(session.execute(select(System).where(System.id.in_(system_ids))).scalars())
    return {
        "run": run,
        "finished": finished,
        "results": [r for r in results if principal.scope.allows_unit(_unit_of(session, r.host_id))],
        "host_names": {h.id: h.hostname for h in hosts},
        "systems": views.visible_systems(systems, principal.scope),
        "titles": _titles(),
    }


def _unit_of(session: Session, host_id: int) -> int | None:
    host = session.get(Host, host_id)
    return host.unit_id if host is not None else None


@router.get("/verification/runs/{run_id:int}")
def run_page(
    request: Request,
    run_id: int,
    principal: Principal = page_allow(Permission.SECURITY_READ),
    session: Session = DB,
) -> Response:
    run = visible_run(session, principal, run_id)
    context = {"page_title": f"核验任务 #{run.id}", **_run_context(session, principal, run)}
    return render(request, "verification/run.html", context)


@router.get("/verification/runs/{run_id:int}/status")
def run_status(
    request: Request,
    run_id: int,
    principal: Principal = page_allow(Permission.SECURITY_READ),
    session: Session = DB,
) -> Response:
    run = visible_run(session, principal, run_id)
    return render(request, "verification/_run_status.html", _run_context(session, principal, run))
