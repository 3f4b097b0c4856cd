"""应急预案与演练、安全事件 pages: plan, drill and incident forms (create and edit, through the shared
``taizhang.web.record_forms`` flow), an incident page with a live countdown.

Create forms live at ``/security/{slug}/new`` and edit forms at ``/security/{slug}/{id}/edit`` for
each slug of ``FORMS``; an edit looks the record up in the user's scope before checking the role,
so another unit's record is a 404. The incident page's countdown reads the report deadline that ``incident_deadlines`` computes (an
ISO time in ``data-deadline``); ``taizhang/static/js/countdown.js`` updates it every second. Two
system panels show the drill/plan status and the system's incidents. Writes need
``SECURITY_WRITE``; reads go through the services with the principal's scope.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from inventory import views
from inventory.models import System
from security.evidence.choices import EvidenceKind
from security.grading.pages import evidence_context, upload_evidence
from security.response import service
from security.response.choices import DrillType, IncidentCategory, IncidentGrade
from security.response.dates import incident_deadlines
from security.response.entities import DRILLS, INCIDENTS, PLANS
from security.response.models import Drill, EmergencyPlan, Incident
from taizhang import crud
from taizhang.api import DB
from taizhang.auth.principal import Principal
from taizhang.auth.roles import Permission
from taizhang.changelog import object_type_of
from taizhang.errors import NotFound
from taizhang.listing import all_rows
from taizhang.policy import get_policy
from taizhang.web import flash, record_forms
from taizhang.web.forms import FormField, FormState
from taizhang.web.objects import ObjectType, register_object_type
from taizhang.web.record_forms import Context, RecordForm
from taizhang.web.registry import Panel, register_panel
from taizhang.web.render import add_template_package, enum_choices, render
from taizhang.web.security import CsrfForm, Permit, page_allow, page_permit

router = APIRouter(include_in_schema=False)
add_template_package("security.response")

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
DRILL_FIELDS = [
    FormField("plan_id", "select"),
    FormField("drill_type", "select"),
    FormField("scenario"),
    FormField("held_on", "date"),
    FormField("participants", "multi"),
    FormField("findings", "textarea"),
]
MOMENTS = ("occurred_at", "detected_at", "handling_ended_at", "reported_at", "summary_reported_at")
INCIDENT_FIELDS = [
    FormField("title"),
    FormField("unit_id", "select"),
    FormField("system_ids", "multi"),
    FormField("category", "select"),
    FormField("grade", "select"),
    FormField("critical_infrastructure", "bool"),
    *(FormField(name) for name in MOMENTS),
    FormField("report_recipient"),
    FormField("description", "textarea"),
]
PLAN_FIELDS = [
    FormField("name"),
    FormField("unit_id", "select"),
    FormField("system_id", "select"),
    FormField("plan_version"),
    FormField("approved_on", "date"),
    FormField("last_reviewed_on", "date"),
    FormField("description", "textarea"),
]
_LOCAL_MINUTE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$")


def drill_panel(session: Session, principal: Principal, system: System) -> dict[str, Any]:
    status = service.drill_status(session, system.id, scope=principal.scope)
    # the plans that cover the system: its own, or else its unit's (as the status counts them)
    plans = [p for p in all_rows(session, PLANS, scope=principal.scope) if p.id in status.plan_ids]
    drills = [d for d in _drills(session, principal) if d.plan_id in status.plan_ids]
    return {
        "status": status,
        "plans": plans,
        "drills": drills[:10],
        "can_write": principal.can(Permission.SECURITY_WRITE),
    }


def incident_panel(session: Session, principal: Principal, system: System) -> dict[str, Any]:
    rows = service.incident_deadline_list(session, scope=principal.scope)
    mine = [(i, d) for i, d in rows if system.id in {s.id for s in i.systems}]
    return {"incidents": mine, "can_write": principal.can(Permission.SECURITY_WRITE)}


def _drills(session: Session, principal: Principal) -> list[Drill]:
    return list(all_rows(session, DRILLS, scope=principal.scope))


register_panel(
    "system",
    Panel(
        "drills", "应急预案与演练", drill_panel, "response/panel_drills.html", Permission.SECURITY_READ, 120
    ),
)
register_panel(
    "system",
    Panel(
        "incidents",
        "安全事件",
        incident_panel,
        "response/panel_incidents.html",
        Permission.SECURITY_READ,
        130,
    ),
)
register_object_type(ObjectType(object_type_of(EmergencyPlan), "应急预案", PLANS, "/security/plans/{id}"))
register_object_type(ObjectType(object_type_of(Drill), "应急演练", DRILLS, "/security/drills/{id}"))
register_object_type(
    ObjectType(object_type_of(Incident), "网络安全事件", INCIDENTS, "/security/incidents/{id}")
)


# ---------------------------------------------------------------- forms


def _participants(form_data: FormData, form: FormState) -> None:
    """One participant per line of the textarea."""
    text = str(form_data.get("participants", ""))
    form.values["participants"] = [line.strip() for line in text.splitlines() if line.strip()]


def _zoned(form: FormState) -> FormState:
    """``datetime-local`` inputs carry no zone: they are Beijing time. The form keeps what was typed."""
    values = dict(form.values)
    for name in MOMENTS:
        value = values.get(name, "")
        if isinstance(value, str) and _LOCAL_MINUTE.match(value):
            values[name] = value + (":00" if len(value) == 16 else "") + "+08:00"
    return FormState(values=values)


def _local(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    local = moment.astimezone(SHANGHAI)
    return local.strftime("%Y-%m-%dT%H:%M" if local.second == 0 else "%Y-%m-%dT%H:%M:%S")


def _incident_values(incident: Incident, fields: Sequence[FormField]) -> FormState:
    form = FormState.from_object(incident, fields)
    form.values.update({name: _local(getattr(incident, name)) for name in MOMENTS})
    return form


DRILL_FORM = RecordForm(
    "drills",
    DRILLS,
    "应急演练",
    tuple(DRILL_FIELDS),
    "response/drill_form.html",
    "/security/drills/{id}",
    parse=_participants,
)
INCIDENT_FORM = RecordForm(
    "incidents",
    INCIDENTS,
    "网络安全事件",
    tuple(INCIDENT_FIELDS),
    "response/incident_form.html",
    "/security/incidents/{id}",
    submitted=_zoned,
    values_of=_incident_values,
)


PLAN_FORM = RecordForm(
    "plans",
    PLANS,
    "应急预案",
    tuple(PLAN_FIELDS),
    "response/plan_form.html",
    "/security/plans/{id}",
)


def _unit_and_system_options(
    session: Session, principal: Principal
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The units and systems the user may pick, as (value, label) choices."""
    units = views.units(session, principal.scope)
    systems = views.visible_systems(
        session.execute(select(System).order_by(System.catalogue_number)).scalars(), principal.scope
    )
    return (
        [(str(u.id), f"{u.code} {u.name}") for u in units],
        [(str(s.id), f"{s.catalogue_number} {s.name}") for s in systems],
    )


