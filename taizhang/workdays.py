"""Chinese working-day calendar for deadlines counted in 工作日.

Working days are Monday to Friday, minus statutory holidays, plus the make-up working weekends
(调休) announced each year by the State Council. The ``chinesecalendar`` package knows a fixed range
of years; for anything else a county keeps an override table (TOML, see ``load_overrides``). A year
known to neither is refused with ``UnknownYearError``: a deadline computed from a guessed calendar
would be silently wrong.

Counting follows 民法典 第二百零一条: the start day is not counted. "N 日" (calendar days) deadlines
that end on a day off move to the next working day (第二百零三条).
"""

from __future__ import annotations

import calendar as _gregorian
import tomllib
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import chinese_calendar

from taizhang.settings import get_settings

__all__ = [
    "UnknownYearError",
    "WorkdayCalendar",
    "WorkdayTableError",
    "add_months",
    "get_calendar",
    "load_overrides",
    "reset_calendar_cache",
]

_ONE_DAY = timedelta(days=1)


class UnknownYearError(ValueError):
    """The working-day arrangement of a year is known neither to chinesecalendar nor to the overrides."""

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            f"{year} 年的工作日安排未知：chinesecalendar 不含该年，且县级工作日覆盖表中也没有；"
            f"请在覆盖表中补充该年"
        )


class WorkdayTableError(ValueError):
    """The county working-day override table is malformed."""


class WorkdayCalendar:
    """Answers "is this a working day" and counts working days.

    ``overrides`` maps single dates to ``True`` (working day) or ``False`` (day off) and wins over
    everything else. For each year in ``complete_years`` the override table lists every deviation
    from Monday-to-Friday, so any date of that year not in ``overrides`` is a working day iff it is
    a weekday. Every other date is answered by chinesecalendar, or refused.
    """

    def __init__(
        self,
        overrides: Mapping[date, bool] | None = None,
        complete_years: Iterable[int] = (),
        *,
        source: str | None = None,
    ) -> None:
        self._overrides: dict[date, bool] = dict(overrides or {})
        self._complete_years: frozenset[int] = frozenset(complete_years)
        self.source = source
        # chinesecalendar's answers, asked once per date (a county-wide status asks the same dates
        # thousands of times), and the years it does not know.
        self._answers: dict[date, bool] = {}
        self._unknown_years: set[int] = set()

    @property
    def complete_years(self) -> frozenset[int]:
        return self._complete_years

    def is_workday(self, d: date) -> bool:
        if d in self._overrides:
            return self._overrides[d]
        if d.year in self._complete_years:
            return d.weekday() < 5
        answer = self._answers.get(d)
        if answer is not None:
            return answer
        if d.year in self._unknown_years:
            raise UnknownYearError(d.year)
        try:
            answer = self._answers[d] = bool(chinese_calendar.is_workday(d))
        except NotImplementedError:
            self._unknown_years.add(d.year)
            raise UnknownYearError(d.year) from None
        return answer

    def is_known_year(self, year: int) -> bool:
        """True when every date of ``year`` can be answered without ``UnknownYearError``."""
        if year in self._complete_years:
            return True
        try:
            chinese_calendar.is_workday(date(year, 1, 1))
        except NotImplementedError:
            return False
        return True

    def next_workday(self, d: date) -> date:
        """The first working day strictly after ``d``."""
        return self.add_workdays(d, 1)

    def roll_to_workday(self, d: date) -> date:
        """``d`` itself when it is a working day, else the next working day."""
        return d if self.is_workday(d) else self.next_workday(d)

    def add_workdays(self, start: date, n: int) -> date:
        """The ``n``-th working day after ``start``; ``start`` itself is never counted.

        Counted day by day: ``chinese_calendar.find_workday`` is one day late when ``start`` is a
        day off (2026-10-01 + 5 working days is 2026-10-13, not 10-14). ``n == 0`` returns
        ``start`` unchanged; a negative ``n`` is refused.
        """
        if n < 0:
            raise ValueError(f"工作日数不能为负数：{n}")
        current = start
        remaining = n
        while remaining:
            current += _ONE_DAY
            if self.is_workday(current):
                remaining -= 1
        return current

    def add_calendar_days(self, start: date, n: int, roll_to_workday: bool = True) -> date:
        """``start`` + ``n`` calendar days ("N 日"); a result on a day off moves to the next working day.

        With ``roll_to_workday=False`` the plain calendar date is returned and no calendar is needed,
        so years unknown to the calendar are fine.
        """
        end = start + timedelta(days=n)
        return self.roll_to_workday(end) if roll_to_workday else end

    def workdays_between(self, a: date, b: date) -> int:
        """Working days in the half-open interval (a, b]: after ``a``, up to and including ``b``.

        ``workdays_between(d, add_workdays(d, n)) == n``. Zero when ``a == b``. When ``b`` is
        before ``a`` the result is negative: ``-workdays_between(b, a)`` (useful as "working days
        overdue" when ``b`` is today and ``a`` the deadline, or vice versa).
        """
        if b < a:
            return -self.workdays_between(b, a)
        count = 0
        current = a
        while current < b:
            current += _ONE_DAY
            if self.is_workday(current):
                count += 1
        return count


