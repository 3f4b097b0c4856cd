"""The rows the metric groups read, added to the bench data set: waves and plans, findings, check results.

Province: 8 waves, a plan for every legacy or migrating system (~2,500), a finding for every
other system (~5,000), three current check results per host (300,000) and three finished runs.
Written with bulk inserts, bypassing the change log like the rest of the data set.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import Connection, insert

from inventory.choices import Hosting
from migration.choices import PlanState
from migration.models import MigrationPlan, Wave
from security.findings.choices import FindingState, Severity, SubjectType
from security.findings.models import Finding
from security.verification.choices import CheckOutcome, RunStatus
from security.verification.models import CheckResult, VerificationRun
from taizhang.clock import china_today

CHECKS = ("ssh_root_login", "password_policy", "audit_logging")
RULES = (("MLPS-001", Severity.HIGH), ("CRYPTO-002", Severity.MEDIUM), ("DRILL-003", Severity.LOW))
PLAN_STATES = (PlanState.PLANNED, PlanState.DESIGN, PlanState.IMPLEMENTATION, PlanState.CUTOVER)


def _chunked_insert(conn: Connection, table: Any, rows: list[dict[str, Any]], size: int = 5000) -> None:
    for start in range(0, len(rows), size):
        conn.execute(insert(table), rows[start : start + size])


def generate_security(
    conn: Connection,
    rng: random.Random,
    systems: list[dict[str, Any]],
    hosts: list[dict[str, Any]],
    stamp: dict[str, Any],
) -> dict[str, int]:
    today = china_today()
    waves = [
        {
            "id": i + 1,
            "name": f"第{i + 1}批",
            "target_date": today + dt.timedelta(days=90 * i - 180),
            "description": "",
            **stamp,
        }
        for i in range(8)
    ]
    plans, findings = [], []
    for system in systems:
        if system["hosting"] in (Hosting.LEGACY, Hosting.MIGRATING):
            plans.append(
                {
                    "system_id": system["id"],
                    "wave_id": rng.randrange(1, len(waves) + 1),
                    "owner": "迁移专班",
                    "planned_start": None,
                    "planned_cutover": today + dt.timedelta(days=rng.randrange(-200, 400)),
                    "state": rng.choice(PLAN_STATES),
                    "held_from": None,
                    "original_hosting": system["hosting"],
                    "note": "",
                    **stamp,
                }
            )
        elif system["id"] % 2:
            rule, severity = rng.choice(RULES)
            findings.append(_finding(system, rule, severity, today, rng, stamp))
    results, runs = _verification(hosts, stamp["created_at"], rng)
    for table, rows in (
        (Wave.__table__, waves),
        (MigrationPlan.__table__, plans),
        (Finding.__table__, findings),
        (CheckResult.__table__, results),
        (VerificationRun.__table__, runs),
    ):
        _chunked_insert(conn, table, rows)
    return {
        "waves": len(waves),
        "plans": len(plans),
        "findings": len(findings),
        "check_results": len(results),
    }


def _finding(
    system: dict[str, Any],
    rule: str,
    severity: Severity,
    today: dt.date,
    rng: random.Random,
    stamp: dict[str, Any],
) -> dict[str, Any]:
    return {
        "rule_id": rule,
        "rule_title": f"规则 {rule}",
        "severity": severity,
        "citation": "襄汾县规定",
        "subject_type": SubjectType.SYSTEM,
        "subject_id": system["id"],
        "subject_name": system["name"],
        "discriminator": "",
        "unit_id": system["owner_unit_id"],
        "system_id": system["id"],
        "message": "基准数据",
        "due_date": today + dt.timedelta(days=rng.randrange(-60, 60)),
        "facts": {},
        "fingerprint": "",
        "state": rng.choices([FindingState.OPEN, FindingState.RESOLVED], [85, 15])[0],
        "first_seen": stamp["created_at"],
        "last_seen": stamp["created_at"],
        "resolved_at": None,
        "reopened_at": None,
        "waiver_id": None,
        "assignee_id": None,
        **stamp,
    }


def _verification(
    hosts: list[dict[str, Any]], now: dt.datetime, rng: random.Random
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    results = [
        {
            "host_id": host["id"],
            "check_id": check,
            "outcome": rng.choices(
                [CheckOutcome.PASS, CheckOutcome.FAIL, CheckOutcome.NOT_APPLICABLE], [80, 15, 5]
            )[0],
            "evidence": "",
            "observed": {},
            "checked_at": now,
            "run_id": None,
        }
        for host in hosts
        for check in CHECKS
    ]
    runs: list[dict[str, Any]] = [
        {
            "status": status,
            "requested_by": "bench",
            "filters": {},
            "cancel_requested": False,
            "timeout_seconds": 3600,
            "worker": "bench",
            "started_at": now - dt.timedelta(hours=3 - i),
            "heartbeat_at": None,
            "finished_at": now - dt.timedelta(hours=2 - i),
            "summary": {},
            "message": "",
            "created_at": now,
            "updated_at": now,
        }
        for i, status in enumerate((RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.SUCCEEDED))
    ]
    return results, runs
