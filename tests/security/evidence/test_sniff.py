"""Type sniffing from magic bytes: what is accepted and what is refused as active content."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from security.evidence.service import clean_filename
from security.evidence.sniff import sniff
from taizhang.errors import Invalid


@pytest.mark.parametrize(
    ("head", "media_type"),
    [
        (b"%PDF-1.4\n", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n\x00", "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"GIF89a", "image/gif"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00", "application/x-ole-storage"),
        ("备案证明编号：61102\n".encode(), "text/plain; charset=utf-8"),
        ("备案证明编号：61102\n".encode("gb18030"), "text/plain; charset=gb18030"),
        (("数据" * 3000).encode()[:8191], "text/plain; charset=utf-8"),  # a character cut at the end
    ],
)
def test_accepted(head: bytes, media_type: str) -> None:
    assert sniff(head) == media_type


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b"<!DOCTYPE html><html>",
        b"  <HTML><body>",
        b"\xef\xbb\xbf<svg xmlns='http://www.w3.org/2000/svg'/>",
        b"<?xml version='1.0'?><svg/>",
        b"hello <script>alert(1)</script>",
        b"<a href='javascript:alert(1)'>x</a>",
        b"#!/bin/sh\n",
        b"MZ\x90\x00",
        b"\x7fELF\x02\x01",
        b"\x00\x01binary",
        b"\xff\xfe\xfd\xfc\x80\x81 not text",
    ],
)
def test_refused(head: bytes) -> None:
    with pytest.raises(Invalid) as info:
        sniff(head)
    assert info.value.field == "file"


def _zip(tmp_path: Path, names: list[str]) -> tuple[bytes, str]:
    path = tmp_path / "a.zip"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    path.write_bytes(buffer.getvalue())
    return buffer.getvalue()[:64], str(path)


@pytest.mark.parametrize(
    ("names", "suffix"),
    [
        (["[Content_Types].xml", "xl/workbook.xml"], "spreadsheetml.sheet"),
        (["[Content_Types].xml", "ppt/presentation.xml"], "presentationml.presentation"),
        (["OFD.xml", "Doc_0/Document.xml"], "application/ofd"),
        (["readme.txt"], "application/zip"),
    ],
)
def test_zip_kinds(tmp_path: Path, names: list[str], suffix: str) -> None:
    head, path = _zip(tmp_path, names)
    assert sniff(head, path).endswith(suffix)


def test_corrupt_zip_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.zip"
    path.write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(Invalid):
        sniff(b"PK\x03\x04garbage", str(path))


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\合同.pdf", "合同.pdf"),
        ("a\x00b\r\n.pdf", "ab.pdf"),
        ("..", "evidence"),
        (None, "evidence"),
    ],
)
def test_clean_filename(raw: str | None, clean: str) -> None:
    assert clean_filename(raw) == clean
