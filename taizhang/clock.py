"""The county's clock: deadlines are counted in China Standard Time (Asia/Shanghai)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


def china_now() -> dt.datetime:
    return dt.datetime.now(CHINA)


def china_today() -> dt.date:
    return china_now().date()
