"""Reading findings: filtered lists, one finding with its comments, summaries, scores and exports;
and the two edits people make on a finding (assignment, comments)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from inventory.models import System, Unit
from security.findings.choices import FindingState, Severity, SubjectType
from security.findings.models import Finding, FindingComment
from security.findings.rules import all_rules
from taizhang.auth.models import User
from taizhang.auth.principal import ALL, Scope
from taizhang.errors import Conflict, Invalid, NotFound

#: States that count against a unit (open) or are shown but excused (waived).
LIVE_STATES = (FindingState.OPEN, FindingState.WAIVED)


def finding_query(
    scope: Scope = ALL,
    *,
    state: FindingState | None = None,
    rule_id: str | None = None,
    severity: Severity | None = None,
    unit_id: int | None = None,
    system_id: int | None = None,
    subject_type: SubjectType | None = None,
    assignee_id: int | None = None,
    q: str | None = None,
) -> Any:
    stmt = select(Finding)
    if not scope.everything:
        stmt = stmt.where(Finding.unit_id.in_(scope.unit_ids or frozenset()))
    filters = {
        Finding.state: state,
        Finding.rule_id: rule_id,
        Finding.severity: severity,
        Finding.unit_id: unit_id,
        Finding.system_id: system_id,
        Finding.subject_type: subject_type,
        Finding.assignee_id: assignee_id,
    }
    for column, value in filters.items():
        if value is not None:
            stmt = stmt.where(column == value)
    for term in (q or "").split():
        escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        stmt = stmt.where(
            or_(Finding.message.ilike(pattern, escape="\\"), Finding.subject_name.ilike(pattern, escape="\\"))
        )
    return stmt.order_by(Finding.id)


def get_finding(session: Session, finding_id: int, *, scope: Scope = ALL) -> Finding:
    stmt = finding_query(scope).where(Finding.id == finding_id).options(selectinload(Finding.comments))
    finding = session.execute(stmt).scalar_one_or_none()
    if finding is None:
        raise NotFound(f"问题 {finding_id} 不存在")
    return finding


def assign(
    session: Session, finding_id: int, assignee_id: int | None, *, expected_version: int | None = None
) -> Finding:
    finding = get_finding(session, finding_id)
    if expected_version is not None and expected_version != finding.version:
        raise Conflict(
            f"问题已被他人修改（当前版本 {finding.version}，提交的版本 {expected_version}），请刷新后重试",
            field="version",
        )
    if assignee_id is not None and session.get(User, assignee_id) is None:
        raise Invalid(f"用户 {assignee_id} 不存在", field="assignee_id")
    finding.assignee_id = assignee_id
    session.flush()
    return get_finding(session, finding_id)


def add_comment(
    session: Session, finding_id: int, *, author: str, body: str, scope: Scope = ALL
) -> FindingComment:
    get_finding(session, finding_id, scope=scope)
    comment = FindingComment(finding_id=finding_id, author=author, body=body)
    session.add(comment)
    session.flush()
    return comment


def _live(scope: Scope) -> Any:
    stmt = finding_query(scope).order_by(None).where(Finding.state.in_(LIVE_STATES))
    return stmt.subquery()


def summary(session: Session, *, scope: Scope = ALL) -> dict[str, Any]:
    """Open and waived findings counted per rule, per unit and per severity (plain counts)."""
    live = _live(scope)
    by_rule: dict[str, dict[str, Any]] = {
        r.id: {
            "rule_id": r.id,
            "title": r.title,
            "citation": r.citation,
            "severity": r.severity.value,
            "open": 0,
            "waived": 0,
        }
        for r in all_rules()
    }
    stmt = select(live.c.rule_id, live.c.state, func.count()).group_by(live.c.rule_id, live.c.state)
    for rule_id, state, count in session.execute(stmt):
        entry = by_rule.setdefault(
            rule_id,
            {"rule_id": rule_id, "title": rule_id, "citation": "", "severity": "", "open": 0, "waived": 0},
        )
        entry[FindingState(state).value] += count
    units = {row.id: row.name for row in session.execute(select(Unit.id, Unit.name))}
    by_unit: dict[Any, dict[str, Any]] = {}
    by_severity = {s.value: {"open": 0, "waived": 0} for s in Severity}
    stmt = select(live.c.unit_id, live.c.severity, live.c.state, func.count()).group_by(
        live.c.unit_id, live.c.severity, live.c.state
    )
    for unit_id, severity, state, count in session.execute(stmt):
        sev, st = Severity(severity).value, FindingState(state).value
        by_severity[sev][st] += count
        entry = by_unit.setdefault(
            unit_id, {"unit_id": unit_id, "unit_name": units.get(unit_id, "（无单位）"), **_zero_counts()}
        )
        _add(entry, sev, st, count)
    return {
        "by_rule": [e for e in by_rule.values() if e["open"] or e["waived"]],
        "by_unit": sorted(by_unit.values(), key=_rank),
        "by_severity": by_severity,
    }


def _zero_counts() -> dict[str, int]:
    return {**{s.value: 0 for s in Severity}, "waived": 0, "open": 0}


def _add(entry: dict[str, Any], severity: str, state: str, count: int) -> None:
    if state == FindingState.WAIVED.value:
        entry["waived"] += count
    else:
        entry[severity] += count
        entry["open"] += count


def _rank(entry: dict[str, Any]) -> tuple[int, ...]:
    return (
        -entry["high"],
        -entry["medium"],
        -entry["low"],
        entry.get("unit_id") or 0,
        entry.get("system_id") or 0,
    )


def scores(session: Session, *, by: str, scope: Scope = ALL) -> list[dict[str, Any]]:
    """Per system or per unit: open findings by severity, and waived ones — no weights, no index.

    Systems and units with no live finding are listed too, with zeros: a clean record is a result.
    """
    if by not in ("system", "unit"):
        raise Invalid("by 应为 system 或 unit", field="by")
    live = _live(scope)
    column = live.c.system_id if by == "system" else live.c.unit_id
    if by == "system":
        stmt_rows: Any = select(System.id, System.name, System.catalogue_number, System.owner_unit_id)
        if not scope.everything:
            stmt_rows = stmt_rows.where(System.owner_unit_id.in_(scope.unit_ids or frozenset()))
        entries = {
            r.id: {
                "system_id": r.id,
                "name": r.name,
                "catalogue_number": r.catalogue_number,
                "unit_id": r.owner_unit_id,
                **_zero_counts(),
            }
            for r in session.execute(stmt_rows)
        }
    else:
        stmt_rows = select(Unit.id, Unit.name, Unit.code)
        if not scope.everything:
            stmt_rows = stmt_rows.where(Unit.id.in_(scope.unit_ids or frozenset()))
        entries = {
            r.id: {"unit_id": r.id, "name": r.name, "code": r.code, **_zero_counts()}
            for r in session.execute(stmt_rows)
        }
    stmt = select(column, live.c.severity, live.c.state, func.count()).group_by(
        column, live.c.severity, live.c.state
    )
    for key, severity, state, count in session.execute(stmt):
        if key in entries:
            _add(entries[key], Severity(severity).value, FindingState(state).value, count)
    return sorted(entries.values(), key=_rank)


EXPORT_COLUMNS: list[tuple[str, str]] = [
    ("id", "编号"),
    ("rule_id", "规则"),
    ("rule_title", "规则名称"),
    ("citation", "依据"),
    ("severity", "严重程度"),
    ("state", "状态"),
    ("unit_name", "单位"),
    ("subject_type", "对象类型"),
    ("subject_name", "对象"),
    ("message", "问题描述"),
    ("due_date", "整改期限"),
    ("first_seen", "首次发现"),
    ("last_seen", "最近发现"),
    ("resolved_at", "解决时间"),
]


def export_rows(session: Session, findings: Iterable[Finding]) -> list[dict[str, Any]]:
    units = {row.id: row.name for row in session.execute(select(Unit.id, Unit.name))}
    rows = []
    for f in findings:
        rows.append(
            {
                "id": f.id,
                "rule_id": f.rule_id,
                "rule_title": f.rule_title,
                "citation": f.citation,
                "severity": f.severity.label,
                "state": f.state.label,
                "unit_name": units.get(f.unit_id, "") if f.unit_id is not None else "",
                "subject_type": f.subject_type.label,
                "subject_name": f.subject_name,
                "message": f.message,
                "due_date": f.due_date.isoformat() if f.due_date else "",
                "first_seen": f.first_seen.isoformat(timespec="seconds"),
                "last_seen": f.last_seen.isoformat(timespec="seconds"),
                "resolved_at": f.resolved_at.isoformat(timespec="seconds") if f.resolved_at else "",
            }
        )
    return rows


def to_csv(rows: list[dict[str, Any]]) -> str:
    """CSV with a BOM and Chinese headers, as Excel on a county desktop opens it."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([header for _, header in EXPORT_COLUMNS])
    for row in rows:
        writer.writerow([row[key] for key, _ in EXPORT_COLUMNS])
    return out.getvalue()
