"""Migration to the city government cloud (第三条、第三十五条), from ``migration.summary.summary``.

One GROUP BY query per scrape. Series per unit and per wave (bounded: units and waves are a few
hundred at most); the county 上云率 is the recording rule ``taizhang:cloud_adoption:ratio``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import select
from sqlalchemy.orm import Session

from exporters.prometheus.collector import metric_group
from exporters.prometheus.labels import NO_UNIT
from inventory.models import Unit
from migration.summary import Figures, summary
from taizhang.auth.principal import ALL

STATES = ("city_cloud", "migrating", "legacy", "industry_cloud", "exempt")


def _add(counts: GaugeMetricFamily, ratio: GaugeMetricFamily, label: str, figures: Figures) -> None:
    for state in STATES:
        counts.add_metric([label, state], getattr(figures, state))
    if figures.cloud_rate is not None:
        ratio.add_metric([label], figures.cloud_rate)


@metric_group("migration")
def migration(session: Session, now: dt.datetime) -> Iterable[Metric]:
    result = summary(session, scope=ALL, today=now.date())
    codes = dict(session.execute(select(Unit.id, Unit.code)).all())
    unit_counts = GaugeMetricFamily(
        "taizhang_migration_systems",
        "应上云的非涉密在用系统数，按单位和状态（city_cloud 已上政务云，migrating 迁移中，"
        "legacy 本地机房，industry_cloud 行业云，exempt 豁免中，第三条、第三十五条）",
        labels=["unit", "state"],
    )
    unit_ratio = GaugeMetricFamily(
        "taizhang_cloud_adoption_ratio",
        "上云率：已上市政务云的系统数 ÷ 应上云（未豁免）的系统数，按单位；无应上云系统的单位不出现",
        labels=["unit"],
    )
    overdue = GaugeMetricFamily(
        "taizhang_migration_cutovers_overdue",
        "计划割接日期已过但尚未完成割接的系统数，按单位",
        labels=["unit"],
    )
    for group in result.by_unit:
        if not group.candidates:
            continue
        label = codes.get(group.id, NO_UNIT) if group.id is not None else NO_UNIT
        _add(unit_counts, unit_ratio, label, group)
        overdue.add_metric([label], group.overdue_cutovers)
    yield from (unit_counts, unit_ratio, overdue)

    wave_counts = GaugeMetricFamily(
        "taizhang_migration_wave_systems",
        "迁移批次内的系统数，按批次名称和状态（none 为未分配批次）",
        labels=["wave", "state"],
    )
    wave_ratio = GaugeMetricFamily(
        "taizhang_wave_cloud_adoption_ratio", "各迁移批次的上云率（已上云 ÷ 应上云）", labels=["wave"]
    )
    wave_overdue = GaugeMetricFamily(
        "taizhang_migration_wave_cutovers_overdue", "各迁移批次中割接逾期的系统数", labels=["wave"]
    )
    for group in result.by_wave:
        label = NO_UNIT if group.id is None else group.name
        _add(wave_counts, wave_ratio, label, group)
        wave_overdue.add_metric([label], group.overdue_cutovers)
    yield from (wave_counts, wave_ratio, wave_overdue)
