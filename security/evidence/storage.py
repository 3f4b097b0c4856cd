"""Content-addressed blob store: ``<data_dir>/evidence/<sha256[:2]>/<sha256>``.

Paths are built only from a validated lowercase SHA-256, so nothing a client sends reaches the
file system. Identical content is stored once. Blobs are written to a temporary file beside the
store and renamed into place, so a reader never sees half a file.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from security.evidence.sniff import SNIFF_BYTES, sniff
from taizhang.errors import DomainError, NotFound
from taizhang.settings import get_settings

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_CHUNK = 1024 * 1024


class TooLarge(DomainError):
    status_code = 413
    code = "too_large"


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    size: int
    media_type: str


def store_root() -> Path:
    return get_settings().data_dir / "evidence"


def blob_path(sha256: str) -> Path:
    if not _SHA256.match(sha256):
        raise NotFound("佐证材料文件不存在")
    return store_root() / sha256[:2] / sha256


def limit_text(limit: int) -> str:
    return f"{limit / 1024 / 1024:.0f} MB" if limit >= 1024 * 1024 else f"{limit} 字节"


def store(stream: BinaryIO, *, max_bytes: int | None = None) -> StoredBlob:
    """Copy ``stream`` into the store (refusing it past ``max_bytes`` or of a refused type)."""
    limit = max_bytes if max_bytes is not None else get_settings().evidence_max_bytes
    root = store_root()
    root.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    head = b""
    fd, tmp_name = tempfile.mkstemp(prefix=".upload-", dir=root)
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise TooLarge(f"文件超过大小上限 {limit_text(limit)}", field="file")
                if len(head) < SNIFF_BYTES:
                    head += chunk[: SNIFF_BYTES - len(head)]
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        media_type = sniff(head, tmp_name)
        sha = digest.hexdigest()
        final = blob_path(sha)
        final.parent.mkdir(exist_ok=True)
        if final.exists():
            os.unlink(tmp_name)
        else:
            os.replace(tmp_name, final)
        return StoredBlob(sha, size, media_type)
    except BaseException:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
        raise


def open_blob(sha256: str) -> Path:
    path = blob_path(sha256)
    if not path.is_file():
        raise NotFound("佐证材料文件在存储中缺失，请联系管理员")
    return path
