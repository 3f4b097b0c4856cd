"""Migration, grading, response, findings and verification gauges against the demo county's counts."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from fastapi.testclient import TestClient
from metrics_helpers import load_full_demo, samples, total
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from test_metrics_rules import check_expressions

from exporters.prometheus.labels import end_of_day_timestamp
from inventory.models import Host, Unit
from migration.summary import summary
from security.findings.choices import FindingState
from security.findings.engine import evaluate
from security.findings.models import Finding
from security.grading.service import security_statuses
from security.response.models import Incident
from security.response.service import system_statuses
from security.verification.choices import CheckOutcome, RunStatus
from security.verification.models import CheckResult, VerificationRun
from taizhang import db
from taizhang.auth.principal import ALL
from taizhang.clock import china_today


def test_gauges_match_the_demo_county(engine: Engine, anon: TestClient, promtool: str) -> None:
    """One load of the demo county (slow), then every domain's figures against its own service."""
    with db.session_scope(actor="test") as s:
        load_full_demo(s)
        hosts, finished = add_verification_results(s)
    with db.session_scope(actor="test") as s:
        # Settle the findings now: the app's background pump re-evaluates after the commit above,
        # and would otherwise add the failed checks' findings between the scrape and check_findings.
        evaluate(s, today=dt.date.today())
    r = anon.get("/metrics")
    assert r.status_code == 200
    ups = {lab["group"]: v for lab, v in samples(r.text, "taizhang_exporter_collector_up")}
    assert ups and all(v == 1.0 for v in ups.values()), ups
    check_migration(r.text)
    check_grading(r.text)
    check_response(r.text)
    check_findings(r.text)
    check_verification(r.text, hosts, finished)
    # The same exposition (one slow demo load) serves the dashboard/rules and promtool checks.
    check_expressions(r.text, promtool)


def check_migration(scrape: str) -> None:
    with db.session_scope() as s:
        result = summary(s, scope=ALL, today=china_today())
        codes = dict(s.execute(select(Unit.id, Unit.code)).all())
    assert result.total.in_scope > 0
    city = total(scrape, "taizhang_migration_systems", state="city_cloud")
    exempt = total(scrape, "taizhang_migration_systems", state="exempt")
    everything = total(scrape, "taizhang_migration_systems")
    assert city == result.total.city_cloud and exempt == result.total.exempt
    assert everything == result.total.candidates
    # What the recording rule taizhang:cloud_adoption:ratio computes equals the service's 上云率.
    assert city / (everything - exempt) == pytest.approx(result.total.cloud_rate)
    ratios = {lab["unit"]: v for lab, v in samples(scrape, "taizhang_cloud_adoption_ratio")}
    expected = {codes[g.id]: g.cloud_rate for g in result.by_unit if g.cloud_rate is not None}
    assert ratios == pytest.approx(expected)
    overdue = total(scrape, "taizhang_migration_cutovers_overdue")
    assert (
        overdue == result.total.overdue_cutovers == total(scrape, "taizhang_migration_wave_cutovers_overdue")
    )
    assert total(scrape, "taizhang_migration_wave_systems") == result.total.candidates


def check_grading(scrape: str) -> None:
    with db.session_scope() as s:
        rows = security_statuses(s, today=china_today())
        codes = dict(s.execute(select(Unit.id, Unit.code)).all())
    assert total(scrape, "taizhang_systems_by_filing_state") == len(rows) == 147
    assert total(scrape, "taizhang_mlps_assessments_overdue") == sum(r.mlps.assessment_overdue for r in rows)
    crypto_overdue = sum(r.crypto.in_scope and r.crypto.assessment_overdue for r in rows)
    assert total(scrape, "taizhang_crypto_assessment_systems", state="overdue") == crypto_overdue
    filed = sum(r.mlps.filing_required and r.mlps.filed_on is not None for r in rows)
    assert total(scrape, "taizhang_systems_by_filing_state", state="filed") == filed > 0
    earliest: dict[str, dt.date] = {}
    for r in rows:
        if r.mlps.certificate_valid_until and r.mlps.certificate_days_left is not None:
            unit = codes[r.owner_unit_id]
            earliest[unit] = min(
                r.mlps.certificate_valid_until, earliest.get(unit, r.mlps.certificate_valid_until)
            )
    got = {
        lab["unit"]: v
        for lab, v in samples(scrape, "taizhang_mlps_certificate_earliest_expiry_timestamp_seconds")
    }
    assert earliest and got == {u: end_of_day_timestamp(d) for u, d in earliest.items()}
    certificates = sum(
        1 for r in rows if r.mlps.certificate_valid_until and r.mlps.certificate_days_left is not None
    )
    assert total(scrape, "taizhang_mlps_certificates") == certificates


