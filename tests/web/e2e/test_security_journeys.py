"""Journeys through the security, verification and import pages in headless Chromium (demo county)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

from e2e_support import Server, Watch, login, new_page, shot
from openpyxl import Workbook, load_workbook
from playwright.sync_api import expect

from taizhang.clock import china_today

OVERDUE_FINDING = "前完成等级测评，已逾期"  # the 等保 rule's message for an overdue assessment


def _overdue_row(page: Any) -> Any:
    page.goto("/security")
    row = page.locator("tbody tr").filter(has_text="等级测评逾期").first
    assert row.count() == 1, "the demo county has a system whose 等级测评 is overdue"
    return row


def test_officer_records_an_assessment_and_sees_the_overdue_finding_resolve(
    page: Any, server: Server
) -> None:
    login(page, "security")
    row = _overdue_row(page)
    name = row.locator("a").first.inner_text()
    shot(page, "security-overview")
    row.locator("a").first.click()
    panel = page.locator("#panel-security_status")
    assert "等级测评逾期" in panel.inner_text() and "（已逾期）" in panel.inner_text()
    assert OVERDUE_FINDING in page.locator("#panel-findings").inner_text()
    shot(page, "system-security-panels")
    panel.get_by_role("link", name="登记等级测评").click()
    page.wait_for_url("**/mlps-assessments/new")

    today = china_today().isoformat()
    page.get_by_label("测评报告日期").fill(today)
    page.get_by_label("测评机构").fill("临汾市网络安全测评中心")
    page.get_by_label("测评报告编号").fill("E2E-DJCP-2026-001")
    page.get_by_label("综合得分（2021 版模板）").fill("86")  # a 2025 report has no score: the service says so
    page.get_by_label("符合率 %（2025 版模板）").fill("92.5")
    page.get_by_label("高风险问题数").fill("0")
    page.get_by_label("备注").fill("年度等级测评")
    page.get_by_role("button", name="保存").click()
    assert "2025 版模板以符合率给出结果" in page.locator("#score-error").inner_text()
    assert page.get_by_label("测评报告编号").input_value() == "E2E-DJCP-2026-001"
    assert page.get_by_label("符合率 %（2025 版模板）").input_value() == "92.5"
    assert page.get_by_label("备注").input_value() == "年度等级测评"
    shot(page, "security-assessment-form-errors")

    page.get_by_label("综合得分（2021 版模板）").fill("")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url("**/security/records/mlps-assessments/*")
    assert page.get_by_text("已登记等级测评记录").is_visible()
    shot(page, "security-assessment-record")

    page.locator(".crumbs a").nth(1).click()
    page.wait_for_url("**/systems/*")
    system_id = int(page.url.split("/systems/")[1].split("#")[0])
    panel = page.locator("#panel-security_status")
    text = panel.inner_text()
    assert "等级测评逾期" not in text and "E2E-DJCP-2026-001" in text
    assert "下次等级测评期限" in text

    # The finding the assessment settles goes away on its own: while the background re-evaluation
    # is pending the panel says so (it never shows the old findings as current) and refreshes itself.
    findings = page.locator("#panel-findings")
    first_look = findings.inner_text()
    if OVERDUE_FINDING in first_look:
        assert "正在重新评估" in first_look, first_look
    expect(findings).not_to_contain_text(OVERDUE_FINDING, timeout=10000)
    expect(findings.locator("#findings-panel")).to_have_attribute("data-pending", "false")
    expect(findings).not_to_contain_text("正在重新评估")
    shot(page, "system-findings-after-assessment")

    page.goto(f"/findings?system_id={system_id}&state=resolved")
    resolved = page.locator("#findings-table tbody tr").filter(has_text=OVERDUE_FINDING)
    expect(resolved).to_have_count(1)
    assert "已解决" in resolved.inner_text()
    page.goto(f"/findings?system_id={system_id}&state=open")
    expect(page.locator("#findings-table")).not_to_contain_text(OVERDUE_FINDING)

    page.goto("/security")
    overview_row = page.locator("tbody tr").filter(has_text=name).first
    assert "等级测评逾期" not in overview_row.inner_text()


def _bad_workbook() -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    units = workbook.create_sheet("单位")
    for row in (["单位编码", "单位名称", "单位类型"], ["E2E01", "县测试局", "县直单位"]):
        units.append(row)
    systems = workbook.create_sheet("信息系统")
    for row in (
        ["目录编号", "系统名称", "主管单位", "等保级别"],
        ["E2E-001", "测试系统", "县测试局", "高级"],
    ):
        systems.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_an_import_with_errors_shows_them_and_writes_nothing(page: Any, server: Server) -> None:
    login(page, "admin")

    def counts() -> tuple[int, int]:
        units = page.request.get("/api/v1/inventory/units?limit=1").json()["count"]
        systems = page.request.get("/api/v1/inventory/systems?limit=1").json()["count"]
        return units, systems

    before = counts()
    page.goto("/imports")
    shot(page, "imports")
    page.get_by_label("文件").set_input_files(
        {"name": "问题台账.xlsx", "mimeType": "application/octet-stream", "buffer": _bad_workbook()}
    )
    page.get_by_role("button", name="上传").click()
    result = page.locator("#import-result")
    assert "导入被拒绝：发现 1 个问题，未写入任何数据" in result.inner_text()
    cells = result.locator("table.problems tbody tr").first.locator("td").all_inner_texts()
    assert cells[:4] == ["信息系统", "2", "等保级别", "高级"] and "无法识别的等保级别" in cells[4]
    shot(page, "imports-problems")
    with page.expect_download() as info:
        result.get_by_role("link", name="下载标注问题的文件（问题台账（问题标注）.xlsx）").click()
    assert info.value.suggested_filename == "问题台账（问题标注）.xlsx"
    marked = load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()))
    assert marked["信息系统"]["D2"].comment is not None
    assert counts() == before


def test_incident_countdown_runs_and_every_new_page_asks_only_the_app(
    browser: Any, server: Server, watch: Watch
) -> None:
    page = new_page(browser, server, watch)
    login(page, "security")
    page.goto("/security/incidents/new")
    page.get_by_label("事件名称").fill("门户网站遭篡改")
    page.get_by_label("报告单位").select_option(index=1)
    page.get_by_label("事件类别").select_option(label="网络攻击")
    page.get_by_label("事件级别").select_option(label="较大")
    now = dt.datetime.now(dt.timezone(dt.timedelta(hours=8)))
    page.get_by_label("发生时间").fill((now - dt.timedelta(minutes=40)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("发现时间").fill((now - dt.timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M"))
    shot(page, "incident-form")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url("**/security/incidents/*")
    timer = page.locator("[data-deadline]")
    first = timer.inner_text()
    assert first.startswith("距报告期限还有")
    page.wait_for_timeout(1500)
    assert timer.inner_text() != first  # the countdown ticks every second
    shot(page, "incident")
    incident_path = page.url.split(server.base_url)[1]
    host = page.request.get("/api/v1/inventory/hosts?limit=1").json()["results"][0]["id"]
    for name, path in (
        ("drill-form", "/security/drills/new"),
        ("verification-run-form", f"/verification/runs/new?host_id={host}"),
        ("host-verification-panel", f"/hosts/{host}"),
        ("incident-again", incident_path),
    ):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        shot(page, name)
    page.goto(f"/verification/runs/new?host_id={host}")
    page.get_by_role("button", name="开始核验").click()
    page.wait_for_url("**/verification/runs/*")
    assert page.locator("#run-status[hx-trigger]").count() == 1
    shot(page, "verification-run")
    page.context.close()
    assert watch.outside() == [], f"pages asked for assets outside the app: {watch.outside()}"
    assert watch.errors == [], f"browser errors: {watch.errors}"
