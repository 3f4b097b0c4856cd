"""Attach, list, fetch and remove evidence files; every access is checked against the target record."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any, BinaryIO

from pydantic import Field
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from security.evidence import registry, storage
from security.evidence.choices import EvidenceKind
from security.evidence.models import EvidenceFile
from taizhang.auth.principal import ALL, Scope
from taizhang.errors import NotFound
from taizhang.schemas import ReadSchema, RowMeta


class EvidenceRead(RowMeta):
    model_config = ReadSchema.model_config
    object_type: str = Field(description="所属记录类型")
    object_id: int = Field(description="所属记录编号")
    kind: EvidenceKind = Field(description="材料类别")
    filename: str = Field(description="文件名")
    media_type: str = Field(description="文件类型")
    size: int = Field(description="大小（字节）")
    sha256: str = Field(description="SHA-256")
    description: str = Field(description="说明")
    uploaded_by: str = Field(description="上传人")


def clean_filename(name: str | None) -> str:
    """The last path segment without control characters, at most 200 characters; never empty."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip().strip(".")
    return base[:200] or "evidence"


def attach(
    session: Session,
    *,
    object_type: str,
    object_id: int,
    kind: EvidenceKind,
    filename: str | None,
    stream: BinaryIO,
    description: str = "",
    scope: Scope = ALL,
    max_bytes: int | None = None,
) -> EvidenceFile:
    """Store the file and attach it; the target must exist and be readable by ``scope``."""
    registry.check_target(session, object_type, object_id, scope)
    blob = storage.store(stream, max_bytes=max_bytes)
    evidence = EvidenceFile(
        object_type=object_type,
        object_id=object_id,
        kind=kind,
        filename=clean_filename(filename),
        media_type=blob.media_type,
        size=blob.size,
        sha256=blob.sha256,
        description=description,
        uploaded_by=str(session.info.get("actor", "")),
    )
    session.add(evidence)
    session.flush()
    return evidence


def list_query(
    *, scope: Scope = ALL, object_type: str | None = None, object_id: int | None = None
) -> Select[Any]:
    stmt = select(EvidenceFile).order_by(EvidenceFile.id)
    if object_type is not None:
        registry.lookup(object_type)
        stmt = stmt.where(EvidenceFile.object_type == object_type)
    if object_id is not None:
        stmt = stmt.where(EvidenceFile.object_id == object_id)
    clause = registry.readable_clause(EvidenceFile.object_type, EvidenceFile.object_id, scope)
    return stmt if clause is None else stmt.where(clause)


def get(session: Session, evidence_id: int, *, scope: Scope = ALL) -> EvidenceFile:
    evidence = session.get(EvidenceFile, evidence_id)
    if evidence is None:
        raise NotFound(f"佐证材料 {evidence_id} 不存在")
    try:
        registry.check_target(session, evidence.object_type, evidence.object_id, scope)
    except NotFound:
        raise NotFound(f"佐证材料 {evidence_id} 不存在") from None
    return evidence


def blob_of(evidence: EvidenceFile) -> Path:
    return storage.open_blob(evidence.sha256)


def delete(session: Session, evidence_id: int, *, scope: Scope = ALL) -> None:
    """Removes the record; the blob stays (other records may share it, and the change log cites it)."""
    session.delete(get(session, evidence_id, scope=scope))
    session.flush()
