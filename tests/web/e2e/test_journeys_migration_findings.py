"""Journeys through the migration board and the findings pages in headless Chromium (demo county)."""

from __future__ import annotations

from typing import Any

from e2e_support import Server, login, shot
from sqlalchemy import create_engine, text


def _one(server: Server, sql: str, **params: Any) -> Any:
    engine = create_engine(server.database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).one()
    finally:
        engine.dispose()


def test_ops_user_advances_a_migration_step_on_the_board(page: Any, server: Server) -> None:
    plan = _one(
        server,
        "SELECT p.id, s.name FROM migration_plans p JOIN systems s ON s.id = p.system_id "
        "WHERE p.state = 'planned' ORDER BY p.id LIMIT 1",
    )
    login(page, "ops")
    page.goto("/migration")
    board = page.locator("#migration-board")
    assert plan.name in board.locator('td[data-state="planned"]').first.inner_text() or (
        board.locator('td[data-state="planned"]', has_text=plan.name).count() == 1
    )
    shot(page, "migration-board")
    board.locator('td[data-state="planned"]').get_by_role("link", name=plan.name).first.click()
    page.wait_for_url(f"**/migration/plans/{plan.id}")

    # A step the state machine does not allow: refused with the allowed states, the note kept.
    page.get_by_label("目标状态").select_option("cutover")
    page.get_by_label("说明").fill("直接割接试试")
    page.get_by_role("button", name="推进").click()
    alert = page.locator("#advance-form [role=alert]").first
    assert "允许的状态：评估（assessment）" in alert.inner_text()
    assert page.get_by_label("说明").input_value() == "直接割接试试"
    shot(page, "migration-plan-refused")

    page.get_by_label("目标状态").select_option("assessment")
    page.get_by_label("说明").fill("启动评估")
    page.get_by_role("button", name="推进").click()
    page.wait_for_url(f"**/migration/plans/{plan.id}")
    assert page.get_by_text("迁移计划已转为“评估”").is_visible()
    assert "评估" in page.locator("#plan-state").inner_text()
    assert "启动评估" in page.locator("#transitions").inner_text()
    shot(page, "migration-plan")

    page.goto("/migration")
    cell = page.locator('#migration-board td[data-state="assessment"]', has_text=plan.name)
    assert cell.count() == 1


def test_security_officer_waives_a_finding_and_sees_it_waived(page: Any, server: Server) -> None:
    finding = _one(
        server,
        "SELECT id, message, system_id FROM findings WHERE state = 'open' AND system_id IS NOT NULL "
        "ORDER BY id LIMIT 1",
    )
    login(page, "security")
    page.goto("/findings?state=open")
    shot(page, "findings")
    page.locator("#findings-table").get_by_role("link", name=f"#{finding.id}", exact=True).click()
    page.wait_for_url(f"**/findings/{finding.id}")
    assert "未整改" in page.locator("#finding-state").inner_text()

    # An expiry in the past is refused next to its field; what was typed stays.
    page.get_by_label("豁免理由").fill("系统已列入下线计划")
    page.get_by_label("批准人").fill("县数据局 王主任")
    page.get_by_label("到期日").fill("2001-01-01")
    page.get_by_role("button", name="豁免", exact=True).click()
    assert "早于今天" in page.locator("#expires_on-error").inner_text()
    assert page.get_by_label("豁免理由").input_value() == "系统已列入下线计划"
    shot(page, "finding-waive-errors")

    page.get_by_label("到期日").fill("2030-06-30")
    page.get_by_role("button", name="豁免", exact=True).click()
    page.wait_for_url(f"**/findings/{finding.id}")
    assert page.get_by_text("已豁免至 2030-06-30").is_visible()
    assert "已豁免" in page.locator("#finding-state").inner_text()
    shot(page, "finding")

    page.goto(f"/systems/{finding.system_id}")
    panel = page.locator("#panel-findings")
    assert "已豁免" in panel.inner_text()
    page.goto("/findings/waivers")
    assert "系统已列入下线计划" in page.locator("#waivers-table").inner_text()
    shot(page, "waivers")
    page.goto("/findings/notices")
    shot(page, "notices")
    page.goto("/findings/notices/new")
    shot(page, "notice-new")


def test_fixing_the_data_through_the_system_page_resolves_the_finding(page: Any, server: Server) -> None:
    finding = _one(
        server,
        "SELECT id, system_id FROM findings WHERE rule_id = 'art11.data_not_shared' AND state = 'open' "
        "ORDER BY id LIMIT 1",
    )
    login(page, "ops")
    page.goto(f"/findings/{finding.id}")
    assert "未整改" in page.locator("#finding-state").inner_text()
    page.goto(f"/systems/{finding.system_id}/edit")
    page.get_by_label("数据共享").select_option("sharing")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(f"**/systems/{finding.system_id}")

    # The write queued a re-evaluation; the server's findings pump runs it a moment later.
    for _ in range(30):
        page.goto(f"/findings/{finding.id}")
        if "已解决" in page.locator("#finding-state").inner_text():
            break
        page.wait_for_timeout(500)
    assert "已解决" in page.locator("#finding-state").inner_text()
    shot(page, "finding-resolved")
    page.goto(f"/systems/{finding.system_id}")
    assert f'href="/findings/{finding.id}"' not in page.locator("#panel-findings").inner_html()
