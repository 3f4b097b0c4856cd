"""``taizhang import`` and ``taizhang export`` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from openpyxl import load_workbook
from sheet_builders import UNITS_SHEET, count, county_xlsx
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from inventory.models import System, Unit
from taizhang.changelog import ChangeLogEntry
from taizhang.cli import app
from taizhang.cli_support import cli_actor

runner = CliRunner()
SYSTEMS = [["目录编号", "系统名称", "主管单位", "等保级别"], ["XF-001", "学籍管理系统", "县教育局", "第三级"]]


def test_import_dry_run_then_import_then_export(engine: object, session: Session, tmp_path: Path) -> None:
    path = county_xlsx(tmp_path / "台账.xlsx", {"单位": UNITS_SHEET, "信息系统": SYSTEMS}, title="台账")
    dry = runner.invoke(app, ["import", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "检查通过（--dry-run，未写入）" in dry.output
    assert count(session, Unit) == 0

    done = runner.invoke(app, ["import", str(path), "--json"])
    assert done.exit_code == 0, done.output
    summary = json.loads(done.output)
    assert summary["written"] is True
    assert [(s["entity"], s["created"]) for s in summary["sheets"]] == [("单位", 3), ("信息系统", 1)]
    actors = set(session.execute(select(ChangeLogEntry.actor)).scalars())
    assert actors == {cli_actor()} and cli_actor().startswith("cli")

    out = tmp_path / "导出.xlsx"
    exported = runner.invoke(app, ["export", "--format", "xlsx", "--output", str(out)])
    assert exported.exit_code == 0, exported.output
    sheet = load_workbook(out)["信息系统"]
    assert [c.value for c in sheet[2]][:4] == ["XF-001", "学籍管理系统", "县教育局", None]

    csv_out = tmp_path / "导出.zip"
    assert runner.invoke(app, ["export", "--format", "csv", "-o", str(csv_out)]).exit_code == 0
    again = runner.invoke(app, ["import", str(csv_out)])
    assert again.exit_code == 0, again.output
    assert count(session, System) == 1


def test_refused_import_exits_2_lists_problems_and_writes_marked_copy(
    engine: object, session: Session, tmp_path: Path
) -> None:
    bad = [*SYSTEMS, ["XF-002", "低保系统", "县民政局", "四五级"]]
    path = county_xlsx(tmp_path / "台账.xlsx", {"单位": UNITS_SHEET, "信息系统": bad})
    result = runner.invoke(app, ["import", str(path)])
    assert result.exit_code == 2
    assert "导入被拒绝：发现 1 个问题，未写入任何数据" in result.output
    assert "工作表“信息系统”第 3 行“等保级别”列：无法识别的等保级别“四五级”" in result.output
    marked = tmp_path / "台账（问题标注）.xlsx"
    assert marked.exists()
    assert load_workbook(marked)["信息系统"]["D3"].comment is not None
    assert count(session, Unit) == 0

    unsupported = runner.invoke(app, ["export", "--format", "pdf", "--output", str(tmp_path / "x.pdf")])
    assert unsupported.exit_code == 2 and "不支持的格式" in unsupported.output