def add_months(start: date, n: int) -> date:
    """``start`` moved by ``n`` calendar months, clamped to the month's last day (01-31 + 1 -> 02-28)."""
    month_index = start.year * 12 + (start.month - 1) + n
    year, month0 = divmod(month_index, 12)
    last_day = _gregorian.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(start.day, last_day))


# --- override table ---------------------------------------------------------------------------

_YEAR_KEYS = frozenset({"complete", "holidays", "workdays", "note"})
_TOP_KEYS = frozenset({"years", "version", "note"})


def load_overrides(path: Path) -> WorkdayCalendar:
    """Read a county override table (TOML) and build a calendar from it.

    Format::

        version = "2027-01"              # optional
        [years.2027]
        complete = true                  # every deviation from Mon-Fri of 2027 is listed below
        holidays = ["2027-01-01", ...]   # days off (weekdays; listing weekends is harmless)
        workdays = ["2027-02-20"]        # make-up working weekends (调休)

    Dates may be TOML dates or "YYYY-MM-DD" strings and must lie in their year. For a year that
    chinesecalendar knows, the listed dates override the package; ``complete`` may then be false.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise WorkdayTableError(f"{path}: 工作日覆盖表文件不存在") from None
    except OSError as exc:
        raise WorkdayTableError(f"{path}: 无法读取工作日覆盖表：{exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise WorkdayTableError(f"{path}: 不是有效的 TOML：{exc}") from None
    overrides, complete_years = parse_overrides(data, source=str(path))
    return WorkdayCalendar(overrides, complete_years, source=str(path))


def parse_overrides(data: Mapping[str, Any], *, source: str) -> tuple[dict[date, bool], set[int]]:
    """Validate a parsed override table; errors name ``source``, the key and the offending value."""
    for key in data:
        if key not in _TOP_KEYS:
            raise WorkdayTableError(f"{source}: 未知的键 {key!r}（允许：{', '.join(sorted(_TOP_KEYS))}）")
    years = data.get("years", {})
    if not isinstance(years, dict):
        raise WorkdayTableError(f"{source}: years 应为表（[years.YYYY]），实际为 {years!r}")
    overrides: dict[date, bool] = {}
    complete_years: set[int] = set()
    for year_key, table in years.items():
        year = _parse_year_key(year_key, source=source)
        if _parse_year_table(year, table, overrides, source=source):
            complete_years.add(year)
    return overrides, complete_years


def _parse_year_key(year_key: str, *, source: str) -> int:
    if not (year_key.isdigit() and len(year_key) == 4 and 1900 <= int(year_key) <= 2200):
        raise WorkdayTableError(f"{source}: years.{year_key}: 年份应为四位数字（如 2027）")
    return int(year_key)


def _parse_year_table(year: int, table: Any, overrides: dict[date, bool], *, source: str) -> bool:
    """Add the year's dates to ``overrides``; return whether the year is marked complete."""
    prefix = f"years.{year}"
    if not isinstance(table, dict):
        raise WorkdayTableError(f"{source}: {prefix} 应为表，实际为 {table!r}")
    for key in table:
        if key not in _YEAR_KEYS:
            raise WorkdayTableError(
                f"{source}: {prefix}.{key}: 未知的键（允许：{', '.join(sorted(_YEAR_KEYS))}）"
            )
    complete = table.get("complete", False)
    if not isinstance(complete, bool):
        raise WorkdayTableError(f"{source}: {prefix}.complete = {complete!r}: 应为 true 或 false")
    holidays = _parse_dates(year, table.get("holidays", []), f"{prefix}.holidays", source=source)
    workdays = _parse_dates(year, table.get("workdays", []), f"{prefix}.workdays", source=source)
    clash = sorted(set(holidays) & set(workdays))
    if clash:
        raise WorkdayTableError(
            f"{source}: {prefix}: {clash[0].isoformat()} 同时列在 holidays 和 workdays 中"
        )
    overrides.update(dict.fromkeys(holidays, False))
    overrides.update(dict.fromkeys(workdays, True))
    return complete


def _parse_dates(year: int, raw: Any, key: str, *, source: str) -> list[date]:
    if not isinstance(raw, list):
        raise WorkdayTableError(f"{source}: {key} = {raw!r}: 应为日期列表")
    result: list[date] = []
    for index, item in enumerate(raw):
        where = f"{source}: {key}[{index}] = {item!r}"
        if isinstance(item, date) and not isinstance(item, datetime):
            value = item
        elif isinstance(item, str):
            try:
                value = date.fromisoformat(item)
            except ValueError:
                raise WorkdayTableError(f"{where}: 不是有效日期（应为 YYYY-MM-DD）") from None
        else:
            raise WorkdayTableError(f"{where}: 不是有效日期（应为 YYYY-MM-DD）")
        if value.year != year:
            raise WorkdayTableError(f"{where}: 日期不在 {year} 年内")
        result.append(value)
    return result


# --- process-wide calendar --------------------------------------------------------------------


@lru_cache(maxsize=1)
def get_calendar() -> WorkdayCalendar:
    """The calendar in force: chinesecalendar plus the county table named in the settings, if any."""
    path = get_settings().workday_overrides_file
    return load_overrides(path) if path is not None else WorkdayCalendar()


def reset_calendar_cache() -> None:
    get_calendar.cache_clear()
