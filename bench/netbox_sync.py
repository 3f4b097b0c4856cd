"""Benchmark: sync 10,000 virtual machines from a real NetBox into an empty ledger.

    .venv/bin/python bench/netbox_sync.py [--vms 10000] [--database postgresql+psycopg://…]

The first run fills a NetBox with the VMs (bulk POSTs; ~68 s per 2,000 on 2 cores) and caches the
filled database as a dump under /var/cache/taizhang-ci/; later runs restore it in seconds. Prints
the time of a full sync, of an incremental sync with nothing changed, and of a push. Not a test.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from netbox_harness.harness import VERSION, NetBox, cached_database, start  # noqa: E402

CHUNK = 500


def fill(count: int) -> Any:
    def run(netbox: NetBox) -> None:
        import pynetbox

        nb = pynetbox.api(netbox.url, token=netbox.token)
        tenants = [
            nb.tenancy.tenants.create({"name": f"单位{i:02d}", "slug": f"unit-{i:02d}"}) for i in range(20)
        ]
        platform = nb.dcim.platforms.create({"name": "openEuler 22.03 LTS", "slug": "openeuler"})
        ctype = nb.virtualization.cluster_types.create({"name": "KVM", "slug": "kvm"})
        cluster = nb.virtualization.clusters.create({"name": "政务云", "type": ctype.id})
        started = time.monotonic()
        for first in range(0, count, CHUNK):
            batch = [
                {
                    "name": f"vm-{n:05d}",
                    "cluster": cluster.id,
                    "tenant": tenants[n % len(tenants)].id,
                    "platform": platform.id,
                    "status": "active",
                }
                for n in range(first, min(first + CHUNK, count))
            ]
            nb.virtualization.virtual_machines.create(batch)
            print(f"  filled {first + len(batch)} VMs ({time.monotonic() - started:.0f} s)", file=sys.stderr)

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--vms", type=int, default=10_000)
    parser.add_argument("--database", help="ledger database URL (default: a scratch SQLite file)")
    args = parser.parse_args()

    from inventory.netbox import push as push_service
    from inventory.netbox import sync as sync_service
    from inventory.netbox.client import NetboxClient
    from taizhang.db import make_engine, session_scope, set_engine
    from taizhang.schema import upgrade

    name = f"netbox_bench{args.vms}_{VERSION.replace('.', '_')}"
    t0 = time.monotonic()
    cached_database(name, fill(args.vms))
    print(f"NetBox with {args.vms} VMs ready in {time.monotonic() - t0:.1f} s (cached after the first run)")
    netbox = start(from_db=name)
    try:
        with tempfile.TemporaryDirectory() as scratch:
            engine = make_engine(args.database or f"sqlite:///{scratch}/bench.db")
            upgrade(engine)
            set_engine(engine)
            client = NetboxClient(netbox.url, netbox.token)
            for label in ("full sync", "incremental sync (no changes)"):
                t0 = time.monotonic()
                with session_scope(actor="bench") as session:
                    result = sync_service.sync(session, client, sync_service.SyncOptions())
                print(f"{label}: {time.monotonic() - t0:.1f} s — {result.counts()}, seen {result.seen}")
            t0 = time.monotonic()
            with session_scope(actor="bench") as session:
                pushed = push_service.push(session, client)
            print(
                f"push: {time.monotonic() - t0:.1f} s — updated {pushed.updated}, unchanged {pushed.unchanged}"
            )
            set_engine(None)
    finally:
        netbox.stop()


if __name__ == "__main__":
    main()
