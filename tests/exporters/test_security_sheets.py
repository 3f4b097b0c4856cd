"""Security worksheets (等保, 密评, risk, plans, drills, incidents): lossless round trip, messy files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sheet_builders import UNITS_SHEET, count, county_xlsx, import_path
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload
from test_sheets_api import ledger_snapshot, seed_every_field

from inventory.models import System, Unit
from security.findings import background
from security.grading.choices import MlpsConclusion
from security.grading.models import CryptoAssessment, MlpsAssessment, MlpsGrading
from security.response.models import Incident
from taizhang.changelog import ChangeLogEntry, ChangeLogHead
from taizhang.models import metadata

SEC = "/api/v1/security"
KEEP = {"users", "api_tokens", "user_units"}
SECURITY_SHEETS = {
    "等保定级": 1,
    "等保备案": 1,
    "等保测评": 1,
    "等保自查": 1,
    "等保整改": 1,
    "密码应用方案": 1,
    "密评": 1,
    "风险评估": 1,
    "应急预案": 1,
    "应急演练": 1,
    "安全事件": 1,
}


def _post(client: TestClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"{SEC}/{path}", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def seed_security(client: TestClient, session: Session) -> None:
    """One security record per sheet, every field away from its default (timeline excepted)."""
    ids = dict(session.execute(select(System.catalogue_number, System.id)).all())
    s1, s2 = ids["XF-JY-001"], ids["XF-JY-002"]
    unit = session.execute(select(Unit.id).where(Unit.code == "JY01")).scalar_one()
    _post(
        client,
        "mlps-gradings",
        {
            "system_id": s1,
            "level": 3,
            "business_level": 3,
            "service_level": 2,
            "graded_on": "2024-04-01",
            "reason": "review",
            "expert_review_on": "2024-03-20",
            "approving_authority": "县教育局",
            "notes": "复核后维持三级",
        },
    )
    _post(
        client,
        "mlps-filings",
        {
            "system_id": s1,
            "submitted_on": "2024-04-10",
            "police_authority": "襄汾县公安局网安大队",
            "certificate_number": "14102399999-24001",
            "issued_on": "2024-05-06",
            "notes": "纸质证明已存档",
        },
    )
    assessment = _post(
        client,
        "mlps-assessments",
        {
            "system_id": s1,
            "assessed_on": "2024-11-15",
            "agency": "山西省信息安全测评中心",
            "report_number": "DJCP-2024-001",
            "template_version": "2021",
            "score": 85.5,
            "high_risk_count": 0,
            "medium_risk_count": 3,
            "low_risk_count": 7,
            "notes": "年度测评",
        },
    )
    _post(
        client,
        "mlps-self-checks",
        {
            "system_id": s1,
            "checked_on": "2025-06-01",
            "checked_by": "王五",
            "issues_found": 2,
            "report_reference": "ZC-2025-01",
            "notes": "半年自查",
        },
    )
    _post(
        client,
        "mlps-rectifications",
        {
            "system_id": s1,
            "assessment_id": assessment["id"],
            "description": "数据库未开启审计",
            "risk_level": "high",
            "owner": "李四",
            "due_on": "2025-03-01",
            "status": "done",
            "completed_on": "2025-02-20",
        },
    )
    _post(
        client,
        "crypto-plans",
        {
            "system_id": s1,
            "title": "学籍管理系统密码应用方案",
            "drafted_on": "2024-01-10",
            "evaluated_on": "2024-02-01",
            "evaluation_agency": "某密评机构",
            "conclusion": "passed",
            "notes": "已通过评估",
        },
    )
    _post(
        client,
        "crypto-assessments",
        {
            "system_id": s1,
            "assessed_on": "2025-05-20",
            "agency": "某密评机构",
            "report_number": "MP-2025-007",
            "score": 72.5,
            "high_risk_count": 0,
            "rule_version": "2023版",
            "filed_on": "2025-06-01",
            "notes": "首次密评",
        },
    )
    _post(
        client,
        "risk-assessments",
        {
            "system_id": s2,
            "assessed_on": "2025-08-01",
            "scope": "校园安全系统全部资产",
            "method": "commissioned",
            "assessor": "某安全公司",
            "high_count": 1,
            "medium_count": 2,
            "low_count": 3,
            "report_reference": "FX-2025-3",
            "notes": "委托评估",
        },
    )
    plan = _post(
        client,
        "plans",
        {
            "name": "学籍管理系统网络安全应急预案",
            "unit_id": unit,
            "system_id": s1,
            "plan_version": "V2.1",
            "approved_on": "2024-05-01",
            "last_reviewed_on": "2025-05-01",
            "description": "系统级预案",
        },
    )
    _post(
        client,
        "drills",
        {
            "plan_id": plan["id"],
            "drill_type": "live",
            "scenario": "勒索病毒导致数据库不可用",
            "held_on": "2025-06-15",
            "participants": ["县教育局信息中心", "县公安局网安大队"],
            "findings": "备份恢复耗时过长",
        },
    )
    _post(
        client,
        "incidents",
        {
            "title": "门户网站遭篡改",
            "unit_id": unit,
            "system_ids": [s1, s2],
            "category": "attack",
            "grade": "larger",
            "critical_infrastructure": True,
            "occurred_at": "2025-07-01T09:30:00+08:00",
            "detected_at": "2025-07-01T10:05:00+08:00",
            "handling_ended_at": "2025-07-01T18:00:00+08:00",
            "report_recipient": "县委网信办",
            "reported_at": "2025-07-01T10:45:00+08:00",
            "summary_reported_at": "2025-07-03T09:00:00+08:00",
            "description": "首页被植入非法链接",
        },
    )


def wipe_ledger(session: Session) -> None:
    # The app's evaluation pump deletes the requests it has evaluated; deleting every table under
    # it can deadlock with it on PostgreSQL. Nothing here needs findings: stop it first.
    if background._pump is not None:
        background._pump.stop()
    for table in reversed(metadata.sorted_tables):
        if table.name in KEEP or table.name in ("changelog", "changelog_head"):
            continue
        if table.name == "units":
            session.execute(delete(table).where(table.c.parent_id.is_not(None)))
        session.execute(delete(table))
    session.execute(delete(ChangeLogHead))
    session.execute(delete(ChangeLogEntry))
    session.commit()


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_security_export_then_import_is_lossless(client: TestClient, session: Session, fmt: str) -> None:
    seed_every_field(client)
    seed_security(client, session)
    before = ledger_snapshot(session)
    assert all(before[name] for name in SECURITY_SHEETS), "every security sheet must hold a row"

    exported = client.get("/api/v1/exports/ledger", params={"format": fmt})
    assert exported.status_code == 200
    upload = {"file": (f"ledger.{'xlsx' if fmt == 'xlsx' else 'zip'}", exported.content)}
    same = client.post("/api/v1/imports", files=upload)
    assert same.status_code == 200, same.text
    assert all(s["created"] == 0 and s["updated"] == 0 for s in same.json()["sheets"]), same.text

    wipe_ledger(session)
    restored = client.post("/api/v1/imports", files=upload)
    assert restored.status_code == 200, restored.text
    created = {s["entity"]: s["created"] for s in restored.json()["sheets"]}
    assert {k: created[k] for k in SECURITY_SHEETS} == SECURITY_SHEETS
    assert ledger_snapshot(session) == before


SYSTEMS = [
    ["目录编号", "系统名称", "责任单位", "等保级别"],
    ["XF-001", "学籍管理系统", "县教育局", 3],
    ["XF-002", "低保救助系统", "MZ01", 2],
]


def test_messy_county_security_file_imports_exactly(engine: object, session: Session, tmp_path: Path) -> None:
    path = county_xlsx(
        tmp_path / "等保台账.xlsx",
        {
            "单位列表": UNITS_SHEET,
            "系统": SYSTEMS,
            "定级": [
                ["序号", "系统目录编号", "等保级别", "定级时间", "专家评审时间", "主管部门"],
                [1, "ＸＦ－００１", "第三级", "2024年3月5日", "2024年3月1日", "县教育局"],
                [2, "XF-002 ", "二级", 45356, "2024/3/1", "县民政局"],
            ],
            "等级测评情况": [
                ["系统编号", "测评单位", "测评报告编号", "测评日期", "得分", "高风险"],
                [
                    "XF-001",
                    "山西省信息安全测评中心",
                    "ＤＪＣＰ－２０２４－００１",
                    "2024年11月15日",
                    "８５.５",
                    "０",
                ],
            ],
            "密评情况": [
                ["目录编号", "测评机构", "报告号", "密评日期", "评估得分", "规则版本"],
                ["XF-001", "某密评机构", "MP-2025-007", "2025.5.20", 72.5, "2023版"],
            ],
            "网络安全事件": [
                ["事件名称", "事发单位", "涉及系统", "事件类型", "事件等级", "发生时间", "发现时间"],
                [
                    "门户网站遭篡改",
                    "县教育局",
                    "XF-001、XF-002",
                    "网络攻击",
                    "较大事件",
                    "2025年7月1日 9:30",
                    "2025-07-01 10:05",
                ],
            ],
        },
        title="襄汾县网络安全等级保护工作台账（2024年）",
    )
    result = import_path(path)
    assert result.ok, result.problems
    gradings = session.execute(select(MlpsGrading).order_by(MlpsGrading.level)).scalars().all()
    assert [(g.level, g.graded_on) for g in gradings] == [
        (2, dt.date(2024, 3, 5)),
        (3, dt.date(2024, 3, 5)),
    ]
    mlps = session.execute(select(MlpsAssessment)).scalar_one()
    assert (mlps.report_number, mlps.score, mlps.level) == ("DJCP-2024-001", 85.5, 3)
    assert mlps.conclusion is MlpsConclusion.GOOD  # derived by the entity's rules, as through the API
    crypto = session.execute(select(CryptoAssessment)).scalar_one()
    assert crypto.assessed_on == dt.date(2025, 5, 20) and crypto.conclusion is not None
    incident = session.execute(select(Incident).options(selectinload(Incident.systems))).scalar_one()
    assert incident.occurred_at == dt.datetime(2025, 7, 1, 1, 30, tzinfo=dt.UTC)
    assert len(incident.systems) == 2


def test_imported_grading_sets_the_systems_level_and_logs_it(
    engine: object, session: Session, tmp_path: Path
) -> None:
    """A final grading from a sheet is the level of record, as one recorded through the API is."""
    path = county_xlsx(
        tmp_path / "定级.xlsx",
        {
            "单位列表": UNITS_SHEET,
            "系统": SYSTEMS,  # XF-001 at level 3, XF-002 at level 2 in the inventory
            "定级": [
                ["系统目录编号", "等保级别", "定级时间", "专家评审时间", "主管部门"],
                ["XF-001", "第二级", "2025年3月5日", "2025年3月1日", "县教育局"],
                ["XF-002", "第二级", "2025年3月5日", "2025年3月1日", "县民政局"],
            ],
        },
    )
    result = import_path(path)
    assert result.ok, result.problems
    session.expire_all()
    levels = dict(session.execute(select(System.catalogue_number, System.mlps_level)).all())
    assert levels == {"XF-001": 2, "XF-002": 2}
    system_id = session.execute(select(System.id).where(System.catalogue_number == "XF-001")).scalar_one()
    updates = (
        session.execute(
            select(ChangeLogEntry).where(
                ChangeLogEntry.object_type == "inventory.system",
                ChangeLogEntry.object_id == system_id,
                ChangeLogEntry.action == "update",
            )
        )
        .scalars()
        .all()
    )
    assert [(u.before or {}).get("mlps_level") for u in updates] == [3]
    assert [(u.after or {}).get("mlps_level") for u in updates] == [2]


def test_a_rule_on_a_missing_column_names_that_column(engine: object, tmp_path: Path) -> None:
    """A final grading of level 2 needs 审核（主管）部门; a sheet without the column is told which."""
    path = county_xlsx(
        tmp_path / "定级.xlsx",
        {
            "单位列表": UNITS_SHEET,
            "系统": SYSTEMS,
            "定级": [
                ["系统目录编号", "等保级别", "定级时间", "专家评审时间"],
                ["XF-002", "第二级", "2025年3月5日", "2025年3月1日"],
            ],
        },
    )
    result = import_path(path)
    assert not result.ok
    (problem,) = [p for p in result.problems if p.sheet == "定级"]
    assert (problem.row, problem.column, problem.field) == (2, "审核（主管）部门", "approving_authority")
    assert "审核（主管）部门" in problem.reason


def test_security_rows_refused_with_reasons_and_nothing_written(
    engine: object, session: Session, tmp_path: Path
) -> None:
    path = county_xlsx(
        tmp_path / "bad.xlsx",
        {
            "单位列表": UNITS_SHEET,
            "系统": SYSTEMS,
            "定级": [
                ["系统目录编号", "安全保护等级", "定级日期", "业务信息等级", "系统服务等级"],
                ["XF-999", "第三级", "2024-03-05", None, None],
                ["XF-001", "第二级", "2024-03-05", 3, 1],
                ["XF-002", "第一级", "2099-01-01", None, None],
            ],
        },
    )
    result = import_path(path)
    assert not result.ok
    reasons = " ".join(p.reason for p in result.problems)
    assert "XF-999" in reasons and "较高者" in reasons and "未来" in reasons, reasons
    assert count(session, MlpsGrading) == 0 and count(session, System) == 0
