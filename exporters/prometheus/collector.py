"""The ledger collector: every scrape reads fresh aggregates from the database.

Metric groups are plain functions ``(session, now) -> Iterable[Metric]`` registered with
``@metric_group``; ``now`` is the scrape's moment in China time (``now.date()`` is today). Each runs
GROUP BY queries (never a Python loop over every host). A failing group is reported through
``taizhang_exporter_collector_up{group="…"} 0`` and never fails the scrape; with the database down
the scrape still answers, with ``taizhang_up 0``. Nothing is kept in the process, so several workers
behind one database answer alike.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry
from sqlalchemy import text
from sqlalchemy.orm import Session

from taizhang import __version__
from taizhang.clock import china_now
from taizhang.db import new_session

log = logging.getLogger("taizhang.exporter")

MetricGroup = Callable[[Session, dt.datetime], Iterable[Metric]]


@dataclass(frozen=True)
class _Group:
    name: str
    collect: MetricGroup


_GROUPS: list[_Group] = []


def metric_group(name: str) -> Callable[[MetricGroup], MetricGroup]:
    def register(fn: MetricGroup) -> MetricGroup:
        _GROUPS.append(_Group(name, fn))
        return fn

    return register


def registered_groups() -> list[str]:
    return [g.name for g in _GROUPS]


def metric_groups() -> dict[str, MetricGroup]:
    """Every registered group by name, in scrape order (importing the group modules first)."""
    _import_groups()
    return {g.name: g.collect for g in _GROUPS}


class LedgerCollector(Collector):
    def __init__(self, clock: Callable[[], dt.datetime] | None = None) -> None:
        self._clock = clock or china_now

    def describe(self) -> Iterable[Metric]:
        return []  # no query at registration time

    def collect(self) -> Iterator[Metric]:
        started = time.perf_counter()
        up = GaugeMetricFamily("taizhang_up", "数据库可访问时为 1，否则为 0（此时其余台账指标缺失）")
        info = InfoMetricFamily("taizhang", "taizhang 版本信息")
        info.add_metric([], {"version": __version__})
        yield info
        group_up = GaugeMetricFamily(
            "taizhang_exporter_collector_up",
            "本次抓取中该指标组是否计算成功（1 成功，0 失败）",
            labels=["group"],
        )
        group_seconds = GaugeMetricFamily(
            "taizhang_exporter_collector_duration_seconds", "本次抓取中该指标组的计算耗时", labels=["group"]
        )
        session = new_session(actor="exporter")
        try:
            try:
                session.execute(text("SELECT 1"))
            except Exception as exc:  # the database is down: answer anyway
                log.warning("metrics: database unavailable: %s", exc)
                up.add_metric([], 0)
                yield up
                return
            up.add_metric([], 1)
            yield up
            now = self._clock()
            for group in _GROUPS:
                group_started = time.perf_counter()
                try:
                    metrics = list(group.collect(session, now))
                except Exception:
                    log.exception("metrics group %s failed", group.name)
                    session.rollback()
                    group_up.add_metric([group.name], 0)
                else:
                    group_up.add_metric([group.name], 1)
                    yield from metrics
                group_seconds.add_metric([group.name], time.perf_counter() - group_started)
        finally:
            session.rollback()
            session.close()
        yield group_up
        yield group_seconds
        duration = GaugeMetricFamily(
            "taizhang_exporter_scrape_duration_seconds", "本次抓取计算全部指标的耗时"
        )
        duration.add_metric([], time.perf_counter() - started)
        yield duration


def _import_groups() -> None:
    # Importing the modules registers their metric groups.
    import exporters.prometheus.findings
    import exporters.prometheus.groups
    import exporters.prometheus.migration
    import exporters.prometheus.security
    import exporters.prometheus.verification  # noqa: F401


def build_registry(clock: Callable[[], dt.datetime] | None = None) -> CollectorRegistry:
    """A registry with the ledger collector; ``clock`` (default: now in China) is injectable for tests."""
    _import_groups()
    registry = CollectorRegistry(auto_describe=False)
    registry.register(LedgerCollector(clock))
    return registry
