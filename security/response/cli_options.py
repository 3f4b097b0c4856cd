"""Option parsing shared by the security command groups: dates and times with clear errors."""

from __future__ import annotations

import datetime as dt

from taizhang.cli_support import fail


def parse_date(value: str | None, option: str = "--as-of") -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(f"{option} 应为日期 YYYY-MM-DD，收到“{value}”")


def parse_moment(value: str | None, option: str = "--at") -> dt.datetime | None:
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        fail(f"{option} 应为带时区的时刻，如 2026-10-01T08:00:00+08:00，收到“{value}”")
    if moment.tzinfo is None:
        fail(f"{option} 须带时区，如 2026-10-01T08:00:00+08:00，收到“{value}”")
    return moment


def yes_no(flag: bool) -> str:
    return "是" if flag else "否"
