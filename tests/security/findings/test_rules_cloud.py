"""第十二条 and 第三十五条 rules fire and keep quiet (both databases)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from inventory.choices import Classification, Hosting, SystemLifecycle
from migration.choices import CloudServiceCategory, PlanState
from migration.models import CatalogueItem, CatalogueVersion, Exemption, MigrationPlan, Subscription

D = dt.date
TODAY = D(2026, 11, 20)


def _catalogue(ledger: Any) -> tuple[CatalogueItem, CatalogueItem, CatalogueItem]:
    old = ledger.add(CatalogueVersion(name="2024版", effective_from=D(2024, 1, 1)))
    new = ledger.add(CatalogueVersion(name="2026版", effective_from=D(2026, 1, 1)))
    future = ledger.add(CatalogueVersion(name="2027版", effective_from=D(2027, 1, 1)))
    item = {
        v.id: ledger.add(
            CatalogueItem(
                catalogue_version_id=v.id,
                code=f"ECS-{v.name}",
                name="云主机",
                category=CloudServiceCategory.COMPUTE,
            )
        )
        for v in (old, new, future)
    }
    return item[old.id], item[new.id], item[future.id]


def test_subscription_outside_current_catalogue(ledger: Any) -> None:
    unit = ledger.unit()
    system = ledger.system(unit, hosting=Hosting.CITY_CLOUD)
    old, current, future = _catalogue(ledger)

    approved = ledger.system(unit, hosting=Hosting.CITY_CLOUD)

    def subscribe(item: CatalogueItem, on: Any = system, **kw: Any) -> Subscription:
        return ledger.add(Subscription(system_id=on.id, item_id=item.id, since=D(2025, 6, 1), **kw))  # type: ignore[no-any-return]

    stale = subscribe(old)
    not_yet = subscribe(future)
    subscribe(current)
    subscribe(old, approved, approved_exception=True, exception_reference="襄政信函〔2025〕3号")
    hits = ledger.hits("art12.subscription_outside_catalogue", TODAY)
    assert sorted(h.discriminator for h in hits) == sorted(f"subscription:{s.id}" for s in (stale, not_yet))
    assert all(h.system_id == system.id and h.unit_id == unit.id for h in hits)
    # the day before the 2026 edition took effect, the 2024 edition was the current one
    before = ledger.hits("art12.subscription_outside_catalogue", D(2025, 12, 31))
    assert stale.id not in {h.facts["subscription_id"] for h in before}


def test_not_on_city_cloud(ledger: Any) -> None:
    unit = ledger.unit()
    legacy = ledger.system(unit, hosting=Hosting.LEGACY)
    industry = ledger.system(unit, hosting=Hosting.INDUSTRY_CLOUD)
    ledger.system(unit, hosting=Hosting.CITY_CLOUD)
    ledger.system(unit, hosting=Hosting.LEGACY, classification=Classification.CLASSIFIED)
    ledger.system(unit, hosting=Hosting.LEGACY, lifecycle=SystemLifecycle.RETIRED)
    planned = ledger.system(unit, hosting=Hosting.LEGACY)
    ledger.add(MigrationPlan(system_id=planned.id, owner="张三", original_hosting=Hosting.LEGACY))
    cancelled = ledger.system(unit, hosting=Hosting.LEGACY)
    ledger.add(
        MigrationPlan(
            system_id=cancelled.id, owner="张三", original_hosting=Hosting.LEGACY, state=PlanState.CANCELLED
        )
    )
    hits = ledger.hits("art35.not_on_city_cloud", TODAY)
    assert sorted(h.subject_id for h in hits) == sorted([legacy.id, industry.id, cancelled.id])


def test_exemption_expiry_edge(ledger: Any) -> None:
    unit = ledger.unit()
    system = ledger.system(unit, hosting=Hosting.LEGACY)
    ledger.add(
        Exemption(
            system_id=system.id,
            reason="业务专网依赖",
            approver="县政务信息管理局",
            approval_reference="襄政信函〔2026〕1号",
            approved_on=D(2026, 1, 5),
            expires_on=TODAY,
        )
    )
    rule = "art35.not_on_city_cloud"
    assert ledger.hits(rule, TODAY) == []  # in force through its last day
    assert [h.subject_id for h in ledger.hits(rule, TODAY + dt.timedelta(days=1))] == [system.id]
    assert [h.subject_id for h in ledger.hits(rule, D(2026, 1, 4))] == [system.id]  # not yet approved
    assert ledger.hits(rule, TODAY, system_ids=[system.id]) == []


def test_cutover_overdue(ledger: Any) -> None:
    unit = ledger.unit()

    def plan(state: PlanState, cutover: dt.date | None) -> Any:
        system = ledger.system(unit, hosting=Hosting.MIGRATING)
        ledger.add(
            MigrationPlan(
                system_id=system.id,
                owner="李四",
                original_hosting=Hosting.LEGACY,
                state=state,
                planned_cutover=cutover,
            )
        )
        return system

    late = plan(PlanState.IMPLEMENTATION, TODAY - dt.timedelta(days=1))
    plan(PlanState.IMPLEMENTATION, TODAY)  # due today: not late yet
    plan(PlanState.VERIFICATION, D(2026, 1, 1))  # cut over already
    plan(PlanState.CANCELLED, D(2026, 1, 1))
    plan(PlanState.PLANNED, None)
    hits = ledger.hits("art35.cutover_overdue", TODAY)
    assert [h.subject_id for h in hits] == [late.id]
    assert hits[0].due_date == TODAY - dt.timedelta(days=1)
    assert [h.subject_id for h in ledger.hits("art35.cutover_overdue", TODAY, system_ids=[late.id])] == [
        late.id
    ]
