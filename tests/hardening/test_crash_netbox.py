"""``taizhang netbox sync`` killed with SIGKILL while it writes leaves the ledger as it was: no unit,
host or sync state of that run, the change log verifies; running it again completes and yields
exactly what an uninterrupted sync into an empty ledger yields.

A real NetBox (tests/netbox_harness) with a county of ``VMS`` virtual machines, filled once and
cached as a database dump; the sync is the real command (``crash_driver.py`` only reports its
writes, so the kill lands after the transaction has written hosts and before it commits).
"""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from crash_support import chain_ok, count, kill_mid_transaction, run_driver
from netbox_harness.harness import VERSION, HarnessError, NetBox, cached_database, start
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from inventory.models import Host, Unit
from inventory.netbox.models import NetboxSyncState
from taizhang.changelog import ChangeLogEntry
from taizhang.db import make_engine
from taizhang.settings import reset_settings_cache

pytestmark = pytest.mark.netbox

VMS = 2000
TENANTS = 12


def _fill(netbox: NetBox) -> None:
    import pynetbox

    nb = pynetbox.api(netbox.url, token=netbox.token)
    tenants = [
        nb.tenancy.tenants.create({"name": f"崩溃测试单位{i:02d}", "slug": f"crash-unit-{i:02d}"})
        for i in range(TENANTS)
    ]
    platform = nb.dcim.platforms.create({"name": "openEuler 22.03 LTS", "slug": "openeuler-22-03"})
    ctype = nb.virtualization.cluster_types.create({"name": "KVM", "slug": "kvm"})
    cluster = nb.virtualization.clusters.create({"name": "政务云", "type": ctype.id})
    started = time.monotonic()
    for first in range(0, VMS, 500):
        batch = [
            {
                "name": f"crash-vm-{n:05d}",
                "cluster": cluster.id,
                "tenant": tenants[n % TENANTS].id,
                "platform": platform.id,
                "status": "active" if n % 50 else "offline",
            }
            for n in range(first, min(first + 500, VMS))
        ]
        nb.virtualization.virtual_machines.create(batch)
        print(f"  filled {first + len(batch)} VMs ({time.monotonic() - started:.0f} s)", file=sys.stderr)


@pytest.fixture(scope="module")
def county_netbox() -> Iterator[NetBox]:
    if os.environ.get("TAIZHANG_SKIP_NETBOX") == "1":
        pytest.skip("TAIZHANG_SKIP_NETBOX=1: the tests against a real NetBox were not run")
    try:
        name = cached_database(f"netbox_crash{VMS}_{VERSION.replace('.', '_')}", _fill)
        server = start(from_db=name)
    except HarnessError as exc:
        pytest.fail(
            f"NetBox harness could not start (set TAIZHANG_SKIP_NETBOX=1 to skip): {exc}", pytrace=False
        )
    yield server
    server.stop()


def _state(session: Session) -> dict[str, Any]:
    """What a sync leaves in the ledger, without ids, times or versions."""
    units = {u.id: u.code for u in session.execute(select(Unit)).scalars()}
    hosts = sorted(
        (
            h.hostname,
            h.kind.value,
            tuple(h.ip_addresses),
            h.os_name,
            h.os_version,
            h.location,
            h.role,
            h.lifecycle.value,
            h.netbox_kind,
            h.netbox_id,
            units.get(h.unit_id) if h.unit_id else None,
        )
        for h in session.execute(select(Host)).scalars()
    )
    return {
        "units": sorted((u.code, u.name, u.kind.value) for u in session.execute(select(Unit)).scalars()),
        "hosts": hosts,
        "sync": sorted(
            (s.netbox_url, s.object_kind, s.objects_seen)
            for s in session.execute(select(NetboxSyncState)).scalars()
        ),
        "changelog": Counter(
            (e.object_type, e.action) for e in session.execute(select(ChangeLogEntry)).scalars()
        ),
    }


def _state_of(url: str) -> dict[str, Any]:
    engine = make_engine(url)
    try:
        with Session(engine) as s:
            return _state(s)
    finally:
        engine.dispose()


def test_sync_killed_midway_is_all_or_nothing_and_rerunnable(
    engine: Engine, county_netbox: NetBox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TAIZHANG_NETBOX_URL", county_netbox.url)
    monkeypatch.setenv("TAIZHANG_NETBOX_TOKEN", county_netbox.token)
    reset_settings_cache()

    # What an uninterrupted sync into an empty ledger leaves: the reference.
    reference_url = f"sqlite:///{tmp_path / 'reference.db'}"
    for args in (["init"], ["netbox", "sync"]):
        done = run_driver(["cli", "--database", reference_url, *args], tmp_path / "reference.log")
        assert done.returncode == 0, done.stderr
    reference = _state_of(reference_url)
    assert len(reference["hosts"]) == VMS and len(reference["units"]) == TENANTS

    log_before = chain_ok(engine)
    kill_mid_transaction(
        ["cli", "netbox", "sync"], tmp_path / "killed.log", table="hosts", after_rows=VMS // 2
    )

    engine.dispose()
    assert count(Unit) == 0, "units of a killed sync are visible"
    assert count(Host) == 0, "hosts of a killed sync are visible"
    assert count(NetboxSyncState) == 0, "a killed sync recorded its state (the next one would be incremental)"
    assert chain_ok(engine) == log_before

    rerun = run_driver(["cli", "netbox", "sync"], tmp_path / "rerun.log")
    assert rerun.returncode == 0, rerun.stderr
    assert f"新增 {VMS + TENANTS}" in rerun.stdout, rerun.stdout[-500:]
    engine.dispose()
    with Session(engine) as s:
        assert _state(s) == reference
    chain_ok(engine)
