"""Fuzzed imports: messy rows and damaged files never crash the API and never leave partial data.

Export neutralises formula injection: text starting with = + - @ is written with a leading ``'``,
and reads back unchanged.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sheet_builders import UNITS_SHEET
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from inventory.models import System, Unit
from security.grading.models import MlpsGrading

FUZZ = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
FORMULAS = [
    "=1+1",
    "+1",
    "-1",
    "@SUM(A1:A2)",
    '=HYPERLINK("http://example.invalid","x")',
    "=cmd|' /C calc'!A0",
]
HEADERS = [
    "序号",
    "目录编号",
    "系统名称",
    "责任单位",
    "安全保护等级",
    "上线时间",
    "部署方式",
    "是否关键信息基础设施",
]
GRADING_HEADERS = ["系统目录编号", "等保级别", "定级时间", "专家评审时间", "主管部门"]

cells = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2100, 1, 1)),
    st.sampled_from(FORMULAS),
    st.sampled_from(
        ["ＸＦ－００１", "第三级", "2024年3月5日", "2024年13月40日", "县教育局", "是", "市级政务云"]
    ),
    st.sampled_from(["长" * 40000, "=" + "1+" * 5000 + "1"]),
)
rows = st.lists(st.lists(cells, max_size=len(HEADERS) + 2), min_size=1, max_size=6)


def _counts(session: Session) -> tuple[int, ...]:
    session.expire_all()
    return tuple(
        int(session.execute(select(func.count()).select_from(m)).scalar_one())
        for m in (Unit, System, MlpsGrading)
    )


def _xlsx(sheets: dict[str, list[list[Any]]]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, data in sheets.items():
        ws = workbook.create_sheet(name)
        for row in data:
            ws.append([ILLEGAL_CHARACTERS_RE.sub("", v)[:32767] if isinstance(v, str) else v for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _csv(data: list[list[Any]], encoding: str) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(data)
    return buffer.getvalue().encode(encoding, errors="replace")


def _post(client: TestClient, name: str, content: bytes, session: Session) -> None:
    before = _counts(session)
    response = client.post("/api/v1/imports", files={"file": (name, content)})
    assert response.status_code < 500, response.text
    if response.status_code != 200:
        assert 400 <= response.status_code < 500
        body = response.json()
        assert body.get("problems") or body.get("detail"), body
        assert _counts(session) == before, "a refused import must write nothing"


@FUZZ
@given(
    systems=rows, gradings=rows, as_csv=st.booleans(), encoding=st.sampled_from(["utf-8", "gbk", "utf-16"])
)
def test_messy_rows_never_crash_or_write_partially(
    client: TestClient,
    session: Session,
    systems: list[list[Any]],
    gradings: list[list[Any]],
    as_csv: bool,
    encoding: str,
) -> None:
    if as_csv:
        _post(client, "系统.csv", _csv([HEADERS, *systems], encoding), session)
    else:
        sheets = {"单位": UNITS_SHEET, "系统": [HEADERS, *systems], "定级": [GRADING_HEADERS, *gradings]}
        _post(client, "台账.xlsx", _xlsx(sheets), session)


def _valid_workbook() -> bytes:
    return _xlsx(
        {"单位": [list(r) for r in UNITS_SHEET], "系统": [HEADERS, [1, "XF-001", "学籍系统", "县教育局"]]}
    )


@FUZZ
@given(
    damage=st.sampled_from(["truncate", "flip", "random", "zip_of_junk"]),
    cut=st.floats(min_value=0, max_value=1),
    junk=st.binary(min_size=0, max_size=2048),
    suffix=st.sampled_from([".xlsx", ".csv", ".zip", ".xls", ""]),
)
def test_damaged_files_are_refused_cleanly(
    client: TestClient, session: Session, damage: str, cut: float, junk: bytes, suffix: str
) -> None:
    good = _valid_workbook()
    if damage == "truncate":
        content = good[: int(len(good) * cut)]
    elif damage == "flip":
        at = int((len(good) - 1) * cut)
        content = good[:at] + bytes([good[at] ^ 0xFF]) + junk[:16] + good[at + 1 :]
    elif damage == "random":
        content = junk
    else:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("系统.csv", junk)
            archive.writestr("[Content_Types].xml", junk[:64])
        content = buffer.getvalue()
    _post(client, f"damaged{suffix}", content, session)


def test_formula_text_is_neutralised_on_export_and_reads_back(client: TestClient, session: Session) -> None:
    unit = client.post(
        "/api/v1/inventory/units",
        json={"code": "JY01", "name": "=1+1", "kind": "county_department", "contact_person": "@admin"},
    )
    assert unit.status_code == 201, unit.text
    body = {
        "catalogue_number": "XF-001",
        "name": "+1 系统",
        "owner_unit_id": unit.json()["id"],
        "purpose": "-x",
    }
    assert client.post("/api/v1/inventory/systems", json=body).status_code == 201

    xlsx = client.get("/api/v1/exports/ledger").content
    ws = load_workbook(io.BytesIO(xlsx))["单位"]
    names = {c.value for row in ws.iter_rows(min_row=2) for c in row}
    assert {"'=1+1", "'@admin"} <= names
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    zipped = client.get("/api/v1/exports/ledger", params={"format": "csv"}).content
    with zipfile.ZipFile(io.BytesIO(zipped)) as archive:
        systems_csv = archive.read("信息系统.csv").decode("utf-8-sig")
    assert "'+1 系统" in systems_csv and "'-x" in systems_csv

    for name, content in (("ledger.xlsx", xlsx), ("ledger.zip", zipped)):
        again = client.post("/api/v1/imports", files={"file": (name, content)})
        assert again.status_code == 200, again.text
        assert all(s["created"] == 0 and s["updated"] == 0 for s in again.json()["sheets"]), again.text
    session.expire_all()
    assert session.execute(select(Unit.name)).scalar_one() == "=1+1"
