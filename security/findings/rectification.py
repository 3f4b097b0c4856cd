"""Rectification notices (第二十八条): 已下发 → 整改中 → 已整改, or 逾期 → 暂停拨付 → 终止项目.

Every state change is a ``RectificationEvent`` with its actor and comment (and, like every write,
a change-log row). A pending notice past its deadline turns overdue at the next evaluation.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from inventory.models import Project, Unit
from security.findings.choices import RECTIFICATION_PENDING, RECTIFICATION_TRANSITIONS, RectificationState
from security.findings.models import Finding, RectificationEvent, RectificationNotice
from taizhang.auth.principal import ALL, Scope
from taizhang.errors import Conflict, Invalid, NotFound

LOAD = (selectinload(RectificationNotice.findings), selectinload(RectificationNotice.events))


def notice_query(
    scope: Scope = ALL, *, unit_id: int | None = None, state: RectificationState | None = None
) -> Any:
    stmt = select(RectificationNotice)
    if not scope.everything:
        stmt = stmt.where(RectificationNotice.unit_id.in_(scope.unit_ids or frozenset()))
    if unit_id is not None:
        stmt = stmt.where(RectificationNotice.unit_id == unit_id)
    if state is not None:
        stmt = stmt.where(RectificationNotice.state == state)
    return stmt.order_by(RectificationNotice.id)


def get_notice(session: Session, notice_id: int, *, scope: Scope = ALL) -> RectificationNotice:
    stmt = (
        notice_query(scope)
        .where(RectificationNotice.id == notice_id)
        .options(*LOAD)
        .execution_options(populate_existing=True)  # events just added must show
    )
    notice = session.execute(stmt).scalar_one_or_none()
    if notice is None:
        raise NotFound(f"整改通知 {notice_id} 不存在")
    return notice


def _findings_of_unit(session: Session, unit_id: int, finding_ids: list[int]) -> list[Finding]:
    ids = list(dict.fromkeys(finding_ids))
    if not ids:
        raise Invalid("整改通知至少应包含一项问题", field="finding_ids")
    found = {f.id: f for f in session.execute(select(Finding).where(Finding.id.in_(ids))).scalars()}
    missing = [i for i in ids if i not in found]
    if missing:
        raise Invalid(f"问题 {'、'.join(map(str, missing))} 不存在", field="finding_ids")
    foreign = [i for i in ids if found[i].unit_id != unit_id]
    if foreign:
        raise Invalid(f"问题 {'、'.join(map(str, foreign))} 不属于该单位", field="finding_ids")
    return [found[i] for i in ids]


def create_notice(
    session: Session, data: dict[str, Any], *, actor: str, today: dt.date
) -> RectificationNotice:
    finding_ids = data.pop("finding_ids")
    if session.get(Unit, data["unit_id"]) is None:
        raise Invalid(f"单位 {data['unit_id']} 不存在", field="unit_id")
    project_id = data.get("project_id")
    if project_id is not None:
        project = session.get(Project, project_id)
        if project is None or project.implementing_unit_id != data["unit_id"]:
            raise Invalid(f"项目 {project_id} 不存在或不属于该单位", field="project_id")
    data.setdefault("issued_on", today)
    if data.get("issued_on") is None:
        data["issued_on"] = today
    if data["deadline"] < data["issued_on"]:
        raise Invalid(f"整改期限 {data['deadline']} 早于下发日期 {data['issued_on']}", field="deadline")
    exists = select(RectificationNotice.id).where(RectificationNotice.number == data["number"])
    if session.execute(exists).first() is not None:
        raise Conflict(f"整改通知文号“{data['number']}”已存在", field="number")
    notice = RectificationNotice(**data, state=RectificationState.ISSUED, issued_by=actor, findings=[])
    notice.findings = _findings_of_unit(session, data["unit_id"], finding_ids)
    session.add(notice)
    session.flush()
    session.add(
        RectificationEvent(
            notice_id=notice.id, from_state=None, to_state=notice.state, actor=actor, comment="下发整改通知"
        )
    )
    session.flush()
    return get_notice(session, notice.id)


def transition(
    session: Session,
    notice_id: int,
    to_state: RectificationState,
    *,
    actor: str,
    comment: str = "",
    expected_version: int | None = None,
) -> RectificationNotice:
    notice = get_notice(session, notice_id)
    if expected_version is not None and expected_version != notice.version:
        raise Conflict(
            f"整改通知已被他人修改（当前版本 {notice.version}，提交的版本 {expected_version}），请刷新后重试",
            field="version",
        )
    allowed = RECTIFICATION_TRANSITIONS[notice.state]
    if to_state not in allowed:
        options = "、".join(s.label for s in RectificationState if s in allowed) or "无（已结束）"
        raise Invalid(
            f"整改通知不能从“{notice.state.label}”变为“{to_state.label}”（可变为：{options}）",
            field="to_state",
        )
    _move(session, notice, to_state, actor=actor, comment=comment)
    session.flush()
    return get_notice(session, notice_id)


def _move(
    session: Session, notice: RectificationNotice, to_state: RectificationState, *, actor: str, comment: str
) -> None:
    session.add(
        RectificationEvent(
            notice_id=notice.id, from_state=notice.state, to_state=to_state, actor=actor, comment=comment
        )
    )
    notice.state = to_state


def mark_overdue(session: Session, *, today: dt.date) -> int:
    """Pending notices whose deadline has passed become overdue; returns how many."""
    stmt = select(RectificationNotice).where(
        RectificationNotice.state.in_(list(RECTIFICATION_PENDING)), RectificationNotice.deadline < today
    )
    notices = list(session.execute(stmt).scalars())
    for notice in notices:
        _move(
            session,
            notice,
            RectificationState.OVERDUE,
            actor="system",
            comment=f"超过整改期限 {notice.deadline}",
        )
    return len(notices)
