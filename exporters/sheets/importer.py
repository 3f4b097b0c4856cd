"""Import a ledger spreadsheet: every row through the entity's Create schema and checks, all or nothing.

``import_file`` writes inside the caller's transaction and returns an ``ImportResult``; the
boundary (request, CLI command) rolls back when the result has problems or for a dry run, so one
bad row writes nothing. Rows are read as a stream and handled in chunks: natural keys come from
in-memory indexes, and new and changed rows are written in bulk, each with its change-log entry.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from exporters.sheets.problems import Problem
from exporters.sheets.reader import Layout, find_layout, open_sheets
from exporters.sheets.result import ImportResult, Mark, SheetResult
from exporters.sheets.sheet_import import Run, SheetImport
from exporters.sheets.spec import all_sheets
from taizhang.auth.principal import ALL, Scope

__all__ = ["ImportResult", "Mark", "SheetResult", "import_file"]


def import_file(
    session: Session,
    path: Path,
    *,
    scope: Scope = ALL,
    dry_run: bool = False,
    display_name: str | None = None,
) -> ImportResult:
    result = ImportResult(dry_run=dry_run)
    specs = all_sheets()
    with open_sheets(path, display_name=display_name) as sheets:
        layouts: list[Layout] = []
        for sheet in sheets:
            layout = find_layout(sheet, specs)
            if layout is None:
                result.skipped_sheets.append(sheet.name)
            else:
                layouts.append(layout)
        if not layouts:
            names = "、".join(result.skipped_sheets) or "（无）"
            reason = f"文件中没有可识别的台账工作表（工作表：{names}）；请使用导出的模板或中文表头"
            result.problems.append(Problem(display_name or path.name, None, None, None, reason))
            return result
        run = Run(session, scope, result)
        for spec in specs:
            for layout in layouts:
                if layout.spec is spec:
                    SheetImport(run, layout).run()
    return result
