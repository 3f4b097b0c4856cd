"""What a file really is, from its first bytes; the name and the client's Content-Type are ignored.

Accepted: PDF, PNG, JPEG, GIF, OFD, Office Open XML (docx/xlsx/pptx), other ZIP archives, legacy
Office (OLE2) and plain UTF-8 / GB18030 text. Refused: HTML, SVG, XML, scripts, executables and
anything unrecognised — evidence must never become active content in a browser.
"""

from __future__ import annotations

import io
import re
import zipfile

from taizhang.errors import Invalid

SNIFF_BYTES = 8192
_MAGIC: list[tuple[bytes, str]] = [
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),
]
_OOXML = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
_ACTIVE_MARKUP = re.compile(
    rb"<\s*(!doctype\s+html|html|head|body|script|svg|iframe|object|embed|meta|link|style|\?xml)\b|"
    rb"javascript:",
    re.IGNORECASE,
)
_EXECUTABLE = (b"MZ", b"\x7fELF", b"#!", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe")


def sniff(head: bytes, path_for_zip: str | None = None) -> str:
    """The media type of a file starting with ``head``; refuses active or unknown content.

    ``path_for_zip`` lets ZIP files be opened to tell OOXML and OFD from other archives.
    """
    if not head:
        raise Invalid("文件为空", field="file")
    for magic, media_type in _MAGIC:
        if head.startswith(magic):
            return media_type
    if head.startswith(b"PK\x03\x04"):
        return _zip_type(path_for_zip)
    if head.startswith(_EXECUTABLE):
        raise Invalid("不接受可执行文件或脚本", field="file")
    return _text_type(head)


def _zip_type(path: str | None) -> str:
    if path is None:
        return "application/zip"
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError):
        raise Invalid("ZIP 文件已损坏，无法识别", field="file") from None
    if "OFD.xml" in names:
        return "application/ofd"
    if "[Content_Types].xml" in names:
        for prefix, media_type in _OOXML.items():
            if any(n.startswith(prefix) for n in names):
                return media_type
    return "application/zip"


def _text_type(head: bytes) -> str:
    sample = head.removeprefix(b"\xef\xbb\xbf")
    if b"\x00" in sample:
        raise Invalid("无法识别的文件类型：仅接受 PDF、图片、OFD、Office 文档、ZIP 和纯文本", field="file")
    if _ACTIVE_MARKUP.search(sample):
        raise Invalid("不接受 HTML、SVG、XML 或含脚本的文件", field="file")
    for encoding in ("utf-8", "gb18030"):
        try:
            # a multi-byte character may be cut at the end of the sample
            io.TextIOWrapper(io.BytesIO(sample), encoding=encoding, errors="strict").read()
        except UnicodeDecodeError as exc:
            if exc.start >= len(sample) - 4:
                return f"text/plain; charset={encoding}"
            continue
        return f"text/plain; charset={encoding}"
    raise Invalid("无法识别的文件类型：仅接受 PDF、图片、OFD、Office 文档、ZIP 和纯文本", field="file")