def check_response(scrape: str) -> None:
    with db.session_scope() as s:
        statuses = system_statuses(s, today=china_today())
        open_incidents = s.execute(
            select(func.count()).select_from(Incident).where(Incident.handling_ended_at.is_(None))
        ).scalar()
        incidents = s.execute(select(func.count()).select_from(Incident)).scalar()
    assert total(scrape, "taizhang_drills_overdue") == sum(x.drill_overdue for x in statuses)
    assert total(scrape, "taizhang_incidents_open") == open_incidents
    assert incidents and total(scrape, "taizhang_incident_reports", report="initial") == incidents


def check_findings(scrape: str) -> None:
    with db.session_scope() as s:
        by_severity = Counter(
            dict(
                s.execute(
                    select(Finding.severity, func.count())
                    .where(Finding.state == FindingState.OPEN)
                    .group_by(Finding.severity)
                ).all()
            )
        )
    assert sum(by_severity.values()) > 0
    assert total(scrape, "taizhang_findings_open") == sum(by_severity.values())
    for severity, count in by_severity.items():
        assert total(scrape, "taizhang_findings_open", severity=severity.value) == count


def add_verification_results(s: Session) -> tuple[list[tuple[int, str]], dt.datetime]:
    """The demo county has no verification data: two finished runs and six current results."""
    codes = dict(s.execute(select(Unit.id, Unit.code)).all())
    hosts = [(h, codes[u]) for h, u in s.execute(select(Host.id, Host.unit_id).order_by(Host.id).limit(6))]
    finished = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
    old = VerificationRun(
        status=RunStatus.SUCCEEDED, requested_by="t", timeout_seconds=60, finished_at=finished
    )
    new = VerificationRun(
        status=RunStatus.FAILED,
        requested_by="t",
        timeout_seconds=60,
        finished_at=finished + dt.timedelta(hours=1),
    )
    s.add_all([old, new])
    s.flush()
    for i, (host_id, _unit) in enumerate(hosts):
        outcome = CheckOutcome.PASS if i % 3 else CheckOutcome.FAIL
        s.add(
            CheckResult(
                host_id=host_id,
                check_id="ssh_root_login",
                outcome=outcome,
                checked_at=finished,
                run_id=old.id,
            )
        )
    return hosts, finished


def check_verification(text: str, hosts: list[tuple[int, str]], finished: dt.datetime) -> None:
    assert total(text, "taizhang_host_checks", check="ssh_root_login") == 6
    with db.session_scope(write=False) as s:  # the findings demo adds results of its own
        expected = dict(
            s.execute(select(CheckResult.outcome, func.count()).group_by(CheckResult.outcome)).all()
        )
    for outcome, count in expected.items():
        assert total(text, "taizhang_host_checks", outcome=outcome.value) == count
    first_unit = hosts[0][1]
    expected_fail = sum(1 for i, (_h, u) in enumerate(hosts) if i % 3 == 0 and u == first_unit)
    assert total(text, "taizhang_host_checks", check="ssh_root_login", unit=first_unit, outcome="fail") == (
        expected_fail
    )
    assert samples(text, "taizhang_verification_last_run_timestamp_seconds") == [
        ({}, (finished + dt.timedelta(hours=1)).timestamp())
    ]
    status = {lab["status"]: v for lab, v in samples(text, "taizhang_verification_last_run_status")}
    assert status["failed"] == 1 and sum(status.values()) == 1
    assert samples(text, "taizhang_verification_last_success_timestamp_seconds") == [
        ({}, finished.timestamp())
    ]
