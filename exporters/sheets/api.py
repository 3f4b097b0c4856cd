"""``POST /api/v1/imports`` and ``GET /api/v1/exports/ledger``."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Query, Response, UploadFile
from sqlalchemy.orm import Session

from exporters.sheets import service
from exporters.sheets.export import export_ledger
from taizhang.api import DB, allow
from taizhang.auth.principal import Principal
from taizhang.auth.roles import Permission

router = APIRouter(tags=["导入导出"])


@router.post(
    "/imports",
    summary="导入台账表格（xlsx、CSV 或 CSV 压缩包）；有任何问题则整体不写入",
    responses={422: {"description": "问题清单（工作表、行、列、值、原因）与标注问题单元格的文件（base64）"}},
)
def create_import(
    file: UploadFile = File(..., description="xlsx、CSV（UTF-8 或 GBK）或包含 CSV 的 zip"),
    dry_run: bool = Form(False, description="只检查不写入"),
    principal: Principal = allow(Permission.INVENTORY_WRITE),
    session: Session = DB,
) -> dict[str, Any]:
    display_name = Path(file.filename or "upload.xlsx").name
    with tempfile.TemporaryDirectory(prefix="taizhang-import-") as folder:
        path = Path(folder) / f"upload{Path(display_name).suffix.lower()}"
        with path.open("wb") as target:
            shutil.copyfileobj(file.file, target, 1 << 20)
        result = service.run_import(
            session, path, display_name=display_name, scope=principal.scope, dry_run=dry_run
        )
        if not result.ok:
            raise service.refusal(path, result, display_name)
    return result.summary()


@router.get("/exports/ledger", summary="导出台账（每类一个工作表；可修改后再导入）")
def export_ledger_file(
    fmt: str = Query(
        "xlsx", alias="format", pattern="^(xlsx|csv)$", description="xlsx，或 csv（每表一个 CSV 的 zip）"
    ),
    principal: Principal = allow(Permission.INVENTORY_READ),
    session: Session = DB,
) -> Response:
    with tempfile.SpooledTemporaryFile(max_size=32 << 20) as buffer:
        export_ledger(session, buffer, fmt=fmt, scope=principal.scope)
        buffer.seek(0)
        content = buffer.read()
    name = service.export_filename(fmt)
    ascii_name = "ledger.xlsx" if fmt == "xlsx" else "ledger-csv.zip"
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    return Response(
        content, media_type=service.MEDIA_TYPES[fmt], headers={"Content-Disposition": disposition}
    )
