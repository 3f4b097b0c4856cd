"""第十二条 and 第三十五条: services from the city-cloud catalogue; non-classified systems move there.

- 第十二条: a subscription must use an item of the catalogue edition in force on ``today`` (the
  newest edition whose effective date has come, as ``migration.service.current_catalogue``), or be
  flagged as an approved exception. Items of a superseded edition fire too: the unit keeps paying
  for a service the current catalogue no longer offers.
- 第三十五条: the systems that must move are those ``migration.summary`` counts as candidates
  (non-classified, not retired). One that is not on the city cloud fires when it has neither a
  migration plan (a cancelled plan is no plan) nor an exemption in force on ``today`` (approved on
  or before, expiring on or after: an exemption expiring today still exempts, tomorrow it does
  not). A plan whose planned cutover lies before ``today`` and has not reached 验证 fires as
  overdue, the same test the summary's ``overdue_cutovers`` applies.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from inventory.choices import Classification, Hosting, SystemLifecycle
from migration.choices import PlanState
from migration.machine import CUTOVER_DONE
from migration.models import CatalogueItem, CatalogueVersion, Exemption, MigrationPlan, Subscription
from security.findings.choices import Severity, SubjectType
from security.findings.rules import REGULATION, Hit, rule
from security.findings.snapshot import LedgerSnapshot


def _current_edition(snap: LedgerSnapshot) -> Any | None:
    live = [v for v in snap.rows(CatalogueVersion) if v.effective_from <= snap.today]
    return max(live, key=lambda v: v.effective_from) if live else None


@rule(
    "art12.subscription_outside_catalogue",
    title="订购的云服务不在现行市级政务云服务目录中且未经批准",
    severity=Severity.MEDIUM,
    citation=f"{REGULATION} 第十二条",
    article="第十二条",
)
def subscription_outside_catalogue(snap: LedgerSnapshot) -> Iterator[Hit]:
    """A city-cloud subscription to an item outside the current catalogue edition, without approval."""
    edition = _current_edition(snap)
    items = {i.id: i for i in snap.rows(CatalogueItem)}
    for system_id, subscriptions in snap.rows_by_system(Subscription).items():
        system = snap.systems.get(system_id)
        if system is None:
            continue
        for sub in subscriptions:
            item = items[sub.item_id]  # the foreign key guarantees it
            if sub.approved_exception or (edition is not None and item.catalogue_version_id == edition.id):
                continue
            edition_name = edition.name if edition is not None else "（尚无已施行的目录版本）"
            yield Hit(
                SubjectType.SYSTEM,
                system.id,
                system.name,
                system.owner_unit_id,
                f"信息系统“{system.name}”订购的云服务“{item.name}”（{item.code}）不在现行目录"
                f"{edition_name}中，且未登记经批准的目录外服务",
                system_id=system.id,
                discriminator=f"subscription:{sub.id}",
                facts={
                    "subscription_id": sub.id,
                    "item_code": item.code,
                    "item_catalogue_version_id": item.catalogue_version_id,
                    "current_catalogue_version_id": edition.id if edition is not None else None,
                },
            )


def _exempt(exemptions: list[Any], snap: LedgerSnapshot) -> bool:
    return any(e.approved_on <= snap.today <= e.expires_on for e in exemptions)


def _must_move(system: Any) -> bool:
    return (
        system.classification is not Classification.CLASSIFIED
        and system.lifecycle is not SystemLifecycle.RETIRED
    )


@rule(
    "art35.not_on_city_cloud",
    title="非涉密系统未迁移上市级政务云，且无迁移计划或有效豁免",
    severity=Severity.HIGH,
    citation=f"{REGULATION} 第三十五条",
    article="第三十五条",
)
def not_on_city_cloud(snap: LedgerSnapshot) -> Iterator[Hit]:
    """A non-classified, not retired system off the city cloud with no plan and no exemption in force."""
    plans = snap.rows_by_system(MigrationPlan)
    exemptions = snap.rows_by_system(Exemption)
    for system in snap.systems.values():
        if not _must_move(system) or system.hosting is Hosting.CITY_CLOUD:
            continue
        if any(p.state is not PlanState.CANCELLED for p in plans.get(system.id, [])):
            continue
        if _exempt(exemptions.get(system.id, []), snap):
            continue
        yield Hit(
            SubjectType.SYSTEM,
            system.id,
            system.name,
            system.owner_unit_id,
            f"非涉密信息系统“{system.name}”部署于{system.hosting.label}，未迁移至市级政务云，"
            "既无迁移计划也无有效豁免",
            system_id=system.id,
            facts={
                "hosting": system.hosting.value,
                "expired_exemption_ids": [e.id for e in exemptions.get(system.id, [])],
            },
        )


@rule(
    "art35.cutover_overdue",
    title="迁移计划割接逾期",
    severity=Severity.MEDIUM,
    citation=f"{REGULATION} 第三十五条",
    article="第三十五条",
)
def cutover_overdue(snap: LedgerSnapshot) -> Iterator[Hit]:
    """A plan whose planned cutover date has passed while 割接 is not complete (nor the plan cancelled)."""
    exemptions = snap.rows_by_system(Exemption)
    for system_id, plans in snap.rows_by_system(MigrationPlan).items():
        system = snap.systems.get(system_id)
        if system is None or not _must_move(system) or _exempt(exemptions.get(system_id, []), snap):
            continue
        for plan in plans:
            done = plan.state in CUTOVER_DONE or plan.state is PlanState.CANCELLED
            if plan.planned_cutover is None or plan.planned_cutover >= snap.today or done:
                continue
            yield Hit(
                SubjectType.SYSTEM,
                system.id,
                system.name,
                system.owner_unit_id,
                f"信息系统“{system.name}”计划于 {plan.planned_cutover} 完成割接，"
                f"迁移计划仍处于“{plan.state.label}”阶段",
                system_id=system.id,
                due_date=plan.planned_cutover,
                discriminator=f"plan:{plan.id}",
                facts={"plan_id": plan.id, "state": plan.state.value},
            )
