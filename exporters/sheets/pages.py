"""The imports/exports page ``/imports``: upload a ledger file (or check it), see the problems, export.

The page calls the same service as ``POST /api/v1/imports``: all or nothing, a dry run writes
nothing. A refused file's marked copy is kept for an hour under ``data_dir/import-marks/`` with the
uploader's name, so only they can download it from ``/imports/marked/{token}``.
"""

from __future__ import annotations

import json
import secrets
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from exporters.sheets import service
from taizhang.api import DB
from taizhang.auth.principal import Principal
from taizhang.auth.roles import Permission
from taizhang.errors import DomainError, NotFound
from taizhang.settings import get_settings
from taizhang.web.registry import NavEntry, register_nav
from taizhang.web.render import add_template_package, render
from taizhang.web.security import CsrfForm, page_allow

router = APIRouter(include_in_schema=False)
add_template_package("exporters.sheets")
register_nav(NavEntry("imports", "导入导出", "/imports", Permission.INVENTORY_READ, order=80))

MARK_TTL_SECONDS = 3600
SUFFIXES = {".xlsx", ".csv", ".zip"}


def _marks_dir() -> Path:
    folder = get_settings().data_dir / "import-marks"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def keep_marked_copy(content: bytes, filename: str, owner: str) -> str:
    """Store the marked copy for its uploader; drop copies older than an hour. Returns the token."""
    folder = _marks_dir()
    now = time.time()
    for old in folder.glob("*.json"):
        if now - old.stat().st_mtime > MARK_TTL_SECONDS:
            old.unlink(missing_ok=True)
            old.with_suffix(".xlsx").unlink(missing_ok=True)
    token = secrets.token_urlsafe(18)
    (folder / f"{token}.xlsx").write_bytes(content)
    (folder / f"{token}.json").write_text(json.dumps({"owner": owner, "filename": filename}), "utf-8")
    return token


def _context(principal: Principal, **extra: Any) -> dict[str, Any]:
    return {
        "page_title": "导入导出",
        "can_import": principal.can(Permission.INVENTORY_WRITE),
        "result": None,
        "problems": [],
        "error": None,
        "marked": None,
        "dry_run": False,
        "filename": "",
        **extra,
    }


@router.get("/imports")
def imports_page(request: Request, principal: Principal = page_allow(Permission.INVENTORY_READ)) -> Response:
    return render(request, "sheets/imports.html", _context(principal))


@router.post("/imports")
def imports_upload(
    request: Request,
    form_data: FormData = CsrfForm,
    principal: Principal = page_allow(Permission.INVENTORY_WRITE),
    session: Session = DB,
) -> Response:
    upload = form_data.get("file")
    dry_run = form_data.get("dry_run") in ("on", "true", "1")
    if not isinstance(upload, UploadFile) or not upload.filename:
        context = _context(principal, error="请选择要导入的文件（xlsx、CSV 或 CSV 压缩包）", dry_run=dry_run)
        return render(request, "sheets/imports.html", context, status_code=422)
    display_name = Path(upload.filename).name
    suffix = Path(display_name).suffix.lower()
    context = _context(principal, dry_run=dry_run, filename=display_name)
    with tempfile.TemporaryDirectory(prefix="taizhang-import-") as folder:
        path = Path(folder) / f"upload{suffix if suffix in SUFFIXES else '.xlsx'}"
        with path.open("wb") as target:
            shutil.copyfileobj(upload.file, target, 1 << 20)
        try:
            result = service.run_import(
                session, path, display_name=display_name, scope=principal.scope, dry_run=dry_run
            )
        except DomainError as exc:
            session.rollback()
            context["error"] = exc.message
            return render(request, "sheets/imports.html", context, status_code=422)
        context["result"] = result.summary()
        if result.ok:
            return render(request, "sheets/imports.html", context)
        content = service.marked_copy_bytes(path, result, display_name)
    context["error"] = service.refusal_message(result)
    context["problems"] = result.problems
    context["marked"] = {
        "token": keep_marked_copy(content, service.marked_copy_name(display_name), principal.username),
        "filename": service.marked_copy_name(display_name),
    }
    return render(request, "sheets/imports.html", context, status_code=422)


@router.get("/imports/marked/{token}")
def marked_copy(token: str, principal: Principal = page_allow(Permission.INVENTORY_WRITE)) -> Response:
    if not token.replace("-", "").replace("_", "").isalnum() or len(token) > 64:
        raise NotFound("标注文件不存在或已过期")
    folder = _marks_dir()
    meta_path = folder / f"{token}.json"
    if not meta_path.exists():
        raise NotFound("标注文件不存在或已过期")
    meta = json.loads(meta_path.read_text("utf-8"))
    if meta.get("owner") != principal.username:
        raise NotFound("标注文件不存在或已过期")
    content = (folder / f"{token}.xlsx").read_bytes()
    disposition = f"attachment; filename=\"marked.xlsx\"; filename*=UTF-8''{quote(meta['filename'])}"
    return Response(content, media_type=service.XLSX_TYPE, headers={"Content-Disposition": disposition})
