"""HTML forms on top of the API schemas: parse, validate, and keep every error next to its field.

A page declares its fields once (``FormField``), turns the posted form into the schema's input with
``FormState.from_form``, validates with the same pydantic schema and services the API uses, and on
any error renders the form again from ``FormState``: what the user typed stays, each message sits
next to its field.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from starlette.datastructures import FormData

from taizhang.errors import Conflict, DomainError

Kind = Literal["text", "textarea", "select", "date", "int", "bool", "multi"]
T = TypeVar("T")

REQUIRED = "此项为必填项"
STALE = (
    "保存失败：您打开表单后，这条记录已被他人修改{versions}。您填写的内容仍保留在下方，"
    "请核对下面列出的当前值；确认后再次保存，将以您填写的内容为准。"
)


@dataclass(frozen=True)
class FormField:
    name: str
    kind: Kind = "text"


def _message(error: Any) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    messages = {
        "missing": REQUIRED,
        "string_too_short": "不能为空"
        if ctx.get("min_length") == 1
        else f"至少 {ctx.get('min_length')} 个字符",
        "string_too_long": f"不能超过 {ctx.get('max_length')} 个字符",
        "string_pattern_mismatch": "格式不正确",
        "int_parsing": "请输入整数",
        "int_from_float": "请输入整数",
        "float_parsing": "请输入数字",
        "decimal_parsing": "请输入数字",
        "date_parsing": "日期格式应为 年-月-日，如 2026-03-01",
        "date_from_datetime_parsing": "日期格式应为 年-月-日，如 2026-03-01",
        "enum": "请从列表中选择",
        "greater_than_equal": f"不能小于 {ctx.get('ge')}",
        "less_than_equal": f"不能大于 {ctx.get('le')}",
        "bool_parsing": "请选择是或否",
        "extra_forbidden": "不接受此字段",
    }
    if kind in messages:
        return messages[kind]
    text = str(error.get("msg", "输入有误"))
    return text.removeprefix("Value error, ")


def errors_by_field(exc: ValidationError) -> dict[str, str]:
    out: dict[str, str] = {}
    for error in exc.errors():
        loc = error.get("loc") or ("",)
        out.setdefault(str(loc[0]), _message(error))
    return out


@dataclass
class FormState:
    """What the user typed (as strings), and the errors: by field, and for the whole form."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    form_error: str | None = None
    # set when a save met a newer version of the record (optimistic locking): the form is shown
    # again with the user's input, and ``current`` lists the fields whose stored value differs
    stale: bool = False
    current: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def from_object(cls, obj: Any, fields: Sequence[FormField]) -> FormState:
        values: dict[str, Any] = {}
        for f in fields:
            value = getattr(obj, f.name, None)
            if f.kind == "multi":
                values[f.name] = [str(getattr(v, "value", v)) for v in value or []]
            elif f.kind == "bool":
                values[f.name] = bool(value)
            else:
                values[f.name] = "" if value is None else str(getattr(value, "value", value))
        if hasattr(obj, "version"):
            values["version"] = str(obj.version)
        return cls(values=values)

    @classmethod
    def from_form(cls, form: FormData, fields: Sequence[FormField]) -> FormState:
        values: dict[str, Any] = {}
        for f in fields:
            if f.kind == "multi":
                values[f.name] = [str(v) for v in form.getlist(f.name)]
            elif f.kind == "bool":
                values[f.name] = form.get(f.name) in ("on", "true", "1")
            else:
                raw = form.get(f.name, "")
                values[f.name] = raw.strip() if isinstance(raw, str) else ""
        version = form.get("version")
        if isinstance(version, str) and version:
            values["version"] = version
        return cls(values=values)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.form_error

    @property
    def status_code(self) -> int:
        """What a form shown again answers: 409 for a stale version, 422 for invalid input."""
        return 409 if self.stale else 422

    def value(self, name: str) -> Any:
        return self.values.get(name, "")

    def payload(
        self,
        schema: type[BaseModel],
        fields: Sequence[FormField],
        *,
        partial: bool,
        create: type[BaseModel] | None = None,
    ) -> BaseModel | None:
        """The schema instance, or ``None`` with ``errors`` filled in.

        Empty inputs become ``None`` for optional fields (an edit clears them); a field that the
        create schema requires is reported as required rather than as a parse error. An edit
        (``partial``) passes its ``create`` schema, whose fields say which are required and which
        text fields an empty input clears to "" (the update schema makes every field optional).
        """
        data: dict[str, Any] = {}
        base = create or schema
        required = {n for n, info in base.model_fields.items() if info.is_required()}
        for f in fields:
            value = self.values.get(f.name)
            if f.kind in ("bool", "multi"):
                data[f.name] = value
            elif value == "":
                if f.name in required:
                    self.errors[f.name] = REQUIRED
                elif _allows_none(base, f.name):
                    data[f.name] = None
                elif partial:
                    data[f.name] = "" if _is_text(base, f.name) else None
            else:
                data[f.name] = value
        if partial and "version" in self.values:
            data["version"] = self.values["version"]
        try:
            result = schema.model_validate(data)
        except ValidationError as exc:
            for name, message in errors_by_field(exc).items():
                self.errors.setdefault(name, message)
            return None
        return None if self.errors else result

    def attach(self, exc: DomainError, fields: Sequence[FormField]) -> None:
        names = {f.name for f in fields}
        if isinstance(exc, Conflict) and exc.field == "version":
            current = exc.extra.get("current") or {}
            self.mark_stale(current.get("version"))
        elif exc.field and exc.field in names:
            self.errors[exc.field] = exc.message
        else:
            self.form_error = exc.message

    def mark_stale(self, current_version: Any = None) -> None:
        """The record changed since the form was opened: keep the input, say so, and let the next
        save (a deliberate one, after reading the current values) go ahead on the current version."""
        sent = self.values.get("version")
        versions = (
            f"（当前为第 {current_version} 版，您打开的是第 {sent} 版）" if current_version and sent else ""
        )
        self.stale = True
        self.form_error = STALE.format(versions=versions)
        if current_version is not None:
            self.values["version"] = str(current_version)

    def compare(
        self,
        current: FormState,
        fields: Sequence[FormField],
        labels: dict[str, str],
        options: dict[str, Sequence[tuple[str, str]]] | None = None,
    ) -> None:
        """List, for a stale form, each field whose stored value differs from what the user typed."""
        shown: list[tuple[str, str]] = []
        for f in fields:
            now, typed = current.values.get(f.name), self.values.get(f.name)
            if now == typed:
                continue
            choices = dict((options or {}).get(f.name) or ())
            values = now if isinstance(now, list) else [now]
            if f.kind == "bool":
                text = "是" if now else "否"
            else:
                text = (
                    "、".join(str(choices.get(str(v), v)) for v in values if v not in ("", None)) or "（空）"
                )
            shown.append((labels.get(f.name, f.name), text))
        self.current = shown


def _allows_none(schema: type[BaseModel], name: str) -> bool:
    info = schema.model_fields.get(name)
    return info is not None and type(None) in getattr(info.annotation, "__args__", ())


def _is_text(schema: type[BaseModel], name: str) -> bool:
    info = schema.model_fields.get(name)
    return info is not None and info.annotation is str


def save(
    session: Session, state: FormState, fields: Sequence[FormField], action: Callable[[], T]
) -> T | None:
    """Run a service write; a domain error goes next to its field and nothing is kept.

    A stale version (the service's check, or the database's at flush) marks the form stale.
    """
    try:
        return action()
    except DomainError as exc:
        session.rollback()
        state.attach(exc, fields)
        return None
    except StaleDataError:
        session.rollback()
        state.mark_stale()
        return None
