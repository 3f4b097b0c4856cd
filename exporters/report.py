"""The county report (issue 7 part 3): one set of figures per unit and county-wide.

上云率, 等保 graded / filed-on-time / assessed-on-time shares, 密评 pass share, drill completion,
信创替代率 and open findings by severity — each computed by its domain's bulk service (a handful
of queries for the whole county), then grouped by the system's owning unit here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, fields

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inventory.choices import SystemLifecycle
from inventory.models import System, Unit
from migration.summary import summary as migration_summary
from security.findings.choices import FindingState, Severity
from security.findings.models import Finding
from security.grading.choices import CryptoConclusion
from security.grading.service import security_statuses
from security.response.service import system_statuses
from security.supply.service import supply_chain_summary
from taizhang.auth.principal import ALL, Scope

PASSING = (CryptoConclusion.CONFORM, CryptoConclusion.BASIC_CONFORM)


@dataclass
class UnitFigures:
    """Counts for one unit (or the county: ``unit_id`` None); every share is numerator / denominator."""

    unit_id: int | None
    name: str
    code: str = ""
    systems: int = 0
    cloud_in_scope: int = 0
    cloud_done: int = 0
    grading_needed: int = 0
    graded: int = 0
    filing_required: int = 0
    filed_on_time: int = 0
    assessment_required: int = 0
    assessed_on_time: int = 0
    crypto_required: int = 0
    crypto_passed: int = 0
    drill_required: int = 0
    drill_done: int = 0
    xinchuang_items: int = 0
    xinchuang_controllable: int = 0
    findings: dict[str, int] = field(default_factory=lambda: {s.value: 0 for s in Severity})

    @property
    def open_findings(self) -> int:
        return sum(self.findings.values())

    def share(self, numerator: str, denominator: str) -> float | None:
        bottom = getattr(self, denominator)
        return getattr(self, numerator) / bottom if bottom else None

    def add(self, other: UnitFigures) -> None:
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for key, value in other.findings.items():
            self.findings[key] = self.findings.get(key, 0) + value


COUNTS = tuple(f.name for f in fields(UnitFigures) if f.name not in ("unit_id", "name", "code", "findings"))

RATES: list[tuple[str, str, str]] = [
    ("上云率", "cloud_done", "cloud_in_scope"),
    ("等保定级率", "graded", "grading_needed"),
    ("按期备案率", "filed_on_time", "filing_required"),
    ("按期测评率", "assessed_on_time", "assessment_required"),
    ("密评通过率", "crypto_passed", "crypto_required"),
    ("应急演练完成率", "drill_done", "drill_required"),
    ("信创替代率", "xinchuang_controllable", "xinchuang_items"),
]
"""(label, numerator, denominator) of every share in the report, in the order it is printed."""


@dataclass
class CountyReport:
    today: dt.date
    units: list[UnitFigures]
    total: UnitFigures


def _units(session: Session, scope: Scope) -> dict[int, UnitFigures]:
    stmt = select(Unit.id, Unit.name, Unit.code).order_by(Unit.code)
    if not scope.everything:
        stmt = stmt.where(Unit.id.in_(scope.unit_ids or frozenset()))
    return {uid: UnitFigures(uid, name, code) for uid, name, code in session.execute(stmt)}


def _security(session: Session, units: dict[int, UnitFigures], scope: Scope, today: dt.date) -> None:
    lifecycles = dict(session.execute(select(System.id, System.lifecycle)).all())
    for status in security_statuses(session, scope=scope, today=today):
        row = units.get(status.owner_unit_id)
        if row is None or lifecycles.get(status.system_id) is SystemLifecycle.RETIRED:
            continue
        mlps, crypto = status.mlps, status.crypto
        row.systems += 1
        row.grading_needed += 1
        row.graded += mlps.grading_id is not None
        if mlps.filing_required:
            row.filing_required += 1
            row.filed_on_time += mlps.filed_on is not None and not (mlps.filed_late or mlps.filing_overdue)
        if mlps.assessment_interval_months is not None:
            row.assessment_required += 1
            row.assessed_on_time += mlps.last_assessment_on is not None and not (
                mlps.assessment_overdue or mlps.prelaunch_assessment_missing
            )
        if crypto.in_scope:
            row.crypto_required += 1
            row.crypto_passed += crypto.last_conclusion in PASSING and not crypto.assessment_overdue


def _drills(session: Session, units: dict[int, UnitFigures], scope: Scope, today: dt.date) -> None:
    for status in system_statuses(session, scope=scope, today=today):
        row = units.get(status.unit_id)
        if row is None:
            continue
        row.drill_required += 1
        row.drill_done += status.has_plan and status.last_drill_on is not None and not status.drill_overdue


def _cloud(session: Session, units: dict[int, UnitFigures], scope: Scope, today: dt.date) -> None:
    for group in migration_summary(session, scope=scope, today=today).by_unit:
        row = units.get(group.id) if group.id is not None else None
        if row is not None:
            row.cloud_in_scope, row.cloud_done = group.in_scope, group.city_cloud


def _supply(session: Session, units: dict[int, UnitFigures], scope: Scope, today: dt.date) -> None:
    for figure in supply_chain_summary(session, scope=scope, group_by="unit", today=today):
        row = units.get(int(figure.key)) if figure.key.isdigit() else None
        if row is not None:
            row.xinchuang_items, row.xinchuang_controllable = figure.items, figure.controllable


def _findings(session: Session, units: dict[int, UnitFigures], scope: Scope) -> None:
    stmt = (
        select(Finding.unit_id, Finding.severity, func.count())
        .where(Finding.state == FindingState.OPEN, Finding.unit_id.is_not(None))
        .group_by(Finding.unit_id, Finding.severity)
    )
    if not scope.everything:
        stmt = stmt.where(Finding.unit_id.in_(scope.unit_ids or frozenset()))
    for unit_id, severity, number in session.execute(stmt):
        row = units.get(unit_id) if unit_id is not None else None
        if row is not None:
            row.findings[Severity(severity).value] += int(number)


def county_report(session: Session, *, scope: Scope = ALL, today: dt.date) -> CountyReport:
    """The report for the units in ``scope``: a unit user's report holds only their units."""
    units = _units(session, scope)
    _security(session, units, scope, today)
    _drills(session, units, scope, today)
    _cloud(session, units, scope, today)
    _supply(session, units, scope, today)
    _findings(session, units, scope)
    rows = list(units.values())
    return CountyReport(today=today, units=rows, total=_total(rows, scope))


def _total(rows: Iterable[UnitFigures], scope: Scope) -> UnitFigures:
    total = UnitFigures(None, "全县合计" if scope.everything else "合计")
    for row in rows:
        total.add(row)
    return total
