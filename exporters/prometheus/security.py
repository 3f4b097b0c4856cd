"""等级保护、密评、应急 metrics from the domains' bulk status services.

``security_digests`` gives every system's 等保 / 密评 flags from two queries over per-system facts
(the same rules as the full status the pages show, run once per distinct facts); the loop here only
counts them into bounded label sets (unit, level, state).

Certificate expiry is exported two ways, both bounded per unit rather than per system:
``taizhang_mlps_certificate_earliest_expiry_timestamp_seconds{unit}`` (the soonest end of validity
among the unit's certificates; the alert computes days left with ``time()``) and
``taizhang_mlps_certificates{unit,window}`` (how many certificates expire in each window).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from typing import Protocol

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exporters.prometheus.collector import metric_group
from exporters.prometheus.labels import end_of_day_timestamp, unit_codes, unit_label
from security.grading.service import security_digests
from security.response.dates import DeadlineState
from security.response.models import Incident
from security.response.service import incident_deadline_rows, running_system_counts

WINDOWS = ((0, "expired"), (30, "within_30d"), (90, "within_90d"))


class FilingFlags(Protocol):
    """An ``MlpsStatus`` or an ``MlpsDigest``."""

    @property
    def filing_required(self) -> bool: ...
    @property
    def filed_on(self) -> dt.date | None: ...
    @property
    def filing_overdue(self) -> bool: ...


class CryptoFlags(Protocol):
    """A ``CryptoStatus`` or a ``CryptoDigest``."""

    @property
    def in_scope(self) -> bool: ...
    @property
    def assessment_overdue(self) -> bool: ...
    @property
    def failing(self) -> bool: ...
    @property
    def last_assessment_on(self) -> dt.date | None: ...


def filing_state(status: FilingFlags) -> str:
    if not status.filing_required:
        return "not_required"
    if status.filed_on is not None:
        return "filed"
    return "overdue" if status.filing_overdue else "pending"


def crypto_state(status: CryptoFlags) -> str:
    if not status.in_scope:
        return "not_required"
    if status.assessment_overdue:
        return "overdue"
    if status.failing:
        return "failing"
    return "never_assessed" if status.last_assessment_on is None else "passing"


def certificate_window(days_left: int) -> str:
    for limit, name in WINDOWS:
        if days_left < limit:
            return name
    return "later"


@metric_group("grading")
def grading(session: Session, now: dt.datetime) -> Iterable[Metric]:
    codes = unit_codes(session)
    filing: Counter[tuple[str, ...]] = Counter()
    overdue: Counter[tuple[str, ...]] = Counter()
    crypto: Counter[tuple[str, ...]] = Counter()
    windows: Counter[tuple[str, ...]] = Counter()
    earliest: dict[str, dt.date] = {}
    for unit_id, mlps, crypto_flags, systems in security_digests(session, today=now.date()):
        unit = unit_label(codes, unit_id)
        level = str(mlps.level) if mlps.level else "none"
        filing[(unit, level, filing_state(mlps))] += systems
        overdue[(unit, level)] += systems * mlps.assessment_overdue
        crypto[(unit, crypto_state(crypto_flags))] += systems
        valid_until = mlps.certificate_valid_until
        if valid_until is not None and mlps.certificate_days_left is not None:
            windows[(unit, certificate_window(mlps.certificate_days_left))] += systems
            earliest[unit] = min(valid_until, earliest.get(unit, valid_until))
    yield _family(
        "taizhang_systems_by_filing_state",
        "信息系统数，按单位、等保级别和备案状态（not_required 无须备案，filed 已备案，pending 备案期内，"
        "overdue 逾期未备案）",
        ["unit", "level", "state"],
        filing,
    )
    yield _family(
        "taizhang_mlps_assessments_overdue",
        "等级测评逾期的系统数，按单位和等保级别",
        ["unit", "level"],
        overdue,
    )
    yield _family(
        "taizhang_crypto_assessment_systems",
        "商用密码应用安全性评估（密评）状态的系统数，按单位和状态（not_required 无须密评，overdue 逾期，"
        "failing 最近结论不符合，never_assessed 从未密评，passing 符合且未逾期）",
        ["unit", "state"],
        crypto,
    )
    yield _family(
        "taizhang_mlps_certificates",
        "等保备案证明数，按单位和到期窗口（expired 已过期，within_30d 30 天内到期，within_90d 90 天内，later 更晚）",
        ["unit", "window"],
        windows,
    )
    expiry = GaugeMetricFamily(
        "taizhang_mlps_certificate_earliest_expiry_timestamp_seconds",
        "该单位最早到期的等保备案证明的失效时刻（Unix 时间，有效期末日结束时）；减去 time() 即剩余时间",
        labels=["unit"],
    )
    for unit, day in sorted(earliest.items()):
        expiry.add_metric([unit], end_of_day_timestamp(day))
    yield expiry


@metric_group("response")
def response(session: Session, now: dt.datetime) -> Iterable[Metric]:
    codes = unit_codes(session)
    drills: Counter[tuple[str, ...]] = Counter()
    no_plan: Counter[tuple[str, ...]] = Counter()
    for status, systems in running_system_counts(session, today=now.date()):
        unit = unit_label(codes, status.unit_id)
        drills[(unit,)] += systems * status.drill_overdue
        no_plan[(unit,)] += systems * (not status.has_plan)
    yield _family(
        "taizhang_drills_overdue",
        "应急演练逾期的在用系统数，按单位（按覆盖该系统的应急预案）",
        ["unit"],
        drills,
    )
    yield _family(
        "taizhang_systems_without_emergency_plan", "没有应急预案覆盖的在用系统数，按单位", ["unit"], no_plan
    )


@metric_group("incidents", live=True)
def incidents(session: Session, now: dt.datetime) -> Iterable[Metric]:
    """Live: report deadlines run in hours (1 hour, 4 hours), not days."""
    codes = unit_codes(session)
    open_rows = session.execute(
        select(Incident.unit_id, Incident.grade, func.count())
        .where(Incident.handling_ended_at.is_(None))
        .group_by(Incident.unit_id, Incident.grade)
    )
    open_incidents = GaugeMetricFamily(
        "taizhang_incidents_open", "处置尚未结束的网络安全事件数，按单位和事件级别", labels=["unit", "grade"]
    )
    for unit_id, grade, count in open_rows:
        open_incidents.add_metric([unit_label(codes, unit_id), grade.value], count)
    yield open_incidents

    reports: Counter[tuple[str, ...]] = Counter()
    for unit_id, deadlines in incident_deadline_rows(session, now=now):
        unit = unit_label(codes, unit_id)
        reports[(unit, "initial", deadlines.report_state.value)] += 1
        reports[(unit, "summary", deadlines.summary_state.value)] += 1
    yield _family(
        "taizhang_incident_reports",
        "网络安全事件报告数，按单位、报告类型（initial 首报，summary 总结报告）和期限状态"
        f"（{'，'.join(f'{s.value} {s.label}' for s in DeadlineState)}）",
        ["unit", "report", "state"],
        reports,
    )


def _family(name: str, documentation: str, labels: list[str], counts: Counter[tuple[str, ...]]) -> Metric:
    family = GaugeMetricFamily(name, documentation, labels=labels)
    for key, value in sorted(counts.items()):
        family.add_metric(list(key), value)
    return family
