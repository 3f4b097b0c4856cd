"""The demo county's migration data: every state, waves, exemptions, subscriptions; idempotent."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inventory.choices import Hosting
from inventory.demo import load_inventory
from inventory.models import System
from migration import service
from migration.choices import PlanState
from migration.demo import load_demo
from migration.machine import MIGRATING
from migration.models import Exemption, MigrationPlan, PlanTransition, Subscription
from taizhang.auth.principal import ALL


def test_demo_covers_every_state_and_is_idempotent(session: Session) -> None:
    load_inventory(session)
    first = load_demo(session)
    session.commit()
    second = load_demo(session)
    assert first == second
    assert first["迁移批次"] == 4

    plans = session.execute(select(MigrationPlan)).scalars().all()
    assert {p.state for p in plans} == set(PlanState)
    hosting = dict(session.execute(select(System.id, System.hosting)).all())
    for plan in plans:
        if plan.state is PlanState.DONE:
            assert hosting[plan.system_id] is Hosting.CITY_CLOUD
        elif plan.state in MIGRATING:
            assert hosting[plan.system_id] is Hosting.MIGRATING
        else:
            assert hosting[plan.system_id] is plan.original_hosting
    not_on_cloud = session.execute(
        select(func.count()).select_from(System).where(System.hosting != Hosting.CITY_CLOUD)
    ).scalar_one()
    assert 0.35 < len(plans) / (not_on_cloud + sum(p.state is PlanState.DONE for p in plans)) < 0.65

    today = dt.date(2026, 11, 26)
    figures = service.summary(session, scope=ALL, today=today).total
    assert figures.overdue_cutovers > 0 and figures.exempt > 0
    expired = session.execute(select(Exemption).where(Exemption.expires_on < today)).scalars().all()
    assert len(expired) == 1
    exceptions = session.execute(select(Subscription).where(Subscription.approved_exception)).scalars().all()
    assert len(exceptions) == 1 and exceptions[0].exception_reference
    moves = session.execute(select(func.count()).select_from(PlanTransition)).scalar_one()
    assert moves == first["状态变更记录"] > len(plans)
