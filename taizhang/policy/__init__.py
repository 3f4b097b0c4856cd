"""The versioned policy: every deadline, cadence and threshold the ledger checks, with its citation.

Defaults ship in ``default.toml`` and ``eos.toml`` beside this module (read with importlib.resources);
a county overrides them with the TOML file named by ``Settings.policy_file``. The county file uses the
same keys: ``[project.contract_filing] value = 3`` or the shorthand ``project.contract_filing = 3``,
optionally with its own ``citation`` / ``description``; ``version = "..."`` names the county revision,
and ``[eos.<id>]`` sections correct or extend the end-of-support list. An unknown key, a changed unit or
a value of the wrong type is refused with ``PolicyError`` naming the file and the key.

Other modules read numbers only through ``get_policy()``; no regulation number lives in code.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from taizhang.policy.eos import EosEntry, match_eos, merge_eos
from taizhang.policy.model import (
    UNIT_LABELS,
    PolicyEntry,
    PolicyError,
    PolicySource,
    PolicyValue,
    apply_county_entries,
    parse_default_entries,
)
from taizhang.settings import get_settings
from taizhang.workdays import WorkdayCalendar, add_months, get_calendar

__all__ = [
    "UNIT_LABELS",
    "EosEntry",
    "Policy",
    "PolicyEntry",
    "PolicyError",
    "PolicySource",
    "PolicyValue",
    "get_policy",
    "load_policy",
    "reset_policy_cache",
]

#: operator kind -> policy key of its incident report deadline.
_OPERATOR_KINDS: dict[str, str] = {
    "default": "incident.report_hours.default",
    "county_unit": "incident.report_hours.default",
    "other": "incident.report_hours.default",
    "critical_infrastructure": "incident.report_hours.critical_infrastructure",
    "central_organ": "incident.report_hours.central_organ",
}


class Policy:
    """The policy in force. Build it with ``load_policy`` (or ``get_policy`` for the cached one)."""

    def __init__(
        self,
        entries: Mapping[str, PolicyEntry],
        eos: Mapping[str, EosEntry],
        *,
        default_version: str,
        eos_version: str = "",
        county_version: str | None = None,
        county_file: Path | None = None,
    ) -> None:
        self._entries = dict(entries)
        self._eos = dict(eos)
        self.default_version = default_version
        self.eos_version = eos_version
        self.county_version = county_version
        self.county_file = county_file

    @property
    def version(self) -> str:
        """Default policy version, plus the county file's version when one is in force."""
        if self.county_file is None:
            return self.default_version
        return f"{self.default_version}+{self.county_version or self.county_file.stem}"

    # --- generic access -------------------------------------------------------------------

    def entries(self) -> list[PolicyEntry]:
        return list(self._entries.values())

    def entry(self, key: str) -> PolicyEntry:
        try:
            return self._entries[key]
        except KeyError:
            raise PolicyError(f"未知的策略项：{key}") from None

    def value(self, key: str) -> PolicyValue:
        return self.entry(key).value

    def int_value(self, key: str) -> int:
        value = self.value(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise PolicyError(f"策略项 {key} 不是整数：{value!r}")
        return value

    def number(self, key: str) -> float:
        value = self.value(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise PolicyError(f"策略项 {key} 不是数值：{value!r}")
        return float(value)

    def flag(self, key: str) -> bool:
        value = self.value(key)
        if not isinstance(value, bool):
            raise PolicyError(f"策略项 {key} 不是开关：{value!r}")
        return value

    def text(self, key: str) -> str:
        value = self.value(key)
        if not isinstance(value, str):
            raise PolicyError(f"策略项 {key} 不是文本：{value!r}")
        return value

    def date_value(self, key: str) -> date:
        value = self.value(key)
        if not isinstance(value, date):
            raise PolicyError(f"策略项 {key} 不是日期：{value!r}")
        return value

    def _in_unit(self, key: str, unit: str) -> int:
        entry = self.entry(key)
        if entry.unit != unit:
            raise PolicyError(f"策略项 {key} 的单位是 {entry.unit}，不是 {unit}")
        return self.int_value(key)

    def workdays(self, key: str) -> int:
        return self._in_unit(key, "workday")

    def days(self, key: str) -> int:
        return self._in_unit(key, "day")

    def months(self, key: str) -> int:
        return self._in_unit(key, "month")

    def hours(self, key: str) -> int:
        return self._in_unit(key, "hour")

    def minutes(self, key: str) -> int:
        return self._in_unit(key, "minute")

    def deadline(
        self,
        key: str,
        start: date,
        *,
        calendar: WorkdayCalendar | None = None,
        roll_to_workday: bool | None = None,
    ) -> date:
        """The date ``key`` after ``start``: working days, calendar days, months or years.

        Calendar-day deadlines roll onto the next working day by default (民法典 第二百零三条);
        month and year periods (cadences, certificate validity) do not unless asked, since rolling
        needs the working-day calendar of a possibly far-off year.
        """
        entry = self.entry(key)
        n = self.int_value(key)
        cal = calendar or get_calendar()
        if entry.unit == "workday":
            return cal.add_workdays(start, n)
        if entry.unit == "day":
            roll = True if roll_to_workday is None else roll_to_workday
            return cal.add_calendar_days(start, n, roll_to_workday=roll)
        if entry.unit in ("month", "year"):
            end = add_months(start, n if entry.unit == "month" else 12 * n)
            return cal.roll_to_workday(end) if roll_to_workday else end
        raise PolicyError(f"策略项 {key} 的单位 {entry.unit} 不是期限")

    # --- domain accessors -----------------------------------------------------------------

    def mlps_filing_deadline(self, start: date, *, calendar: WorkdayCalendar | None = None) -> date:
        """MLPS filing deadline after grading (or going live), per ``mlps.filing.mode``."""
        mode = self.text("mlps.filing.mode")
        if mode == "workdays_10":
            return self.deadline("mlps.filing.workdays", start, calendar=calendar)
        return self.deadline("mlps.filing.calendar_days", start, calendar=calendar)

    def assessment_interval_months(self, level: int) -> int | None:
        """Months between MLPS assessments for a protection level; None for level 1 (no assessment)."""
        if level == 1:
            return None
        if level == 4:
            if self.text("mlps.assessment.level4_mode") == "half_yearly":
                return self.months("mlps.assessment.level4_half_yearly_months")
            return self.months("mlps.assessment.level4_months")
        if level in (2, 3, 5):
            return self.months(f"mlps.assessment.level{level}_months")
        raise PolicyError(f"安全保护等级应为 1–5：{level}")

    def incident_report_hours(self, operator_kind: str) -> int:
        """Hours within which an incident of reportable grade must be reported.

        ``operator_kind``: "critical_infrastructure", "central_organ", or "county_unit" / "default".
        """
        key = _OPERATOR_KINDS.get(operator_kind)
        if key is None:
            raise PolicyError(f"未知的运营者类型：{operator_kind}（可选：{', '.join(_OPERATOR_KINDS)}）")
        return self.hours(key)

    def self_evaluation_due(self, budget_year: int) -> date:
        """Due date of the project self-evaluation for ``budget_year`` (in the following year)."""
        month, day = (int(part) for part in self.text("project.self_evaluation_due").split("-"))
        return date(budget_year + 1, month, day)

    def mlps_result_template(self, report_date: date) -> Literal["2021", "2025"]:
        """Which result scale a report of that date uses (2025 from the switch date on)."""
        return "2025" if report_date >= self.date_value("mlps.result.template_switch_date") else "2021"

    # --- end of support -------------------------------------------------------------------

    def eos_entries(self) -> list[EosEntry]:
        return list(self._eos.values())

    def eos_for(self, os_name: str, version: str = "") -> EosEntry | None:
        """The end-of-support entry for a product as reported, e.g. ("CentOS Linux", "7.9.2009")."""
        return match_eos(self._eos.values(), os_name, version)


# --- loading --------------------------------------------------------------------------------


def load_policy(county_file: Path | None = None) -> Policy:
    """The shipped defaults, with ``county_file``'s overrides merged over them."""
    package = resources.files(__name__)
    defaults = _parse_toml(package.joinpath("default.toml").read_text(encoding="utf-8"), "default.toml")
    eos_data = _parse_toml(package.joinpath("eos.toml").read_text(encoding="utf-8"), "eos.toml")
    default_version = defaults.pop("version", None)
    eos_version = eos_data.pop("version", None)
    if not isinstance(default_version, str) or not isinstance(eos_version, str):
        raise PolicyError("default.toml / eos.toml: 缺少 version")
    entries = dict(parse_default_entries(defaults, where="default.toml"))
    eos = merge_eos({}, eos_data.pop("eos", {}), where="eos.toml", origin="default")
    if eos_data:
        raise PolicyError(f"eos.toml: {next(iter(eos_data))}: 未知的键")
    if county_file is None:
        return Policy(entries, eos, default_version=default_version, eos_version=eos_version)

    where = str(county_file)
    try:
        text = county_file.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"{where}: 无法读取县级策略文件：{exc}") from None
    county = _parse_toml(text, where)
    county_version = county.pop("version", None)
    if county_version is not None and not isinstance(county_version, str):
        raise PolicyError(f"{where}: version = {county_version!r}: 应为文本")
    eos = merge_eos(eos, county.pop("eos", {}), where=where, origin="county")
    apply_county_entries(entries, county, where=where)
    return Policy(
        entries,
        eos,
        default_version=default_version,
        eos_version=eos_version,
        county_version=county_version,
        county_file=county_file,
    )


def _parse_toml(text: str, where: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{where}: 不是有效的 TOML：{exc}") from None


# --- process-wide policy --------------------------------------------------------------------


@lru_cache(maxsize=1)
def get_policy() -> Policy:
    """The policy in force: shipped defaults plus the county file named in the settings, if any."""
    return load_policy(get_settings().policy_file)


def reset_policy_cache() -> None:
    get_policy.cache_clear()
