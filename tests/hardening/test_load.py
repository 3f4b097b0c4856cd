"""A bounded load test on loopback: 50 concurrent clients mixing reads and writes against two
uvicorn workers for TAIZHANG_LOAD_SECONDS (default 60). No errors, no lost writes (counted):
every acknowledged increment of a shared counter is in the final value, every acknowledged
create exists, and a stale edit is always a 409, never a silent overwrite.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from server_support import uvicorn_server
from sqlalchemy import Engine

SECONDS = float(os.environ.get("TAIZHANG_LOAD_SECONDS", "60"))
CLIENTS = 50


@pytest.fixture
def server(engine: Engine) -> Iterator[str]:
    with uvicorn_server(workers=2) as address:
        yield f"http://{address}"


def test_fifty_clients_mixing_reads_and_writes(client: TestClient, server: str) -> None:
    api = "/api/v1/inventory"
    unit = client.post(f"{api}/units", json={"code": "L1", "name": "压测单位", "kind": "township"}).json()
    system = client.post(
        f"{api}/systems",
        json={"catalogue_number": "L-1", "name": "计数系统", "owner_unit_id": unit["id"], "purpose": "0"},
    ).json()
    headers = dict(client.headers)
    stats: Counter[str] = Counter()
    lock = threading.Lock()
    deadline = time.monotonic() + SECONDS

    def work(n: int, local: Counter[str]) -> None:
        with httpx.Client(base_url=server, headers=headers, timeout=30) as http:
            i = 0
            while time.monotonic() < deadline:
                i += 1
                kind = i % 4
                if kind in (0, 1):
                    r = http.get(f"{api}/systems", params={"limit": 20, "q": "计数"})
                    local["read" if r.status_code == 200 else f"error_{r.status_code}"] += 1
                elif kind == 2:
                    current = http.get(f"{api}/systems/{system['id']}")
                    if current.status_code != 200:
                        local[f"error_{current.status_code}"] += 1
                        continue
                    body = current.json()
                    r = http.patch(
                        f"{api}/systems/{system['id']}",
                        json={"purpose": str(int(body["purpose"]) + 1)},
                        headers={"If-Match": f'"{body["version"]}"'},
                    )
                    if r.status_code == 200:
                        local["increment"] += 1
                    elif r.status_code == 409:
                        local["conflict"] += 1
                    else:
                        local[f"error_{r.status_code}"] += 1
                else:
                    r = http.post(
                        f"{api}/hosts",
                        json={"hostname": f"load-{n}-{i}", "kind": "virtual", "unit_id": unit["id"]},
                    )
                    local["create" if r.status_code == 201 else f"error_{r.status_code}"] += 1

    def worker(n: int) -> None:
        local: Counter[str] = Counter()
        try:
            work(n, local)
        except Exception as exc:  # a request never answered: an error, not a client's lost counts
            local[f"error_{type(exc).__name__}"] += 1
        finally:
            with lock:
                stats.update(local)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=SECONDS + 120)

    errors = {k: v for k, v in stats.items() if k.startswith("error")}
    print(f"\nload: {dict(stats)} in {SECONDS:.0f} s with {CLIENTS} clients")
    assert errors == {}, errors
    assert stats["read"] > 0 and stats["increment"] > 0 and stats["create"] > 0
    final = client.get(f"{api}/systems/{system['id']}").json()
    assert int(final["purpose"]) == stats["increment"], "an acknowledged increment was lost"
    assert final["version"] == stats["increment"] + 1
    created = client.get(f"{api}/hosts", params={"unit_id": unit["id"], "limit": 1}).json()["count"]
    assert created == stats["create"], "an acknowledged create is missing"
