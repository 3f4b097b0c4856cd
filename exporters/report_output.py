"""The county report as a workbook (a summary sheet, then one sheet per unit) and as page rows."""

from __future__ import annotations

import re
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from exporters.report import RATES, CountyReport, UnitFigures
from security.findings.choices import Severity

PERCENT = "0.0%"
BOLD = Font(bold=True)
HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
SUMMARY_HEADERS = [
    "单位编码",
    "单位名称",
    "信息系统数",
    *(label for label, _, _ in RATES),
    *(f"未整改问题（{s.label}）" for s in Severity),
    "未整改问题合计",
]


def summary_row(row: UnitFigures) -> list[Any]:
    """One line of the summary: counts and shares (``None`` where nothing is due)."""
    return [
        row.code,
        row.name,
        row.systems,
        *(row.share(top, bottom) for _, top, bottom in RATES),
        *(row.findings.get(s.value, 0) for s in Severity),
        row.open_findings,
    ]


def detail_rows(row: UnitFigures) -> list[list[Any]]:
    """A unit's sheet: each share with its numerator and denominator."""
    lines: list[list[Any]] = [["信息系统数", row.systems, None, None]]
    for label, top, bottom in RATES:
        lines.append([label, getattr(row, top), getattr(row, bottom), row.share(top, bottom)])
    for severity in Severity:
        lines.append([f"未整改问题（{severity.label}）", row.findings.get(severity.value, 0), None, None])
    return lines


def _head(ws: Any, headers: list[str]) -> None:
    ws.append(headers)
    for cell in ws[ws.max_row]:
        cell.font, cell.fill = BOLD, HEAD_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    ws.freeze_panes = f"A{ws.max_row + 1}"


def _sheet_title(name: str, used: set[str]) -> str:
    base = re.sub(r"[\\/*?:\[\]]", "_", name)[:28] or "单位"
    title, n = base, 2
    while title in used or title == "汇总":
        title, n = f"{base[:26]}-{n}", n + 1
    used.add(title)
    return title


def write_report_xlsx(report: CountyReport, out: IO[bytes] | Path) -> None:
    workbook = Workbook()
    ws = workbook.active
    ws.title = "汇总"
    ws.append([f"政务信息系统合规情况报表（统计日期：{report.today.isoformat()}）"])
    ws["A1"].font = Font(bold=True, size=14)
    _head(ws, SUMMARY_HEADERS)
    rate_columns = range(4, 4 + len(RATES))
    for row in [*report.units, report.total]:
        ws.append(summary_row(row))
        for col in rate_columns:
            ws.cell(row=ws.max_row, column=col).number_format = PERCENT
    for cell in ws[ws.max_row]:
        cell.font = BOLD
    for index in range(1, len(SUMMARY_HEADERS) + 1):
        ws.column_dimensions[get_column_letter(index)].width = 24 if index == 2 else 13
    used: set[str] = set()
    for unit in report.units:
        sheet = workbook.create_sheet(_sheet_title(unit.name, used))
        sheet.append([f"{unit.name}（{unit.code}）统计日期：{report.today.isoformat()}"])
        sheet["A1"].font = Font(bold=True, size=12)
        _head(sheet, ["指标", "达标数", "应统计数", "比率"])
        for line in detail_rows(unit):
            sheet.append(line)
            sheet.cell(row=sheet.max_row, column=4).number_format = PERCENT
        sheet.column_dimensions["A"].width = 22
    workbook.save(out)


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"
