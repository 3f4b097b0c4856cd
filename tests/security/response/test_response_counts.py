"""``running_system_counts`` (the exporter's) says what ``system_statuses`` says of each running system."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import Engine

from inventory.choices import SystemLifecycle, UnitKind
from inventory.demo import load_inventory
from inventory.models import System, Unit
from security.response.demo import load_demo
from security.response.service import running_system_counts, system_statuses
from taizhang import db


def _without_id(status: Any) -> tuple[Any, ...]:
    return tuple(v for k, v in dataclasses.asdict(status).items() if k != "system_id")


def test_grouped_counts_equal_the_per_system_statuses(engine: Engine) -> None:
    today = dt.date(2026, 6, 15)
    with db.session_scope(actor="test") as s:
        load_inventory(s)
        load_demo(s, today=today)
        # A unit without any plan: its running systems are counted as having none.
        unit = Unit(code="XF-NOPLAN", name="无预案单位", kind=UnitKind.COUNTY_DEPARTMENT)
        s.add(unit)
        s.flush()
        for n, level in enumerate((None, 2, 3, 3)):
            s.add(
                System(
                    catalogue_number=f"XF-NOPLAN-{n}",
                    name=f"无预案系统{n}",
                    owner_unit_id=unit.id,
                    lifecycle=SystemLifecycle.RUNNING,
                    mlps_level=level,
                )
            )
    with db.session_scope(write=False) as s:
        expected = Counter(_without_id(x) for x in system_statuses(s, today=today))
        got: Counter[tuple[Any, ...]] = Counter()
        for status, systems in running_system_counts(s, today=today):
            got[_without_id(status)] += systems
    assert got == expected
    assert sum(expected.values()) > 100
    flags = Counter((row[2], row[6]) for row in expected.elements())  # (has_plan, drill_overdue)
    assert flags[(False, False)] >= 4 and flags[(True, True)] > 0 and flags[(True, False)] > 0
