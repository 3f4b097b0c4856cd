"""What the API and the CLI share: run an import and shape its answer, name export files."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from exporters.sheets.importer import ImportResult, import_file
from exporters.sheets.writer import write_marked_copy
from taizhang.auth.principal import ALL, Scope
from taizhang.errors import Invalid

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA_TYPES = {"xlsx": XLSX_TYPE, "csv": "application/zip"}


class ImportRefused(Invalid):
    """The file has problems; nothing was written. ``extra`` carries the list and the marked copy."""


def marked_copy_name(display_name: str) -> str:
    return f"{Path(display_name).stem}（问题标注）.xlsx"


def marked_copy_bytes(path: Path, result: ImportResult, display_name: str) -> bytes:
    buffer = io.BytesIO()
    write_marked_copy(path, result.problems, result.marks, buffer, display_name=display_name)
    return buffer.getvalue()


def refusal_message(result: ImportResult) -> str:
    return f"导入被拒绝：发现 {len(result.problems)} 个问题，未写入任何数据"


def run_import(
    session: Session, path: Path, *, display_name: str, scope: Scope = ALL, dry_run: bool = False
) -> ImportResult:
    """Import in the session's transaction; roll back when refused or for a dry run."""
    try:
        result = import_file(session, path, scope=scope, dry_run=dry_run, display_name=display_name)
    except BaseException:
        session.rollback()
        raise
    if not result.ok or dry_run:
        session.rollback()
    return result


def refusal(path: Path, result: ImportResult, display_name: str) -> ImportRefused:
    """The 422 answer: every problem, and the file with bad cells marked (base64 xlsx)."""
    content = marked_copy_bytes(path, result, display_name)
    extra: dict[str, Any] = {
        "problems": [p.as_dict() for p in result.problems],
        "summary": {k: v for k, v in result.summary().items() if k != "problems"},
        "marked_copy": {
            "filename": marked_copy_name(display_name),
            "media_type": XLSX_TYPE,
            "content_base64": base64.b64encode(content).decode("ascii"),
        },
    }
    return ImportRefused(refusal_message(result), field="file", extra=extra)


def export_filename(fmt: str) -> str:
    return "台账.xlsx" if fmt == "xlsx" else "台账-csv.zip"