def _plan_context(session: Session, principal: Principal, record: EmergencyPlan | None) -> dict[str, Any]:
    units, systems = _unit_and_system_options(session, principal)
    return {
        "page_title": f"修改应急预案：{record.name}" if record else "登记应急预案",
        "options": {
            "unit_id": units,
            "system_id": systems,
        },
    }


def _plan_preset(request: Request) -> dict[str, Any]:
    """From a system's page: that system and its owner unit."""
    raw = request.query_params.get("system_id", "")
    preset: dict[str, Any] = {"system_id": raw if raw.isdigit() else ""}
    unit = request.query_params.get("unit_id", "")
    if unit.isdigit():
        preset["unit_id"] = unit
    return preset


def _drill_context(session: Session, principal: Principal, record: Drill | None) -> dict[str, Any]:
    plans = all_rows(session, PLANS, scope=principal.scope)
    return {
        "page_title": f"修改应急演练：{record.scenario}" if record else "登记应急演练",
        "options": {
            "plan_id": [(str(p.id), f"{p.name} {p.plan_version}".strip()) for p in plans],
            "drill_type": enum_choices(DrillType),
        },
    }


def _incident_context(session: Session, principal: Principal, record: Incident | None) -> dict[str, Any]:
    units, systems = _unit_and_system_options(session, principal)
    return {
        "page_title": f"修改网络安全事件：{record.title}" if record else "登记网络安全事件",
        "options": {
            "unit_id": units,
            "system_ids": systems,
            "category": enum_choices(IncidentCategory),
            "grade": enum_choices(IncidentGrade),
        },
    }


