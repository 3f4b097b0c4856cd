"""Problems found in an import, and pydantic's errors said in Chinese."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from pydantic import ValidationError


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the file. ``row``/``column`` are None for sheet- or file-wide problems."""

    sheet: str
    row: int | None
    column: str | None
    value: str | None
    reason: str
    field: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        where = f"工作表“{self.sheet}”"
        if self.row is not None:
            where += f"第 {self.row} 行"
        if self.column:
            where += f"“{self.column}”列"
        shown = f"（值：{self.value}）" if self.value not in (None, "") else ""
        return f"{where}：{self.reason}{shown}"


_MESSAGES: dict[str, str] = {
    "missing": "必填，不能为空",
    "string_too_short": "不能为空",
    "string_too_long": "长度不能超过 {max_length} 个字符",
    "string_pattern_mismatch": "格式不正确",
    "less_than_equal": "不能大于 {le}",
    "greater_than_equal": "不能小于 {ge}",
    "less_than": "必须小于 {lt}",
    "greater_than": "必须大于 {gt}",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "decimal_parsing": "应为数字",
    "decimal_max_digits": "数字位数不能超过 {max_digits} 位",
    "decimal_max_places": "小数不能超过 {decimal_places} 位",
    "decimal_whole_digits": "整数部分位数过多",
    "date_parsing": "应为日期",
    "date_from_datetime_parsing": "应为日期",
    "enum": "不在可选范围内：{expected}",
    "bool_parsing": "应填写“是”或“否”",
    "extra_forbidden": "不认识的字段",
}


def reason_of(error: Any) -> str:
    """One pydantic error dict → a Chinese reason; our own validators already speak Chinese."""
    kind = error.get("type", "")
    if kind == "value_error":
        return str(error.get("msg", "")).removeprefix("Value error, ")
    template = _MESSAGES.get(kind)
    if template is None:
        return f"取值无效（{error.get('msg', '')}）"
    try:
        return template.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError):
        return template.split("{")[0].rstrip("：: ")


def field_errors(exc: ValidationError) -> list[tuple[str | None, str]]:
    """(top-level field, reason) for each error of a schema validation."""
    out = []
    for error in exc.errors():
        loc = error.get("loc") or ()
        name = str(loc[0]) if loc else None
        out.append((name, reason_of(error)))
    return out
