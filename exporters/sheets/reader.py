"""Read spreadsheets as streams of rows: xlsx (read-only), CSV in UTF-8 or GBK, a zip of CSVs.

Nothing here holds a whole workbook: each sheet is a re-iterable stream of ``(row_number, values)``
read from the file on demand, so a 50,000-row sheet never sits in memory.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from exporters.sheets.normalize import header_key, header_stem, is_blank, unguard
from exporters.sheets.spec import Column, SheetSpec
from taizhang.errors import Invalid

HEADER_SCAN_ROWS = 15
ENCODINGS = ("utf-8-sig", "gb18030")
IGNORED_HEADERS = frozenset({"序号", "编号no", "no", "no.", "行号"})

Row = tuple[int, tuple[Any, ...]]


@dataclass
class RawSheet:
    name: str
    rows: Callable[[], Iterator[Row]]


@dataclass
class Layout:
    """Where a spec's columns are in one sheet."""

    spec: SheetSpec
    sheet: RawSheet
    header_row: int
    positions: dict[str, int]
    headers: dict[str, str]
    """Column key → the header text as written in the file."""
    ignored: list[str] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)


def file_kind(path: Path) -> str:
    with path.open("rb") as fh:
        magic = fh.read(8)
    suffix = path.suffix.lower()
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        raise Invalid("不支持旧版 .xls 格式，请在 Excel 中另存为 .xlsx 后再导入", field="file")
    if magic.startswith(b"PK"):
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError):
            raise Invalid(f"文件已损坏，无法作为 {suffix or '.xlsx'} 打开", field="file") from None
        return "xlsx" if "[Content_Types].xml" in names else "zip"
    if suffix in (".xlsx", ".xlsm", ".zip"):
        raise Invalid(f"文件不是有效的 {suffix} 文件（已损坏或扩展名不符）", field="file")
    return "csv"


@contextmanager
def open_sheets(path: Path, *, display_name: str | None = None) -> Iterator[list[RawSheet]]:
    """The sheets of a file; streams stay valid while the context is open."""
    kind = file_kind(path)
    stem = Path(display_name or path.name).stem
    if kind == "csv":
        yield [RawSheet(stem, lambda: _csv_rows(lambda: path.open("rb"), stem))]
    elif kind == "zip":
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.namelist() if m.lower().endswith(".csv") and not m.endswith("/")]
            yield [_zip_member(archive, member) for member in members]
    else:
        yield from _xlsx_sheets(path)


def _zip_member(archive: zipfile.ZipFile, member: str) -> RawSheet:
    name = _zip_name(member)
    return RawSheet(name, lambda: _csv_rows(lambda: archive.open(member), name))


def _zip_name(member: str) -> str:
    raw = member.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    try:  # zip tools on Chinese Windows write GBK names without the UTF-8 flag
        return raw.encode("cp437").decode("gb18030")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return raw


def _xlsx_sheets(path: Path) -> Iterator[list[RawSheet]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise Invalid(f"无法读取 xlsx 文件：{exc}", field="file") from None
    try:
        sheets = []
        for worksheet in workbook.worksheets:
            if getattr(worksheet, "sheet_state", "visible") != "visible":
                continue
            sheets.append(RawSheet(worksheet.title, _xlsx_stream(worksheet)))
        yield sheets
    finally:
        workbook.close()


def _xlsx_stream(worksheet: Any) -> Callable[[], Iterator[Row]]:
    def rows() -> Iterator[Row]:
        worksheet.reset_dimensions()  # some generators write a wrong <dimension>
        try:
            for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
                yield number, tuple(map(unguard, values))
        except Exception as exc:  # damaged sheet XML surfaces only while streaming
            raise Invalid(f"工作表“{worksheet.title}”已损坏，无法读取：{exc}", field="file") from None

    return rows


def detect_encoding(open_binary: Callable[[], IO[bytes]], name: str = "") -> str:
    """UTF-16 with its BOM; UTF-8 (with or without BOM) when the whole file decodes as UTF-8; else
    GB18030 (⊇ GBK). A file that is none of these is refused, naming the encodings accepted."""
    with open_binary() as fh:
        if fh.read(2) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            return "utf-16"
    for encoding in ("utf-8-sig", "gb18030"):
        if _decodes(open_binary, encoding):
            return encoding
    raise Invalid(f"CSV 文件“{name}”的编码无法识别，请另存为 UTF-8 或 GBK 编码", field="file")


def _decodes(open_binary: Callable[[], IO[bytes]], encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    with open_binary() as fh:
        try:
            while chunk := fh.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _csv_rows(open_binary: Callable[[], IO[bytes]], name: str) -> Iterator[Row]:
    encoding = detect_encoding(open_binary, name)
    with open_binary() as raw:
        first_line = io.TextIOWrapper(raw, encoding=encoding, newline="").readline()
    delimiter = max(",\t;", key=first_line.count)
    with open_binary() as raw:
        reader = csv.reader(io.TextIOWrapper(raw, encoding=encoding, newline=""), delimiter=delimiter)
        try:
            for number, values in enumerate(reader, start=1):
                # only a cell starting with ' can be a guarded formula
                yield number, tuple(map(unguard, values)) if "'" in "".join(values) else tuple(values)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise Invalid(f"CSV 文件“{name}”无法读取：{exc}", field="file") from None


# ---------------------------------------------------------------- layout


_INDEXES: dict[int, dict[str, Column]] = {}


def _column_index(spec: SheetSpec) -> dict[str, Column]:
    if id(spec) in _INDEXES:
        return _INDEXES[id(spec)]
    index: dict[str, Column] = {}
    for column in spec.columns:
        for name in column.names():
            index.setdefault(header_key(name), column)
    for column in spec.columns:
        for name in column.names():
            index.setdefault(header_stem(header_key(name)), column)
    _INDEXES[id(spec)] = index
    return index


def match_header(spec: SheetSpec, cell: Any) -> Column | None:
    if is_blank(cell):
        return None
    index = _column_index(spec)
    key = header_key(cell)
    return index.get(key) or index.get(header_stem(key))


def _layout_at(spec: SheetSpec, sheet: RawSheet, number: int, values: tuple[Any, ...]) -> Layout:
    layout = Layout(spec, sheet, number, {}, {})
    for position, cell in enumerate(values):
        if is_blank(cell):
            continue
        column = match_header(spec, cell)
        text = str(cell).strip()
        if column is None:
            if header_key(cell) not in IGNORED_HEADERS:
                layout.ignored.append(text)
        elif column.key in layout.positions:
            layout.duplicates.append((layout.headers[column.key], text))
        else:
            layout.positions[column.key] = position
            layout.headers[column.key] = text
    return layout


def _name_matches(spec: SheetSpec, sheet_name: str) -> bool:
    key = header_key(sheet_name)
    return any(key == header_key(name) for name in (spec.name, *spec.aliases))


def find_layout(sheet: RawSheet, specs: list[SheetSpec]) -> Layout | None:
    """The spec and header row of a sheet: by sheet name first, else by the best-matching headers."""
    head = []
    for number, values in sheet.rows():
        head.append((number, values))
        if number >= HEADER_SCAN_ROWS:
            break
    named = [spec for spec in specs if _name_matches(spec, sheet.name)]
    best: Layout | None = None
    for spec in named or specs:
        for number, values in head:
            layout = _layout_at(spec, sheet, number, values)
            if len(layout.positions) >= 2 and (best is None or len(layout.positions) > len(best.positions)):
                best = layout
    return best
