"""The county's clock: deadlines are counted in China Standard Time (Asia/Shanghai).

Every "today" the product shows or compares against is China's date, never the server's: a server
on UTC is still on yesterday between 16:00 and 24:00 UTC. ``utc_now`` is the one time source, so a
test can freeze the clock for all of these by patching it.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def china_now() -> dt.datetime:
    return utc_now().astimezone(CHINA)


def china_today() -> dt.date:
    return china_now().date()
