"""Rectification notice pages (整改通知, 第二十八条): list, one notice, issuing one, moving its state.

Included by ``security.findings.pages``; same rules: the principal's scope in every call, writes
need SECURITY_WRITE, errors go next to their field and the input stays.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from inventory.models import Unit
from security.findings import rectification, service
from security.findings.choices import RECTIFICATION_TRANSITIONS, FindingState, RectificationState
from security.findings.models import RectificationNotice
from security.findings.schemas import RectificationCreate, RectificationTransition
from taizhang.api import DB
from taizhang.auth.principal import Principal
from taizhang.auth.roles import Permission
from taizhang.clock import china_today
from taizhang.web import flash
from taizhang.web.forms import FormField, FormState, save
from taizhang.web.objects import ObjectType, register_object_type
from taizhang.web.render import render
from taizhang.web.security import CsrfForm, page_allow

router = APIRouter(include_in_schema=False)
READ, WRITE = Permission.SECURITY_READ, Permission.SECURITY_WRITE
NEW_FIELDS = [
    FormField("number"),
    FormField("unit_id", "select"),
    FormField("title"),
    FormField("requirements", "textarea"),
    FormField("deadline", "date"),
    FormField("finding_ids", "multi"),
]
MOVE_FIELDS = [FormField("to_state", "select"), FormField("comment", "textarea")]
MAX_CHOICES = 300


def _units(session: Session) -> dict[int, str]:
    return {row.id: row.name for row in session.execute(select(Unit.id, Unit.name).order_by(Unit.code))}


@router.get("/findings/notices")
def notices_list(
    request: Request,
    state: str | None = Query(None, max_length=32),
    principal: Principal = page_allow(READ),
    session: Session = DB,
) -> Response:
    try:
        chosen = RectificationState(state) if state else None
    except ValueError:
        chosen = None
    stmt = (
        rectification.notice_query(principal.scope, state=chosen)
        .order_by(None)
        .order_by(RectificationNotice.deadline, RectificationNotice.id)
    )
    context = {
        "page_title": "整改通知",
        "notices": list(session.execute(stmt.limit(500)).scalars()),
        "unit_names": _units(session),
        "states": RectificationState,
        "chosen": chosen.value if chosen else "",
        "can_write": principal.can(WRITE),
    }
    return render(request, "findings/notices.html", context)


def _new_context(session: Session, form: FormState) -> dict[str, Any]:
    """The form; the findings to choose from are the chosen unit's open ones."""
    units = _units(session)
    raw_unit = str(form.value("unit_id"))
    choices: list[tuple[str, str]] = []
    if raw_unit.isdigit():
        stmt = service.finding_query(state=FindingState.OPEN, unit_id=int(raw_unit)).limit(MAX_CHOICES)
        choices = [(str(f.id), f"#{f.id} {f.message}") for f in session.execute(stmt).scalars()]
    return {
        "page_title": "下发整改通知",
        "form": form,
        "unit_chosen": raw_unit.isdigit(),
        "unit_options": [(str(k), v) for k, v in units.items()],
        "finding_options": choices,
    }


@router.get("/findings/notices/new")
def notice_new(
    request: Request,
    unit_id: str | None = Query(None, max_length=12),
    finding_id: str | None = Query(None, max_length=12),
    principal: Principal = page_allow(WRITE),
    session: Session = DB,
) -> Response:
    deadline = (china_today() + dt.timedelta(days=30)).isoformat()
    values = {
        "deadline": deadline,
        "unit_id": unit_id if unit_id and unit_id.isdigit() else "",
        "finding_ids": [finding_id] if finding_id else [],
    }
    return render(request, "findings/notice_form.html", _new_context(session, FormState(values=values)))


@router.post("/findings/notices/new")
def notice_create(
    request: Request,
    form_data: FormData = CsrfForm,
    principal: Principal = page_allow(WRITE),
    session: Session = DB,
) -> Response:
    form = FormState.from_form(form_data, NEW_FIELDS)
    payload = form.payload(RectificationCreate, NEW_FIELDS, partial=False)
    created = None
    if payload is not None:
        data = payload.model_dump()
        created = save(
            session,
            form,
            NEW_FIELDS,
            lambda: rectification.create_notice(session, data, actor=principal.username, today=china_today()),
        )
    if created is None:
        return render(request, "findings/notice_form.html", _new_context(session, form), status_code=422)
    response = RedirectResponse(f"/findings/notices/{created.id}", status_code=303)
    flash.add(request, response, f"已下发整改通知“{created.number}”")
    return response


def _notice_context(
    session: Session, principal: Principal, notice_id: int, form: FormState
) -> dict[str, Any]:
    notice = rectification.get_notice(session, notice_id, scope=principal.scope)
    allowed = RECTIFICATION_TRANSITIONS[notice.state]
    return {
        "page_title": f"整改通知 {notice.number}",
        "notice": notice,
        "unit_name": _units(session).get(notice.unit_id, "—"),
        "form": form,
        "move_options": [(s.value, s.label) for s in RectificationState if s in allowed],
        "can_write": principal.can(WRITE),
    }


@router.get("/findings/notices/{notice_id:int}")
def notice_page(
    request: Request, notice_id: int, principal: Principal = page_allow(READ), session: Session = DB
) -> Response:
    context = _notice_context(session, principal, notice_id, FormState())
    return render(request, "findings/notice.html", context)


@router.post("/findings/notices/{notice_id:int}/transition")
def notice_transition(
    request: Request,
    notice_id: int,
    form_data: FormData = CsrfForm,
    principal: Principal = page_allow(WRITE),
    session: Session = DB,
) -> Response:
    rectification.get_notice(session, notice_id, scope=principal.scope)
    form = FormState.from_form(form_data, MOVE_FIELDS)
    payload = form.payload(RectificationTransition, MOVE_FIELDS, partial=False)
    moved = None
    if isinstance(payload, RectificationTransition):
        move = payload
        moved = save(
            session,
            form,
            MOVE_FIELDS,
            lambda: rectification.transition(
                session, notice_id, move.to_state, actor=principal.username, comment=move.comment
            ),
        )
    if moved is None:
        context = _notice_context(session, principal, notice_id, form)
        return render(request, "findings/notice.html", context, status_code=422)
    response = RedirectResponse(f"/findings/notices/{notice_id}", status_code=303)
    flash.add(request, response, f"整改通知已转为“{moved.state.label}”")
    return response


register_object_type(ObjectType("security.rectificationnotice", "整改通知", None, "/findings/notices/{id}"))
