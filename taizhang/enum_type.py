"""A column type storing a ``LabeledEnum`` as its string value (no native database enum)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Enum as SAEnum

from taizhang.enums import LabeledEnum


def EnumColumn(enum_cls: type[LabeledEnum], length: int = 32) -> SAEnum:
    return SAEnum(
        enum_cls,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda cls: [m.value for m in cls],
        validate_strings=True,
    )


def enum_values(enum_cls: type[LabeledEnum]) -> list[Any]:
    return [m.value for m in enum_cls]
