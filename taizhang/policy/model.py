"""Policy entries: their shape, units, and how default and county tables become entries."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Literal

PolicyValue = int | float | bool | str | date
PolicySource = Literal["default", "county"]

#: unit -> Chinese label shown after the value ("" for units shown as the value alone).
UNIT_LABELS: dict[str, str] = {
    "workday": "个工作日",
    "day": "日",
    "month": "个月",
    "year": "年",
    "hour": "小时",
    "minute": "分钟",
    "count": "次",
    "person": "人",
    "level": "级",
    "score": "分",
    "percent": "%",
    "flag": "",
    "choice": "",
    "date": "",
    "month_day": "",
}
_POSITIVE_INT_UNITS = frozenset({"workday", "day", "month", "year", "hour", "minute", "count", "person"})
_DEFAULT_ENTRY_KEYS = frozenset({"value", "unit", "citation", "description", "choices"})
_COUNTY_ENTRY_KEYS = frozenset({"value", "unit", "citation", "description"})


class PolicyError(ValueError):
    """The policy or a county override is invalid, or a key is unknown or of another unit."""


@dataclass(frozen=True, slots=True)
class PolicyEntry:
    key: str
    value: PolicyValue
    unit: str
    citation: str
    description: str
    source: PolicySource = "default"
    choices: tuple[str, ...] = ()
    default_value: PolicyValue | None = None

    @property
    def overridden(self) -> bool:
        return self.source == "county"

    def display_value(self) -> str:
        """The value with its Chinese unit, e.g. "5 个工作日", "是", "2025-03-20", "90%"."""
        if isinstance(self.value, bool):
            return "是" if self.value else "否"
        if isinstance(self.value, date):
            return self.value.isoformat()
        label = UNIT_LABELS.get(self.unit, "")
        if not label:
            return str(self.value)
        return f"{self.value}{label}" if label == "%" else f"{self.value} {label}"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (dates as ISO strings)."""
        return {
            "key": self.key,
            "value": _jsonable(self.value),
            "unit": self.unit,
            "display": self.display_value(),
            "citation": self.citation,
            "description": self.description,
            "source": self.source,
            "choices": list(self.choices),
            "default_value": _jsonable(self.default_value),
        }


def _jsonable(value: PolicyValue | None) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def parse_default_entries(
    node: Mapping[str, Any], *, prefix: str = "", where: str
) -> Iterator[tuple[str, PolicyEntry]]:
    """Entries of the shipped policy: nested tables whose leaves carry value/unit/citation/description."""
    for name, child in node.items():
        key = f"{prefix}{name}"
        if not isinstance(child, dict):
            raise PolicyError(f"{where}: {key}: 应为策略项表（含 value、unit、citation、description）")
        if "value" not in child:
            yield from parse_default_entries(child, prefix=f"{key}.", where=where)
            continue
        unknown = set(child) - _DEFAULT_ENTRY_KEYS
        if unknown:
            raise PolicyError(f"{where}: {key}.{sorted(unknown)[0]}: 未知的字段")
        unit = child.get("unit")
        if unit not in UNIT_LABELS:
            raise PolicyError(f"{where}: {key}.unit = {unit!r}: 未知的单位")
        for field in ("citation", "description"):
            if not isinstance(child.get(field), str) or not child[field].strip():
                raise PolicyError(f"{where}: {key}.{field}: 不能为空")
        choices = tuple(child.get("choices", ()))
        if (unit == "choice") != bool(choices) or not all(isinstance(c, str) for c in choices):
            raise PolicyError(f"{where}: {key}.choices: 仅 choice 单位须给出文本选项列表")
        value = checked_value(child["value"], unit, choices, where=f"{where}: {key}")
        entry = PolicyEntry(
            key=key,
            value=value,
            unit=unit,
            citation=child["citation"],
            description=child["description"],
            choices=choices,
            default_value=value,
        )
        yield key, entry


