"""Every page for every role, unit scoping, and forms that keep what the user typed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from web_support import County, csrf_of

ROLES = ("admin", "ops", "security", "unit", "auditor")


def _pages(c: County) -> dict[str, dict[str, int]]:
    """path → expected status per role (a missing role means 200)."""
    ok: dict[str, int] = {}
    no_write = {"security": 403, "auditor": 403}
    no_log = {"unit": 403}
    foreign = {"unit": 404}
    return {
        "/": ok,
        "/systems": ok,
        "/systems?q=系统&hosting=legacy&mlps_level=3&lifecycle=running&network=internet&sort=-name&page=9": ok,
        "/systems?mlps_level=x&hosting=nonsense&owner_unit_id=abc": ok,
        f"/systems/{c.edu_system}": ok,
        f"/systems/{c.civil_system}": foreign,
        "/systems/new": no_write,
        f"/systems/{c.edu_system}/edit": no_write,
        f"/systems/{c.civil_system}/edit": {**no_write, **foreign},
        "/hosts": ok,
        "/hosts?sort=os_name&kind=virtual": ok,
        f"/hosts/{c.edu_host}": ok,
        f"/hosts/{c.civil_host}": foreign,
        "/units": ok,
        "/projects": ok,
        f"/projects/{c.edu_project}": ok,
        f"/projects/{c.civil_project}": foreign,
        "/changelog": no_log,
        "/changelog?object_type=inventory.system&action=update&actor=x&object_id=1&page=2": no_log,
        "/systems/999999": {r: 404 for r in ROLES},
        "/no-such-page": {r: 404 for r in ROLES},
    }


@pytest.mark.parametrize("role", ROLES)
def test_every_page_renders_for_every_role(
    role: str, browser_as: Callable[[str], TestClient], county: County
) -> None:
    client = browser_as(role)
    for path, expected in _pages(county).items():
        r = client.get(path, follow_redirects=False)
        assert r.status_code == expected.get(role, 200), (role, path, r.status_code, r.text[:300])
        assert r.headers["content-type"].startswith("text/html"), path
        assert '<html lang="zh-CN">' in r.text
        if r.status_code == 200:
            assert "服务器内部错误" not in r.text


def test_nav_follows_the_role(browser_as: Callable[[str], TestClient]) -> None:
    unit_nav = browser_as("unit").get("/").text.split("</nav>")[0]
    assert "变更日志" not in unit_nav and "信息系统" in unit_nav
    auditor = browser_as("auditor").get("/systems").text
    assert "变更日志" in auditor and "登记信息系统" not in auditor


def test_unit_user_sees_only_their_units_in_lists_search_and_dashboard(
    browser_as: Callable[[str], TestClient], county: County
) -> None:
    unit = browser_as("unit")
    listing = unit.get("/systems").text
    assert "学籍管理系统" in listing and county.civil_system_name not in listing
    assert county.civil_system_name not in unit.get("/systems", params={"q": "低保"}).text
    assert county.civil_system_name not in unit.get("/systems", params={"owner_unit_id": county.civil}).text
    hosts = unit.get("/hosts").text
    assert "mz-app-01" not in hosts and "jy-app-01" in hosts
    assert "已停止 2024-06-30" in hosts  # CentOS 7's end of support, from the policy file
    assert "民政救助平台" not in unit.get("/projects").text
    assert "县民政局" not in unit.get("/units").text
    home = unit.get("/").text
    assert "本单位概况" in home and "县民政局" not in home
    # The one host shared with the unit shows only the unit's own systems.
    assert county.civil_system_name not in unit.get(f"/hosts/{county.edu_host}").text


def test_unit_user_cannot_write_another_units_system(
    browser_as: Callable[[str], TestClient], county: County, session: Any
) -> None:
    from inventory.models import System

    unit = browser_as("unit")
    token = csrf_of(unit.get("/systems/new").text)
    r = unit.post(
        f"/systems/{county.civil_system}/edit",
        data={"csrf_token": token, "name": "改名", "owner_unit_id": county.edu},
    )
    assert r.status_code == 404
    form = {
        "csrf_token": token,
        "catalogue_number": "MZ-009",
        "name": "冒名系统",
        "owner_unit_id": str(county.civil),
        "lifecycle": "running",
        "hosting": "legacy",
        "data_sharing": "not_required",
    }
    r = unit.post("/systems/new", data=form)
    assert r.status_code == 422
    assert 'id="owner_unit_id-error"' in r.text and "不存在" in r.text
    assert session.execute(select(func.count()).select_from(System)).scalar_one() == 2
    assert session.get(System, county.civil_system).name == county.civil_system_name


def _system_form(token: str, county: County, **changes: str) -> dict[str, Any]:
    form: dict[str, Any] = {
        "csrf_token": token,
        "catalogue_number": "JY-002",
        "name": "教师管理系统",
        "owner_unit_id": str(county.edu),
        "purpose": "教师档案与职称评审",
        "lifecycle": "running",
        "go_live_date": "2024-03-01",
        "mlps_level": "2",
        "data_sharing": "sharing",
        "hosting": "legacy",
        "needs_crypto_assessment": "on",
        "base_libraries_fed": ["natural_person", "e_license"],
    }
    form.update(changes)
    return form


def test_form_errors_sit_next_to_fields_and_keep_the_input(
    browser_as: Callable[[str], TestClient], county: County, session: Any
) -> None:
    from inventory.models import System

    ops = browser_as("ops")
    token = csrf_of(ops.get("/systems/new").text)
    r = ops.post(
        "/systems/new", data=_system_form(token, county, go_live_date="2024-13-40", catalogue_number="JY-001")
    )
    assert r.status_code == 422
    assert 'id="go_live_date-error"' in r.text and "日期格式" in r.text
    assert 'value="教师管理系统"' in r.text and "教师档案与职称评审" in r.text
    assert 'value="2024-13-40"' in r.text
    assert 'value="e_license" checked' in r.text and 'value="natural_person" checked' in r.text
    assert 'aria-invalid="true"' in r.text

    r = ops.post("/systems/new", data=_system_form(token, county, catalogue_number="JY-001"))
    assert r.status_code == 422
    assert 'id="catalogue_number-error"' in r.text and "已存在" in r.text
    assert session.execute(select(func.count()).select_from(System)).scalar_one() == 2

    r = ops.post("/systems/new", data=_system_form(token, county), follow_redirects=False)
    assert r.status_code == 303
    created = session.execute(select(System).where(System.catalogue_number == "JY-002")).scalar_one()
    assert created.base_libraries_fed == ["natural_person", "e_license"] and created.mlps_level == 2
    page = ops.get(r.headers["location"])
    assert "已登记信息系统“教师管理系统”" in page.text


def test_edit_records_the_actor_and_detects_a_stale_version(
    browser_as: Callable[[str], TestClient], county: County, session: Any
) -> None:
    from inventory.models import System
    from taizhang.changelog import ChangeLogEntry

    ops = browser_as("ops")
    form_page = ops.get(f"/systems/{county.edu_system}/edit").text
    token = csrf_of(form_page)
    data = _system_form(
        token, county, catalogue_number="JY-001", name="学籍管理系统", hosting="city_cloud", version="1"
    )
    r = ops.post(f"/systems/{county.edu_system}/edit", data=data, follow_redirects=False)
    assert r.status_code == 303
    entry = session.execute(
        select(ChangeLogEntry).where(
            ChangeLogEntry.object_type == "inventory.system", ChangeLogEntry.action == "update"
        )
    ).scalar_one()
    assert entry.actor == "web_ops" and entry.after["hosting"] == "city_cloud"
    history = ops.get(f"/systems/{county.edu_system}").text
    assert "市级政务云" in history and "web_ops" in history

    stale = ops.post(f"/systems/{county.edu_system}/edit", data={**data, "name": "旧页面的改动"})
    assert stale.status_code == 409 and "已被他人修改" in stale.text
    assert 'value="旧页面的改动"' in stale.text
    session.expire_all()
    assert session.get(System, county.edu_system).name == "学籍管理系统"


def test_an_edit_that_empties_a_text_field_clears_it(
    browser_as: Callable[[str], TestClient], county: County, session: Any
) -> None:
    from inventory.models import System

    ops = browser_as("ops")
    token = csrf_of(ops.get(f"/systems/{county.edu_system}/edit").text)
    data = _system_form(token, county, catalogue_number="JY-001", name="学籍管理系统", version="1")
    assert (
        ops.post(f"/systems/{county.edu_system}/edit", data=data, follow_redirects=False).status_code == 303
    )
    cleared = {**data, "purpose": "", "version": "2"}
    r = ops.post(f"/systems/{county.edu_system}/edit", data=cleared, follow_redirects=False)
    assert r.status_code == 303, r.text[:1000]
    session.expire_all()
    assert session.get(System, county.edu_system).purpose == ""


def test_every_route_declares_who_may_call_it(app: Any) -> None:
    from starlette.routing import Mount

    missing = []
    for route in _walk(app.routes):
        if isinstance(route, Mount) or not hasattr(route, "dependant"):
            continue
        if route.path.startswith(("/api/docs", "/api/openapi", "/docs/")):
            continue
        declared = [d.call for d in _dependants(route.dependant) if hasattr(d.call, "__permission__")]
        if not declared:
            missing.append(route.path)
    assert missing == []


def _walk(routes: Any) -> Any:
    for route in routes:
        inner = getattr(getattr(route, "original_router", None), "routes", None)
        if inner is not None:
            yield from _walk(inner)
        else:
            yield route


def _dependants(dependant: Any) -> Any:
    for dep in dependant.dependencies:
        yield dep
        yield from _dependants(dep)


def test_dashboard_figures_follow_the_scope(browser_as: Callable[[str], TestClient], county: County) -> None:
    # One system of each unit is running: 民政's on the city cloud, 教育's in its own machine room.
    county_wide = browser_as("auditor").get("/").text
    assert "全县概况" in county_wide and "50.0%" in county_wide
    own = browser_as("unit").get("/").text
    assert "本单位概况" in own and "0.0%" in own and "50.0%" not in own
    assert "CentOS Linux 7.9.2009" in own and "已停止" in own  # its host's OS is past end of support


def test_systems_list_sorts_and_pages(browser_as: Callable[[str], TestClient], county: County) -> None:
    from inventory import schemas as s
    from inventory.entities import SYSTEMS
    from taizhang import crud
    from taizhang.db import session_scope

    with session_scope(actor="test") as db:
        for i in range(30):
            crud.create(
                db,
                SYSTEMS,
                s.SystemCreate(
                    catalogue_number=f"JY-1{i:02d}", name=f"批量系统{i:02d}", owner_unit_id=county.edu
                ),
            )
    admin = browser_as("admin")
    first = admin.get("/systems", params={"sort": "-catalogue_number"}).text
    assert first.index("MZ-001") < first.index("JY-129") < first.index("JY-128")
    assert "共 32 条，第 1 / 2 页" in first
    second = admin.get("/systems", params={"sort": "-catalogue_number", "page": 2}).text
    assert "第 2 / 2 页" in second and "JY-001" in second and "JY-129" not in second
    assert 'href="/systems?sort=-catalogue_number&amp;page=1"' in second  # the pager keeps the sort
