"""The form for registering and editing an information system: its fields and what it shows."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from inventory import views
from inventory.choices import BaseLibrary, DataSharing, Hosting, SystemLifecycle
from inventory.entities import SYSTEMS
from inventory.models import System
from taizhang.auth.principal import Principal
from taizhang.web.forms import FormField, FormState
from taizhang.web.render import enum_choices

FIELDS = [
    FormField("catalogue_number"),
    FormField("name"),
    FormField("owner_unit_id", "select"),
    FormField("purpose", "textarea"),
    FormField("lifecycle", "select"),
    FormField("go_live_date", "date"),
    FormField("mlps_level", "select"),
    FormField("critical_infrastructure", "bool"),
    FormField("data_sharing", "select"),
    FormField("hosting", "select"),
    FormField("needs_crypto_assessment", "bool"),
    FormField("base_libraries_fed", "multi"),
    FormField("base_libraries_used", "multi"),
]


def new_form() -> FormState:
    """An empty form with the schema's defaults (运行, 本地机房, 需开展密评 …)."""
    values: dict[str, Any] = {}
    for field in FIELDS:
        info = SYSTEMS.create.model_fields[field.name]
        default = None if info.is_required() else info.get_default(call_default_factory=True)
        if field.kind == "multi":
            values[field.name] = [str(getattr(v, "value", v)) for v in default or []]
        elif field.kind == "bool":
            values[field.name] = bool(default)
        else:
            values[field.name] = "" if default is None else str(getattr(default, "value", default))
    return FormState(values=values)


def form_context(
    session: Session, principal: Principal, form: FormState, system: System | None
) -> dict[str, Any]:
    units = views.units(session, principal.scope)
    return {
        "page_title": f"修改：{system.name}" if system else "登记信息系统",
        "form": form,
        "system": system,
        "labels": {f.name: SYSTEMS.label_of(f.name) for f in FIELDS},
        "options": {
            "owner_unit_id": [(str(u.id), f"{u.code} {u.name}") for u in units],
            "lifecycle": enum_choices(SystemLifecycle),
            "mlps_level": [(str(n), f"第{'一二三四五'[n - 1]}级") for n in range(1, 6)],
            "data_sharing": enum_choices(DataSharing),
            "hosting": enum_choices(Hosting),
            "base_libraries": enum_choices(BaseLibrary),
        },
    }
