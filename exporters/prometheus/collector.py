"""The ledger collector: every scrape answers from the database as it is now.

Metric groups are plain functions ``(session, now) -> Iterable[Metric]`` registered with
``@metric_group``; ``now`` is the scrape's moment in China time. A group uses only ``now.date()``
(today) unless registered with ``live=True``. Each runs GROUP BY queries (never a Python loop over
every host). A failing group is reported through ``taizhang_exporter_collector_up{group="…"} 0``
and never fails the scrape; with the database down the scrape still answers, with
``taizhang_up 0``. A group's metrics are kept until a table it read changes
(``exporters.prometheus.cache``); whether it was computed this time is
``taizhang_exporter_collector_cached{group="…"}``.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry
from sqlalchemy import text
from sqlalchemy.orm import Session

from exporters.prometheus.cache import GroupCache, types_read
from taizhang import __version__
from taizhang.clock import china_now
from taizhang.db import new_session, statements_run
from taizhang.policy import get_policy
from taizhang.settings import get_settings

log = logging.getLogger("taizhang.exporter")

MetricGroup = Callable[[Session, dt.datetime], Iterable[Metric]]


@dataclass(frozen=True)
class _Group:
    name: str
    collect: MetricGroup
    live: bool


_GROUPS: list[_Group] = []


def metric_group(name: str, *, live: bool = False) -> Callable[[MetricGroup], MetricGroup]:
    """Register a group; ``live``: it reads the time of day, so it is computed on every scrape."""

    def register(fn: MetricGroup) -> MetricGroup:
        _GROUPS.append(_Group(name, fn, live))
        return fn

    return register


def registered_groups() -> list[str]:
    return [g.name for g in _GROUPS]


def metric_groups() -> dict[str, MetricGroup]:
    """Every registered group by name, in scrape order (importing the group modules first)."""
    import_groups()
    return {g.name: g.collect for g in _GROUPS}


class LedgerCollector(Collector):
    def __init__(self, clock: Callable[[], dt.datetime] | None = None) -> None:
        self._clock = clock or china_now
        self.cache = GroupCache()

    def describe(self) -> Iterable[Metric]:
        return []  # no query at registration time

    def collect(self) -> Iterator[Metric]:
        for _group, metrics in self._scrape():
            yield from metrics

    def render(self, encoder: Callable[[Any], bytes]) -> bytes:
        """The scrape in ``encoder``'s format (``prometheus_client``'s text or OpenMetrics).

        Same body as ``encoder`` over a registry of this collector, but a kept group's text is
        kept with it: formatting the province's 11,000 samples costs more than computing them.
        """
        eof = _eof(encoder)
        parts = []
        for group, metrics in self._scrape():
            body = self.cache.rendering(group, metrics, encoder) if group else None
            if body is None:
                body = encoder(_Static(metrics))
                body = body[: len(body) - len(eof)]
                if group:
                    self.cache.keep_rendering(group, metrics, encoder, body)
            parts.append(body)
        return b"".join(parts) + eof

    def _scrape(self) -> list[tuple[str | None, list[Metric]]]:
        """The scrape's metrics in order: ``(group, metrics)``, group ``None`` for the exporter's own."""
        started = time.perf_counter()
        up = GaugeMetricFamily("taizhang_up", "数据库可访问时为 1，否则为 0（此时其余台账指标缺失）")
        info = InfoMetricFamily("taizhang", "taizhang 版本信息")
        info.add_metric([], {"version": __version__})
        parts: list[tuple[str | None, list[Metric]]] = [(None, [info, up])]
        group_up = GaugeMetricFamily(
            "taizhang_exporter_collector_up",
            "本次抓取中该指标组是否计算成功（1 成功，0 失败）",
            labels=["group"],
        )
        group_seconds = GaugeMetricFamily(
            "taizhang_exporter_collector_duration_seconds", "本次抓取中该指标组的计算耗时", labels=["group"]
        )
        group_cached = GaugeMetricFamily(
            "taizhang_exporter_collector_cached",
            "本次抓取中该指标组是否沿用上次结果（1 沿用：其读取的表自上次抓取以来没有变更；0 重新计算）",
            labels=["group"],
        )
        session = new_session(actor="exporter")
        try:
            try:
                session.execute(text("SELECT 1"))
            except Exception as exc:  # the database is down: answer anyway
                log.warning("metrics: database unavailable: %s", exc)
                up.add_metric([], 0)
                return parts
            up.add_metric([], 1)
            now = self._clock()
            day = now.date()
            policy = get_policy()
            head, changed = self.cache.begin(session) if get_settings().metrics_cache else (None, None)
            computed: dict[str, tuple[list[Metric], frozenset[str] | None]] = {}
            kept: set[str] = set()
            for group in _GROUPS:
                group_started = time.perf_counter()
                metrics = None if group.live else self.cache.get(group.name, changed, day, policy)
                if metrics is not None:
                    kept.add(group.name)
                else:
                    try:
                        with statements_run(session.connection()) as statements:
                            metrics = list(group.collect(session, now))
                    except Exception:
                        log.exception("metrics group %s failed", group.name)
                        session.rollback()
                        group_up.add_metric([group.name], 0)
                        group_seconds.add_metric([group.name], time.perf_counter() - group_started)
                        continue
                    computed[group.name] = (metrics, None if group.live else types_read(statements))
                group_up.add_metric([group.name], 1)
                group_cached.add_metric([group.name], 1 if group.name in kept else 0)
                group_seconds.add_metric([group.name], time.perf_counter() - group_started)
                parts.append((group.name, metrics))
            self.cache.finish(head, computed, kept, day, policy)
        finally:
            session.rollback()
            session.close()
        duration = GaugeMetricFamily(
            "taizhang_exporter_scrape_duration_seconds", "本次抓取计算全部指标的耗时"
        )
        duration.add_metric([], time.perf_counter() - started)
        parts.append((None, [group_up, group_cached, group_seconds, duration]))
        return parts


class _Static:
    """Metrics already computed, in the shape an encoder reads (a registry's ``collect``)."""

    def __init__(self, metrics: list[Metric]) -> None:
        self._metrics = metrics

    def collect(self) -> list[Metric]:
        return self._metrics


@functools.cache
def _eof(encoder: Callable[[Any], bytes]) -> bytes:
    """What ``encoder`` ends every body with (OpenMetrics: ``# EOF``; the text format: nothing)."""
    return encoder(_Static([]))


def import_groups() -> None:
    # Importing the modules registers their metric groups.
    import exporters.prometheus.findings
    import exporters.prometheus.groups
    import exporters.prometheus.migration
    import exporters.prometheus.security
    import exporters.prometheus.verification  # noqa: F401


def build_registry(clock: Callable[[], dt.datetime] | None = None) -> CollectorRegistry:
    """A registry with the ledger collector; ``clock`` (default: now in China) is injectable for tests."""
    import_groups()
    registry = CollectorRegistry(auto_describe=False)
    registry.register(LedgerCollector(clock))
    return registry
