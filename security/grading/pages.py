"""等保与密评 pages: the status overview, record forms, record pages with evidence, a system panel.

Every handler calls services (``taizhang.crud``, ``security.grading.service``,
``security.evidence.service``) with the principal's scope, so a unit user reads only their units'
systems and another unit's record is a 404 page. Writes need ``SECURITY_WRITE``; every POST is
CSRF-checked. Evidence downloads go through the evidence API (``/api/v1/security/evidence/{id}/download``),
which applies the same scope.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from inventory import views
from inventory.entities import SYSTEMS
from inventory.models import System
from security.evidence import service as evidence
from security.evidence.choices import EvidenceKind
from security.grading import service
from security.grading.choices import RectificationStatus
from security.grading.models import MlpsRectification
from security.grading.page_forms import KINDS, RecordKind
from security.grading.service import shanghai_today
from security.grading.status import SecurityStatus, problem_items
from taizhang import crud
from taizhang.api import DB
from taizhang.auth.principal import Principal
from taizhang.auth.roles import Permission
from taizhang.changelog import object_type_of
from taizhang.errors import DomainError, NotFound
from taizhang.generation import GenerationCache
from taizhang.listing import list_rows
from taizhang.policy import get_policy
from taizhang.web import flash, record_forms
from taizhang.web.forms import FormState
from taizhang.web.objects import ObjectType, register_object_type
from taizhang.web.record_forms import Context
from taizhang.web.registry import NavEntry, Panel, register_nav, register_panel
from taizhang.web.render import add_template_package, enum_choices, render
from taizhang.web.security import CsrfForm, Permit, page_allow, page_permit

router = APIRouter(include_in_schema=False)
add_template_package("security.grading")

PER_PAGE = 50  # systems per page of the overview

# the date each record kind sits at on a system's timeline
_TIMELINE: list[tuple[str, str, str, str | None]] = [
    ("gradings", "定级", "graded_on", "mlps-gradings"),
    ("filings", "备案", "submitted_on", "mlps-filings"),
    ("assessments", "等级测评", "assessed_on", "mlps-assessments"),
    ("self_checks", "等保自查", "checked_on", "mlps-self-checks"),
    ("rectifications", "整改", "due_on", "mlps-rectifications"),  # see _timeline_label
    ("crypto_plans", "密码应用方案", "drafted_on", "crypto-plans"),
    ("crypto_assessments", "密评", "assessed_on", "crypto-assessments"),
    ("risk_assessments", "风险评估", "assessed_on", "risk-assessments"),
]


def _kind(slug: str) -> RecordKind:
    if slug not in KINDS:
        raise NotFound("没有这种安全记录")
    return KINDS[slug]


def _describe(record: Any) -> str:
    for name in ("report_number", "certificate_number", "description", "scope", "title", "report_reference"):
        value = getattr(record, name, None)
        if value:
            return str(value)[:60]
    level = getattr(record, "level", None)
    return f"第{'一二三四五'[level - 1]}级" if level else ""


def _timeline_label(record: Any, label: str, date_field: str) -> tuple[str, dt.date | None]:
    """A rectification is shown at its due date while open, at its completion once done."""
    if isinstance(record, MlpsRectification):
        if record.status is RectificationStatus.OPEN:
            return "整改（未完成）", record.due_on
        return "整改（已完成）", record.completed_on or record.due_on
    return label, getattr(record, date_field)


def timeline(session: Session, principal: Principal, system_id: int) -> list[dict[str, Any]]:
    """Every 等保/密评/risk record of the system, newest first (finished rectifications included)."""
    _, records = service.load_records(
        session, scope=principal.scope, system_ids=[system_id], closed_rectifications=True
    )
    rec = records.get(system_id)
    if rec is None:
        return []
    rows = []
    for table, label, date_field, slug in _TIMELINE:
        for record in getattr(rec, table):
            shown, date = _timeline_label(record, label, date_field)
            rows.append(
                {
                    "date": date,
                    "label": shown,
                    "text": _describe(record),
                    "conclusion": getattr(getattr(record, "conclusion", None), "label", ""),
                    "url": f"/security/records/{slug}/{record.id}" if slug else None,
                }
            )
    return sorted(rows, key=lambda r: r["date"] or dt.date.min, reverse=True)


def status_panel(session: Session, principal: Principal, system: System) -> dict[str, Any]:
    return {
        "status": service.security_status(session, system.id, scope=principal.scope),
        "timeline": timeline(session, principal, system.id),
        "kinds": KINDS,
        "can_write": principal.can(Permission.SECURITY_WRITE),
    }


register_nav(NavEntry("security", "安全", "/security", Permission.SECURITY_READ, order=30))
register_panel(
    "system",
    Panel(
        "security_status",
        "等保与密评",
        status_panel,
        "security/panel_status.html",
        Permission.SECURITY_READ,
        100,
    ),
)
for _kind_def in KINDS.values():
    register_object_type(
        ObjectType(
            object_type_of(_kind_def.entity.model),
            _kind_def.title,
            _kind_def.entity,
            f"/security/records/{_kind_def.slug}/{{id}}",
        )
    )


# the form that settles each problem of the overview (see security.grading.status._PROBLEMS)
_FIXED_BY: dict[str, str] = {
    "mlps.filing_overdue": "mlps-filings",
    "mlps.certificate_expired": "mlps-filings",
    "mlps.certificate_expiring": "mlps-filings",
    "mlps.assessment_overdue": "mlps-assessments",
    "mlps.prelaunch_assessment_missing": "mlps-assessments",
    "mlps.retest_required": "mlps-assessments",
    "mlps.self_check_overdue": "mlps-self-checks",
    "crypto.plan_missing": "crypto-plans",
    "crypto.assessment_overdue": "crypto-assessments",
    "crypto.failing": "crypto-assessments",
    "risk.assessment_overdue": "risk-assessments",
}


def _problem_links(row: SecurityStatus, can_write: bool) -> list[tuple[str, str | None]]:
    """Each problem of a system with, for a user who may write, the form that settles it."""
    out: list[tuple[str, str | None]] = []
    for key, label in problem_items(row):
        url = None
        if can_write and key in _FIXED_BY:
            url = f"/security/systems/{row.system_id}/{_FIXED_BY[key]}/new"
        elif can_write and key == "mlps.overdue_rectifications" and row.mlps.overdue_rectification_ids:
            url = f"/security/records/mlps-rectifications/{row.mlps.overdue_rectification_ids[0]}/edit"
        out.append((label, url))
    return out


_problem_counts = GenerationCache(max_entries=256)


@router.get("/security")
def overview(
    request: Request,
    q: str | None = Query(None, max_length=200),
    owner_unit_id: str | None = Query(None, max_length=12),
    page: int = Query(1, ge=1, le=100000),
    principal: Principal = page_allow(Permission.SECURITY_READ),
    session: Session = DB,
) -> Response:
    """One page of systems with their status; the figures above it count every matching system."""
    unit = int(owner_unit_id) if owner_unit_id and owner_unit_id.isdigit() else None
    filters = {"owner_unit_id": unit}
    search = (q or "").strip() or None
    listing = list_rows(
        session,
        SYSTEMS,
        scope=principal.scope,
        filters=filters,
        q=search,
        sort_columns={"catalogue_number": System.catalogue_number},
        sort="catalogue_number",
        page=page,
        per_page=PER_PAGE,
    )
    today = shanghai_today()
    rows = service.security_statuses(
        session, today=today, scope=principal.scope, system_ids=[s.id for s in listing.rows]
    )

    def count_with_problems() -> int:
        matching = crud.list_query(SYSTEMS, scope=principal.scope, filters=filters, q=search)
        matching = matching.with_only_columns(System.id).order_by(None)
        everyone = service.security_statuses(session, today=today, scope=principal.scope, system_ids=matching)
        return sum(1 for r in everyone if r.problems)

    # The count works out every matching system's status (1-2 s for 10,000 systems): it is kept
    # until the ledger changes, for the same day, policy, scope and filters.
    scope = None if principal.scope.everything else tuple(sorted(principal.scope.unit_ids or ()))
    key = (scope, unit, search, today, get_policy().version)
    with_problems = _problem_counts.get_or_compute(session, key, count_with_problems)
    can_write = principal.can(Permission.SECURITY_WRITE)
    context = {
        "page_title": "等保与密评",
        "listing": listing,
        "rows": [(r, _problem_links(r, can_write)) for r in rows],
        "with_problems": with_problems,
        "units": views.units(session, principal.scope),
        "q": q or "",
        "chosen": {"owner_unit_id": "" if unit is None else str(unit)},
        "can_write": can_write,
    }
    return render(request, "security/overview.html", context)


def _form_context(
    session: Session, kind: RecordKind, system: System, principal: Principal, record: Any = None
) -> Context:
    """What the record form shows next to the user's input: the options, the system, the title."""

    def context(form: FormState) -> dict[str, Any]:
        _, records = service.load_records(
            session, scope=principal.scope, system_ids=[system.id], tables=["gradings", "assessments"]
        )
        gradings = sorted(records[system.id].gradings, key=lambda g: g.graded_on, reverse=True)
        assessments = sorted(records[system.id].assessments, key=lambda a: a.assessed_on, reverse=True)
        action = f"修改{kind.title}" if record is not None else f"登记{kind.title}"
        return {
            "options": {
                **kind.options(),
                "grading_id": [
                    (str(g.id), f"{g.graded_on} 第{'一二三四五'[g.level - 1]}级") for g in gradings
                ],
                "assessment_id": [(str(a.id), f"{a.assessed_on} {a.report_number}") for a in assessments],
            },
            "page_title": f"{action}：{system.name}",
            "action": action,
            "kind": kind,
            "system": system,
            "record": record,
        }

    return context


