"""Routes under ``/api/v1/security/evidence``: upload, list, metadata, download, delete."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import FileResponse
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from security.evidence import registry, service
from security.evidence.choices import EvidenceKind
from security.evidence.service import EvidenceRead
from security.evidence.storage import TooLarge, limit_text
from taizhang.api import DB, allow
from taizhang.auth.principal import Principal
from taizhang.auth.roles import Permission
from taizhang.pagination import Page, PageParams, build_page, fetch_page
from taizhang.settings import get_settings

# Room for the multipart envelope and the form fields around the file itself.
_ENVELOPE_BYTES = 64 * 1024


class _BoundedUpload(APIRoute):
    """Refuses an upload whose declared Content-Length is over the limit before reading the body.

    Without this, the multipart parser would spool the whole body to disk first. A chunked body
    with no Content-Length is still read, and stopped at the limit by ``storage.store``.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def bounded(request: Request) -> Response:
            declared = request.headers.get("content-length", "")
            limit = get_settings().evidence_max_bytes
            if request.method == "POST" and declared.isdigit() and int(declared) > limit + _ENVELOPE_BYTES:
                raise TooLarge(f"文件超过大小上限 {limit_text(limit)}", field="file")
            return await handler(request)

        return bounded


router = APIRouter(prefix="/security/evidence", tags=["佐证材料"], route_class=_BoundedUpload)
_PAGE = Depends(PageParams)


@router.get("/types", summary="可附加佐证材料的记录类型")
def types(principal: Principal = allow(Permission.SECURITY_READ)) -> list[dict[str, str]]:
    return [{"object_type": t, "label": a.label} for t, a in registry.attachable_types().items()]


@router.get("", response_model=Page[EvidenceRead], summary="佐证材料列表")
def list_evidence(
    request: Request,
    object_type: str | None = Query(None, description="所属记录类型，如 inventory.project"),
    object_id: int | None = Query(None, description="所属记录编号"),
    page: PageParams = _PAGE,
    principal: Principal = allow(Permission.SECURITY_READ),
    session: Session = DB,
) -> dict[str, Any]:
    stmt = service.list_query(scope=principal.scope, object_type=object_type, object_id=object_id)
    total, rows = fetch_page(session, stmt, page)
    return build_page(
        request, total, rows, page, lambda r: EvidenceRead.model_validate(r).model_dump(mode="json")
    )


@router.post("", status_code=201, response_model=EvidenceRead, summary="上传佐证材料")
def upload(
    object_type: str = Form(description="所属记录类型，如 security.drill"),
    object_id: int = Form(description="所属记录编号"),
    kind: EvidenceKind = Form(description="材料类别"),
    description: str = Form("", max_length=2000, description="说明"),
    file: UploadFile = File(description="文件"),
    principal: Principal = allow(Permission.SECURITY_WRITE),
    session: Session = DB,
) -> Any:
    evidence = service.attach(
        session,
        object_type=object_type,
        object_id=object_id,
        kind=kind,
        filename=file.filename,
        stream=file.file,
        description=description,
        scope=principal.scope,
    )
    return EvidenceRead.model_validate(evidence)


@router.get("/{evidence_id}", response_model=EvidenceRead, summary="佐证材料详情")
def get_evidence(
    evidence_id: int, principal: Principal = allow(Permission.SECURITY_READ), session: Session = DB
) -> Any:
    return EvidenceRead.model_validate(service.get(session, evidence_id, scope=principal.scope))


def content_disposition(filename: str) -> str:
    fallback = "".join(
        ch if ch.isascii() and ch.isprintable() and ch not in '"\\;' else "_" for ch in filename
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@router.get("/{evidence_id}/download", summary="下载佐证材料（始终作为附件）")
def download(
    evidence_id: int, principal: Principal = allow(Permission.SECURITY_READ), session: Session = DB
) -> FileResponse:
    evidence = service.get(session, evidence_id, scope=principal.scope)
    headers = {
        "Content-Disposition": content_disposition(evidence.filename),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, no-store",
    }
    return FileResponse(service.blob_of(evidence), media_type=evidence.media_type, headers=headers)


@router.delete("/{evidence_id}", status_code=204, summary="删除佐证材料")
def delete_evidence(
    evidence_id: int, principal: Principal = allow(Permission.SECURITY_WRITE), session: Session = DB
) -> Response:
    service.delete(session, evidence_id, scope=principal.scope)
    return Response(status_code=204)
