"""What the migration pages show: the board's plans by state, a plan's blockers, the dashboard chart.

Read-only queries scoped like the API (a unit user sees only plans of its units' systems).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from inventory.models import System, Unit
from inventory.views import unit_names
from migration.choices import PlanState
from migration.entities import PLANS
from migration.machine import CLOSED, CUTOVER_DONE, ORDER
from migration.models import Blocker, MigrationPlan, Wave
from migration.service import local_today
from taizhang.auth.principal import Scope
from taizhang.crud import search_clauses
from taizhang.listing import Listing, list_rows


@dataclass(frozen=True)
class Card:
    plan: MigrationPlan
    unit_name: str
    overdue: bool


def waves(session: Session) -> list[Wave]:
    return list(session.execute(select(Wave).order_by(Wave.target_date, Wave.id)).scalars())


def units(session: Session, scope: Scope) -> list[Unit]:
    stmt = select(Unit).order_by(Unit.code)
    if not scope.everything:
        stmt = stmt.where(Unit.id.in_(scope.unit_ids or frozenset()))
    return list(session.execute(stmt).scalars())


#: the board's search: a plan's system by name or catalogue number
SEARCHED = (System.name, System.catalogue_number)


def page(
    session: Session,
    *,
    scope: Scope,
    wave_id: int | None,
    unit_id: int | None,
    q: str | None,
    page: int,
    per_page: int = 50,
) -> Listing:
    """One page of plans (in planned-cutover order) with their systems; the total counts all that match."""
    where = []
    if q:
        where.append(MigrationPlan.system_id.in_(select(System.id).where(*search_clauses(SEARCHED, q))))
    return list_rows(
        session,
        PLANS,
        scope=scope,
        filters={"wave_id": wave_id, "owner_unit_id": unit_id},
        page=page,
        per_page=per_page,
        where=where,
        options=[selectinload(MigrationPlan.system)],
    )


def grid(session: Session, plans: Sequence[MigrationPlan]) -> list[tuple[str, dict[PlanState, list[Card]]]]:
    """``plans`` by wave (in target-date order, then plans without a wave), one cell per state."""
    names = unit_names(session, (p.system.owner_unit_id for p in plans))
    today = local_today()
    rows: dict[int | None, dict[PlanState, list[Card]]] = {}
    for plan in plans:
        late = (
            plan.planned_cutover is not None
            and plan.planned_cutover < today
            and plan.state not in CUTOVER_DONE | CLOSED
        )
        cells = rows.setdefault(plan.wave_id, {s: [] for s in ORDER})
        cells[plan.state].append(Card(plan, names.get(plan.system.owner_unit_id, ""), late))
    ordered = [(w.name, rows[w.id]) for w in waves(session) if w.id in rows]
    if None in rows:
        ordered.append(("未分配批次", rows[None]))
    return ordered


def blockers_of(session: Session, plan: MigrationPlan) -> list[Blocker]:
    stmt = select(Blocker).where(Blocker.plan_id == plan.id).order_by(Blocker.due_date, Blocker.id)
    return list(session.execute(stmt).scalars())


def wave_name(session: Session, wave_id: int | None) -> str:
    if wave_id is None:
        return "未分配批次"
    wave = session.get(Wave, wave_id)
    return wave.name if wave is not None else "未分配批次"


def unit_rate_chart(by_unit: list[Any]) -> dict[str, Any]:
    """上云率 by unit as a horizontal bar chart (percent), with the counts in its table."""
    rows = [g for g in by_unit if g.in_scope][:20]
    names = [g.name.removeprefix("襄汾县") for g in reversed(rows)]
    rates = [round((g.cloud_rate or 0) * 100, 1) for g in reversed(rows)]
    return {
        "kind": "bar",
        "title": "各单位上云率（%）",
        "horizontal": True,
        "stack": False,
        "categories": names,
        "series": [{"name": "上云率（%）", "data": rates}],
        "table": {
            "columns": ["", "上云率（%）", "已上云", "纳入范围"],
            "rows": [
                [n, r, g.city_cloud, g.in_scope] for n, r, g in zip(names, rates, reversed(rows), strict=True)
            ],
        },
    }