@router.get("/security/systems/{system_id:int}/{slug}/new")
def record_new(
    request: Request,
    system_id: int,
    slug: str,
    principal: Principal = page_allow(Permission.SECURITY_WRITE),
    session: Session = DB,
) -> Response:
    kind = _kind(slug)
    system = crud.get(session, SYSTEMS, system_id, scope=principal.scope)
    context = _form_context(session, kind, system, principal)
    return record_forms.show(request, kind.form, kind.form.blank(), context)


@router.post("/security/systems/{system_id:int}/{slug}/new")
def record_create(
    request: Request,
    system_id: int,
    slug: str,
    form_data: FormData = CsrfForm,
    principal: Principal = page_allow(Permission.SECURITY_WRITE),
    session: Session = DB,
) -> Response:
    kind = _kind(slug)
    system = crud.get(session, SYSTEMS, system_id, scope=principal.scope)
    context = _form_context(session, kind, system, principal)
    return record_forms.create(
        request, session, principal, kind.form, form_data, context, fixed={"system_id": str(system_id)}
    )


def _editable(
    session: Session, slug: str, record_id: int, permit: Permit
) -> tuple[RecordKind, Any, Principal]:
    """The record in the user's scope (else 404), then the write permission (else 403)."""
    kind = _kind(slug)
    record = crud.get(session, kind.entity, record_id, scope=permit.scope)
    return kind, record, permit.check()


