"""Waivers (豁免/例外): a rule does not count against one subject until the waiver expires.

Creating, changing or deleting a waiver re-applies it to the matching findings at once; expiry is
picked up by the next evaluation (the background pump runs a whole-ledger evaluation every day).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from security.findings.choices import FindingState, SubjectType
from security.findings.models import Finding, Waiver
from security.findings.rules import get_rule
from security.findings.subjects import subject_unit
from taizhang.auth.principal import ALL, Scope
from taizhang.errors import Conflict, Invalid, NotFound


def waiver_query(scope: Scope = ALL, *, rule_id: str | None = None, active_on: dt.date | None = None) -> Any:
    stmt = select(Waiver)
    if not scope.everything:
        stmt = stmt.where(Waiver.unit_id.in_(scope.unit_ids or frozenset()))
    if rule_id:
        stmt = stmt.where(Waiver.rule_id == rule_id)
    if active_on is not None:
        stmt = stmt.where(Waiver.expires_on >= active_on)
    return stmt.order_by(Waiver.id)


def get_waiver(session: Session, waiver_id: int, *, scope: Scope = ALL) -> Waiver:
    waiver = session.execute(waiver_query(scope).where(Waiver.id == waiver_id)).scalar_one_or_none()
    if waiver is None:
        raise NotFound(f"豁免 {waiver_id} 不存在")
    return waiver


def _check(waiver: Waiver, today: dt.date) -> None:
    if get_rule(waiver.rule_id) is None:
        raise Invalid(f"规则“{waiver.rule_id}”不存在（见 taizhang rules list）", field="rule_id")
    if waiver.expires_on < today:
        raise Invalid(f"豁免到期日 {waiver.expires_on} 早于今天 {today}", field="expires_on")


def create_waiver(session: Session, data: dict[str, Any], *, actor: str, today: dt.date) -> Waiver:
    waiver = Waiver(**data, created_by=actor)
    _check(waiver, today)
    waiver.unit_id = subject_unit(session, waiver.subject_type, waiver.subject_id)
    session.add(waiver)
    session.flush()
    apply_waivers(session, waiver.rule_id, waiver.subject_type, waiver.subject_id, today=today)
    return waiver


def update_waiver(
    session: Session, waiver_id: int, data: dict[str, Any], *, today: dt.date, expected_version: int | None
) -> Waiver:
    waiver = get_waiver(session, waiver_id)
    if expected_version is not None and expected_version != waiver.version:
        raise Conflict(
            f"豁免已被他人修改（当前版本 {waiver.version}，提交的版本 {expected_version}），请刷新后重试",
            field="version",
        )
    for name, value in data.items():
        setattr(waiver, name, value)
    _check(waiver, today)
    session.flush()
    apply_waivers(session, waiver.rule_id, waiver.subject_type, waiver.subject_id, today=today)
    return waiver


def delete_waiver(session: Session, waiver_id: int, *, today: dt.date) -> None:
    waiver = get_waiver(session, waiver_id)
    scope = (waiver.rule_id, waiver.subject_type, waiver.subject_id)
    for finding in session.execute(select(Finding).where(Finding.waiver_id == waiver_id)).scalars():
        finding.waiver_id = None  # the foreign key would do it, but the change log must see it
    session.delete(waiver)
    session.flush()
    apply_waivers(session, *scope, today=today)


def apply_waivers(
    session: Session, rule_id: str, subject_type: SubjectType, subject_id: int, *, today: dt.date
) -> int:
    """Set the state of the unresolved findings in one waiver scope; returns how many changed."""
    active = session.execute(
        select(Waiver.id)
        .where(
            Waiver.rule_id == rule_id,
            Waiver.subject_type == subject_type,
            Waiver.subject_id == subject_id,
            Waiver.expires_on >= today,
        )
        .order_by(Waiver.expires_on.desc(), Waiver.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    findings = session.execute(
        select(Finding).where(
            Finding.rule_id == rule_id,
            Finding.subject_type == subject_type,
            Finding.subject_id == subject_id,
            Finding.state != FindingState.RESOLVED,
        )
    ).scalars()
    changed = 0
    for finding in findings:
        state = FindingState.WAIVED if active is not None else FindingState.OPEN
        if finding.state is not state or finding.waiver_id != active:
            finding.state, finding.waiver_id = state, active
            changed += 1
    session.flush()
    return changed
