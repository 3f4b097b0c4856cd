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
from taizhang import db

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def server(engine: Engine) -> Iterator[str]:
    with db.session_scope(actor="test") as s:
        load_inventory(s)
    with uvicorn_server() as address:
        yield address


def test_prometheus_scrapes_the_app(server: str, tmp_path: Path) -> None:
    subprocess.run([str(ROOT / "scripts" / "prometheus.sh")], check=True, timeout=600)
    port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
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
        value = None
        while time.monotonic() < deadline and value is None:
            try:
                result = httpx.get(query, params={"query": "sum(taizhang_systems)"}, timeout=2).json()
                if result["data"]["result"]:
                    value = float(result["data"]["result"][0]["value"][1])
            except (httpx.HTTPError, KeyError, ValueError):
                pass
            time.sleep(0.5)
        assert value == 147.0
        up = httpx.get(query, params={"query": 'up{job="taizhang"}'}, timeout=2).json()
        assert up["data"]["result"][0]["value"][1] == "1"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
