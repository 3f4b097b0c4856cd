"""Journeys through the pages in headless Chromium against a real server with the demo county."""

from __future__ import annotations

from typing import Any

from e2e_support import DESKTOP, TABLET, Server, Watch, login, new_page, shot
from sqlalchemy import create_engine, text


def _one(server: Server, sql: str, **params: Any) -> Any:
    engine = create_engine(server.database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).one()
    finally:
        engine.dispose()


def _other_unit_system(server: Server) -> Any:
    return _one(
        server,
        "SELECT s.id, s.name, s.catalogue_number FROM systems s JOIN units u ON u.id = s.owner_unit_id "
        "WHERE u.code <> 'XF004' ORDER BY s.id LIMIT 1",
    )


def test_unit_user_cannot_reach_another_units_system(page: Any, server: Server) -> None:
    foreign = _other_unit_system(server)
    own = _one(
        server,
        "SELECT s.id, s.name FROM systems s JOIN units u ON u.id = s.owner_unit_id WHERE u.code = 'XF004' ORDER BY s.id LIMIT 1",
    )
    login(page, "unit_edu")
    assert page.get_by_role("heading", name="本单位概况").is_visible()

    response = page.goto(f"/systems/{foreign.id}")
    assert response is not None and response.status == 404
    assert page.get_by_role("heading", name="404 页面不存在").is_visible()
    assert foreign.name not in page.content()
    shot(page, "unit-foreign-system-404")

    for path in (f"/systems/{foreign.id}/edit",):
        assert page.goto(path).status == 404

    page.goto("/systems")
    page.get_by_label("搜索").fill(foreign.catalogue_number)
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url("**q=*")
    assert page.locator("#systems-table").get_by_text("没有符合条件的信息系统").is_visible()
    page.get_by_label("搜索").fill(foreign.name)
    page.get_by_role("button", name="筛选").click()
    page.wait_for_load_state("networkidle")
    assert foreign.name not in page.locator("#results").inner_text()

    page.goto("/systems")
    options = page.locator("#f-unit option").all_inner_texts()
    assert options == ["（全部）", "襄汾县教育科技局"]
    assert own.name in page.locator("#results").inner_text()
    page.goto(f"/systems/{own.id}")
    assert page.get_by_role("heading", name=own.name).is_visible()
    assert page.locator("#panel-history").count() == 0  # unit users have no change-log right


def test_ops_user_edits_a_system_and_sees_it_in_the_history(page: Any, server: Server) -> None:
    system = _one(server, "SELECT id, name FROM systems WHERE hosting = 'legacy' ORDER BY id LIMIT 1")
    login(page, "ops")
    page.goto(f"/systems/{system.id}")
    page.get_by_role("link", name="修改").click()
    page.wait_for_url(f"**/systems/{system.id}/edit")

    # A mistake first: the error sits next to its field and nothing typed is lost.
    page.get_by_label("系统名称").fill("")
    page.get_by_label("主要用途").fill("迁移前核对用途说明")
    page.get_by_label("部署位置").select_option(label="市级政务云")
    page.get_by_role("button", name="保存").click()
    assert page.locator("#name-error").inner_text() == "此项为必填项"  # as on the create form
    assert page.get_by_label("主要用途").input_value() == "迁移前核对用途说明"
    assert page.get_by_label("部署位置").input_value() == "city_cloud"
    shot(page, "system-form-errors")

    page.get_by_label("系统名称").fill(system.name)
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(f"**/systems/{system.id}")
    assert page.get_by_text(f"已保存对“{system.name}”的修改").is_visible()
    history = page.locator("#panel-history")
    assert "部署位置" in history.inner_text()
    assert "本地机房" in history.inner_text() and "市级政务云" in history.inner_text()
    assert "ops" in history.inner_text()
    shot(page, "system-after-edit")

    page.goto("/changelog?object_type=inventory.system")
    assert "迁移前核对用途说明" in page.locator("table").inner_text()


def test_every_page_at_desktop_and_tablet_asks_only_the_app(
    browser: Any, server: Server, watch: Watch
) -> None:
    system = _other_unit_system(server)
    host = _one(server, "SELECT id FROM hosts ORDER BY id LIMIT 1")
    project = _one(server, "SELECT id FROM projects ORDER BY id LIMIT 1")
    pages = [
        ("dashboard", "/"),
        ("systems", "/systems?sort=-mlps_level"),
        ("system", f"/systems/{system.id}"),
        ("system-edit", f"/systems/{system.id}/edit"),
        ("system-new", "/systems/new"),
        ("hosts", "/hosts"),
        ("host", f"/hosts/{host.id}"),
        ("units", "/units"),
        ("projects", "/projects"),
        ("project", f"/projects/{project.id}"),
        ("changelog", "/changelog"),
        ("migration", "/migration"),
        (
            "migration-plan",
            f"/migration/plans/{_one(server, 'SELECT min(id) AS id FROM migration_plans').id}",
        ),
        ("findings", "/findings"),
        ("finding", f"/findings/{_one(server, 'SELECT min(id) AS id FROM findings').id}"),
        ("waivers", "/findings/waivers"),
        ("notices", "/findings/notices"),
        ("notice", f"/findings/notices/{_one(server, 'SELECT min(id) AS id FROM rectification_notices').id}"),
        ("notice-new", "/findings/notices/new"),
        ("not-found", "/no-such-page"),
    ]
    for label, viewport in (("desktop", DESKTOP), ("tablet", TABLET)):
        page = new_page(browser, server, watch, viewport)
        page.goto("/login")
        shot(page, f"{label}-login")
        login(page, "admin")
        for name, path in pages:
            page.goto(path)
            page.wait_for_load_state("networkidle")
            if name == "dashboard":
                page.wait_for_selector("[data-chart-ready]")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"], f"{name} scrolls sideways at {viewport['width']}px ({width}px)"
            shot(page, f"{label}-{name}")
        page.context.close()
        unit_page = new_page(browser, server, watch, viewport)
        login(unit_page, "unit_edu")
        unit_page.wait_for_selector("[data-chart-ready]")
        shot(unit_page, f"{label}-unit-dashboard")
        unit_page.context.close()
    assert any("/static/vendor/echarts" in url for url in watch.requests)
    assert watch.outside() == [], f"pages asked for assets outside the app: {watch.outside()}"
    assert watch.errors == [], f"browser errors: {watch.errors}"


def test_keyboard_only_login(page: Any, server: Server) -> None:
    page.goto("/login")
    # the user name field has autofocus: type only once it holds the focus (on a busy machine the
    # first keys could otherwise land nowhere, and the login fail with 401)
    page.wait_for_function("document.activeElement && document.activeElement.name === 'username'")
    page.keyboard.type("auditor")
    page.keyboard.press("Tab")
    page.keyboard.type("Demo@2026!")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)
    nav = page.get_by_role("navigation", name="主导航").inner_text()
    assert "变更日志" in nav and "信息系统" in nav
