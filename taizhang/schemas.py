"""Shared schema helpers: the XCreate / XUpdate / XRead / XBrief family."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, create_model


class Schema(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ReadSchema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class RowMeta(ReadSchema):
    id: int
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


def partial_model(model: type[BaseModel], name: str) -> type[BaseModel]:
    """The ``XUpdate`` of an ``XCreate``: every field optional, applied with ``exclude_unset``.

    Field validators of the create schema still run on the fields that are sent.
    """
    fields: dict[str, Any] = {}
    for field_name, info in model.model_fields.items():
        optional = copy.copy(info)
        optional.default = None
        optional.default_factory = None
        fields[field_name] = (info.annotation | None, optional)  # type: ignore[operator]
    fields["version"] = (int | None, None)
    return create_model(name, __base__=model, **fields)
