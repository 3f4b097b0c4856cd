"""Write spreadsheets: the ledger export (one sheet per entity) and the marked copy of a refused file.

Both use openpyxl's write-only mode, so rows stream to disk. ``write_workbook`` takes any
``SheetData`` — the county report (issue 7, part 3) builds on it with its own sheets.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from exporters.sheets.normalize import neutralise
from exporters.sheets.problems import Problem
from exporters.sheets.reader import open_sheets
from exporters.sheets.result import Mark

OPTIONS_SHEET = "选项"
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
BAD_FILL = PatternFill("solid", fgColor="FFC7CE")
BAD_ROW_FILL = PatternFill("solid", fgColor="FFF2CC")
MAX_ROW = 1048576


@dataclass
class SheetData:
    """A sheet to write: headers, drop-down choices per column position, and a stream of rows."""

    name: str
    headers: list[str]
    rows: Iterable[list[Any]]
    choices: dict[int, list[str]] = field(default_factory=dict)
    widths: list[int] = field(default_factory=list)


def _clean(value: Any) -> Any:
    """Text safe to write: no characters XML forbids, no formula (``=1+1`` is written ``'=1+1``)."""
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", value)) if isinstance(value, str) else value


def _header_cells(ws: Any, headers: list[str]) -> list[WriteOnlyCell]:
    cells = []
    for text in headers:
        cell = WriteOnlyCell(ws, value=text)
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cells.append(cell)
    return cells


def write_workbook(sheets: Iterable[SheetData], out: IO[bytes] | Path) -> None:
    """An xlsx with one sheet per ``SheetData``; enum columns get drop-down validation lists."""
    workbook = Workbook(write_only=True)
    options: list[list[str]] = []
    for sheet in sheets:
        ws = workbook.create_sheet(sheet.name[:31])
        for position, width in enumerate(sheet.widths or [max(10, len(h) * 2 + 2) for h in sheet.headers]):
            ws.column_dimensions[get_column_letter(position + 1)].width = width
        ws.freeze_panes = "A2"
        for position, labels in sheet.choices.items():
            options.append(labels)
            letter = get_column_letter(len(options))
            rule = DataValidation(
                type="list",
                formula1=f"'{OPTIONS_SHEET}'!${letter}$1:${letter}${len(labels)}",
                allow_blank=True,
                showErrorMessage=True,
                errorTitle="取值不在列表中",
                error="请从下拉列表中选择",
            )
            column = get_column_letter(position + 1)
            rule.add(f"{column}2:{column}{MAX_ROW}")
            ws.data_validations.append(rule)
        ws.append(_header_cells(ws, sheet.headers))
        for row in sheet.rows:
            ws.append([_clean(v) for v in row])
    if options:
        hidden = workbook.create_sheet(OPTIONS_SHEET)
        hidden.sheet_state = "hidden"
        for index in range(max(len(o) for o in options)):
            hidden.append([labels[index] if index < len(labels) else None for labels in options])
    workbook.save(out)


def write_csv_zip(sheets: Iterable[SheetData], out: IO[bytes] | Path) -> None:
    """A zip with one CSV per sheet, UTF-8 with BOM so that Excel opens it in Chinese."""
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for sheet in sheets:
            with archive.open(f"{sheet.name}.csv", "w") as member:
                text = io.TextIOWrapper(member, encoding="utf-8-sig", newline="")
                writer = csv.writer(text)
                writer.writerow(sheet.headers)
                for row in sheet.rows:
                    writer.writerow(["" if v is None else neutralise(v) for v in row])
                text.flush()
                text.detach()


# ---------------------------------------------------------------- marked copy


def write_marked_copy(
    path: Path,
    problems: list[Problem],
    marks: list[Mark],
    out: IO[bytes] | Path,
    *,
    display_name: str | None = None,
) -> None:
    """The uploaded file as xlsx with every bad cell filled red and its reason as a comment.

    A first sheet “问题清单” lists every problem. CSV input becomes one sheet of the copy.
    """
    by_sheet: dict[str, dict[int, list[Mark]]] = {}
    for mark in marks:
        by_sheet.setdefault(mark.sheet, {}).setdefault(mark.row, []).append(mark)
    workbook = Workbook(write_only=True)
    summary = workbook.create_sheet("问题清单")
    headers = ["工作表", "行", "列", "值", "问题"]
    summary.append(_header_cells(summary, headers))
    for problem in problems:
        summary.append(
            [_clean(v) for v in (problem.sheet, problem.row, problem.column, problem.value, problem.reason)]
        )
    with open_sheets(path, display_name=display_name) as sheets:
        for sheet in sheets:
            ws = workbook.create_sheet(sheet.name[:31])
            rows_marks = by_sheet.get(sheet.name, {})
            for number, values in sheet.rows():
                row_marks = rows_marks.get(number)
                ws.append(
                    list(_marked_row(ws, values, row_marks)) if row_marks else [_clean(v) for v in values]
                )
    workbook.save(out)


def _marked_row(ws: Any, values: tuple[Any, ...], marks: list[Mark]) -> Iterator[Any]:
    by_position: dict[int, list[str]] = {}
    row_reasons = []
    for mark in marks:
        if mark.position is None:
            row_reasons.append(mark.reason)
        else:
            by_position.setdefault(mark.position, []).append(mark.reason)
    width = max([len(values), *(p + 1 for p in by_position)])
    for position in range(width):
        value = values[position] if position < len(values) else None
        reasons = by_position.get(position, [])
        if position == 0:
            reasons = row_reasons + reasons
        cell = WriteOnlyCell(ws, value=_clean(value))
        if reasons:
            cell.fill = BAD_FILL if by_position.get(position) else BAD_ROW_FILL
            cell.comment = Comment("\n".join(reasons), "taizhang")
        elif row_reasons:
            cell.fill = BAD_ROW_FILL
        yield cell