@dataclass(frozen=True)
class ResponseForm:
    """A form of this package: the shared flow's description, what the page shows, and what a
    link to the empty form may preset (``?plan_id=`` from a plan, ``?system_id=`` from a system)."""

    spec: RecordForm
    context: Callable[[Session, Principal, Any], dict[str, Any]]
    preset: Callable[[Request], dict[str, Any]]


FORMS: dict[str, ResponseForm] = {
    "plans": ResponseForm(PLAN_FORM, _plan_context, _plan_preset),
    "drills": ResponseForm(
        DRILL_FORM,
        _drill_context,
        lambda request: {"plan_id": request.query_params.get("plan_id", "")},
    ),
    "incidents": ResponseForm(
        INCIDENT_FORM,
        _incident_context,
        lambda request: {"system_ids": [v for v in [request.query_params.get("system_id", "")] if v]},
    ),
}


def _form(slug: str) -> ResponseForm:
    if slug not in FORMS:
        raise NotFound("没有这种安全记录")
    return FORMS[slug]


def _context(session: Session, principal: Principal, form: ResponseForm, record: Any = None) -> Context:
    return lambda state: {**form.context(session, principal, record), "record": record}


@router.get("/security/{slug}/new")
def record_new(
    request: Request,
    slug: str,
    principal: Principal = page_allow(Permission.SECURITY_WRITE),
    session: Session = DB,
) -> Response:
    form = _form(slug)
    context = _context(session, principal, form)
    return record_forms.show(request, form.spec, form.spec.blank(**form.preset(request)), context)


@router.post("/security/{slug}/new")
def record_create(
    request: Request,
    slug: str,
    form_data: FormData = CsrfForm,
    principal: Principal = page_allow(Permission.SECURITY_WRITE),
    session: Session = DB,
) -> Response:
    form = _form(slug)
    context = _context(session, principal, form)
    return record_forms.create(request, session, principal, form.spec, form_data, context)


@router.get("/security/{slug}/{record_id:int}/edit")
def record_edit(
    request: Request,
    slug: str,
    record_id: int,
    permit: Permit = page_permit(Permission.SECURITY_WRITE),
    session: Session = DB,
) -> Response:
    form = _form(slug)
    record = crud.get(session, form.spec.entity, record_id, scope=permit.scope)
    principal = permit.check()
    context = _context(session, principal, form, record)
    return record_forms.show(request, form.spec, form.spec.of(record), context)


@router.post("/security/{slug}/{record_id:int}/edit")
def record_update(
    request: Request,
    slug: str,
    record_id: int,
    form_data: FormData = CsrfForm,
    permit: Permit = page_permit(Permission.SECURITY_WRITE),
    session: Session = DB,
) -> Response:
    form = _form(slug)
    record = crud.get(session, form.spec.entity, record_id, scope=permit.scope)
    principal = permit.check()
    context = _context(session, principal, form, record)
    return record_forms.update(request, session, principal, form.spec, record_id, form_data, context)


# ---------------------------------------------------------------- plans


