"""Backup then restore gives back every row of every table, on both databases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, text
from typer.testing import CliRunner

from inventory.demo import load_inventory
from taizhang import db
from taizhang.cli import app as cli
from taizhang.models import metadata

runner = CliRunner()


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            pk = list(table.primary_key.columns)
            rows = conn.execute(select(table).order_by(*pk)).all()
            out[table.name] = [tuple(r) for r in rows]
    return out


def test_round_trip_restores_every_table(engine: Engine, tmp_path: Path) -> None:
    with db.session_scope(actor="test") as s:
        load_inventory(s)
    before = snapshot(engine)
    assert len(before["hosts"]) == 801 and len(before["changelog"]) > 2000  # 800 + one serving no system

    target = tmp_path / "backup.bin"
    made = runner.invoke(cli, ["backup", "--output", str(target)])
    assert made.exit_code == 0, made.output
    assert target.stat().st_size > 0

    with engine.begin() as conn:  # damage: lose hosts, change a system
        conn.execute(text("DELETE FROM host_systems"))
        conn.execute(text("DELETE FROM hosts"))
        conn.execute(text("UPDATE systems SET name = 'x'"))
    assert snapshot(engine) != before

    refused = runner.invoke(cli, ["restore", str(target)])
    assert refused.exit_code == 2 and "--yes" in refused.output
    restored = runner.invoke(cli, ["restore", str(target), "--yes"])
    assert restored.exit_code == 0, restored.output
    engine.dispose()
    assert snapshot(engine) == before
    assert runner.invoke(cli, ["audit", "verify"]).exit_code == 0


def test_restore_refuses_a_file_that_is_not_a_backup(engine: Engine, tmp_path: Path) -> None:
    bogus = tmp_path / "notes.txt"
    bogus.write_text("不是备份")
    result = runner.invoke(cli, ["restore", str(bogus), "--yes"])
    assert result.exit_code == 2
    assert "不是" in result.output and "Traceback" not in result.output
