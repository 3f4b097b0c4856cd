"""Turn cells as people type them into values: full-width digits, Chinese dates, levels, labels.

Every parser takes the raw cell (``str``, ``int``, ``float``, ``datetime`` or ``date``; never
``None`` or blank — the caller skips those) and returns a value or raises ``CellError`` with a
Chinese reason. Free text keeps its full-width punctuation (unit names use （）); only codes,
numbers, dates and labels are folded to half-width.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from taizhang.enums import LabeledEnum

EXCEL_EPOCH = dt.date(1899, 12, 30)
LIST_SEPARATORS = re.compile(r"[、;；,，\n\r\t]+|\s{2,}")
IP_SEPARATORS = re.compile(r"[、;；,，\s]+")
_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_TRUE = {"是", "有", "y", "yes", "true", "1", "√", "✓", "已", "已登记", "已开展", "需要", "需"}
_FALSE = {"否", "无", "n", "no", "false", "0", "×", "✗", "未", "未登记", "未开展", "不需要", "不需"}


class CellError(ValueError):
    """A cell that cannot be read; the message is the Chinese reason shown to the user."""


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A cell starting with one of these is taken for a formula by spreadsheet programs (CSV injection)."""


def neutralise(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula, prefixed with ``'`` so it stays text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def unguard(value: Any) -> Any:
    """The inverse of ``neutralise`` on import, so that exported text reads back unchanged."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def fold(text: str) -> str:
    """Full-width to half-width (NFKC), whitespace trimmed: for codes, numbers, dates, labels."""
    if text.isascii():  # NFKC leaves ASCII as it is
        return text.strip()
    return unicodedata.normalize("NFKC", text).strip()


def header_key(text: Any) -> str:
    """The comparable form of a header: folded, no spaces, no required-marks, lower case."""
    folded = fold(str(text))
    return re.sub(r"[\s*※]+", "", folded).lower()


def header_stem(key: str) -> str:
    """``总预算(元)`` → ``总预算``: the header without a trailing bracketed note."""
    return re.sub(r"\([^()]*\)$", "", key)


def cell_text(value: Any) -> str:
    """Free text from any cell: numbers lose a spurious ``.0``; ideographic spaces are trimmed."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_text(value: Any) -> str:
    return cell_text(value)


_LINE_BREAK = re.compile(r"\s*\n\s*")


def parse_code(value: Any) -> str:
    """Codes and keys (catalogue numbers, hostnames): half-width, no inner line breaks."""
    text = fold(cell_text(value))
    return _LINE_BREAK.sub("", text) if "\n" in text else text


_DATE_PATTERNS = [
    re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?$"),
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]


def parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _serial_date(float(value))
    text = fold(str(value))
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            year, month, day = (int(g) for g in match.groups())
            try:
                return dt.date(year, month, day)
            except ValueError:
                raise CellError(f"日期“{value}”不存在") from None
    if re.fullmatch(r"\d{5}(\.\d+)?", text):
        return _serial_date(float(text))
    raise CellError(f"无法识别的日期“{value}”，请写成 2024-03-05 或 2024年3月5日")


_DATETIME = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*[T ]?\s*"
    r"(\d{1,2})\s*[:：时]\s*(\d{1,2})\s*(?:[:：分]\s*(\d{1,2})\s*秒?)?\s*分?$"
)


def parse_datetime(value: Any) -> dt.datetime:
    """A moment; without a zone it is China Standard Time (the county's clock)."""
    from taizhang.clock import CHINA

    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=CHINA)
    if isinstance(value, int | float) and not isinstance(value, bool) and 1 <= value < 2958466:
        moment = dt.datetime.combine(EXCEL_EPOCH, dt.time()) + dt.timedelta(days=float(value))
        return moment.replace(microsecond=0, tzinfo=CHINA)
    text = fold(str(value))
    match = _DATETIME.match(text)
    try:
        if match:
            parts = [int(g) for g in match.groups() if g is not None]
            return dt.datetime(*parts, tzinfo=CHINA)  # type: ignore[arg-type,misc]
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise CellError(f"时间“{value}”不存在或无法识别，请写成 2024-03-05 14:30") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=CHINA)