@router.get("/security/records/{slug}/{record_id:int}/edit")
def record_edit(
    request: Request,
    slug: str,
    record_id: int,
    permit: Permit = page_permit(Permission.SECURITY_WRITE),
    session: Session = DB,
) -> Response:
    kind, record, principal = _editable(session, slug, record_id, permit)
    system = crud.get(session, SYSTEMS, record.system_id, scope=principal.scope)
    context = _form_context(session, kind, system, principal, record)
    return record_forms.show(request, kind.form, kind.form.of(record), context)


@router.post("/security/records/{slug}/{record_id:int}/edit")
def record_update(
    request: Request,
    slug: str,
    record_id: int,
    form_data: FormData = CsrfForm,
    permit: Permit = page_permit(Permission.SECURITY_WRITE),
    session: Session = DB,
) -> Response:
    kind, record, principal = _editable(session, slug, record_id, permit)
    system = crud.get(session, SYSTEMS, record.system_id, scope=principal.scope)
    context = _form_context(session, kind, system, principal, record)
    return record_forms.update(request, session, principal, kind.form, record_id, form_data, context)


def evidence_context(
    session: Session,
    principal: Principal,
    object_type: str,
    object_id: int,
    page_path: str,
    default_kind: EvidenceKind = EvidenceKind.OTHER,
) -> dict[str, Any]:
    """What ``security/_evidence.html`` needs: the record's files and the upload form's target."""
    files = session.execute(
        evidence.list_query(scope=principal.scope, object_type=object_type, object_id=object_id)
    ).scalars()
    return {
        "files": list(files),
        "evidence_kinds": enum_choices(EvidenceKind),
        "can_upload": principal.can(Permission.SECURITY_WRITE),
        "upload_error": None,
        "upload_action": f"{page_path}/evidence",
        "default_kind": default_kind.value,
    }


