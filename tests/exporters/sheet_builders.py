"""Build spreadsheets that look like the ones counties really send, and seed data for the tests."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from exporters.sheets.importer import ImportResult
from exporters.sheets.service import run_import
from taizhang import db as tzdb

Rows = Sequence[Sequence[Any]]


def county_xlsx(path: Path, sheets: dict[str, Rows], *, title: str | None = None) -> Path:
    """One worksheet per entry; with ``title``, a merged title row and a 填报 line sit above the headers."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        ws = workbook.create_sheet(name)
        if title:
            width = max(len(r) for r in rows)
            ws.append([title])
            ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
            ws.append(["填报单位：县政务信息管理局", None, None, "填报日期：2024年3月"])
            ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=3)
        for row in rows:
            ws.append(list(row))
    workbook.save(path)
    return path


def county_csv(path: Path, rows: Rows, *, encoding: str = "gbk") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def import_path(path: Path, *, actor: str = "cli:tester", **options: Any) -> ImportResult:
    """Import through the same boundary behaviour as the CLI: commit, or roll back when refused."""
    with tzdb.session_scope(actor=actor) as session:
        return run_import(session, path, display_name=path.name, **options)


def count(session: Session, model: type[Any]) -> int:
    session.expire_all()
    return int(session.execute(select(func.count()).select_from(model)).scalar_one())


UNITS_SHEET: Rows = [
    ["序号", "单位编码", "单位名称 ", "单位类型"],
    [1, "JY01", "县教育局", "县直单位"],
    [2, "MZ01", "县民政局", "县直单位"],
    [3, "KFQ", "襄汾经济技术开发区", "开发区"],
]
