"""The import and export routes: lossless round trip, refusals a web page can show, unit scope."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sheet_builders import UNITS_SHEET, county_xlsx
from sqlalchemy import delete
from sqlalchemy.orm import Session

from exporters.sheets.spec import all_sheets
from taizhang import crud
from taizhang.changelog import ChangeLogEntry, ChangeLogHead
from taizhang.models import metadata

INV = "/api/v1/inventory"
INVENTORY_TABLES = (
    "host_systems",
    "project_systems",
    "resources",
    "product_usages",
    "network_attachments",
    "hosts",
    "projects",
    "products",
    "systems",
    "units",
)


def _post(client: TestClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"{INV}/{path}", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def seed_every_field(client: TestClient) -> None:
    """One row per entity with every field away from its default."""
    parent = _post(
        client, "units", {"code": "ZF", "name": "县人民政府办公室（县外事办）", "kind": "county_department"}
    )
    unit = _post(
        client,
        "units",
        {
            "code": "JY01",
            "name": "县教育局",
            "kind": "township",
            "parent_id": parent["id"],
            "contact_person": "张三",
            "contact_phone": "0357-1234567",
        },
    )
    common = {"owner_unit_id": unit["id"], "purpose": "学籍、资助管理", "lifecycle": "building"}
    s1 = _post(
        client,
        "systems",
        {
            **common,
            "catalogue_number": "XF-JY-001",
            "name": "学籍管理系统",
            "go_live_date": "2024-03-05",
            "mlps_level": 3,
            "critical_infrastructure": True,
            "data_sharing": "partial",
            "base_libraries_fed": ["natural_person", "spatial"],
            "base_libraries_used": ["e_license"],
            "hosting": "migrating",
            "needs_crypto_assessment": False,
        },
    )
    s2 = _post(client, "systems", {**common, "catalogue_number": "XF-JY-002", "name": "资助系统"})
    _post(
        client,
        "hosts",
        {
            "hostname": "jy-db01",
            "kind": "physical",
            "ip_addresses": ["10.1.2.3", "fe80::1"],
            "os_name": "银河麒麟",
            "os_version": "V10 SP3",
            "cpu_arch": "loongarch64",
            "location": "县机房（二楼）",
            "role": "db",
            "unit_id": unit["id"],
            "system_ids": [s1["id"], s2["id"]],
            "netbox_kind": "vm",
            "netbox_id": 5,
            "lifecycle": "retired",
            "replacement_plan": "迁移至政务云",
            "replacement_date": "2026-06-30",
        },
    )
    _post(
        client,
        "network-attachments",
        {
            "system_id": s1["id"],
            "network": "private",
            "name": "教育专网",
            "approval_reference": "襄政信函〔2024〕3号",
            "approval_date": "2024-01-02",
            "description": "省教育厅专线",
        },
    )
    product = _post(
        client,
        "products",
        {
            "product_class": "base_software",
            "category": "数据库",
            "vendor": "达梦",
            "model": "DM8",
            "product_version": "8.1.3",
            "cpu_arch": "aarch64",
            "controllability": "partial",
            "evidence_reference": "安可-2023-001",
            "evidence_expiry": "2027-12-31",
            "end_of_support": "2030-01-01",
            "replacement_plan": "无",
            "replacement_date": "2029-01-01",
        },
    )
    _post(client, "product-usages", {"system_id": s1["id"], "product_id": product["id"], "quantity": 3})
    _post(
        client,
        "projects",
        {
            "name": "教育云项目",
            "implementing_unit_id": unit["id"],
            "kind": "upgrade",
            "total_budget": "1234567.89",
            "yearly_budgets": {"2025": "600000.5", "2026": "400000"},
            "contractor": "某某科技有限公司",
            "supervision_unit": "某某监理公司",
            "construction_started_on": "2025-01-10",
            "approved_on": "2024-11-01",
            "budget_reviewed_on": "2024-10-01",
            "contract_signed_on": "2024-12-02",
            "contract_filed_on": "2024-12-06",
            "supervision_filed_on": "2024-12-10",
            "accepted_on": "2025-12-01",
            "acceptance_report_filed_on": "2025-12-20",
            "controllability_checked": True,
            "self_evaluations": {"2025": "2026-03-01"},
            "system_ids": [s1["id"], s2["id"]],
        },
    )
    _post(
        client,
        "resources",
        {
            "system_id": s1["id"],
            "name": "学生基本信息",
            "owner_unit_id": parent["id"],
            "format": "api",
            "update_cycle": "quarterly",
            "sharing": "conditional",
            "sharing_condition": "仅限教育系统",
            "openness": "closed",
            "openness_condition": "涉及个人信息",
            "data_owner": "李四",
            "data_checker": "王五",
            "registered_on_platform": True,
            "registered_on": "2025-02-03",
        },
    )


def ledger_snapshot(session: Session) -> dict[str, list[str]]:
    """Every field of every row, with references written as natural keys (ids differ after re-import)."""
    session.expire_all()
    names: dict[str, dict[int, Any]] = {}
    for spec in all_sheets():
        rows = session.execute(crud.list_query(spec.entity)).scalars()
        names[spec.name] = (
            {o.id: [getattr(o, c) for c in spec.lookups[0]] for o in rows} if spec.lookups else {}
        )
    out: dict[str, list[str]] = {}
    for spec in all_sheets():
        stmt = crud.list_query(spec.entity).options(*spec.entity.load_options)
        rows = []
        for obj in session.execute(stmt).scalars():
            data = spec.entity.read.model_validate(obj).model_dump(mode="json")
            for meta in ("id", "version", "created_at", "updated_at"):
                data.pop(meta)
            for ref in spec.refs:
                value = data[ref.field]
                if ref.many:
                    data[ref.field] = sorted(names[ref.target][i] for i in value)
                elif value is not None:
                    data[ref.field] = names[ref.target][value]
            rows.append(json.dumps(data, ensure_ascii=False, sort_keys=True, default=str))
        out[spec.name] = sorted(rows)
    return out


def wipe_inventory(session: Session) -> None:
    for name in INVENTORY_TABLES:
        table = metadata.tables[name]
        if name == "units":  # children before parents: SQLite checks the self-reference row by row
            session.execute(delete(table).where(table.c.parent_id.is_not(None)))
        session.execute(delete(table))
    session.execute(delete(ChangeLogHead))
    session.execute(delete(ChangeLogEntry))
    session.commit()


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_export_then_import_is_lossless(
    client: TestClient, session: Session, tmp_path: Path, fmt: str
) -> None:
    seed_every_field(client)
    before = ledger_snapshot(session)
    inventory_sheets = [s.name for s in all_sheets() if s.entity.model.__table__.name in INVENTORY_TABLES]
    assert all(before[name] for name in inventory_sheets), "every inventory sheet must hold a row"

    exported = client.get("/api/v1/exports/ledger", params={"format": fmt})
    assert exported.status_code == 200
    assert "filename*=UTF-8''" in exported.headers["content-disposition"]

    # Re-importing the export into the same ledger changes nothing.
    upload = {"file": (f"ledger.{'xlsx' if fmt == 'xlsx' else 'zip'}", exported.content)}
    same = client.post("/api/v1/imports", files=upload)
    assert same.status_code == 200, same.text
    assert all(s["created"] == 0 and s["updated"] == 0 for s in same.json()["sheets"])

    wipe_inventory(session)
    restored = client.post("/api/v1/imports", files=upload)
    assert restored.status_code == 200, restored.text
    assert {s["entity"]: s["created"] for s in restored.json()["sheets"] if s["created"]} == {
        "单位": 2,
        "信息系统": 2,
        "主机": 1,
        "网络接入": 1,
        "产品": 1,
        "产品使用": 1,
        "项目": 1,
        "信息资源": 1,
    }
    assert ledger_snapshot(session) == before


def test_export_has_chinese_headers_and_drop_downs(client: TestClient, tmp_path: Path) -> None:
    seed_every_field(client)
    content = client.get("/api/v1/exports/ledger").content
    workbook = load_workbook(io.BytesIO(content))
    assert [n for n in workbook.sheetnames if n != "选项"] == [s.name for s in all_sheets()]
    assert workbook["选项"].sheet_state == "hidden"
    systems = workbook["信息系统"]
    headers = [c.value for c in systems[1]]
    assert headers[:4] == ["目录编号", "系统名称", "主管单位", "主要用途"]
    assert systems["C2"].value == "县教育局"
    assert systems["H2"].value == "第三级"
    rules = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in systems.data_validations.dataValidation}
    hosting_column = "ABCDEFGHIJKLMN"[headers.index("部署位置")]
    assert f"{hosting_column}2" in rules and rules[f"{hosting_column}2"].startswith("'选项'!")
    options = workbook["选项"]
    listed = {c.value for col in options.iter_cols() for c in col if c.value}
    assert {"市级政务云", "第五级", "是", "业务专网"} <= listed

    archive = zipfile.ZipFile(io.BytesIO(client.get("/api/v1/exports/ledger?format=csv").content))
    raw = archive.read("主机.csv")
    assert raw.startswith(b"\xef\xbb\xbf") and "主机名".encode() in raw


def test_refusal_is_422_with_problems_and_marked_copy(client: TestClient, tmp_path: Path) -> None:
    systems = [
        ["目录编号", "系统名称", "主管单位", "等保级别"],
        ["XF-001", "学籍管理系统", "县教育局", "高级"],
    ]
    path = county_xlsx(tmp_path / "问题台账.xlsx", {"单位": UNITS_SHEET, "信息系统": systems})
    response = client.post("/api/v1/imports", files={"file": (path.name, path.read_bytes())})
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "导入被拒绝：发现 1 个问题，未写入任何数据"
    assert body["problems"] == [
        {
            "sheet": "信息系统",
            "row": 2,
            "column": "等保级别",
            "value": "高级",
            "reason": "无法识别的等保级别“高级”，请写成“第三级”或 3",
            "field": "mlps_level",
        }
    ]
    copy = body["marked_copy"]
    assert copy["filename"] == "问题台账（问题标注）.xlsx"
    marked = load_workbook(io.BytesIO(base64.b64decode(copy["content_base64"])))
    assert marked["信息系统"]["D2"].comment is not None
    assert client.get(f"{INV}/units").json()["count"] == 0

    dry = client.post(
        "/api/v1/imports",
        files={"file": ("u.xlsx", county_xlsx(tmp_path / "u.xlsx", {"单位": UNITS_SHEET}).read_bytes())},
        data={"dry_run": "true"},
    )
    assert dry.status_code == 200 and dry.json()["written"] is False
    assert client.get(f"{INV}/units").json()["count"] == 0

    broken = client.post("/api/v1/imports", files={"file": ("坏文件.xlsx", b"PK\x03\x04 not really a zip")})
    assert broken.status_code == 422 and "xlsx" in broken.json()["detail"]
    empty = client.post("/api/v1/imports", files={"file": ("空.csv", b"")})
    assert empty.status_code == 422 and "没有可识别的台账工作表" in empty.json()["problems"][0]["reason"]


def test_unit_user_imports_and_exports_only_own_units(
    client: TestClient, make_user: Callable[..., dict[str, str]], tmp_path: Path
) -> None:
    ok = client.post(
        "/api/v1/imports",
        files={"file": ("u.xlsx", county_xlsx(tmp_path / "u.xlsx", {"单位": UNITS_SHEET}).read_bytes())},
    )
    assert ok.status_code == 200, ok.text
    units = {u["code"]: u["id"] for u in client.get(f"{INV}/units").json()["results"]}
    headers = make_user("jy_staff", "unit", (units["JY01"],))
    systems = [
        ["目录编号", "系统名称", "主管单位"],
        ["XF-001", "学籍管理系统", "县教育局"],
        ["MZ-001", "低保系统", "县民政局"],
    ]
    mixed = county_xlsx(tmp_path / "mixed.xlsx", {"信息系统": systems})
    refused = client.post(
        "/api/v1/imports", files={"file": ("mixed.xlsx", mixed.read_bytes())}, headers=headers
    )
    assert refused.status_code == 422
    assert [(p["row"], p["reason"]) for p in refused.json()["problems"]] == [(3, "只能导入本单位的信息系统")]

    own = county_xlsx(tmp_path / "own.xlsx", {"信息系统": systems[:2]})
    accepted = client.post("/api/v1/imports", files={"file": ("own.xlsx", own.read_bytes())}, headers=headers)
    assert accepted.status_code == 200, accepted.text
    log = client.get("/api/v1/changelog", params={"object_type": "inventory.system"}).json()["results"]
    assert [(e["actor"], e["action"], e["object_repr"]) for e in log] == [
        ("jy_staff", "create", "学籍管理系统")
    ]
    assert _post(
        client, "systems", {"catalogue_number": "MZ-001", "name": "低保系统", "owner_unit_id": units["MZ01"]}
    )

    # The unit user's export holds their system only, and imports back unchanged.
    exported = client.get("/api/v1/exports/ledger", headers=headers)
    assert exported.status_code == 200
    workbook = load_workbook(io.BytesIO(exported.content), read_only=True)
    numbers = [r[0] for r in workbook["信息系统"].iter_rows(min_row=2, values_only=True)]
    assert numbers == ["XF-001"]
    back = client.post("/api/v1/imports", files={"file": ("mine.xlsx", exported.content)}, headers=headers)
    assert back.status_code == 200, back.text

    # Units are not unit-writable: a unit user cannot add one by import.
    new_unit = county_xlsx(
        tmp_path / "nu.xlsx", {"单位": [["单位编码", "单位名称", "单位类型"], ["X1", "新单位", "乡镇"]]}
    )
    assert (
        client.post(
            "/api/v1/imports", files={"file": ("nu.xlsx", new_unit.read_bytes())}, headers=headers
        ).status_code
        == 422
    )

    auditor = make_user("auditor1", "auditor")
    denied = client.post("/api/v1/imports", files={"file": ("own.xlsx", own.read_bytes())}, headers=auditor)
    assert denied.status_code == 403
    assert client.get("/api/v1/exports/ledger", headers=auditor).status_code == 200