def datetime_label(value: dt.datetime) -> str:
    """How a moment is written in a sheet: China Standard Time to the second, ``2024-03-05 14:30:00``."""
    from taizhang.clock import CHINA

    return value.astimezone(CHINA).replace(tzinfo=None).isoformat(sep=" ", timespec="seconds")


def _serial_date(serial: float) -> dt.date:
    if not 1 <= serial < 2958466:
        raise CellError(f"“{serial:g}”不是有效的 Excel 日期序号")
    return EXCEL_EPOCH + dt.timedelta(days=int(serial))


def parse_int(value: Any) -> int:
    if isinstance(value, bool):
        raise CellError(f"“{value}”不是整数")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise CellError(f"“{value:g}”不是整数")
    text = fold(str(value)).replace(",", "")
    if re.fullmatch(r"[+-]?\d+(\.0+)?", text):
        return int(float(text)) if "." in text else int(text)
    raise CellError(f"“{value}”不是整数")


def parse_decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise CellError(f"“{value}”不是数字")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    text = fold(str(value)).replace(",", "").removesuffix("元").strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise CellError(f"“{value}”不是数字") from None
    if not number.is_finite():
        raise CellError(f"“{value}”不是数字")
    return number


def parse_level(value: Any) -> int:
    """等保级别 as people write it: 第三级, 三级, 3, 3级, 第3级, S3A3G3."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = parse_int(value)
    else:
        text = fold(str(value)).upper()
        match = re.fullmatch(r"(?:第)?([0-9一二三四五六七八九])(?:级)?(?:\(.*\))?", text) or re.fullmatch(
            r"S([1-5])A\1G\1", text
        )
        if match is None:
            raise CellError(f"无法识别的等保级别“{value}”，请写成“第三级”或 3")
        token = match.group(1)
        number = int(token) if token.isdigit() else _CN_DIGITS[token]
    if not 1 <= number <= 5:
        raise CellError(f"等保级别“{value}”超出范围（第一级至第五级）")
    return number


def level_label(level: int) -> str:
    return f"第{'一二三四五'[level - 1]}级"


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = fold(cell_text(value)).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError(f"无法识别“{value}”，请填写“是”或“否”")


def enum_parser(enum_cls: type[LabeledEnum], aliases: dict[str, str] | None = None) -> Callable[[Any], Any]:
    """Values or Chinese labels, compared after folding (``x86_64(海光…)`` matches ``x86_64（海光…）``)."""
    table: dict[str, LabeledEnum] = {}
    for member in enum_cls:
        for name in (member.value, member.label):
            table[header_key(name)] = member
    for alias, value in (aliases or {}).items():
        table[header_key(alias)] = enum_cls(value)

    def parse(value: Any) -> LabeledEnum:
        key = header_key(cell_text(value))
        if key in table:
            return table[key]
        try:
            return enum_cls.from_label(fold(cell_text(value)))
        except ValueError as exc:
            raise CellError(str(exc)) from None

    return parse


def list_parser(
    item: Callable[[Any], Any], separators: re.Pattern[str] = LIST_SEPARATORS
) -> Callable[[Any], list[Any]]:
    """Several values in one cell, separated by 、 ; ， or line breaks."""

    def parse(value: Any) -> list[Any]:
        parts = [p.strip() for p in separators.split(cell_text(value))]
        return [item(p) for p in parts if p]

    return parse


def year_map_parser(item: Callable[[Any], Any]) -> Callable[[Any], dict[int, Any]]:
    """``2025:60；2026:40`` or ``2025年：60、2026年：40`` → ``{2025: …, 2026: …}``."""

    def parse(value: Any) -> dict[int, Any]:
        out: dict[int, Any] = {}
        for part in re.split(r"[、;；,，\n]+", fold(cell_text(value))):
            if not part.strip():
                continue
            match = re.fullmatch(r"\s*(\d{4})\s*年?\s*[:：=]?\s*(.+?)\s*", part)
            if match is None:
                raise CellError(f"“{part}”应写成“年份:数值”，如 2025:60")
            year = int(match.group(1))
            if year in out:
                raise CellError(f"年份 {year} 重复")
            out[year] = item(match.group(2))
        return out

    return parse
