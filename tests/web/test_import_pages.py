"""The imports/exports page: roles, refusals shown as a problem table with a marked copy, dry runs, CSRF."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from web_support import County, csrf_of

ROLES = ("admin", "ops", "security", "unit", "auditor")


def _xlsx(sheets: dict[str, list[list[Any]]]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        ws = workbook.create_sheet(name)
        for row in rows:
            ws.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


UNITS = [["单位编码", "单位名称", "单位类型"], ["GT01", "县国土局", "县直单位"]]
BAD_SYSTEMS = [
    ["目录编号", "系统名称", "主管单位", "等保级别"],
    ["GT-001", "不动产登记系统", "县国土局", "高级"],
]


def _count(session: Any, model: Any) -> int:
    session.expire_all()
    return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def test_imports_page_for_every_role(browser_as: Callable[[str], TestClient], county: County) -> None:
    clients = {role: browser_as(role) for role in ROLES}
    for role, client in clients.items():
        page = client.get("/imports")
        assert page.status_code == 200, role
        assert "/api/v1/exports/ledger?format=xlsx" in page.text and "format=csv" in page.text
        assert ('type="file"' in page.text) == (role in ("admin", "ops", "unit")), role
        assert ">导入导出<" in page.text.split("</nav>")[0]
    auditor = clients["auditor"]
    assert auditor.get("/api/v1/exports/ledger?format=csv").status_code == 200
    token = csrf_of(auditor.get("/imports").text)
    r = auditor.post(
        "/imports", data={"csrf_token": token}, files={"file": ("u.xlsx", _xlsx({"单位": UNITS}))}
    )
    assert r.status_code == 403


def test_refused_import_shows_problems_writes_nothing_and_offers_the_marked_copy(
    browser_as: Callable[[str], TestClient], county: County, session: Any
) -> None:
    from inventory.models import System, Unit

    ops = browser_as("ops")
    token = csrf_of(ops.get("/imports").text)
    before = (_count(session, Unit), _count(session, System))
    content = _xlsx({"单位": UNITS, "信息系统": BAD_SYSTEMS})
    r = ops.post("/imports", data={"csrf_token": token}, files={"file": ("问题台账.xlsx", content)})
    assert r.status_code == 422
    assert "导入被拒绝：发现 1 个问题，未写入任何数据" in r.text
    row = r.text.split('<table class="table compact problems">')[1].split("</tbody>")[0]
    for cell in ("信息系统", ">2<", "等保级别", "高级", "无法识别的等保级别"):
        assert cell in row, cell
    assert (_count(session, Unit), _count(session, System)) == before
    link = r.text.split('href="/imports/marked/')[1].split('"')[0]
    marked = ops.get(f"/imports/marked/{link}")
    assert marked.status_code == 200 and "filename*=UTF-8''" in marked.headers["content-disposition"]
    assert load_workbook(io.BytesIO(marked.content))["信息系统"]["D2"].comment is not None
    assert browser_as("admin").get(f"/imports/marked/{link}").status_code == 404  # only the uploader
    assert ops.get("/imports/marked/..%2F..%2Fetc").status_code == 404

    broken = ops.post("/imports", data={"csrf_token": token}, files={"file": ("坏.xlsx", b"PK\x03\x04 nope")})
    assert broken.status_code == 422 and "xlsx" in broken.text
    missing = ops.post("/imports", data={"csrf_token": token, "dry_run": "on"})
    assert missing.status_code == 422 and "请选择要导入的文件" in missing.text and "checked" in missing.text


def test_dry_run_then_real_import(
    browser_as: Callable[[str], TestClient], county: County, session: Any
) -> None:
    from inventory.models import Unit

    admin = browser_as("admin")
    token = csrf_of(admin.get("/imports").text)
    before = _count(session, Unit)
    file = {"file": ("单位.xlsx", _xlsx({"单位": UNITS}))}
    dry = admin.post("/imports", data={"csrf_token": token, "dry_run": "on"}, files=file)
    assert dry.status_code == 200 and "检查通过，未写入任何数据" in dry.text
    assert _count(session, Unit) == before
    done = admin.post(
        "/imports", data={"csrf_token": token}, files={"file": ("单位.xlsx", _xlsx({"单位": UNITS}))}
    )
    assert done.status_code == 200 and "导入完成" in done.text and ">1<" in done.text
    assert _count(session, Unit) == before + 1


@pytest.mark.parametrize("token", [None, "forged"])
def test_import_post_refuses_a_bad_csrf_token(
    browser_as: Callable[[str], TestClient], county: County, session: Any, token: str | None
) -> None:
    from inventory.models import Unit

    ops = browser_as("ops")
    data = {} if token is None else {"csrf_token": token}
    before = _count(session, Unit)
    r = ops.post("/imports", data=data, files={"file": ("u.xlsx", _xlsx({"单位": UNITS}))})
    assert r.status_code == 403 and "CSRF" in r.text
    assert _count(session, Unit) == before
