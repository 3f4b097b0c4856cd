"""Enumerations with stable English values and Simplified Chinese labels.

Values are what the API, the database and exports-for-machines use; labels are what people read.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Self


class LabeledEnum(StrEnum):
    """A ``StrEnum`` whose members are declared as ``NAME = "value", "中文标签"``."""

    label: str

    def __new__(cls, value: str, label: str = "") -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label or value
        return member

    @classmethod
    def choices(cls) -> list[dict[str, str]]:
        return [{"value": m.value, "label": m.label} for m in cls]

    @classmethod
    def from_label(cls, text: str) -> Self:
        """Accept a value or a Chinese label (as people type them in spreadsheets)."""
        cleaned = text.strip()
        for member in cls:
            if cleaned in (member.value, member.label):
                return member
        raise ValueError(f"未知取值“{text}”，可选：{'、'.join(m.label for m in cls)}")


_REGISTRY: dict[str, type[LabeledEnum]] = {}


def register(cls: type[LabeledEnum]) -> type[LabeledEnum]:
    """Register an enum for ``GET /api/v1/enums`` under its snake-case name."""
    name = "".join(f"_{c.lower()}" if c.isupper() else c for c in cls.__name__).lstrip("_")
    _REGISTRY[name] = cls
    return cls


def all_enums() -> dict[str, list[dict[str, Any]]]:
    return {name: cls.choices() for name, cls in sorted(_REGISTRY.items())}
