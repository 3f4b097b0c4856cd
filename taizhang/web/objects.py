"""How the change log names objects, their fields and values, and links to their pages.

A domain registers each tracked model once:
``register_object_type(ObjectType("inventory.system", "信息系统", SYSTEMS, url="/systems/{id}"))``.
"""

from __future__ import annotations

import types
from dataclasses import dataclass
from typing import Any, Union, get_args, get_origin

from taizhang.changelog import ChangeAction, ChangeLogEntry
from taizhang.changelog_query import changes
from taizhang.crud import Entity
from taizhang.enums import LabeledEnum


@dataclass(frozen=True)
class ObjectType:
    object_type: str
    label: str
    entity: Entity | None = None
    url: str | None = None

    def link(self, object_id: int | None) -> str | None:
        return self.url.format(id=object_id) if self.url and object_id is not None else None

    def field_label(self, name: str) -> str:
        return self.entity.label_of(name) if self.entity is not None else name

    def show(self, name: str, value: Any) -> str:
        if value is None or value == "" or value == []:
            return "—"
        enum_cls = self._enum_of(name)
        if enum_cls is not None:
            values = value if isinstance(value, list) else [value]
            shown = [_label_of(enum_cls, v) for v in values]
            return "、".join(shown)
        if isinstance(value, bool):
            return "是" if value else "否"
        if isinstance(value, list):
            return "、".join(str(v) for v in value)
        return str(value)

    def _enum_of(self, name: str) -> type[LabeledEnum] | None:
        if self.entity is None:
            return None
        info = self.entity.create.model_fields.get(name)
        return _find_enum(info.annotation) if info is not None else None


def _find_enum(annotation: Any) -> type[LabeledEnum] | None:
    if isinstance(annotation, type) and issubclass(annotation, LabeledEnum):
        return annotation
    if get_origin(annotation) in (Union, types.UnionType, list):
        for arg in get_args(annotation):
            found = _find_enum(arg)
            if found is not None:
                return found
    return None


def _label_of(enum_cls: type[LabeledEnum], value: Any) -> str:
    try:
        return enum_cls(value).label
    except ValueError:
        return str(value)


_types: dict[str, ObjectType] = {}


def register_object_type(object_type: ObjectType) -> None:
    _types[object_type.object_type] = object_type


def object_type_info(name: str) -> ObjectType:
    return _types.get(name) or ObjectType(name, name)


def object_type_choices(names: list[str]) -> list[tuple[str, str]]:
    return [(n, object_type_info(n).label) for n in names]


def describe_entry(entry: ChangeLogEntry) -> dict[str, Any]:
    info = object_type_info(entry.object_type)
    try:
        action = ChangeAction(entry.action).label
    except ValueError:
        action = entry.action
    return {
        "id": entry.id,
        "time": entry.time,
        "actor": entry.actor,
        "action": action,
        "action_value": entry.action,
        "type_label": info.label,
        "object_repr": entry.object_repr or (f"#{entry.object_id}" if entry.object_id else ""),
        "object_id": entry.object_id,
        "url": info.link(entry.object_id) if entry.action != ChangeAction.DELETE.value else None,
        "changes": [
            {
                "field": info.field_label(c.name),
                "before": info.show(c.name, c.before),
                "after": info.show(c.name, c.after),
            }
            for c in changes(entry)
        ],
    }
