"""A process killed with SIGKILL in the middle of a write leaves the database consistent and the
operation re-runnable: the import is all or nothing, the change-log chain verifies, and running the
same import again completes it.
"""

from __future__ import annotations

import csv
from pathlib import Path

from crash_support import kill_mid_transaction
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from inventory.models import Host
from taizhang import db
from taizhang.cli import app as cli

ROWS = 12_000


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

    # Killed once a third of the rows are written, inside the import's one transaction.
    done = kill_mid_transaction(
        ["cli", "import", str(source)], tmp_path / "killed.log", table="hosts", after_rows=ROWS // 3
    )
    assert done.rows_written("hosts") < ROWS
    engine.dispose()
    assert _hosts() == before, f"partial import: {_hosts() - before} of {ROWS} rows"

    verify = CliRunner().invoke(cli, ["audit", "verify"])
    assert verify.exit_code == 0, verify.output
    rerun = CliRunner().invoke(cli, ["import", str(source)])
    assert rerun.exit_code == 0, rerun.output
    assert _hosts() == before + ROWS
    assert CliRunner().invoke(cli, ["audit", "verify"]).exit_code == 0
