"""A page failing halfway: a proxy in front of the real NetBox breaks the second page of VMs."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from test_netbox_sync import hosts, make_client, seed_ledger

from inventory.models import Unit
from inventory.netbox import sync as sync_service
from inventory.netbox.client import NetboxError

pytestmark = pytest.mark.netbox


class FaultyProxy:
    """Forwards to NetBox; ``breaks(path)`` returning a status answers that request with it instead."""

    def __init__(self, target: str, breaks: Callable[[str], int | None]) -> None:
        upstream = urlsplit(target)
        self.failed: list[str] = []
        self.token = ""
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _forward(self) -> None:
                status = breaks(self.path)
                if status is not None:
                    proxy.failed.append(self.path)
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                conn = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=60)
                conn.request(self.command, self.path, body or None, dict(self.headers))
                answer = conn.getresponse()
                data = answer.read()
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                conn.close()

            do_GET = do_PATCH = do_POST = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxy_factory(netbox_server: Any) -> Iterator[Callable[[Callable[[str], int | None]], FaultyProxy]]:
    made: list[FaultyProxy] = []

    def make(breaks: Callable[[str], int | None]) -> FaultyProxy:
        proxy = FaultyProxy(netbox_server.url, breaks)
        proxy.token = netbox_server.token
        made.append(proxy)
        return proxy

    yield make
    for proxy in made:
        proxy.close()


def _second_vm_page(path: str) -> bool:
    """A later page of the VM list (cursor paging: the first page asks for start=0)."""
    parts = urlsplit(path)
    start = parse_qs(parts.query).get("start", ["0"])[0]
    return parts.path == "/api/virtualization/virtual-machines/" and start != "0"


def test_page_failing_halfway_writes_nothing(
    session: Session, county: dict[str, Any], netbox_env: Any, proxy_factory: Any
) -> None:
    seed_ledger(session)
    units_before = session.scalar(select(func.count()).select_from(Unit))
    proxy = proxy_factory(lambda path: 500 if _second_vm_page(path) else None)
    client = make_client(proxy)
    with pytest.raises(
        NetboxError, match=r"NetBox 请求失败（HTTP 500，读取 virtualization.virtual_machines）"
    ):
        sync_service.sync(session, client, sync_service.SyncOptions())
    session.rollback()
    assert len(proxy.failed) == 3  # the first try and two retries, with backoff
    assert set(hosts(session)) == {"xf-bare-03"}  # devices were read but nothing was applied
    assert session.scalar(select(func.count()).select_from(Unit)) == units_before


def test_transient_errors_are_retried(
    session: Session, county: dict[str, Any], netbox_env: Any, proxy_factory: Any
) -> None:
    seed_ledger(session)
    budget = {"left": 2}

    def flaky(path: str) -> int | None:
        if _second_vm_page(path) and budget["left"] > 0:
            budget["left"] -= 1
            return 503
        return None

    proxy = proxy_factory(flaky)
    result = sync_service.sync(session, make_client(proxy), sync_service.SyncOptions())
    session.commit()
    assert len(proxy.failed) == 2 and result.seen["vm"] >= 3
    assert {"xf-db-01", "xf-web-01", "xf-app-02"} <= set(hosts(session))
