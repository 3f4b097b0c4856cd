"""A process killed with SIGKILL in the middle of a write leaves the database consistent and the
operation re-runnable: the import is all or nothing, the change-log chain verifies, and running the
same import again completes it.
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from inventory.models import Host
from taizhang import db
from taizhang.cli import app as cli

ROWS = 30_000


def _hosts() -> int:
    with db.session_scope(write=False) as s:
        return int(s.execute(select(func.count()).select_from(Host)).scalar_one())


def _write_csv(path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["主机名", "主机类型", "IP 地址", "操作系统", "所属单位"])
        for i in range(ROWS):
            writer.writerow(
                [
                    f"crash-{i:06d}",
                    "虚拟机",
                    f"10.9.{i // 250 % 250}.{i % 250 + 1}",
                    "openEuler",
                    "崩溃测试局",
                ]
            )


def test_import_killed_midway_is_all_or_nothing_and_rerunnable(
    client: TestClient, engine: Engine, tmp_path: Path
) -> None:
    r = client.post("/api/v1/inventory/units", json={"code": "K1", "name": "崩溃测试局", "kind": "township"})
    assert r.status_code == 201
    source = tmp_path / "主机.csv"
    _write_csv(source)
    before = _hosts()

    killed_at = []
    for delay in (2.0, 5.0):
        proc = subprocess.Popen(
            [sys.executable, "-m", "taizhang.cli", "import", str(source)],
            env=os.environ.copy(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed_at.append(delay)
        proc.wait(timeout=30)
        engine.dispose()
        count = _hosts()
        assert count in (before, before + ROWS), f"partial import: {count - before} of {ROWS} rows"
        if count == before + ROWS:
            break
    assert killed_at, "the import finished before it could be killed: raise ROWS"

    verify = CliRunner().invoke(cli, ["audit", "verify"])
    assert verify.exit_code == 0, verify.output
    rerun = CliRunner().invoke(cli, ["import", str(source)])
    assert rerun.exit_code == 0, rerun.output
    assert _hosts() == before + ROWS
    assert CliRunner().invoke(cli, ["audit", "verify"]).exit_code == 0
