"""Migration services: plan transitions, exemptions, the current catalogue, progress figures.

Plain functions, session first; they flush and never commit. ``today`` is a parameter wherever the
answer depends on the date, defaulting to the date in Asia/Shanghai.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import Select, exists, inspect, select
from sqlalchemy.orm import Session, selectinload

from inventory.choices import Classification, Hosting, SystemLifecycle
from inventory.models import System
from migration.choices import PlanState
from migration.machine import allowed_targets, hosting_after, next_step
from migration.models import CatalogueItem, CatalogueVersion, Exemption, MigrationPlan, PlanTransition
from migration.summary import Figures, GroupFigures, Summary, summary
from taizhang.auth.principal import ALL, Scope
from taizhang.clock import china_today
from taizhang.db import utcnow
from taizhang.errors import Conflict, Invalid, NotFound
from taizhang.policy import get_policy
from taizhang.workdays import add_months

__all__ = [
    "Figures",
    "GroupFigures",
    "Summary",
    "active_exemption",
    "advance",
    "check_exemption",
    "check_plan",
    "check_subscription",
    "current_catalogue",
    "get_plan",
    "local_today",
    "plan_for_system",
    "summary",
    "transitions_of",
    "wave_systems",
]

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def local_today() -> dt.date:
    """Today's date in the county (Asia/Shanghai), whatever the server's timezone."""
    return china_today()


# --- plans -----------------------------------------------------------------------------------


def _plan_query(scope: Scope) -> Select[MigrationPlan]:
    stmt = select(MigrationPlan).options(selectinload(MigrationPlan.system))
    if not scope.everything:
        stmt = stmt.join(System, System.id == MigrationPlan.system_id).where(
            System.owner_unit_id.in_(scope.unit_ids or frozenset())
        )
    return stmt


def get_plan(session: Session, plan_id: int, *, scope: Scope = ALL) -> MigrationPlan:
    plan = session.execute(_plan_query(scope).where(MigrationPlan.id == plan_id)).scalar_one_or_none()
    if plan is None:
        raise NotFound(f"迁移计划 {plan_id} 不存在")
    return plan


def plan_for_system(session: Session, system_id: int, *, scope: Scope = ALL) -> MigrationPlan:
    stmt = _plan_query(scope).where(MigrationPlan.system_id == system_id)
    plan = session.execute(stmt).scalar_one_or_none()
    if plan is None:
        raise NotFound(f"信息系统 {system_id} 没有迁移计划")
    return plan


def check_plan(session: Session, plan: MigrationPlan) -> None:
    """A plan is for an in-scope system (non-classified, not retired); its first hosting is kept."""
    system = session.get(System, plan.system_id)
    if system is None:  # references are checked before; this guards direct service use
        raise Invalid(f"信息系统 {plan.system_id} 不存在", field="system_id")
    if plan.planned_start and plan.planned_cutover and plan.planned_start > plan.planned_cutover:
        raise Invalid(
            f"计划开始日期 {plan.planned_start} 晚于计划割接日期 {plan.planned_cutover}",
            field="planned_cutover",
        )
    if system.classification is Classification.CLASSIFIED:
        raise Invalid("涉密信息系统不在上云范围内（第三条、第三十五条）", field="system_id")
    if plan.id is None:
        if system.lifecycle is SystemLifecycle.RETIRED:
            raise Invalid(f"信息系统“{system.name}”已停用，无需制定迁移计划", field="system_id")
        if system.hosting is Hosting.CITY_CLOUD:
            raise Invalid(f"信息系统“{system.name}”已部署在市级政务云，无需制定迁移计划", field="system_id")
        plan.original_hosting = system.hosting
        plan.state = PlanState.PLANNED
    elif inspect(plan).attrs.system_id.history.has_changes():
        raise Invalid("迁移计划不能改挂到其他信息系统；请删除后为该系统新建计划", field="system_id")


def advance(
    session: Session,
    plan: MigrationPlan,
    *,
    to: PlanState | None = None,
    note: str = "",
    actor: str | None = None,
    at: dt.datetime | None = None,
    expected_version: int | None = None,
) -> PlanTransition:
    """Move ``plan`` to ``to`` (default: the next step), record it and update the system's hosting.

    A move the state machine does not allow is refused with 409 naming the allowed ones.
    """
    if expected_version is not None and expected_version != plan.version:
        raise Conflict(
            f"迁移计划已被他人修改（当前版本 {plan.version}，提交的版本 {expected_version}），请刷新后重试",
            field="version",
        )
    current = plan.state
    allowed = allowed_targets(current, plan.held_from)
    target = to if to is not None else next_step(current, plan.held_from)
    if target is None or target not in allowed:
        shown = "、".join(f"{s.label}（{s.value}）" for s in allowed) or "无（计划已完成）"
        wanted = f"“{target.label}”" if target is not None else "下一步"
        raise Conflict(
            f"迁移计划不能从“{current.label}”转为{wanted}；允许的状态：{shown}",
            field="to",
            extra={"state": current.value, "allowed": [s.value for s in allowed]},
        )
    system = plan.system
    system.hosting = hosting_after(target, current=system.hosting, original=plan.original_hosting)
    plan.held_from = current if target is PlanState.ON_HOLD else None
    plan.state = target
    record = PlanTransition(
        plan_id=plan.id,
        from_state=current,
        to_state=target,
        actor=actor or str(session.info.get("actor") or "system"),
        at=at or utcnow(),
        note=note,
    )
    session.add(record)
    session.flush()
    return record


def transitions_of(session: Session, plan: MigrationPlan) -> list[PlanTransition]:
    stmt = (
        select(PlanTransition)
        .where(PlanTransition.plan_id == plan.id)
        .order_by(PlanTransition.at, PlanTransition.id)
    )
    return list(session.execute(stmt).scalars())


def wave_systems(
    session: Session, wave_id: int, *, scope: Scope = ALL, today: dt.date | None = None
) -> list[dict[str, object]]:
    """The systems of a wave with where each plan stands and whether its cutover is late."""
    from migration.machine import CLOSED, CUTOVER_DONE
    from migration.models import Wave

    if session.get(Wave, wave_id) is None:
        raise NotFound(f"迁移批次 {wave_id} 不存在")
    day = today or local_today()
    stmt = (
        _plan_query(scope)
        .where(MigrationPlan.wave_id == wave_id)
        .order_by(MigrationPlan.planned_cutover, MigrationPlan.id)
    )
    out: list[dict[str, object]] = []
    for plan in session.execute(stmt).scalars():
        late = (
            plan.planned_cutover is not None
            and plan.planned_cutover < day
            and plan.state not in CUTOVER_DONE | CLOSED
        )
        out.append(
            {
                "plan_id": plan.id,
                "system_id": plan.system_id,
                "catalogue_number": plan.system.catalogue_number,
                "name": plan.system.name,
                "owner_unit_id": plan.system.owner_unit_id,
                "hosting": plan.system.hosting,
                "state": plan.state,
                "owner": plan.owner,
                "planned_cutover": plan.planned_cutover,
                "cutover_overdue": late,
            }
        )
    return out


# --- exemptions ------------------------------------------------------------------------------


def active_exemption(session: Session, system_id: int, *, today: dt.date | None = None) -> Exemption | None:
    """The exemption in force for a system (the one lasting longest), or None once all expired."""
    day = today or local_today()
    stmt = (
        select(Exemption)
        .where(Exemption.system_id == system_id, Exemption.approved_on <= day, Exemption.expires_on >= day)
        .order_by(Exemption.expires_on.desc())
    )
    return session.execute(stmt.limit(1)).scalar_one_or_none()


def check_exemption(session: Session, exemption: Exemption) -> None:
    """Dates in order and no longer than the policy's maximum; classified systems need none."""
    if exemption.expires_on < exemption.approved_on:
        raise Invalid(
            f"有效期至 {exemption.expires_on} 早于批准日期 {exemption.approved_on}", field="expires_on"
        )
    months = get_policy().months("migration.exemption.max_months")
    latest = add_months(exemption.approved_on, months)
    if exemption.expires_on > latest:
        raise Invalid(
            f"豁免有效期最长 {months} 个月（自批准日 {exemption.approved_on} 起至 {latest}），"
            f"收到 {exemption.expires_on}（策略项 migration.exemption.max_months）",
            field="expires_on",
        )
    classified = session.execute(
        select(System.id).where(
            System.id == exemption.system_id, System.classification == Classification.CLASSIFIED
        )
    ).first()
    if classified is not None:
        raise Invalid("涉密信息系统本就不在上云范围内，无需豁免", field="system_id")


