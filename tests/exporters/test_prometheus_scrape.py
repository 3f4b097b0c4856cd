"""A real Prometheus (Debian's package) scrapes a real taizhang server and answers a query."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from server_support import free_port, uvicorn_server
from sqlalchemy import Engine

from inventory.demo import load_inventory
from migration.demo import load_demo as load_migration_demo
from migration.summary import summary
from taizhang import db
from taizhang.auth.principal import ALL
from taizhang.clock import china_today

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def server(engine: Engine) -> Iterator[str]:
    with db.session_scope(actor="test") as s:
        load_inventory(s)
        load_migration_demo(s)
    with uvicorn_server() as address:
        yield address


def poll(query: str, expr: str, deadline: float) -> float | None:
    while time.monotonic() < deadline:
        try:
            result = httpx.get(query, params={"query": expr}, timeout=2).json()
            if result["data"]["result"]:
                return float(result["data"]["result"][0]["value"][1])
        except (httpx.HTTPError, KeyError, ValueError):
            pass
        time.sleep(0.5)
    return None


def test_prometheus_scrapes_the_app(server: str, tmp_path: Path) -> None:
    subprocess.run([str(ROOT / "scripts" / "prometheus.sh")], check=True, timeout=600)
    port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        f"rule_files:\n  - {ROOT / 'exporters' / 'prometheus' / 'rules.yml'}\n"
        f"  - {ROOT / 'exporters' / 'prometheus' / 'alerts.yml'}\n"
        "scrape_configs:\n  - job_name: taizhang\n    static_configs:\n"
        f"      - targets: ['{server}']\n"
    )
    proc = subprocess.Popen(
        [
            "prometheus",
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        query = f"http://127.0.0.1:{port}/api/v1/query"
        deadline = time.monotonic() + 60
        assert poll(query, "sum(taizhang_systems)", deadline) == 147.0
        # The recording rule, evaluated by Prometheus itself, gives the migration service's 上云率.
        with db.session_scope() as s:
            expected = summary(s, scope=ALL, today=china_today()).total.cloud_rate
        assert expected is not None
        assert poll(query, "taizhang:cloud_adoption:ratio", deadline) == pytest.approx(expected)
        up = httpx.get(query, params={"query": 'up{job="taizhang"}'}, timeout=2).json()
        assert up["data"]["result"][0]["value"][1] == "1"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
