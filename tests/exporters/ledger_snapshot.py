"""A fixed, varied ledger for pinning every /metrics value, and the scrape as of a fixed moment.

The demo county is loaded as of ``TODAY``; on top of it ``security_records.vary_security`` adds
等保 / 密评 records in random combinations, so that every filing, assessment, 密评 and certificate
state occurs, and hosts of no unit, verification results and runs are added. Everything is a
function of ``TODAY``: the same rows on every day and on both databases.
"""

from __future__ import annotations

import datetime as dt
import random

from prometheus_client.exposition import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from security_records import vary_security
from sqlalchemy import select
from sqlalchemy.orm import Session

from exporters.prometheus.collector import build_registry
from inventory.choices import HostKind, HostLifecycle
from inventory.models import Host
from security.verification.choices import CheckOutcome, RunStatus
from security.verification.models import CheckResult, VerificationRun
from taizhang.clock import CHINA

TODAY = dt.date(2026, 6, 15)
NOW = dt.datetime(2026, 6, 15, 10, 30, tzinfo=CHINA)
SEED = "metrics-snapshot"
#: exposition samples that measure the scrape itself or the build, not the ledger.
UNPINNED = (
    "taizhang_info",
    "taizhang_exporter_collector_duration_seconds",
    "taizhang_exporter_collector_cached",
    "taizhang_exporter_scrape_duration_seconds",
)


def load_ledger(session: Session, *, today: dt.date = TODAY) -> None:
    """The demo county (users left out) as of ``today``, varied 等保 / 密评 records, verification results."""
    from inventory.demo import load_inventory
    from migration.demo import load_demo as load_migration_demo
    from security.evidence import demo as evidence_demo
    from security.findings.demo import load_demo as load_findings_demo
    from security.grading.demo import load_demo as load_grading_demo
    from security.response import demo as response_demo
    from security.supply import demo as supply_demo

    load_inventory(session)
    load_migration_demo(session)
    load_grading_demo(session, today=today)
    response_demo.load_demo(session, today=today)
    supply_demo.load_demo(session)
    evidence_demo.load_demo(session)
    vary_security(session, today=today, rng=random.Random(SEED))
    add_unitless_hosts(session)
    add_verification(session, at=dt.datetime.combine(today, dt.time(1), tzinfo=dt.UTC))
    load_findings_demo(session, today=today)
    session.flush()


def add_unitless_hosts(session: Session) -> None:
    """Hosts of no unit (label ``none``): past end of support with and without a plan, retired, empty OS."""
    specs = [
        ("CentOS Linux", "7.9.2009", HostLifecycle.ACTIVE, "2026 年迁移至 openEuler"),
        ("CentOS Linux", "7.9.2009", HostLifecycle.ACTIVE, ""),
        ("Windows Server", "2012 R2", HostLifecycle.RETIRED, ""),
        ("", "", HostLifecycle.ACTIVE, ""),
    ]
    for n, (os_name, os_version, lifecycle, plan) in enumerate(specs):
        session.add(
            Host(
                hostname=f"snapshot-unitless-{n}.test",
                kind=list(HostKind)[n % len(HostKind)],
                os_name=os_name,
                os_version=os_version,
                lifecycle=lifecycle,
                replacement_plan=plan,
            )
        )
    session.flush()


def add_verification(session: Session, *, at: dt.datetime) -> None:
    """Three finished runs and current results of three checks on 60 hosts, every outcome."""
    runs = [
        VerificationRun(
            status=status, requested_by="t", timeout_seconds=60, finished_at=at + dt.timedelta(hours=h)
        )
        for h, status in enumerate((RunStatus.SUCCEEDED, RunStatus.SUCCEEDED, RunStatus.TIMED_OUT))
    ]
    session.add_all(runs)
    session.flush()
    hosts = [
        *session.execute(select(Host.id).order_by(Host.id).limit(60)).scalars(),
        *session.execute(select(Host.id).where(Host.unit_id.is_(None))).scalars(),
    ]
    outcomes = list(CheckOutcome)
    for i, host_id in enumerate(hosts):
        for j, check in enumerate(("ssh_root_login", "password_policy", "audit_logging")):
            if (i + j) % 7 == 3:
                continue
            session.add(
                CheckResult(
                    host_id=host_id,
                    check_id=check,
                    outcome=outcomes[(i * 3 + j) % len(outcomes)],
                    checked_at=at,
                    run_id=runs[1].id,
                )
            )


def scrape(now: dt.datetime = NOW) -> str:
    return generate_latest(build_registry(lambda: now)).decode()


def pinned_samples(exposition: str) -> dict[str, float]:
    """``name{label="value",…}`` → value for every sample but the scrape's own timings and version."""
    out = {}
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name in UNPINNED:
                continue
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            out[f"{sample.name}{{{labels}}}"] = sample.value
    return dict(sorted(out.items()))
