"""Declarative sheet specs: what one worksheet of the ledger holds and how its cells read and write.

A ``SheetSpec`` ties a ``taizhang.crud.Entity`` to a worksheet: its Chinese name (and the names
counties use for it), its columns (field, header, synonyms, kind), its natural key, and how
references are written — a unit by code or name, systems by catalogue numbers, a product by
vendor / model / version — never by database id. Adding an entity to import and export is adding
one spec with ``register_sheet``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from exporters.sheets import normalize as n
from taizhang.crud import Entity
from taizhang.enums import LabeledEnum


@dataclass(frozen=True)
class Column:
    """One column. ``key`` is a field of the entity's Create schema, or a part of a ``Ref``."""

    key: str
    header: str
    synonyms: tuple[str, ...] = ()
    kind: str = "text"
    enum: type[LabeledEnum] | None = None
    aliases: dict[str, str] = field(default_factory=dict, hash=False)

    def names(self) -> list[str]:
        return [self.header, *self.synonyms]

    def parser(self) -> Callable[[Any], Any]:
        if self.kind in ("enum", "enum_list"):
            assert self.enum is not None, self.key
            one = n.enum_parser(self.enum, self.aliases)
            return one if self.kind == "enum" else n.list_parser(one)
        return _PARSERS[self.kind]

    def choices(self) -> list[str]:
        """Labels offered in the drop-down of an exported sheet."""
        if self.kind == "enum" and self.enum is not None:
            return [m.label for m in self.enum]
        if self.kind == "bool":
            return ["是", "否"]
        if self.kind == "level":
            return [n.level_label(i) for i in range(1, 6)]
        return []

    def to_cell(self, value: Any, *, for_csv: bool) -> Any:
        """The value as written in an exported spreadsheet; parsing it back gives ``value``."""
        if value is None:
            return None
        if isinstance(value, LabeledEnum):
            return value.label
        if self.kind == "enum_list":
            return "、".join(self.enum(v).label if self.enum else str(v) for v in value)
        if self.kind in ("list", "ip_list"):
            return "、".join(str(v) for v in value)
        if self.kind == "bool":
            return "是" if value else "否"
        if self.kind == "level":
            return n.level_label(int(value))
        if self.kind in ("year_decimals", "year_dates"):
            return "；".join(f"{year}:{_plain(v)}" for year, v in sorted(value.items()))
        if isinstance(value, Decimal):
            return str(value) if for_csv else float(value)
        if isinstance(value, dt.datetime):
            return n.datetime_label(value)
        if isinstance(value, dt.date) and for_csv:
            return value.isoformat()
        return value


def _plain(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


_PARSERS: dict[str, Callable[[Any], Any]] = {
    "text": n.parse_text,
    "code": n.parse_code,
    "date": n.parse_date,
    "datetime": n.parse_datetime,
    "int": n.parse_int,
    "decimal": n.parse_decimal,
    "bool": n.parse_bool,
    "level": n.parse_level,
    "list": n.list_parser(n.parse_code),
    "ip_list": n.list_parser(n.parse_code, n.IP_SEPARATORS),
    "year_decimals": n.year_map_parser(n.parse_decimal),
    "year_dates": n.year_map_parser(n.parse_date),
}


@dataclass(frozen=True)
class Ref:
    """A reference written by natural key: ``columns`` of this sheet name a row of ``target``.

    ``target`` is the name of another spec; its ``lookups`` say which columns identify it.
    ``many``: several targets in one cell (``XF-001、XF-002``) giving a list of ids.
    """

    field: str
    target: str
    columns: tuple[str, ...]
    many: bool = False


@dataclass
class SheetSpec:
    name: str
    entity: Entity
    columns: list[Column]
    key: tuple[str, ...]
    """Model columns of the natural key (after references are resolved to ids)."""
    refs: list[Ref] = field(default_factory=list)
    aliases: tuple[str, ...] = ()
    lookups: list[tuple[str, ...]] = field(default_factory=list)
    """Model columns by which other sheets may reference a row of this one (first: on export)."""
    owner_column: str | None = None
    """Model column holding the owning unit of a row (``id`` for units) — for scope checks."""
    owners: Callable[[dict[str, Any], Callable[[str, int], int | None]], set[int]] | None = None
    """Owning units of a row from its data; the callable gives a referenced row's owning unit."""

    def column(self, key: str) -> Column:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(key)

    def ref_of(self, column_key: str) -> Ref | None:
        for ref in self.refs:
            if column_key in ref.columns:
                return ref
        return None

    def columns_of_field(self, field_name: str) -> list[str]:
        """The column keys that give a Create field (a ref's columns, or the column itself)."""
        for ref in self.refs:
            if ref.field == field_name:
                return list(ref.columns)
        return [field_name] if any(c.key == field_name for c in self.columns) else []


_REGISTRY: dict[str, SheetSpec] = {}


def register_sheet(spec: SheetSpec) -> SheetSpec:
    """Add a sheet; sheets import in registration order, so register referenced ones first."""
    _REGISTRY[spec.name] = spec
    return spec


SHEET_MODULES = ("exporters.sheets.inventory_sheets", "exporters.sheets.security_sheets")
"""Modules whose import registers sheets, in dependency order (a sheet after those it references).

A new domain (等保, 密评, drills, incidents) adds a module of specs here, e.g.
``exporters.sheets.security_sheets`` with sheets referencing systems by catalogue number.
"""


def all_sheets() -> list[SheetSpec]:
    import importlib

    for module in SHEET_MODULES:
        importlib.import_module(module)
    return list(_REGISTRY.values())


def sheet_named(name: str) -> SheetSpec:
    all_sheets()
    return _REGISTRY[name]
