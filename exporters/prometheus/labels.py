"""Shared helpers for metric groups: unit codes as labels, dates as Unix timestamps."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.models import Unit

NO_UNIT = "none"
LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def unit_codes(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Unit.id, Unit.code)).all())


def unit_label(codes: dict[int, str], unit_id: int | None) -> str:
    return codes.get(unit_id, NO_UNIT) if unit_id is not None else NO_UNIT


def end_of_day_timestamp(day: dt.date) -> float:
    """The Unix time at which ``day`` ends in China (a date valid "until" ``day`` is valid all that day)."""
    following = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=LOCAL_TZ)
    return following.timestamp()


def timestamp(moment: dt.datetime) -> float:
    """Unix time of a stored moment; naive values are UTC (how SQLite hands them back)."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).timestamp()
