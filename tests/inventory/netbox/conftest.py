"""A real NetBox per test session (tests/netbox_harness), filled with a small county.

If the harness cannot provide NetBox the tests fail with the harness's message; set
TAIZHANG_SKIP_NETBOX=1 to skip them instead (the skip reason is shown in the summary).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from netbox_harness import county as county_module
from netbox_harness.harness import HarnessError, NetBox, start


@pytest.fixture(scope="session")
def netbox_server() -> Iterator[NetBox]:
    if os.environ.get("TAIZHANG_SKIP_NETBOX") == "1":
        pytest.skip("TAIZHANG_SKIP_NETBOX=1: the tests against a real NetBox were not run")
    try:
        server = start()
    except HarnessError as exc:
        pytest.fail(
            f"NetBox harness could not start (set TAIZHANG_SKIP_NETBOX=1 to skip): {exc}", pytrace=False
        )
    yield server
    server.stop()


@pytest.fixture(scope="session")
def county(netbox_server: NetBox) -> dict[str, Any]:
    return county_module.fill(netbox_server.url, netbox_server.token)


@pytest.fixture
def netbox_env(netbox_server: NetBox, monkeypatch: pytest.MonkeyPatch) -> NetBox:
    """TAIZHANG_NETBOX_URL/TOKEN pointing at the test NetBox, small pages to exercise paging."""
    from taizhang.settings import reset_settings_cache

    monkeypatch.setenv("TAIZHANG_NETBOX_URL", netbox_server.url)
    monkeypatch.setenv("TAIZHANG_NETBOX_TOKEN", netbox_server.token)
    monkeypatch.setenv("TAIZHANG_NETBOX_PAGE_SIZE", "2")
    monkeypatch.setenv("TAIZHANG_NETBOX_RETRIES", "2")
    reset_settings_cache()
    return netbox_server