@router.get("/security/plans/{plan_id:int}")
def plan_page(
    request: Request,
    plan_id: int,
    principal: Principal = page_allow(Permission.SECURITY_READ),
    session: Session = DB,
) -> Response:
    plan = crud.get(session, PLANS, plan_id, scope=principal.scope)
    schedule = service.plan_schedules(session, scope=principal.scope, plan_ids=[plan.id])[0]
    systems = views.visible_systems(
        session.execute(select(System).where(System.id == plan.system_id)).scalars(), principal.scope
    )
    context = {
        "page_title": f"应急预案：{plan.name}",
        "plan": plan,
        "schedule": schedule,
        "system": systems[0] if systems else None,
        "unit_name": views.unit_names(session, [plan.unit_id]).get(plan.unit_id, ""),
        "drills": [d for d in _drills(session, principal) if d.plan_id == plan.id],
        "can_write": principal.can(Permission.SECURITY_WRITE),
        **evidence_context(
            session,
            principal,
            object_type_of(EmergencyPlan),
            plan.id,
            f"/security/plans/{plan.id}",
            EvidenceKind.PLAN_DOCUMENT,
        ),
    }
    return render(request, "response/plan.html", context)


# ---------------------------------------------------------------- drills


@router.get("/security/drills/{drill_id:int}")
def drill_page(
    request: Request,
    drill_id: int,
    principal: Principal = page_allow(Permission.SECURITY_READ),
    session: Session = DB,
) -> Response:
    drill = crud.get(session, DRILLS, drill_id, scope=principal.scope)
    plan = crud.get(session, PLANS, drill.plan_id, scope=principal.scope)
    context = {
        "page_title": f"应急演练：{drill.scenario}",
        "drill": drill,
        "plan": plan,
        "can_write": principal.can(Permission.SECURITY_WRITE),
        **evidence_context(
            session,
            principal,
            object_type_of(Drill),
            drill.id,
            f"/security/drills/{drill.id}",
            EvidenceKind.DRILL_MINUTES,
        ),
    }
    return render(request, "response/drill.html", context)


# ---------------------------------------------------------------- incidents


@router.get("/security/incidents/{incident_id:int}")
def incident_page(
    request: Request,
    incident_id: int,
    principal: Principal = page_allow(Permission.SECURITY_READ),
    session: Session = DB,
) -> Response:
    incident = crud.get(session, INCIDENTS, incident_id, scope=principal.scope)
    deadlines = incident_deadlines(incident, get_policy())
    context = {
        "page_title": f"网络安全事件：{incident.title}",
        "incident": incident,
        "deadlines": deadlines,
        "can_write": principal.can(Permission.SECURITY_WRITE),
        "report_due_iso": deadlines.report_due.astimezone(SHANGHAI).isoformat()
        if deadlines.report_due
        else "",
        "systems": views.visible_systems(incident.systems, principal.scope),
        "unit_name": views.unit_names(session, [incident.unit_id]).get(incident.unit_id, ""),
        **evidence_context(
            session,
            principal,
            object_type_of(Incident),
            incident.id,
            f"/security/incidents/{incident.id}",
            EvidenceKind.INCIDENT_REPORT,
        ),
    }
    return render(request, "response/incident.html", context)


@router.post("/security/{slug}/{record_id:int}/evidence")
def record_evidence(
    request: Request,
    slug: str,
    record_id: int,
    form_data: FormData = CsrfForm,
    principal: Principal = page_allow(Permission.SECURITY_WRITE),
    session: Session = DB,
) -> Response:
    """Attach a file to a plan, drill or incident; an error comes back as a message on its page."""
    spec = _form(slug).spec
    record = crud.get(session, spec.entity, record_id, scope=principal.scope)
    error = upload_evidence(session, principal, object_type_of(spec.entity.model), record_id, form_data)
    response = RedirectResponse(f"{spec.page_of(record)}#evidence", status_code=303)
    flash.add(request, response, error or "已上传佐证材料", "error" if error else "success")
    return response
