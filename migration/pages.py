"""Migration pages: the board (plans by wave and step), a plan with its history, advancing a step.

Handlers call ``migration.service`` with the principal's scope: another unit's plan is a 404 page.
A move the state machine refuses is shown next to the form with the allowed states (status 409),
and what the user typed stays.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from inventory.models import System
from migration import board, service
from migration.choices import PlanState
from migration.entities import PLANS
from migration.machine import ORDER, allowed_targets, next_step
from migration.models import MigrationPlan
from taizhang.api import DB
from taizhang.auth.principal import Principal
from taizhang.auth.roles import Permission
from taizhang.errors import DomainError
from taizhang.web import flash
from taizhang.web.forms import FormState
from taizhang.web.objects import ObjectType, register_object_type
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
add_template_package("migration")

READ, WRITE = Permission.MIGRATION_READ, Permission.MIGRATION_WRITE
PER_PAGE = 50  # plans per page of the board


def _int_or_none(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() else None


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


@router.get("/migration")
def migration_board(
    request: Request,
    wave_id: str | None = Query(None, max_length=12),
    unit_id: str | None = Query(None, max_length=12),
    q: str | None = Query(None, max_length=200),
    page: int = Query(1, ge=1, le=100000),
    principal: Principal = page_allow(READ),
    session: Session = DB,
) -> Response:
    """The figures count every matching system; the board shows one page of the matching plans."""
    wave, unit = _int_or_none(wave_id), _int_or_none(unit_id)
    search = (q or "").strip() or None
    figures = service.summary(session, scope=principal.scope, unit_id=unit, wave_id=wave, search=search)
    total = figures.total
    listing = board.page(
        session, scope=principal.scope, wave_id=wave, unit_id=unit, q=search, page=page, per_page=PER_PAGE
    )
    context = {
        "page_title": "上云迁移",
        "tiles": [
            ("上云率", _pct(total.cloud_rate), "市级政务云 ÷ 纳入范围（第三十五条）"),
            ("纳入范围", str(total.in_scope), f"豁免 {total.exempt} 个"),
            ("已上市级政务云", str(total.city_cloud), ""),
            ("迁移中", str(total.migrating), ""),
            ("割接逾期", str(total.overdue_cutovers), "计划割接日期已过仍未完成割接"),
        ],
        "listing": listing,
        "rows": board.grid(session, listing.rows),
        "waves": board.waves(session),
        "units": board.units(session, principal.scope),
        "by_wave": figures.by_wave,
        "states": ORDER,
        "q": q or "",
        "chosen": {
            "wave_id": "" if wave is None else str(wave),
            "unit_id": "" if unit is None else str(unit),
        },
    }
    return render(request, "migration/board.html", context)


def _plan_context(
    session: Session, principal: Principal, plan: MigrationPlan, form: FormState | None = None
) -> dict[str, Any]:
    allowed = allowed_targets(plan.state, plan.held_from)
    suggested = next_step(plan.state, plan.held_from)
    if form is None:
        form = FormState(
            values={"to": suggested.value if suggested else "", "note": "", "version": str(plan.version)}
        )
    return {
        "page_title": f"迁移计划：{plan.system.name}",
        "plan": plan,
        "wave_name": board.wave_name(session, plan.wave_id),
        "transitions": service.transitions_of(session, plan),
        "blockers": board.blockers_of(session, plan),
        "allowed": allowed,
        "states": list(PlanState),
        "form": form,
        "can_write": principal.can(WRITE),
    }


@router.get("/migration/plans/{plan_id:int}")
def plan_page(
    request: Request, plan_id: int, principal: Principal = page_allow(READ), session: Session = DB
) -> Response:
    plan = service.get_plan(session, plan_id, scope=principal.scope)
    return render(request, "migration/plan.html", _plan_context(session, principal, plan))


@router.post("/migration/plans/{plan_id:int}/advance")
def plan_advance(
    request: Request,
    plan_id: int,
    form_data: FormData = CsrfForm,
    principal: Principal = page_allow(WRITE),
    session: Session = DB,
) -> Response:
    plan = service.get_plan(session, plan_id, scope=principal.scope)
    form = FormState.from_form(form_data, [])
    for name in ("to", "note", "version"):
        raw = form_data.get(name, "")
        form.values[name] = raw.strip() if isinstance(raw, str) else ""
    target = _state_or_none(form.values["to"])
    version = _int_or_none(form.values["version"])
    status = 422
    if target is None:
        form.errors["to"] = "请从列表中选择目标状态"
    elif len(form.values["note"]) > 2000:
        form.errors["note"] = "不能超过 2000 个字符"
    else:
        try:
            service.advance(
                session,
                plan,
                to=target,
                note=form.values["note"],
                actor=principal.username,
                expected_version=version,
            )
        except DomainError as exc:
            session.rollback()
            status = exc.status_code
            form.attach(exc, [])
        else:
            response = RedirectResponse(f"/migration/plans/{plan_id}", status_code=303)
            flash.add(request, response, f"迁移计划已转为“{target.label}”")
            return response
    plan = service.get_plan(session, plan_id, scope=principal.scope)
    context = _plan_context(session, principal, plan, form)
    return render(request, "migration/plan.html", context, status_code=status)


def _state_or_none(raw: str) -> PlanState | None:
    try:
        return PlanState(raw) if raw else None
    except ValueError:
        return None


# ---------------------------------------------------------------- blocks on shared pages


def system_panel(session: Session, principal: Principal, system: System) -> dict[str, Any]:
    try:
        plan = service.plan_for_system(session, system.id, scope=principal.scope)
    except DomainError:
        return {"plan": None, "exemption": service.active_exemption(session, system.id)}
    transitions = service.transitions_of(session, plan)
    return {
        "plan": plan,
        "wave_name": board.wave_name(session, plan.wave_id),
        "last": transitions[-1] if transitions else None,
        "exemption": service.active_exemption(session, system.id),
    }


def dashboard_section(session: Session, principal: Principal) -> dict[str, Any]:
    figures = service.summary(session, scope=principal.scope)
    total = figures.total
    return {
        "tiles": [
            ("上云率", _pct(total.cloud_rate), "第三十五条"),
            ("迁移中", str(total.migrating), ""),
            ("割接逾期", str(total.overdue_cutovers), ""),
        ],
        "chart": board.unit_rate_chart(figures.by_unit),
        "has_units": any(g.in_scope for g in figures.by_unit),
    }


register_nav(NavEntry("migration", "上云迁移", "/migration", READ, order=20))
register_panel(
    "system", Panel("migration", "迁移计划", system_panel, "migration/system_panel.html", READ, 25)
)
register_dashboard_section(
    DashboardSection("migration", "上云迁移进度", dashboard_section, "migration/dashboard.html", READ, 20)
)
register_object_type(ObjectType("migration.migrationplan", "迁移计划", PLANS, "/migration/plans/{id}"))
