"""Two uvicorn workers behind one database answer every scrape alike (gauges come from the database)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from metrics_helpers import load_full_demo
from prometheus_client.parser import text_string_to_metric_families
from server_support import uvicorn_server
from sqlalchemy import Engine, select

from inventory.choices import HostLifecycle
from inventory.models import Host, Unit
from taizhang import db

#: The exporter's own timings differ on every scrape by nature.
# How a scrape went, not what it says: timings, and whether a group was kept from the last scrape.
TIMINGS = {
    "taizhang_exporter_scrape_duration_seconds",
    "taizhang_exporter_collector_duration_seconds",
    "taizhang_exporter_collector_cached",
}


@pytest.fixture
def two_workers(engine: Engine) -> Iterator[str]:
    with db.session_scope(actor="test") as s:
        load_full_demo(s)
    with uvicorn_server(workers=2) as address:
        yield f"http://{address}/metrics"


def gauges(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name not in TIMINGS
    }


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    # A new connection each time, so the kernel may hand it to either worker.
    with httpx.Client(timeout=60) as http:
        response = http.get(url, headers={"Connection": "close"})
    assert response.status_code == 200
    return gauges(response.text)


def test_every_worker_gives_the_same_answer(two_workers: str) -> None:
    # Overlapping scrapes: while one worker computes, the other accepts the next connection.
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(scrape, [two_workers] * 8))
    first = answers[0]
    assert len(first) > 100 and first[("taizhang_up", ())] == 1.0
    for other in answers[1:]:
        assert other == first

    # A write through one process is seen by every worker, though each keeps its groups.
    with db.session_scope(actor="test") as s:
        host = s.execute(select(Host).where(Host.lifecycle == HostLifecycle.ACTIVE).limit(1)).scalar_one()
        host.lifecycle = HostLifecycle.RETIRED
        unit = s.get(Unit, host.unit_id)
        labels = (
            ("kind", host.kind.value),
            ("lifecycle", "retired"),
            ("unit", unit.code if unit else "none"),
        )
    retired = first.get(("taizhang_hosts", labels), 0.0)
    with ThreadPoolExecutor(max_workers=4) as pool:
        after = list(pool.map(scrape, [two_workers] * 8))
    for answer in after:
        assert answer[("taizhang_hosts", labels)] == retired + 1
        assert answer == after[0]