# --- catalogue and subscriptions ----------------------------------------------------------------


def current_catalogue(session: Session, *, today: dt.date | None = None) -> CatalogueVersion | None:
    """The catalogue edition in force: the newest one whose effective date has come."""
    day = today or local_today()
    stmt = (
        select(CatalogueVersion)
        .where(CatalogueVersion.effective_from <= day)
        .order_by(CatalogueVersion.effective_from.desc())
    )
    return session.execute(stmt.limit(1)).scalar_one_or_none()


def check_subscription(session: Session, subscription: object, *, today: dt.date | None = None) -> None:
    """第十二条: a new or changed subscription uses an item of the current catalogue, or is an
    approved exception carrying its approval reference."""
    from migration.models import Subscription

    assert isinstance(subscription, Subscription)
    if subscription.approved_exception and not subscription.exception_reference:
        raise Invalid("目录外服务须填写批准文号", field="exception_reference")
    state = inspect(subscription)
    item_changed = subscription.id is None or state.attrs.item_id.history.has_changes()
    exception_dropped = state.attrs.approved_exception.history.has_changes()
    if not (item_changed or exception_dropped) or subscription.approved_exception:
        return
    current = current_catalogue(session, today=today)
    in_current = (
        current is not None
        and session.execute(
            select(
                exists().where(
                    CatalogueItem.id == subscription.item_id, CatalogueItem.catalogue_version_id == current.id
                )
            )
        ).scalar_one()
    )
    if not in_current:
        edition = (
            f"现行目录（{current.name}）"
            if current is not None
            else "现行目录（尚未登记任何已施行的目录版本）"
        )
        raise Invalid(
            f"云服务 {subscription.item_id} 不在{edition}中；"
            "须使用《临汾市市级政务云平台服务目录》中的服务（第十二条），或标记为经批准的目录外服务并填写批准文号",
            field="item_id",
        )
