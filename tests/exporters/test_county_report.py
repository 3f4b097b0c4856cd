"""The county report: figures equal hand counts on a small county; unit users see only their units."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from exporters.report import county_report
from security.findings import background
from security.findings.choices import FindingState, Severity, SubjectType
from security.findings.models import Finding

TODAY = dt.date(2025, 6, 30)


def _post(client: TestClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"/api/v1/{path}", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def _system(client: TestClient, unit: int, number: str, **fields: Any) -> int:
    body = {
        "catalogue_number": number,
        "name": f"系统{number}",
        "owner_unit_id": unit,
        "lifecycle": "running",
    }
    return int(_post(client, "inventory/systems", {**body, **fields})["id"])


def _grading(client: TestClient, system: int) -> None:
    body = {"system_id": system, "level": 3, "graded_on": "2024-03-01", "expert_review_on": "2024-02-20"}
    _post(client, "security/mlps-gradings", {**body, "approving_authority": "主管部门"})


def seed_county(client: TestClient, session: Session) -> dict[str, int]:
    # The app's evaluation pump would add real findings for this county while the test runs;
    # the findings counted here are the hand-made ones below.
    if background._pump is not None:
        background._pump.stop()
    a = int(
        _post(client, "inventory/units", {"code": "JY01", "name": "县教育局", "kind": "county_department"})[
            "id"
        ]
    )
    b = int(
        _post(client, "inventory/units", {"code": "MZ01", "name": "县民政局", "kind": "county_department"})[
            "id"
        ]
    )
    a1 = _system(client, a, "XF-A1", mlps_level=3, hosting="city_cloud", needs_crypto_assessment=True)
    a2 = _system(client, a, "XF-A2", mlps_level=2, hosting="legacy", needs_crypto_assessment=False)
    _system(client, a, "XF-A3", lifecycle="retired", hosting="legacy", needs_crypto_assessment=False)
    b1 = _system(client, b, "XF-B1", mlps_level=3, hosting="migrating", needs_crypto_assessment=True)
    # A1: graded, filed on time, assessed, 密评 passed. A2: never graded. B1: filed late, never assessed.
    _grading(client, a1)
    _grading(client, b1)
    _post(client, "security/mlps-filings", {"system_id": a1, "submitted_on": "2024-03-08"})
    _post(client, "security/mlps-filings", {"system_id": b1, "submitted_on": "2024-06-01"})
    assessment = {"agency": "测评中心", "template_version": "2021", "score": 85}
    _post(
        client,
        "security/mlps-assessments",
        {**assessment, "system_id": a1, "assessed_on": "2025-01-10", "report_number": "CP-1"},
    )
    crypto = {"agency": "密评机构", "score": 80, "rule_version": "2023版"}
    _post(
        client,
        "security/crypto-assessments",
        {**crypto, "system_id": a1, "assessed_on": "2025-02-01", "report_number": "MP-1"},
    )
    # Unit A has a unit-wide plan drilled this year; unit B has none.
    plan = _post(
        client, "security/plans", {"name": "教育局应急预案", "unit_id": a, "approved_on": "2024-01-01"}
    )
    drill = {"plan_id": plan["id"], "drill_type": "tabletop", "scenario": "断网", "held_on": "2025-03-01"}
    _post(client, "security/drills", drill)
    # 信创: A uses 3 controllable + 1 uncontrollable item, B 2 uncontrollable.
    good = _post(client, "inventory/products", _product("基础软件甲", "controllable"))["id"]
    bad = _post(client, "inventory/products", _product("基础软件乙", "uncontrollable"))["id"]
    for system, product, quantity in ((a1, good, 3), (a2, bad, 1), (b1, bad, 2)):
        body = {"system_id": system, "product_id": product, "quantity": quantity}
        _post(client, "inventory/product-usages", body)
    for number, (unit, severity, state) in enumerate(
        [
            (a, Severity.HIGH, FindingState.OPEN),
            (a, Severity.HIGH, FindingState.OPEN),
            (a, Severity.LOW, FindingState.OPEN),
            (a, Severity.MEDIUM, FindingState.RESOLVED),
            (b, Severity.MEDIUM, FindingState.OPEN),
        ]
    ):
        session.add(_finding(unit, severity, state, number))
    session.commit()
    return {"a": a, "b": b}


def _product(model: str, controllability: str) -> dict[str, Any]:
    return {
        "product_class": "base_software",
        "category": "数据库",
        "vendor": "某厂商",
        "model": model,
        "product_version": "1.0",
        "controllability": controllability,
    }


def _finding(unit: int, severity: Severity, state: FindingState, number: int) -> Finding:
    return Finding(
        rule_id=f"test.rule{number}",
        rule_title="测试规则",
        severity=severity,
        citation="测试",
        subject_type=SubjectType.UNIT,
        subject_id=unit,
        unit_id=unit,
        message="测试问题",
        state=state,
        facts={},
    )


EXPECTED_A = {
    "systems": 2,
    "cloud_in_scope": 2,
    "cloud_done": 1,
    "grading_needed": 2,
    "graded": 1,
    "filing_required": 1,
    "filed_on_time": 1,
    "assessment_required": 1,
    "assessed_on_time": 1,
    "crypto_required": 1,
    "crypto_passed": 1,
    "drill_required": 2,
    "drill_done": 2,
    "xinchuang_items": 4,
    "xinchuang_controllable": 3,
}
EXPECTED_B = {
    "systems": 1,
    "cloud_in_scope": 1,
    "cloud_done": 0,
    "grading_needed": 1,
    "graded": 1,
    "filing_required": 1,
    "filed_on_time": 0,
    "assessment_required": 1,
    "assessed_on_time": 0,
    "crypto_required": 1,
    "crypto_passed": 0,
    "drill_required": 1,
    "drill_done": 0,
    "xinchuang_items": 2,
    "xinchuang_controllable": 0,
}


def _counts(row: Any) -> dict[str, int]:
    return {k: getattr(row, k) for k in EXPECTED_A}


def test_figures_equal_hand_counts(client: TestClient, session: Session) -> None:
    seed_county(client, session)
    report = county_report(session, today=TODAY)
    by_code = {row.code: row for row in report.units}
    assert _counts(by_code["JY01"]) == EXPECTED_A
    assert _counts(by_code["MZ01"]) == EXPECTED_B
    assert by_code["JY01"].findings == {"high": 2, "medium": 0, "low": 1}
    assert by_code["MZ01"].findings == {"high": 0, "medium": 1, "low": 0}
    assert _counts(report.total) == {k: EXPECTED_A[k] + EXPECTED_B[k] for k in EXPECTED_A}
    assert report.total.open_findings == 4
    assert report.total.share("cloud_done", "cloud_in_scope") == 1 / 3
    assert by_code["MZ01"].share("crypto_passed", "crypto_required") == 0


def test_xlsx_has_summary_and_unit_sheets_with_percentages(client: TestClient, session: Session) -> None:
    seed_county(client, session)
    response = client.get("/api/v1/exports/report", params={"format": "xlsx"})
    assert response.status_code == 200, response.text
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["汇总", "县教育局", "县民政局"]
    summary = workbook["汇总"]
    headers = [c.value for c in summary[2]]
    assert headers[:4] == ["单位编码", "单位名称", "信息系统数", "上云率"]
    total = [c for c in summary[5]]
    assert total[1].value == "全县合计" and total[2].value == 3
    assert total[3].number_format == "0.0%" and abs(total[3].value - 1 / 3) < 1e-9
    detail = {r[0].value: [c.value for c in r[1:]] for r in workbook["县教育局"].iter_rows(min_row=3)}
    assert detail["等保定级率"] == [1, 2, 0.5]


def test_unit_user_gets_only_their_units(
    client: TestClient, session: Session, anon: TestClient, make_user: Callable[..., dict[str, str]]
) -> None:
    units = seed_county(client, session)
    anon.headers.update(make_user("edu", "unit", (units["a"],)))
    page = anon.get("/api/v1/exports/report", params={"format": "html"})
    assert page.status_code == 200, page.text
    assert "县教育局" in page.text and "县民政局" not in page.text and "全县合计" not in page.text
    workbook = load_workbook(io.BytesIO(anon.get("/api/v1/exports/report").content))
    assert workbook.sheetnames == ["汇总", "县教育局"]
    assert anon.get("/api/v1/exports/report", params={"format": "pdf"}).status_code == 422
