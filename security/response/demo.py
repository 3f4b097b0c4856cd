"""Demo plans, drills, follow-ups and incidents over the demo county's systems.

Dates are placed relative to ``today`` so that, on the day it is loaded, some drills and reviews
are overdue, some are due within weeks and most are fine; some incidents were reported late or not
at all. Deterministic for a given ``today`` and idempotent: rows are found by natural key first.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.choices import SystemLifecycle
from inventory.models import System, Unit
from security.response.choices import DrillType, IncidentCategory, IncidentGrade
from security.response.dates import LOCAL_TZ, local_today
from security.response.models import Drill, DrillAction, EmergencyPlan, Incident

SEED = 20220137  # 第三十七条
SCENARIOS = [
    "勒索病毒感染业务服务器",
    "门户网站页面被篡改",
    "数据库误删除与恢复",
    "机房断电切换",
    "DDoS 攻击导致服务中断",
    "账号口令泄露",
]
PARTICIPANTS = ["信息中心", "业务科室", "运维服务商", "县政务信息管理局", "安全服务商"]
ACTIONS = [
    ("补充离线备份并每季度恢复演练", "信息中心"),
    ("修订应急联络表", "办公室"),
    ("升级边界防火墙策略", "运维服务商"),
    ("开展全员钓鱼邮件培训", "安全服务商"),
]


def _find(session: Session, model: type[Any], **key: Any) -> Any:
    stmt = select(model)
    for column, value in key.items():
        stmt = stmt.where(getattr(model, column) == value)
    return session.execute(stmt).scalars().first()


def _plan(session: Session, name: str, unit_id: int, **values: Any) -> EmergencyPlan:
    plan = _find(session, EmergencyPlan, unit_id=unit_id, name=name)
    if plan is None:
        plan = EmergencyPlan(name=name, unit_id=unit_id, **values)
        session.add(plan)
        session.flush()
    return plan


def _load_plans(session: Session, rng: random.Random, today: dt.date) -> list[EmergencyPlan]:
    plans = []
    for index, unit in enumerate(session.execute(select(Unit).order_by(Unit.code)).scalars()):
        approved = today - dt.timedelta(days=rng.randrange(300, 900))
        reviewed = (
            approved if index % 4 == 0 else max(approved, today - dt.timedelta(days=rng.randrange(20, 300)))
        )
        plans.append(
            _plan(
                session,
                f"{unit.name}网络安全事件总体应急预案",
                unit.id,
                plan_version="V1.0",
                approved_on=approved,
                last_reviewed_on=reviewed,
            )
        )
    systems = session.execute(
        select(System)
        .where(System.mlps_level >= 3, System.lifecycle == SystemLifecycle.RUNNING)
        .order_by(System.catalogue_number)
    ).scalars()
    for index, system in enumerate(systems):
        approved = today - dt.timedelta(days=rng.randrange(400, 1200))
        # every fifth plan's yearly review is overdue; the rest were reviewed within the year
        reviewed = today - dt.timedelta(days=400 + index if index % 5 == 0 else rng.randrange(20, 330))
        plans.append(
            _plan(
                session,
                f"{system.name}应急预案",
                system.owner_unit_id,
                system_id=system.id,
                plan_version=f"V{1 + index % 3}.{index % 2}",
                approved_on=approved,
                last_reviewed_on=max(reviewed, approved),
            )
        )
    return plans


def _load_drills(
    session: Session, rng: random.Random, today: dt.date, plans: list[EmergencyPlan]
) -> tuple[int, int]:
    drills = actions = 0
    for index, plan in enumerate(plans):
        # overdue (over a year ago), due within weeks, recent, never drilled
        ago = [rng.randrange(380, 500), rng.randrange(335, 360), rng.randrange(30, 200), None][index % 4]
        if ago is None:
            continue
        held_on = today - dt.timedelta(days=ago)
        scenario = SCENARIOS[index % len(SCENARIOS)]
        drill = _find(session, Drill, plan_id=plan.id, scenario=scenario)
        if drill is None:
            drill = Drill(
                plan_id=plan.id,
                drill_type=list(DrillType)[index % 3],
                scenario=scenario,
                held_on=held_on,
                participants=rng.sample(PARTICIPANTS, 3),
                findings="应急联络不畅；备份恢复时间超过预期",
            )
            session.add(drill)
            session.flush()
        drills += 1
        for n, (action, owner) in enumerate(ACTIONS[: 1 + index % 2]):
            if _find(session, DrillAction, drill_id=drill.id, action=action) is None:
                due = drill.held_on + dt.timedelta(days=60 + 30 * n)
                done = due - dt.timedelta(days=5) if (index + n) % 3 == 0 else None
                session.add(
                    DrillAction(drill_id=drill.id, action=action, owner=owner, due_on=due, completed_on=done)
                )
            actions += 1
    session.flush()
    return drills, actions


def _moment(today: dt.date, days_ago: float, hour: int = 9) -> dt.datetime:
    base = dt.datetime.combine(today, dt.time(hour), tzinfo=LOCAL_TZ)
    return base - dt.timedelta(days=days_ago)


def _incident_specs(today: dt.date) -> list[dict[str, Any]]:
    m = lambda days, hour=9: _moment(today, days, hour)  # noqa: E731
    return [
        {
            "title": "门户网站首页被篡改",
            "category": IncidentCategory.ATTACK,
            "grade": IncidentGrade.LARGER,
            "occurred_at": m(60, 7),
            "detected_at": m(60, 8),
            "handling_ended_at": m(58),
            "reported_at": m(60, 10),
            "report_recipient": "山西省委网信办",
            "summary_reported_at": m(40),
        },
        {
            "title": "社保业务数据库遭勒索病毒加密",
            "category": IncidentCategory.MALWARE,
            "grade": IncidentGrade.LARGER,
            "occurred_at": m(45, 1),
            "detected_at": m(45, 6),
            "handling_ended_at": m(40),
            "reported_at": m(45, 14),
            "report_recipient": "山西省委网信办",
        },
        {
            "title": "医保结算系统个人信息泄露（约 120 万条）",
            "category": IncidentCategory.DATA_SECURITY,
            "grade": IncidentGrade.MAJOR,
            "critical_infrastructure": True,
            "occurred_at": m(2, 3),
            "detected_at": m(2, 8),
        },
        {
            "title": "政务外网核心交换机故障",
            "category": IncidentCategory.EQUIPMENT_FAILURE,
            "grade": IncidentGrade.LARGER,
            "occurred_at": m(20, 9),
            "detected_at": m(20, 9),
            "handling_ended_at": m(20, 18),
            "reported_at": m(20, 11),
            "report_recipient": "山西省委网信办",
        },
        {
            "title": "办公终端感染挖矿木马",
            "category": IncidentCategory.MALWARE,
            "grade": IncidentGrade.GENERAL,
            "occurred_at": m(10),
            "detected_at": m(9),
            "handling_ended_at": m(8),
        },
        {
            "title": "运维人员违规开放数据库公网端口",
            "category": IncidentCategory.VIOLATION,
            "grade": IncidentGrade.GENERAL,
            "occurred_at": m(30),
            "detected_at": m(29),
            "handling_ended_at": m(29),
        },
        {
            "title": "暴雨导致乡镇机房断电",
            "category": IncidentCategory.FORCE_MAJEURE,
            "grade": IncidentGrade.GENERAL,
            "occurred_at": m(100),
            "detected_at": m(100),
            "handling_ended_at": m(99),
        },
    ]


def _load_incidents(session: Session, today: dt.date) -> int:
    running = (
        session.execute(
            select(System)
            .where(System.lifecycle == SystemLifecycle.RUNNING)
            .order_by(System.catalogue_number)
        )
        .scalars()
        .all()
    )
    for index, spec in enumerate(_incident_specs(today)):
        if _find(session, Incident, title=spec["title"]) is not None:
            continue
        system = running[(index * 17) % len(running)]
        timeline = [{"at": spec["detected_at"].isoformat(), "action": "发现异常，启动应急预案"}]
        if spec.get("handling_ended_at"):
            timeline.append({"at": spec["handling_ended_at"].isoformat(), "action": "处置完毕，业务恢复"})
        session.add(
            Incident(
                unit_id=system.owner_unit_id, systems=[system], timeline=timeline, description="", **spec
            )
        )
    session.flush()
    return len(_incident_specs(today))


def load_demo(session: Session, *, today: dt.date | None = None) -> dict[str, int]:
    today = local_today(today)
    rng = random.Random(SEED)
    plans = _load_plans(session, rng, today)
    drills, actions = _load_drills(session, rng, today, plans)
    return {
        "应急预案": len(plans),
        "应急演练": drills,
        "演练整改措施": actions,
        "网络安全事件": _load_incidents(session, today),
    }
