"""Progress figures of the move to the city government cloud, county-wide, per unit and per wave.

Counting rules (第三条、第三十五条):

- candidates: non-classified systems that are not retired (classified systems never move);
- exempt: candidates with an exemption in force on ``today`` (approved on or before, expiring on
  or after); an expired exemption no longer exempts, so the system counts in scope again;
- in scope: candidates that are not exempt; they split by hosting into city cloud, migrating,
  legacy (本地机房) and industry cloud (行业云);
- overdue cutovers: in-scope systems whose plan's planned cutover date lies before ``today`` and
  whose plan has not completed 割接 (nor been cancelled);
- 上云率 = on the city cloud ÷ in scope (None when nothing is in scope).

One GROUP BY query does the counting, so the cost does not grow with the number of systems in
Python; the exporter and the dashboards call ``summary`` on every scrape or page view.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import Session

from inventory.choices import Classification, Hosting, SystemLifecycle
from inventory.models import System, Unit
from migration.choices import PlanState
from migration.machine import CUTOVER_DONE
from migration.models import Exemption, MigrationPlan, Wave
from taizhang.auth.principal import Scope
from taizhang.crud import search_clauses
from taizhang.errors import NotFound

NO_WAVE = "未分配批次"
#: the in-scope figure each hosting counts in.
BUCKETS = {
    Hosting.CITY_CLOUD: "city_cloud",
    Hosting.MIGRATING: "migrating",
    Hosting.LEGACY: "legacy",
    Hosting.INDUSTRY_CLOUD: "industry_cloud",
}


@dataclass
class Figures:
    candidates: int = 0
    in_scope: int = 0
    city_cloud: int = 0
    migrating: int = 0
    legacy: int = 0
    industry_cloud: int = 0
    exempt: int = 0
    overdue_cutovers: int = 0

    @property
    def cloud_rate(self) -> float | None:
        return self.city_cloud / self.in_scope if self.in_scope else None

    def add(self, hosting: Hosting, exempt: bool, overdue: bool, count: int) -> None:
        self.candidates += count
        if exempt:
            self.exempt += count
            return
        self.in_scope += count
        bucket = BUCKETS[hosting]
        setattr(self, bucket, getattr(self, bucket) + count)
        if overdue:
            self.overdue_cutovers += count

    def as_dict(self) -> dict[str, Any]:
        return {
            "candidates": self.candidates,
            "in_scope": self.in_scope,
            "city_cloud": self.city_cloud,
            "migrating": self.migrating,
            "legacy": self.legacy,
            "industry_cloud": self.industry_cloud,
            "exempt": self.exempt,
            "overdue_cutovers": self.overdue_cutovers,
            "cloud_rate": self.cloud_rate,
        }


@dataclass
class GroupFigures(Figures):
    id: int | None = None
    name: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, **super().as_dict()}


@dataclass
class Summary:
    as_of: dt.date
    unit_id: int | None
    wave_id: int | None
    total: Figures = field(default_factory=Figures)
    by_unit: list[GroupFigures] = field(default_factory=list)
    by_wave: list[GroupFigures] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "unit_id": self.unit_id,
            "wave_id": self.wave_id,
            "total": self.total.as_dict(),
            "by_unit": [g.as_dict() for g in self.by_unit],
            "by_wave": [g.as_dict() for g in self.by_wave],
        }


def _rows(
    session: Session,
    *,
    scope: Scope,
    unit_id: int | None,
    wave_id: int | None,
    today: dt.date,
    search: str | None = None,
) -> Any:
    cutoff = today
    exempt = exists().where(
        Exemption.system_id == System.id, Exemption.approved_on <= today, Exemption.expires_on >= today
    )
    overdue = and_(
        MigrationPlan.id.is_not(None),
        MigrationPlan.planned_cutover < cutoff,
        MigrationPlan.state.not_in([*CUTOVER_DONE, PlanState.CANCELLED]),
    )
    inner = (
        select(
            System.owner_unit_id.label("unit_id"),
            MigrationPlan.wave_id.label("wave_id"),
            System.hosting.label("hosting"),
            case((exempt, 1), else_=0).label("exempt"),
            case((overdue, 1), else_=0).label("overdue"),
        )
        .select_from(System)
        .outerjoin(MigrationPlan, MigrationPlan.system_id == System.id)
        .where(
            System.classification != Classification.CLASSIFIED, System.lifecycle != SystemLifecycle.RETIRED
        )
    )
    if not scope.everything:
        inner = inner.where(System.owner_unit_id.in_(scope.unit_ids or frozenset()))
    if unit_id is not None:
        inner = inner.where(System.owner_unit_id == unit_id)
    if wave_id is not None:
        inner = inner.where(MigrationPlan.wave_id == wave_id)
    if search:
        inner = inner.where(*search_clauses((System.name, System.catalogue_number), search))
    sub = inner.subquery()
    keys = (sub.c.unit_id, sub.c.wave_id, sub.c.hosting, sub.c.exempt, sub.c.overdue)
    return session.execute(select(*keys, func.count()).group_by(*keys)).all()


def _groups(session: Session, model: Any, ids: Any, order: Any) -> dict[int, GroupFigures]:
    stmt = select(model.id, model.name).order_by(order)
    if ids is not None:
        stmt = stmt.where(model.id.in_(ids))
    return {row.id: GroupFigures(id=row.id, name=row.name) for row in session.execute(stmt)}


def _check_filters(session: Session, *, scope: Scope, unit_id: int | None, wave_id: int | None) -> None:
    if unit_id is not None and (not scope.allows_unit(unit_id) or session.get(Unit, unit_id) is None):
        raise NotFound(f"单位 {unit_id} 不存在", field="unit_id")
    if wave_id is not None and session.get(Wave, wave_id) is None:
        raise NotFound(f"迁移批次 {wave_id} 不存在", field="wave_id")


def summary(
    session: Session,
    *,
    scope: Scope,
    unit_id: int | None = None,
    wave_id: int | None = None,
    today: dt.date | None = None,
    search: str | None = None,
) -> Summary:
    """Figures for the systems ``scope`` may see, narrowed to one unit and/or one wave if given.

    ``search``: only systems whose name or catalogue number holds every word of it.
    """
    if today is None:
        from migration.service import local_today

        today = local_today()
    _check_filters(session, scope=scope, unit_id=unit_id, wave_id=wave_id)
    rows = _rows(session, scope=scope, unit_id=unit_id, wave_id=wave_id, today=today, search=search)
    unit_ids: Any = None if scope.everything else sorted(scope.unit_ids or ())
    if unit_id is not None:
        unit_ids = [unit_id]
    units = _groups(session, Unit, unit_ids, Unit.code)
    waves = _groups(session, Wave, None if wave_id is None else [wave_id], Wave.target_date)
    no_wave = GroupFigures(id=None, name=NO_WAVE)
    result = Summary(as_of=today, unit_id=unit_id, wave_id=wave_id)
    for row_unit, row_wave, hosting, exempt, overdue, count in rows:
        facts = (Hosting(hosting), bool(exempt), bool(overdue), count)
        result.total.add(*facts)
        if row_unit in units:
            units[row_unit].add(*facts)
        (waves.get(row_wave, no_wave) if row_wave is not None else no_wave).add(*facts)
    result.by_unit = list(units.values())
    result.by_wave = list(waves.values()) + ([no_wave] if no_wave.candidates else [])
    return result