def apply_county_entries(entries: dict[str, PolicyEntry], node: Mapping[str, Any], *, where: str) -> None:
    """Merge a county table over ``entries`` in place; unknown keys are refused."""
    groups = {key.rsplit(".", n)[0] for key in entries for n in range(1, key.count(".") + 1)}
    _apply(entries, groups, node, prefix="", where=where)


def _apply(
    entries: dict[str, PolicyEntry], groups: set[str], node: Mapping[str, Any], *, prefix: str, where: str
) -> None:
    for name, child in node.items():
        key = f"{prefix}{name}"
        if key in entries:
            entries[key] = _override(entries[key], child, where=where)
        elif key in groups and isinstance(child, dict):
            _apply(entries, groups, child, prefix=f"{key}.", where=where)
        else:
            close = difflib.get_close_matches(key, [*entries, *groups], n=1)
            hint = f"（是否指 {close[0]}？）" if close else ""
            raise PolicyError(f"{where}: {key}: 未知的策略项{hint}")


def _override(entry: PolicyEntry, raw: Any, *, where: str) -> PolicyEntry:
    """``entry`` with a county value: either the bare value or a table of value/citation/description."""
    fields = raw if isinstance(raw, dict) else {"value": raw}
    at = f"{where}: {entry.key}"
    unknown = set(fields) - _COUNTY_ENTRY_KEYS
    if unknown:
        raise PolicyError(f"{at}.{sorted(unknown)[0]}: 县级覆盖只能修改 value、citation、description")
    if fields.get("unit", entry.unit) != entry.unit:
        raise PolicyError(f"{at}.unit: 不能把单位从 {entry.unit} 改为 {fields['unit']!r}")
    changes: dict[str, Any] = {"source": "county"}
    if "value" in fields:
        changes["value"] = checked_value(fields["value"], entry.unit, entry.choices, where=at)
    for field in ("citation", "description"):
        if field in fields:
            if not isinstance(fields[field], str) or not fields[field].strip():
                raise PolicyError(f"{at}.{field}: 应为非空文本")
            changes[field] = fields[field]
    return replace(entry, **changes)


def checked_value(value: Any, unit: str, choices: tuple[str, ...], *, where: str) -> PolicyValue:
    """``value`` if it suits ``unit``; else PolicyError naming ``where`` ("file: key")."""
    if unit in _POSITIVE_INT_UNITS or unit == "level":
        if isinstance(value, bool) or not isinstance(value, int):
            raise PolicyError(f"{where} = {value!r}: 应为整数")
        if value < 1 or (unit == "level" and value > 5):
            raise PolicyError(f"{where} = {value!r}: 超出范围（{'1–5' if unit == 'level' else '应大于 0'}）")
        return value
    if unit in ("score", "percent"):
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
            raise PolicyError(f"{where} = {value!r}: 应为 0–100 之间的数值")
        return value
    if unit == "flag":
        if not isinstance(value, bool):
            raise PolicyError(f"{where} = {value!r}: 应为 true 或 false")
        return value
    if unit == "choice":
        if value not in choices:
            raise PolicyError(f"{where} = {value!r}: 应为以下之一：{', '.join(choices)}")
        return str(value)
    if unit == "date":
        if not isinstance(value, date) or isinstance(value, datetime):
            raise PolicyError(f"{where} = {value!r}: 应为日期（TOML 日期，如 2025-03-20）")
        return value
    if unit == "month_day":
        return _checked_month_day(value, where=where)
    raise PolicyError(f"{where}: 未知的单位 {unit}")


def _checked_month_day(value: Any, *, where: str) -> str:
    # 02-29 is refused: the due date must exist in every year.
    if not (isinstance(value, str) and re.fullmatch(r"\d\d-\d\d", value)) or value == "02-29":
        raise PolicyError(f'{where} = {value!r}: 应为 "MM-DD"（如 "03-31"）')
    try:
        date(2001, int(value[:2]), int(value[3:]))
    except ValueError:
        raise PolicyError(f"{where} = {value!r}: 不是有效的月-日") from None
    return value
