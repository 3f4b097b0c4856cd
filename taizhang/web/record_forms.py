"""Create and edit pages over one ``taizhang.crud.Entity``: one flow for every domain's record forms.

A domain describes each form once as a ``RecordForm`` (entity, fields, template, the record page's
URL, and hooks for values that are not plain strings) and its route handlers call ``create`` or
``update`` with a ``context`` function that gives the template what it shows (options, the system,
the page title):

- the posted form is read into a ``FormState``, validated with the entity's own schema and written
  through ``taizhang.crud`` in the user's scope (the same checks the API runs);
- on an error the form is shown again with everything the user typed: 422 with each message next
  to its field, or 409 when someone else saved the record after the form was opened (optimistic
  locking on ``version``), with the stored values that differ from the input listed above the form;
- on success the browser goes to the record's page with a flash message.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from taizhang import crud
from taizhang.auth.principal import Principal
from taizhang.crud import Entity
from taizhang.web import flash
from taizhang.web.forms import FormField, FormState, save
from taizhang.web.render import render

Context = Callable[[FormState], dict[str, Any]]


@dataclass(frozen=True)
class RecordForm:
    """One record form. ``noun`` names the record in messages (“已登记{noun}”, “已保存对{noun}的修改”)."""

    slug: str
    entity: Entity
    noun: str
    fields: tuple[FormField, ...]
    template: str
    url: str  # the record's page, with "{id}"
    # values posted in another shape than one string per field (one participant per line …)
    parse: Callable[[FormData, FormState], None] | None = None
    # the values to validate, when they differ from those shown again on an error (a time zone added)
    submitted: Callable[[FormState], FormState] | None = None
    # a stored record's values as the form shows them (default: ``FormState.from_object``)
    values_of: Callable[[Any, Sequence[FormField]], FormState] | None = None

    def labels(self) -> dict[str, str]:
        return {f.name: self.entity.label_of(f.name) for f in self.fields}

    def required(self) -> set[str]:
        return {n for n, info in self.entity.create.model_fields.items() if info.is_required()}

    def blank(self, **values: Any) -> FormState:
        """An empty form with the create schema's defaults, and ``values`` (from the query) on top."""
        out: dict[str, Any] = {}
        for f in self.fields:
            info = self.entity.create.model_fields[f.name]
            default = None if info.is_required() else info.get_default(call_default_factory=True)
            if f.kind == "multi":
                out[f.name] = [str(getattr(v, "value", v)) for v in default or []]
            elif f.kind == "bool":
                out[f.name] = bool(default)
            else:
                out[f.name] = "" if default is None else str(getattr(default, "value", default))
        out.update(values)
        return FormState(values=out)

    def of(self, record: Any) -> FormState:
        """The edit form of a stored record, with its ``version``."""
        if self.values_of is not None:
            form = self.values_of(record, self.fields)
            form.values.setdefault("version", str(record.version))
            return form
        return FormState.from_object(record, self.fields)

    def read(self, form_data: FormData) -> FormState:
        form = FormState.from_form(form_data, self.fields)
        if self.parse is not None:
            self.parse(form_data, form)
        return form

    def page_of(self, record: Any) -> str:
        return self.url.format(id=record.id)


def show(
    request: Request, spec: RecordForm, form: FormState, context: Context, *, status_code: int = 200
) -> Response:
    return _render(request, spec, form, context(form), status_code)


def _render(
    request: Request, spec: RecordForm, form: FormState, context: dict[str, Any], status_code: int
) -> Response:
    full = {"spec": spec, "form": form, "labels": spec.labels(), "required": spec.required(), **context}
    return render(request, spec.template, full, status_code=status_code)


def _write(
    session: Session,
    spec: RecordForm,
    form: FormState,
    payload_fields: Sequence[FormField],
    *,
    partial: bool,
    action: Callable[[BaseModel], Any],
) -> Any:
    checked = spec.submitted(form) if spec.submitted is not None else form
    schema = spec.entity.update if partial else spec.entity.create
    payload = checked.payload(schema, payload_fields, partial=partial, create=spec.entity.create)
    if checked is not form:
        form.errors.update(checked.errors)
    if payload is None:
        return None
    return save(session, form, spec.fields, lambda: action(payload))


def create(
    request: Request,
    session: Session,
    principal: Principal,
    spec: RecordForm,
    form_data: FormData,
    context: Context,
    *,
    fixed: dict[str, str] | None = None,
) -> Response:
    """Register a record from the posted form; ``fixed`` values come from the page (``system_id``)."""
    form = spec.read(form_data)
    fixed = fixed or {}
    form.values.update(fixed)
    payload_fields = [*spec.fields, *(FormField(name) for name in fixed)]
    created = _write(
        session,
        spec,
        form,
        payload_fields,
        partial=False,
        action=lambda payload: crud.create(session, spec.entity, payload, scope=principal.scope),
    )
    if created is None:
        return show(request, spec, form, context, status_code=form.status_code)
    response = RedirectResponse(spec.page_of(created), status_code=303)
    flash.add(request, response, f"已登记{spec.noun}")
    return response


def update(
    request: Request,
    session: Session,
    principal: Principal,
    spec: RecordForm,
    record_id: int,
    form_data: FormData,
    context: Context,
) -> Response:
    """Save the posted edit form over the record, if its ``version`` is still the stored one."""
    form = spec.read(form_data)
    updated = _write(
        session,
        spec,
        form,
        spec.fields,
        partial=True,
        action=lambda payload: crud.update(session, spec.entity, record_id, payload, scope=principal.scope),
    )
    if updated is None:
        shown = context(form)
        if form.stale:
            current = crud.get(session, spec.entity, record_id, scope=principal.scope)
            form.compare(spec.of(current), spec.fields, spec.labels(), shown.get("options"))
        return _render(request, spec, form, shown, form.status_code)
    response = RedirectResponse(spec.page_of(updated), status_code=303)
    flash.add(request, response, f"已保存对{spec.noun}的修改")
    return response
