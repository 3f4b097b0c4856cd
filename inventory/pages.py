"""Inventory pages: systems (list, page, create, edit), hosts, units and projects.

Every handler calls services (``taizhang.crud``, ``taizhang.listing``, ``inventory.views``); a unit
user's scope goes into each call, so another unit's object is a 404 page and never shows in lists
or search. The system and host pages are composed of panels (``inventory.page_blocks`` registers the
inventory's own; other domains register theirs).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from inventory import page_blocks, views
from inventory.choices import Hosting, HostKind, HostLifecycle, Network, ProjectKind, SystemLifecycle
from inventory.entities import HOSTS, PROJECTS, SYSTEMS
from inventory.models import Host, Project, System
from inventory.system_form import FIELDS as SYSTEM_FIELDS
from inventory.system_form import form_context, new_form
from taizhang import crud
from taizhang.api import DB
from taizhang.auth.principal import Principal
from taizhang.auth.roles import Permission
from taizhang.listing import list_rows
from taizhang.web import flash
from taizhang.web.forms import FormState, save
from taizhang.web.registry import load_panels
from taizhang.web.render import add_template_package, render
from taizhang.web.security import CsrfForm, page_allow

router = APIRouter(include_in_schema=False)
add_template_package("inventory")
page_blocks.register()

SYSTEM_SORTS = {
    "catalogue_number": System.catalogue_number,
    "name": System.name,
    "mlps_level": System.mlps_level,
    "hosting": System.hosting,
    "lifecycle": System.lifecycle,
    "go_live_date": System.go_live_date,
    "updated_at": System.updated_at,
}
HOST_SORTS = {
    "hostname": Host.hostname,
    "os_name": Host.os_name,
    "kind": Host.kind,
    "lifecycle": Host.lifecycle,
    "updated_at": Host.updated_at,
}
PROJECT_SORTS = {
    "name": Project.name,
    "total_budget": Project.total_budget,
    "approved_on": Project.approved_on,
}


def _enum_or_none(enum_cls: Any, raw: str | None) -> Any:
    try:
        return enum_cls(raw) if raw else None
    except ValueError:
        return None


def _int_or_none(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() else None


# ---------------------------------------------------------------- systems


@router.get("/systems")
def systems(
    request: Request,
    q: str | None = Query(None, max_length=200),
    owner_unit_id: str | None = Query(None, max_length=12),
    lifecycle: str | None = Query(None, max_length=32),
    mlps_level: str | None = Query(None, max_length=4),
    hosting: str | None = Query(None, max_length=32),
    network: str | None = Query(None, max_length=32),
    sort: str | None = Query(None, max_length=40),
    page: int = Query(1, ge=1, le=100000),
    principal: Principal = page_allow(Permission.INVENTORY_READ),
    session: Session = DB,
) -> Response:
    filters = {
        "owner_unit_id": _int_or_none(owner_unit_id),
        "lifecycle": _enum_or_none(SystemLifecycle, lifecycle),
        "mlps_level": _int_or_none(mlps_level),
        "hosting": _enum_or_none(Hosting, hosting),
        "network": _enum_or_none(Network, network),
    }
    listing = list_rows(
        session,
        SYSTEMS,
        scope=principal.scope,
        filters=filters,
        q=(q or "").strip() or None,
        sort_columns=SYSTEM_SORTS,
        sort=sort,
        page=page,
    )
    units = views.units(session, principal.scope)
    context = {
        "page_title": "信息系统",
        "listing": listing,
        "units": units,
        "unit_names": {u.id: u.name for u in units}
        | views.unit_names(session, (s.owner_unit_id for s in listing.rows)),
        "q": q or "",
        "chosen": {k: ("" if v is None else str(getattr(v, "value", v))) for k, v in filters.items()},
        "sort": sort or "",
        "can_write": principal.can(Permission.INVENTORY_WRITE),
        "enums": {"lifecycle": SystemLifecycle, "hosting": Hosting, "network": Network},
    }
    return render(request, "inventory/systems.html", context)


@router.get("/systems/{system_id:int}")
def system_page(
    request: Request,
    system_id: int,
    principal: Principal = page_allow(Permission.INVENTORY_READ),
    session: Session = DB,
) -> Response:
    system = crud.get(session, SYSTEMS, system_id, scope=principal.scope)
    context = {
        "page_title": system.name,
        "system": system,
        "unit_name": views.unit_names(session, [system.owner_unit_id]).get(system.owner_unit_id, ""),
        "panels": load_panels("system", session, principal, system),
        "can_write": principal.can(Permission.INVENTORY_WRITE),
    }
    return render(request, "inventory/system.html", context)


@router.get("/systems/new")
def system_new(
    request: Request, principal: Principal = page_allow(Permission.INVENTORY_WRITE), session: Session = DB
) -> Response:
    return render(request, "inventory/system_form.html", form_context(session, principal, new_form(), None))


@router.post("/systems/new")
def system_create(
    request: Request,
    form_data: FormData = CsrfForm,
    principal: Principal = page_allow(Permission.INVENTORY_WRITE),
    session: Session = DB,
) -> Response:
    form = FormState.from_form(form_data, SYSTEM_FIELDS)
    payload = form.payload(SYSTEMS.create, SYSTEM_FIELDS, partial=False)
    created = None
    if payload is not None:
        created = save(
            session,
            form,
            SYSTEM_FIELDS,
            lambda: crud.create(session, SYSTEMS, payload, scope=principal.scope),
        )
    if created is None:
        return render(
            request,
            "inventory/system_form.html",
            form_context(session, principal, form, None),
            status_code=422,
        )
    response = RedirectResponse(f"/systems/{created.id}", status_code=303)
    flash.add(request, response, f"已登记信息系统“{created.name}”")
    return response


@router.get("/systems/{system_id:int}/edit")
def system_edit(
    request: Request,
    system_id: int,
    principal: Principal = page_allow(Permission.INVENTORY_WRITE),
    session: Session = DB,
) -> Response:
    system = crud.get(session, SYSTEMS, system_id, scope=principal.scope)
    form = FormState.from_object(system, SYSTEM_FIELDS)
    return render(request, "inventory/system_form.html", form_context(session, principal, form, system))


@router.post("/systems/{system_id:int}/edit")
def system_update(
    request: Request,
    system_id: int,
    form_data: FormData = CsrfForm,
    principal: Principal = page_allow(Permission.INVENTORY_WRITE),
    session: Session = DB,
) -> Response:
    system = crud.get(session, SYSTEMS, system_id, scope=principal.scope)
    form = FormState.from_form(form_data, SYSTEM_FIELDS)
    payload = form.payload(SYSTEMS.update, SYSTEM_FIELDS, partial=True, create=SYSTEMS.create)
    updated = None
    if payload is not None:
        updated = save(
            session,
            form,
            SYSTEM_FIELDS,
            lambda: crud.update(session, SYSTEMS, system_id, payload, scope=principal.scope),
        )
    if updated is None:
        system = crud.get(session, SYSTEMS, system_id, scope=principal.scope)
        return render(
            request,
            "inventory/system_form.html",
            form_context(session, principal, form, system),
            status_code=form.status_code,  # 409 when someone saved the system meanwhile
        )
    response = RedirectResponse(f"/systems/{system_id}", status_code=303)
    flash.add(request, response, f"已保存对“{updated.name}”的修改")
    return response


# ---------------------------------------------------------------- hosts


@router.get("/hosts")
def hosts(
    request: Request,
    q: str | None = Query(None, max_length=200),
    unit_id: str | None = Query(None, max_length=12),
    kind: str | None = Query(None, max_length=32),
    lifecycle: str | None = Query(None, max_length=32),
    sort: str | None = Query(None, max_length=40),
    page: int = Query(1, ge=1, le=100000),
    principal: Principal = page_allow(Permission.INVENTORY_READ),
    session: Session = DB,
) -> Response:
    filters = {
        "unit_id": _int_or_none(unit_id),
        "kind": _enum_or_none(HostKind, kind),
        "lifecycle": _enum_or_none(HostLifecycle, lifecycle),
    }
    listing = list_rows(
        session,
        HOSTS,
        scope=principal.scope,
        filters=filters,
        q=(q or "").strip() or None,
        sort_columns=HOST_SORTS,
        sort=sort,
        page=page,
    )
    units = views.units(session, principal.scope)
    context = {
        "page_title": "主机",
        "listing": listing,
        "units": units,
        "unit_names": views.unit_names(session, (h.unit_id for h in listing.rows)),
        "eos": page_blocks.eos_of_hosts(listing.rows),
        "today": page_blocks.today(),
        "q": q or "",
        "chosen": {k: ("" if v is None else str(getattr(v, "value", v))) for k, v in filters.items()},
        "sort": sort or "",
        "enums": {"kind": HostKind, "lifecycle": HostLifecycle},
    }
    return render(request, "inventory/hosts.html", context)


@router.get("/hosts/{host_id:int}")
def host_page(
    request: Request,
    host_id: int,
    principal: Principal = page_allow(Permission.INVENTORY_READ),
    session: Session = DB,
) -> Response:
    host = crud.get(session, HOSTS, host_id, scope=principal.scope)
    context = {
        "page_title": host.hostname,
        "host": host,
        "unit_name": views.unit_names(session, [host.unit_id]).get(host.unit_id or 0, ""),
        "panels": load_panels("host", session, principal, host),
    }
    return render(request, "inventory/host.html", context)


# ---------------------------------------------------------------- units and projects


@router.get("/units")
def units_page(
    request: Request, principal: Principal = page_allow(Permission.INVENTORY_READ), session: Session = DB
) -> Response:
    units = views.units(session, principal.scope)
    context = {
        "page_title": "单位",
        "units": units,
        "parents": views.unit_names(session, (u.parent_id for u in units)),
        "system_counts": views.system_counts_by_unit(session, principal.scope),
    }
    return render(request, "inventory/units.html", context)


@router.get("/projects")
def projects(
    request: Request,
    q: str | None = Query(None, max_length=200),
    implementing_unit_id: str | None = Query(None, max_length=12),
    kind: str | None = Query(None, max_length=32),
    sort: str | None = Query(None, max_length=40),
    page: int = Query(1, ge=1, le=100000),
    principal: Principal = page_allow(Permission.INVENTORY_READ),
    session: Session = DB,
) -> Response:
    filters = {
        "implementing_unit_id": _int_or_none(implementing_unit_id),
        "kind": _enum_or_none(ProjectKind, kind),
    }
    listing = list_rows(
        session,
        PROJECTS,
        scope=principal.scope,
        filters=filters,
        q=(q or "").strip() or None,
        sort_columns=PROJECT_SORTS,
        sort=sort,
        page=page,
    )
    context = {
        "page_title": "项目",
        "listing": listing,
        "units": views.units(session, principal.scope),
        "unit_names": views.unit_names(session, (p.implementing_unit_id for p in listing.rows)),
        "q": q or "",
        "chosen": {k: ("" if v is None else str(getattr(v, "value", v))) for k, v in filters.items()},
        "sort": sort or "",
        "kinds": ProjectKind,
    }
    return render(request, "inventory/projects.html", context)


@router.get("/projects/{project_id:int}")
def project_page(
    request: Request,
    project_id: int,
    principal: Principal = page_allow(Permission.INVENTORY_READ),
    session: Session = DB,
) -> Response:
    project = crud.get(session, PROJECTS, project_id, scope=principal.scope)
    context = {
        "page_title": project.name,
        "project": project,
        "unit_name": views.unit_names(session, [project.implementing_unit_id]).get(
            project.implementing_unit_id, ""
        ),
        "systems": views.visible_systems(project.systems, principal.scope),
        "panels": load_panels("project", session, principal, project),
    }
    return render(request, "inventory/project.html", context)