def _record_context(session: Session, principal: Principal, kind: RecordKind, record: Any) -> dict[str, Any]:
    system = crud.get(session, SYSTEMS, record.system_id, scope=principal.scope)
    object_type = object_type_of(kind.entity.model)
    shown = ObjectType(object_type, kind.title, kind.entity)
    return {
        "page_title": f"{kind.title}：{system.name}",
        "kind": kind,
        "record": record,
        "system": system,
        "rows": [
            (shown.field_label(w.name), shown.show(w.name, getattr(record, w.name))) for w in kind.widgets
        ],
        "can_write": principal.can(Permission.SECURITY_WRITE),
        **evidence_context(
            session, principal, object_type, record.id, f"/security/records/{kind.slug}/{record.id}"
        ),
    }


@router.get("/security/records/{slug}/{record_id:int}")
def record_page(
    request: Request,
    slug: str,
    record_id: int,
    principal: Principal = page_allow(Permission.SECURITY_READ),
    session: Session = DB,
) -> Response:
    kind = _kind(slug)
    record = crud.get(session, kind.entity, record_id, scope=principal.scope)
    return render(request, "security/record.html", _record_context(session, principal, kind, record))


@router.post("/security/records/{slug}/{record_id:int}/evidence")
def record_evidence(
    request: Request,
    slug: str,
    record_id: int,
    form_data: FormData = CsrfForm,
    principal: Principal = page_allow(Permission.SECURITY_WRITE),
    session: Session = DB,
) -> Response:
    kind = _kind(slug)
    record = crud.get(session, kind.entity, record_id, scope=principal.scope)
    error = upload_evidence(session, principal, object_type_of(kind.entity.model), record_id, form_data)
    if error is not None:
        context = _record_context(session, principal, kind, record)
        context["upload_error"] = error
        return render(request, "security/record.html", context, status_code=422)
    response = RedirectResponse(f"/security/records/{slug}/{record_id}#evidence", status_code=303)
    flash.add(request, response, "已上传佐证材料")
    return response


def upload_evidence(
    session: Session, principal: Principal, object_type: str, object_id: int, form_data: FormData
) -> str | None:
    """Attach the posted file through the evidence service; the error message, or ``None``."""
    upload = form_data.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return "请选择要上传的文件"
    try:
        kind = EvidenceKind(str(form_data.get("kind", "")))
    except ValueError:
        return "请选择材料类别"
    description = str(form_data.get("description", ""))[:2000]
    try:
        evidence.attach(
            session,
            object_type=object_type,
            object_id=object_id,
            kind=kind,
            filename=upload.filename,
            stream=upload.file,
            description=description,
            scope=principal.scope,
        )
    except DomainError as exc:
        session.rollback()
        return exc.message
    return None
