"""The exporter's bulk answers say what the per-object services say of each system and incident."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import Engine, select

from inventory.choices import SystemLifecycle, UnitKind
from inventory.demo import load_inventory
from inventory.models import System, Unit
from security.response.choices import IncidentCategory, IncidentGrade
from security.response.dates import LOCAL_TZ
from security.response.demo import load_demo
from security.response.models import Incident
from security.response.service import (
    incident_deadline_list,
    incident_deadline_rows,
    running_system_counts,
    system_statuses,
)
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


def test_incident_rows_equal_the_incident_list(engine: Engine) -> None:
    """Light rows give each incident the deadlines its loaded object gives, critical systems included."""
    today = dt.date(2026, 6, 15)
    now = dt.datetime(2026, 6, 15, 10, 30, tzinfo=LOCAL_TZ)
    with db.session_scope(actor="test") as s:
        load_inventory(s)
        load_demo(s, today=today)
        critical = s.execute(select(System).order_by(System.id).limit(1)).scalar_one()
        critical.critical_infrastructure = True
        for hours, linked in ((3, [critical]), (30, [])):
            s.add(
                Incident(
                    title=f"测试事件{hours}",
                    unit_id=critical.owner_unit_id,
                    category=IncidentCategory.ATTACK,
                    grade=IncidentGrade.LARGER,
                    occurred_at=now - dt.timedelta(hours=hours + 1),
                    detected_at=now - dt.timedelta(hours=hours),
                    systems=linked,
                )
            )
    with db.session_scope(write=False) as s:
        expected = Counter((i.unit_id, d) for i, d in incident_deadline_list(s, now=now))
        got = Counter(incident_deadline_rows(s, now=now))
    assert got == expected and sum(got.values()) > 5
    kinds = Counter(d.operator_kind for _, d in got.elements() if d.must_report)
    assert kinds["critical_infrastructure"] >= 1 and kinds["county_unit"] >= 1
