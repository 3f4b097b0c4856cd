"""How each migration table is listed, filtered, scoped and checked."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, not_, select
from sqlalchemy.orm import Session

from inventory.entities import SYSTEM_REF, systems_in_scope
from inventory.models import System
from migration import schemas as s
from migration import service
from migration.choices import CloudServiceCategory, PlanState
from migration.machine import CUTOVER_DONE
from migration.models import (
    Blocker,
    CatalogueItem,
    CatalogueVersion,
    Exemption,
    MigrationPlan,
    Subscription,
    Wave,
)
from taizhang.auth.principal import Scope
from taizhang.crud import Entity, Filter, Reference


def _eq(column: Any) -> Any:
    return lambda stmt, value: stmt.where(column == value)


def _in_scope_systems(column: Any) -> Any:
    return lambda scope: column.in_(select(System.id).where(systems_in_scope(scope)))


def plans_in_scope(scope: Scope) -> ColumnElement[bool]:
    return MigrationPlan.system_id.in_(select(System.id).where(systems_in_scope(scope)))


def _plans_of_unit(stmt: Select[Any], unit_id: int) -> Select[Any]:
    return stmt.where(MigrationPlan.system_id.in_(select(System.id).where(System.owner_unit_id == unit_id)))


def overdue_clause() -> ColumnElement[bool]:
    """Plans whose cutover is overdue today (see ``migration.summary`` for the rule)."""
    cutoff = service.local_today()
    return and_(
        MigrationPlan.planned_cutover < cutoff,
        MigrationPlan.state.not_in([*CUTOVER_DONE, PlanState.CANCELLED]),
    )


def _overdue(stmt: Select[Any], value: bool) -> Select[Any]:
    clause = overdue_clause()
    return stmt.where(clause if value else not_(clause))


def _owner_of_system_child(session: Session, obj: Any) -> set[int]:
    if obj.system_id is None:
        return set()
    unit_id = session.execute(
        select(System.owner_unit_id).where(System.id == obj.system_id)
    ).scalar_one_or_none()
    return {unit_id} if unit_id is not None else set()


def _owner_of_blocker(session: Session, obj: Blocker) -> set[int]:
    if obj.plan_id is None:
        return set()
    stmt = (
        select(System.owner_unit_id)
        .join(MigrationPlan, MigrationPlan.system_id == System.id)
        .where(MigrationPlan.id == obj.plan_id)
    )
    unit_id = session.execute(stmt).scalar_one_or_none()
    return {unit_id} if unit_id is not None else set()


def _open_blockers(stmt: Select[Any], value: bool) -> Select[Any]:
    return stmt.where(Blocker.resolved_on.is_(None) if value else Blocker.resolved_on.is_not(None))


def _active_exemptions(stmt: Select[Any], value: bool) -> Select[Any]:
    today = service.local_today()
    clause = and_(Exemption.approved_on <= today, Exemption.expires_on >= today)
    return stmt.where(clause if value else not_(clause))


def _in_current_catalogue(stmt: Select[Any], value: bool) -> Select[Any]:
    today = service.local_today()
    newest = (
        select(CatalogueVersion.id)
        .where(CatalogueVersion.effective_from <= today)
        .order_by(CatalogueVersion.effective_from.desc())
        .limit(1)
        .scalar_subquery()
    )
    clause = CatalogueItem.catalogue_version_id == newest
    return stmt.where(clause if value else not_(clause))


def _validate_exemption(session: Session, obj: Exemption) -> None:
    service.check_exemption(session, obj)


def _validate_subscription(session: Session, obj: Subscription) -> None:
    service.check_subscription(session, obj)


def _validate_blocker(session: Session, obj: Blocker) -> None:
    from taizhang.errors import Invalid

    if obj.resolved_on is None and obj.resolution:
        raise Invalid("填写了解决情况时须同时填写解决日期", field="resolved_on")


PLAN_REF = Reference(MigrationPlan, "迁移计划", scoped_by=plans_in_scope)
WAVE_REF = Reference(Wave, "迁移批次")

WAVES = Entity(
    path="waves",
    label="迁移批次",
    model=Wave,
    create=s.WaveCreate,
    update=s.WaveUpdate,
    read=s.WaveRead,
    brief=s.WaveBrief,
    unique=[("name",)],
    search=[Wave.name],
    order_by=[Wave.target_date, Wave.id],
    unit_writable=False,
)

PLANS = Entity(
    path="plans",
    label="迁移计划",
    model=MigrationPlan,
    create=s.PlanCreate,
    update=s.PlanUpdate,
    read=s.PlanRead,
    brief=s.PlanBrief,
    unique=[("system_id",)],
    references={"system_id": SYSTEM_REF, "wave_id": WAVE_REF},
    filters={
        "system_id": Filter(int, _eq(MigrationPlan.system_id), "信息系统"),
        "wave_id": Filter(int, _eq(MigrationPlan.wave_id), "迁移批次"),
        "state": Filter(PlanState, _eq(MigrationPlan.state), "当前状态"),
        "owner_unit_id": Filter(int, _plans_of_unit, "主管单位"),
        "overdue": Filter(bool, _overdue, "割接逾期"),
    },
    search=[MigrationPlan.owner, MigrationPlan.note],
    order_by=[MigrationPlan.planned_cutover, MigrationPlan.id],
    scope_clause=plans_in_scope,
    owner_units=_owner_of_system_child,
    validate=service.check_plan,
)

BLOCKERS = Entity(
    path="blockers",
    label="迁移阻碍",
    model=Blocker,
    create=s.BlockerCreate,
    update=s.BlockerUpdate,
    read=s.BlockerRead,
    brief=s.BlockerBrief,
    references={"plan_id": PLAN_REF},
    filters={
        "plan_id": Filter(int, _eq(Blocker.plan_id), "迁移计划"),
        "open": Filter(bool, _open_blockers, "未解决"),
    },
    search=[Blocker.description, Blocker.owner],
    order_by=[Blocker.due_date, Blocker.id],
    scope_clause=lambda scope: Blocker.plan_id.in_(select(MigrationPlan.id).where(plans_in_scope(scope))),
    owner_units=_owner_of_blocker,
    validate=_validate_blocker,
)

EXEMPTIONS = Entity(
    path="exemptions",
    label="上云豁免",
    model=Exemption,
    create=s.ExemptionCreate,
    update=s.ExemptionUpdate,
    read=s.ExemptionRead,
    brief=s.ExemptionBrief,
    references={"system_id": SYSTEM_REF},
    filters={
        "system_id": Filter(int, _eq(Exemption.system_id), "信息系统"),
        "active": Filter(bool, _active_exemptions, "当前有效"),
    },
    search=[Exemption.reason, Exemption.approval_reference, Exemption.approver],
    order_by=[Exemption.expires_on, Exemption.id],
    scope_clause=_in_scope_systems(Exemption.system_id),
    owner_units=_owner_of_system_child,
    validate=_validate_exemption,
)

CATALOGUE_VERSIONS = Entity(
    path="catalogue-versions",
    label="政务云服务目录版本",
    model=CatalogueVersion,
    create=s.CatalogueVersionCreate,
    update=s.CatalogueVersionUpdate,
    read=s.CatalogueVersionRead,
    brief=s.CatalogueVersionBrief,
    unique=[("name",), ("effective_from",)],
    search=[CatalogueVersion.name, CatalogueVersion.source_document],
    order_by=[CatalogueVersion.effective_from],
    unit_writable=False,
)

CATALOGUE_ITEMS = Entity(
    path="catalogue-items",
    label="政务云服务",
    model=CatalogueItem,
    create=s.CatalogueItemCreate,
    update=s.CatalogueItemUpdate,
    read=s.CatalogueItemRead,
    brief=s.CatalogueItemBrief,
    unique=[("catalogue_version_id", "code")],
    references={"catalogue_version_id": Reference(CatalogueVersion, "目录版本")},
    filters={
        "catalogue_version_id": Filter(int, _eq(CatalogueItem.catalogue_version_id), "目录版本"),
        "category": Filter(CloudServiceCategory, _eq(CatalogueItem.category), "服务类别"),
        "current": Filter(bool, _in_current_catalogue, "属于现行目录"),
        "code": Filter(str, _eq(CatalogueItem.code), "服务编码"),
    },
    search=[CatalogueItem.name, CatalogueItem.code],
    order_by=[CatalogueItem.catalogue_version_id, CatalogueItem.code],
    unit_writable=False,
)

SUBSCRIPTIONS = Entity(
    path="subscriptions",
    label="云服务订购",
    model=Subscription,
    create=s.SubscriptionCreate,
    update=s.SubscriptionUpdate,
    read=s.SubscriptionRead,
    brief=s.SubscriptionBrief,
    unique=[("system_id", "item_id")],
    references={"system_id": SYSTEM_REF, "item_id": Reference(CatalogueItem, "云服务")},
    filters={
        "system_id": Filter(int, _eq(Subscription.system_id), "信息系统"),
        "item_id": Filter(int, _eq(Subscription.item_id), "云服务"),
        "approved_exception": Filter(bool, _eq(Subscription.approved_exception), "目录外服务"),
    },
    search=[Subscription.note, Subscription.exception_reference],
    order_by=[Subscription.system_id, Subscription.id],
    scope_clause=_in_scope_systems(Subscription.system_id),
    owner_units=_owner_of_system_child,
    validate=_validate_subscription,
)

ALL_ENTITIES = [WAVES, PLANS, BLOCKERS, EXEMPTIONS, CATALOGUE_VERSIONS, CATALOGUE_ITEMS, SUBSCRIPTIONS]
