"""Metric groups kept between scrapes: kept only while nothing they read changed, on both databases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from db_support import empty_all_tables
from ledger_snapshot import pinned_samples
from metrics_helpers import load_full_demo, samples
from prometheus_client import generate_latest
from prometheus_client.registry import CollectorRegistry
from sqlalchemy import Engine, select

from exporters.prometheus.cache import table_types
from exporters.prometheus.collector import build_registry, registered_groups
from inventory.choices import HostLifecycle
from inventory.models import Host, Product
from taizhang import db
from taizhang.clock import CHINA
from taizhang.settings import reset_settings_cache

NOON = dt.datetime(2026, 6, 15, 12, 0, tzinfo=CHINA)
#: Computed on every scrape: incident deadlines run in hours; check results are not in the log.
ALWAYS = {"incidents", "verification"}


def kept(text: str) -> set[str]:
    return {labels["group"] for labels, value in samples(text, "taizhang_exporter_collector_cached") if value}


def fresh(now: dt.datetime) -> dict[str, float]:
    """What a collector that keeps nothing answers (a new one)."""
    return pinned_samples(generate_latest(build_registry(lambda: now)).decode())


@pytest.fixture
def scraper(engine: Engine) -> Callable[[], str]:
    with db.session_scope(actor="test") as s:
        load_full_demo(s)
    clock = [NOON]
    registry: CollectorRegistry = build_registry(lambda: clock[0])

    def scrape() -> str:
        return generate_latest(registry).decode()

    scrape.clock = clock  # type: ignore[attr-defined]
    return scrape


def test_kept_groups_answer_as_a_fresh_scrape_would(scraper: Callable[[], str], engine: Engine) -> None:
    everything = set(registered_groups())
    first = scraper()
    assert kept(first) == set()
    second = scraper()
    assert kept(second) == everything - ALWAYS
    assert pinned_samples(second) == pinned_samples(first) == fresh(NOON)

    # A host changes: the groups that read hosts are computed again, the others kept.
    with db.session_scope(actor="test") as s:
        host = s.execute(select(Host).where(Host.lifecycle == HostLifecycle.ACTIVE).limit(1)).scalar_one()
        host.lifecycle = HostLifecycle.RETIRED
    third = scraper()
    assert "hosts" not in kept(third)
    assert {"supply_chain", "findings", "units"} <= kept(third)
    assert pinned_samples(third) == fresh(NOON) != pinned_samples(second)

    # A product changes: the supply chain is computed again.
    with db.session_scope(actor="test") as s:
        product = s.execute(select(Product).order_by(Product.id).limit(1)).scalar_one()
        product.controllability = next(
            c for c in type(product.controllability) if c != product.controllability
        )
    fourth = scraper()
    assert "supply_chain" not in kept(fourth) and "hosts" in kept(fourth)
    assert pinned_samples(fourth) == fresh(NOON) != pinned_samples(third)

    # The next day: overdue counts move with the date alone.
    scraper.clock[0] = NOON + dt.timedelta(days=1)  # type: ignore[attr-defined]
    assert kept(scraper()) == set()
    assert kept(scraper()) == everything - ALWAYS

    # Another ledger behind the same collector (a restored backup): its change log is not the one
    # the kept groups were computed from, though it may have as many entries.
    empty_all_tables(engine)
    with db.session_scope(actor="test") as s:
        load_full_demo(s)
    assert kept(scraper()) == set()
    assert pinned_samples(scraper()) == fresh(NOON + dt.timedelta(days=1))


def test_the_setting_turns_the_cache_off(scraper: Callable[[], str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAIZHANG_METRICS_CACHE", "0")
    reset_settings_cache()
    scraper()
    assert kept(scraper()) == set()


def test_tables_map_to_the_change_log_entries_that_change_them() -> None:
    types = table_types()
    assert types["hosts"] == {"inventory.host"}
    assert types["host_systems"] == {"inventory.host", "inventory.system"}  # a many-to-many link
    assert types["check_results"] is None  # written outside the log: never kept
    assert types["finding_evaluation_requests"] is None
    # findings.waiver_id is SET NULL by the database when a waiver goes: a waiver entry counts.
    assert "security.waiver" in (types["findings"] or set())


@pytest.mark.parametrize("openmetrics", [False, True])
def test_the_route_answers_in_either_format_what_a_registry_would(
    scraper: Callable[[], str], anon: Any, openmetrics: bool
) -> None:
    """``/metrics`` joins each group's kept text; the body must be what the encoder makes whole."""
    from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics

    from exporters.prometheus.api import collector

    collector().cache.clear()
    accept = "application/openmetrics-text; version=1.0.0" if openmetrics else "text/plain"
    bodies = [anon.get("/metrics", headers={"Accept": accept}) for _ in range(2)]
    for response in bodies:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(accept.split(";")[0])
    first, second = (r.text for r in bodies)
    assert kept(second) == set(registered_groups()) - ALWAYS
    if openmetrics:
        assert second.endswith("# EOF\n") and second.count("# EOF") == 1
        families = {f.name: f for f in parse_openmetrics(second)}  # raises on a malformed body
        assert "taizhang_hosts" in families
        # OpenMetrics drops the text format's suffixes; compare it to a registry's own OpenMetrics
        from prometheus_client.openmetrics.exposition import generate_latest as openmetrics_latest

        whole = openmetrics_latest(build_registry()).decode()
        names = {f.name for f in parse_openmetrics(whole)}
        assert set(families) == names
    else:
        assert pinned_samples(first) == pinned_samples(second) == fresh_now()


def fresh_now() -> dict[str, float]:
    return pinned_samples(generate_latest(build_registry()).decode())
