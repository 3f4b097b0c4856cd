"""Open compliance findings (the rule engine's output), by GROUP BY on the findings table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exporters.prometheus.collector import metric_group
from exporters.prometheus.labels import unit_codes, unit_label
from security.findings.choices import FindingState
from security.findings.models import Finding


@metric_group("findings")
def findings(session: Session, now: dt.datetime) -> Iterable[Metric]:
    codes = unit_codes(session)
    open_family = GaugeMetricFamily(
        "taizhang_findings_open",
        "未整改（未豁免、未解决）的合规问题数，按规则、严重程度和单位",
        labels=["rule", "severity", "unit"],
    )
    rows = session.execute(
        select(Finding.rule_id, Finding.severity, Finding.unit_id, func.count())
        .where(Finding.state == FindingState.OPEN)
        .group_by(Finding.rule_id, Finding.severity, Finding.unit_id)
    )
    for rule, severity, unit_id, count in rows:
        open_family.add_metric([rule, severity.value, unit_label(codes, unit_id)], count)
    yield open_family

    overdue = GaugeMetricFamily(
        "taizhang_findings_overdue",
        "已过整改期限仍未整改的合规问题数，按严重程度和单位",
        labels=["severity", "unit"],
    )
    late_rows = session.execute(
        select(Finding.severity, Finding.unit_id, func.count())
        .where(Finding.state == FindingState.OPEN, Finding.due_date < now.date())
        .group_by(Finding.severity, Finding.unit_id)
    )
    for severity, unit_id, count in late_rows:
        overdue.add_metric([severity.value, unit_label(codes, unit_id)], count)
    yield overdue
