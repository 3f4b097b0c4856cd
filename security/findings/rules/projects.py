"""第十八、二十一、二十五、二十六条: filing of contracts, supervision and acceptance reports, and
the yearly self-evaluation of each project. Deadlines in working days come from the policy."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Row

from security.findings.choices import Severity, SubjectType
from security.findings.rules import REGULATION, Hit, rule
from security.findings.snapshot import LedgerSnapshot


def _project_hit(snap: LedgerSnapshot, project: Row[Any], message: str, **extra: Any) -> Hit:
    system_ids = snap.project_system_ids(project.id)
    return Hit(
        SubjectType.PROJECT,
        project.id,
        project.name,
        project.implementing_unit_id,
        message,
        system_id=system_ids[0] if system_ids else None,
        **extra,
    )


def _filing_facts(
    snap: LedgerSnapshot, key: str, start: dt.date, due: dt.date, filed: dt.date | None
) -> dict[str, Any]:
    entry = snap.policy.entry(key)
    return {
        "policy_key": key,
        "policy_value": entry.display_value(),
        "policy_citation": entry.citation,
        "start": start.isoformat(),
        "due": due.isoformat(),
        "filed_on": filed.isoformat() if filed else None,
    }


@rule(
    "art18.contract_filing_late",
    title="合同未在签订后 5 个工作日内备案",
    severity=Severity.MEDIUM,
    citation=f"{REGULATION} 第十八条",
    article="第十八条",
)
def contract_filing_late(snap: LedgerSnapshot) -> Iterator[Hit]:
    """Not filed and past the deadline (medium), or filed after it (low: a record of the breach)."""
    key = "project.contract_filing"
    for project in snap.projects.values():
        signed, filed = project.contract_signed_on, project.contract_filed_on
        if signed is None:
            continue
        due = snap.deadline(key, signed)
        facts = _filing_facts(snap, key, signed, due, filed)
        if filed is None and snap.today > due:
            message = f"项目“{project.name}”合同于 {signed} 签订，应于 {due} 前报主管部门备案，至今未备案"
            yield _project_hit(snap, project, message, due_date=due, facts=facts)
        elif filed is not None and filed > due:
            message = f"项目“{project.name}”合同于 {signed} 签订，应于 {due} 前备案，实际 {filed} 才备案"
            yield _project_hit(snap, project, message, due_date=due, facts=facts, severity=Severity.LOW)


@rule(
    "art21.supervision_not_filed",
    title="在建项目未确定或未备案监理单位",
    severity=Severity.MEDIUM,
    citation=f"{REGULATION} 第二十一条",
    article="第二十一条",
)
def supervision_not_filed(snap: LedgerSnapshot) -> Iterator[Hit]:
    """A project under construction (started, not yet accepted) has a supervision unit on file."""
    for project in snap.projects.values():
        started = project.construction_started_on
        if started is None or started > snap.today or project.accepted_on is not None:
            continue
        unit_named = bool((project.supervision_unit or "").strip())
        if unit_named and project.supervision_filed_on is not None:
            continue
        if not unit_named:
            message = f"在建项目“{project.name}”（{started} 开工）未确定监理单位"
        else:
            message = f"在建项目“{project.name}”的监理单位“{project.supervision_unit}”未向主管部门备案"
        yield _project_hit(
            snap,
            project,
            message,
            facts={
                "construction_started_on": started.isoformat(),
                "supervision_unit": project.supervision_unit,
                "supervision_filed_on": None,
            },
        )


@rule(
    "art25.acceptance_report_late",
    title="竣工验收报告未在 30 个工作日内备案",
    severity=Severity.HIGH,
    citation=f"{REGULATION} 第二十五条",
    article="第二十五条",
)
def acceptance_report_late(snap: LedgerSnapshot) -> Iterator[Hit]:
    """Not filed and past the deadline (high: no further funds), or filed after it (low)."""
    key = "project.acceptance_report_filing"
    for project in snap.projects.values():
        accepted, filed = project.accepted_on, project.acceptance_report_filed_on
        if accepted is None:
            continue
        due = snap.deadline(key, accepted)
        facts = _filing_facts(snap, key, accepted, due, filed)
        if filed is None and snap.today > due:
            message = (
                f"项目“{project.name}”于 {accepted} 竣工验收，应于 {due} 前将验收报告备案，至今未备案"
                f"（未备案不得拨付后续建设资金和运行维护经费）"
            )
            yield _project_hit(snap, project, message, due_date=due, facts=facts)
        elif filed is not None and filed > due:
            message = f"项目“{project.name}”于 {accepted} 竣工验收，应于 {due} 前备案，实际 {filed} 才备案"
            yield _project_hit(snap, project, message, due_date=due, facts=facts, severity=Severity.LOW)


def _budget_years(project: Row[Any]) -> list[int]:
    years = []
    for key in project.yearly_budgets or {}:
        text = str(key).strip()
        if text.isdigit() and len(text) == 4:
            years.append(int(text))
    return sorted(years)


@rule(
    "art26.self_evaluation_missing",
    title="预算年度结束后未报送项目自评价",
    severity=Severity.LOW,
    citation=f"{REGULATION} 第二十六条",
    article="第二十六条",
)
def self_evaluation_missing(snap: LedgerSnapshot) -> Iterator[Hit]:
    """Every budget year of a project has a self-evaluation once its due date (policy) has passed."""
    for project in snap.projects.values():
        done = {str(year).strip() for year in (project.self_evaluations or {})}
        for year in _budget_years(project):
            due = snap.policy.self_evaluation_due(year)
            if snap.today <= due or str(year) in done:
                continue
            yield _project_hit(
                snap,
                project,
                f"项目“{project.name}”{year} 年度预算执行结束，应于 {due} 前报送自评价报告，至今未报送",
                due_date=due,
                discriminator=f"year:{year}",
                facts={
                    "budget_year": year,
                    "due": due.isoformat(),
                    "policy_key": "project.self_evaluation_due",
                    "self_evaluations": sorted(done),
                },
            )
