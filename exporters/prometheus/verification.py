"""Host verification (audit-only checks): current results by check, unit and outcome; latest runs.

Reads ``CheckResult`` — the current-state table, one row per host and check, with its host's unit —
never the history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exporters.prometheus.collector import metric_group
from exporters.prometheus.labels import timestamp, unit_codes, unit_label
from security.verification.choices import CheckOutcome, RunStatus
from security.verification.models import CheckResult, VerificationRun

FINISHED = (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.TIMED_OUT)


@metric_group("verification")
def verification(session: Session, now: dt.datetime) -> Iterable[Metric]:
    codes = unit_codes(session)
    checks = GaugeMetricFamily(
        "taizhang_host_checks",
        "主机核查项的当前结果数，按检查项、单位和结果"
        f"（{'，'.join(f'{o.value} {o.label}' for o in CheckOutcome)}）",
        labels=["check", "unit", "outcome"],
    )
    # In the order of ix_check_results_outcome: the groups come off the index without a sort.
    rows = session.execute(
        select(CheckResult.outcome, CheckResult.check_id, CheckResult.unit_id, func.count()).group_by(
            CheckResult.outcome, CheckResult.check_id, CheckResult.unit_id
        )
    )
    for outcome, check, unit_id, count in rows:
        checks.add_metric([check, unit_label(codes, unit_id), outcome.value], count)
    yield checks

    latest = session.execute(
        select(VerificationRun.status, VerificationRun.finished_at)
        .where(VerificationRun.status.in_(FINISHED), VerificationRun.finished_at.is_not(None))
        .order_by(VerificationRun.finished_at.desc(), VerificationRun.id.desc())
        .limit(1)
    ).first()
    last_success = session.execute(
        select(func.max(VerificationRun.finished_at)).where(VerificationRun.status == RunStatus.SUCCEEDED)
    ).scalar()
    if latest is None:
        return
    finished = GaugeMetricFamily(
        "taizhang_verification_last_run_timestamp_seconds", "最近一次结束的核查任务的结束时刻（Unix 时间）"
    )
    finished.add_metric([], timestamp(latest.finished_at))
    yield finished
    status = GaugeMetricFamily(
        "taizhang_verification_last_run_status",
        "最近一次结束的核查任务的结果：对应 status 为 1，其余为 0",
        labels=["status"],
    )
    for candidate in FINISHED:
        status.add_metric([candidate.value], 1 if candidate is latest.status else 0)
    yield status
    if last_success is not None:
        success = GaugeMetricFamily(
            "taizhang_verification_last_success_timestamp_seconds",
            "最近一次成功完成的核查任务的结束时刻（Unix 时间）",
        )
        success.add_metric([], timestamp(last_success))
        yield success
