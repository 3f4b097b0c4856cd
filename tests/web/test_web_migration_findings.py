"""Migration and findings pages: every page for every role, CSRF on every form, unit scoping,
advancing a plan (refused moves keep the input) and the finding forms (waive, comment, assign,
rectification notices)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from web_support import County, csrf_of

ROLES = ("admin", "ops", "security", "unit", "auditor")


@dataclass
class Ledger:
    edu_plan: int
    civil_plan: int
    civil_plan_system: str
    edu_finding: int
    civil_finding: int
    civil_notice: int


@pytest.fixture
def ledger(county: County) -> Ledger:
    from inventory import schemas as s
    from inventory.entities import SYSTEMS
    from migration import schemas as ms
    from migration.entities import PLANS, WAVES
    from security.findings import engine, rectification
    from security.findings.models import Finding
    from taizhang import crud
    from taizhang.db import session_scope

    with session_scope(actor="test") as db:
        wave = crud.create(db, WAVES, ms.WaveCreate(name="第一批", target_date=dt.date(2026, 6, 30)))
        civil_sys = crud.create(
            db,
            SYSTEMS,
            s.SystemCreate(catalogue_number="MZ-002", name="婚姻登记系统", owner_unit_id=county.civil),
        )
        edu_plan = crud.create(
            db, PLANS, ms.PlanCreate(system_id=county.edu_system, wave_id=wave.id, owner="张工")
        )
        civil_plan = crud.create(
            db,
            PLANS,
            ms.PlanCreate(
                system_id=civil_sys.id, wave_id=wave.id, owner="李工", planned_cutover=dt.date(2020, 1, 1)
            ),
        )
        engine.evaluate(db)

        def first(unit_id: int) -> int:
            stmt = select(Finding.id).where(Finding.unit_id == unit_id).order_by(Finding.id).limit(1)
            return int(db.execute(stmt).scalar_one())

        civil_finding = first(county.civil)
        notice = rectification.create_notice(
            db,
            {
                "number": "襄政数整〔2026〕1号",
                "unit_id": county.civil,
                "title": "民政局整改",
                "deadline": dt.date(2030, 1, 1),
                "finding_ids": [civil_finding],
            },
            actor="test",
            today=dt.date(2026, 1, 5),
        )
        return Ledger(edu_plan.id, civil_plan.id, civil_sys.name, first(county.edu), civil_finding, notice.id)


def _pages(c: County, d: Ledger) -> dict[str, dict[str, int]]:
    """path → expected status per role (a missing role means 200)."""
    ok: dict[str, int] = {}
    foreign = {"unit": 404}
    sec_write = {"ops": 403, "unit": 403, "auditor": 403}
    return {
        "/migration": ok,
        "/migration?wave_id=1&unit_id=abc": ok,
        f"/migration?unit_id={c.civil}": foreign,
        f"/migration/plans/{d.edu_plan}": ok,
        f"/migration/plans/{d.civil_plan}": foreign,
        "/migration/plans/999999": {r: 404 for r in ROLES},
        f"/systems/{c.edu_system}": ok,
        "/findings": ok,
        "/findings?state=open&severity=high&rule_id=x&unit_id=1&system_id=2&q=系统&page=7": ok,
        "/findings?state=nonsense&severity=zz&unit_id=abc": ok,
        f"/findings/{d.edu_finding}": ok,
        f"/findings/{d.civil_finding}": foreign,
        "/findings/999999": {r: 404 for r in ROLES},
        "/findings/waivers": ok,
        "/findings/notices": ok,
        "/findings/notices?state=issued": ok,
        f"/findings/notices/{d.civil_notice}": foreign,
        "/findings/notices/999999": {r: 404 for r in ROLES},
        "/findings/notices/new": sec_write,
        f"/findings/notices/new?unit_id={c.edu}&finding_id={d.edu_finding}": sec_write,
        "/findings/notices/new?unit_id=x&finding_id=y": sec_write,
        "/": ok,
    }


@pytest.mark.parametrize("role", ROLES)
def test_every_new_page_renders_for_every_role(
    role: str, browser_as: Callable[[str], TestClient], county: County, ledger: Ledger
) -> None:
    client = browser_as(role)
    for path, expected in _pages(county, ledger).items():
        r = client.get(path, follow_redirects=False)
        assert r.status_code == expected.get(role, 200), (role, path, r.status_code, r.text[:300])
        assert '<html lang="zh-CN">' in r.text
        if r.status_code == 200:
            assert "服务器内部错误" not in r.text


def _posts(d: Ledger) -> list[tuple[str, dict[str, str]]]:
    return [
        (f"/migration/plans/{d.edu_plan}/advance", {"to": "assessment"}),
        (f"/findings/{d.edu_finding}/waive", {"reason": "x", "approver": "y", "expires_on": "2030-01-01"}),
        (f"/findings/{d.edu_finding}/comment", {"body": "备注"}),
        (f"/findings/{d.edu_finding}/assign", {"assignee_id": ""}),
        ("/findings/notices/new", {"number": "n", "unit_id": "1", "title": "t", "deadline": "2030-01-01"}),
        (f"/findings/notices/{d.civil_notice}/transition", {"to_state": "rectifying"}),
    ]


def test_every_new_form_refuses_a_missing_or_wrong_csrf_token(
    browser_as: Callable[[str], TestClient], ledger: Ledger
) -> None:
    client = browser_as("admin")
    for path, data in _posts(ledger):
        for token in (None, "forged"):
            sent = dict(data) if token is None else {**data, "csrf_token": token}
            r = client.post(path, data=sent, follow_redirects=False)
            assert r.status_code == 403, (path, token, r.status_code)
            assert "CSRF" in r.text
    page = client.get(f"/migration/plans/{ledger.edu_plan}")
    assert "待启动" in page.text  # nothing moved


def test_roles_without_write_are_refused_and_unit_users_cannot_touch_other_units(
    browser_as: Callable[[str], TestClient], ledger: Ledger
) -> None:
    for role, allowed in (("auditor", ()), ("security", ("/findings",)), ("ops", ("/migration",))):
        client = browser_as(role)
        token = csrf_of(client.get("/findings").text)
        for path, data in _posts(ledger):
            if path.startswith(allowed) if allowed else False:
                continue
            r = client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)
            assert r.status_code == 403, (role, path, r.status_code)


def test_ops_advances_a_plan_and_an_invalid_move_keeps_the_input(
    browser_as: Callable[[str], TestClient], ledger: Ledger
) -> None:
    client = browser_as("ops")
    path = f"/migration/plans/{ledger.edu_plan}"
    token = csrf_of(client.get(path).text)
    bad = client.post(
        f"{path}/advance", data={"to": "cutover", "note": "跳过评估", "csrf_token": token, "version": "1"}
    )
    assert bad.status_code == 409
    assert "迁移计划不能从“待启动”转为“割接”；允许的状态：评估（assessment）" in bad.text
    assert "跳过评估" in bad.text
    good = client.post(
        f"{path}/advance",
        data={"to": "assessment", "note": "开始评估", "csrf_token": token},
        follow_redirects=False,
    )
    assert good.status_code == 303
    page = client.get(path)
    assert "迁移计划已转为“评估”" in page.text and "开始评估" in page.text
    board = client.get("/migration").text
    assert 'data-state="assessment"' in board and "学籍管理系统" in board
    stale = client.post(f"{path}/advance", data={"to": "design", "csrf_token": token, "version": "1"})
    assert stale.status_code == 409 and "已被他人修改" in stale.text


def test_unit_user_sees_only_own_units_on_board_findings_and_panels(
    browser_as: Callable[[str], TestClient], county: County, ledger: Ledger
) -> None:
    client = browser_as("unit")
    board = client.get("/migration").text
    assert "学籍管理系统" in board and ledger.civil_plan_system not in board
    findings = client.get("/findings").text
    assert f'href="/findings/{ledger.edu_finding}"' in findings
    assert f'href="/findings/{ledger.civil_finding}"' not in findings
    assert "襄政数整〔2026〕1号" not in client.get("/findings/notices").text
    system = client.get(f"/systems/{county.edu_system}").text
    assert 'id="panel-migration"' in system and 'id="panel-findings"' in system
    assert "迁移计划" in system


def test_security_waives_comments_assigns_and_issues_a_notice(
    browser_as: Callable[[str], TestClient], county: County, ledger: Ledger
) -> None:
    client = browser_as("security")
    path = f"/findings/{ledger.edu_finding}"
    form = client.get(f"/findings/notices/new?unit_id={county.edu}&finding_id={ledger.edu_finding}").text
    assert f'name="finding_ids" value="{ledger.edu_finding}" checked' in form
    assert f'name="finding_ids" value="{ledger.civil_finding}"' not in form
    token = csrf_of(client.get(path).text)
    bad = client.post(
        f"{path}/waive",
        data={"reason": "系统将于年内停用", "approver": "", "expires_on": "2001-01-01", "csrf_token": token},
    )
    assert bad.status_code == 422
    assert "系统将于年内停用" in bad.text and 'id="approver-error"' in bad.text
    good = client.post(
        f"{path}/waive",
        data={
            "reason": "系统将于年内停用",
            "approver": "王局长",
            "expires_on": "2030-06-30",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert good.status_code == 303
    page = client.get(path).text
    assert "已豁免" in page and "王局长" in page
    assert "系统将于年内停用" in client.get("/findings/waivers").text

    assert client.post(f"{path}/comment", data={"body": "", "csrf_token": token}).status_code == 422
    r = client.post(
        f"{path}/comment", data={"body": "已联系厂商", "csrf_token": token}, follow_redirects=False
    )
    assert r.status_code == 303 and "已联系厂商" in client.get(path).text
    assert client.post(f"{path}/assign", data={"assignee_id": "x", "csrf_token": token}).status_code == 422

    new = {"number": "襄政数整〔2026〕2号", "unit_id": str(county.civil), "title": "教育局整改"}
    wrong = client.post(
        "/findings/notices/new",
        data={**new, "deadline": "2030-01-01", "finding_ids": str(ledger.edu_finding), "csrf_token": token},
    )
    assert wrong.status_code == 422 and "不属于该单位" in wrong.text and "教育局整改" in wrong.text
    created = client.post(
        "/findings/notices/new",
        data={
            **new,
            "unit_id": str(county.edu),
            "deadline": "2030-01-01",
            "finding_ids": str(ledger.edu_finding),
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    notice = created.headers["location"]
    refused = client.post(f"{notice}/transition", data={"to_state": "terminated", "csrf_token": token})
    assert refused.status_code == 422 and "可变为" in refused.text
    moved = client.post(
        f"{notice}/transition",
        data={"to_state": "rectifying", "comment": "已启动", "csrf_token": token},
        follow_redirects=False,
    )
    assert moved.status_code == 303 and "整改中" in client.get(notice).text


def test_dashboard_shows_migration_and_findings_sections(
    browser_as: Callable[[str], TestClient], ledger: Ledger
) -> None:
    page = browser_as("admin").get("/").text
    assert "上云迁移进度" in page and "各单位上云率" in page
    assert "合规问题" in page and "各单位未整改问题" in page
    nav: Any = page[: page.index("</nav>")]
    assert nav.index("上云迁移") < nav.index("合规问题")


def _more_plans(county: County, edu: int) -> None:
    """``edu`` more 县教育局 systems with plans (JY-2xx), every other one in the second wave."""
    from inventory import schemas as s
    from inventory.entities import SYSTEMS
    from migration import schemas as ms
    from migration.entities import PLANS, WAVES
    from taizhang import crud
    from taizhang.db import session_scope

    with session_scope(actor="test") as db:
        wave = crud.create(db, WAVES, ms.WaveCreate(name="第二批", target_date=dt.date(2027, 6, 30)))
        for n in range(edu):
            system = crud.create(
                db,
                SYSTEMS,
                s.SystemCreate(
                    catalogue_number=f"JY-{200 + n}", name=f"教育上云系统{n:02d}", owner_unit_id=county.edu
                ),
            )
            crud.create(
                db,
                PLANS,
                ms.PlanCreate(
                    system_id=system.id,
                    wave_id=wave.id if n % 2 else None,
                    owner="王工",
                    planned_cutover=dt.date(2021, 1, 1) + dt.timedelta(days=n),
                ),
            )


def _cards(html: str) -> list[str]:
    board = html.split('id="migration-board"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'href="/migration/plans/(\d+)"', board)


def _tile(html: str, title: str) -> str:
    found = re.search(rf'<div class="tile-title">{title}</div><div class="tile-value">([^<]*)</div>', html)
    assert found, title
    return found.group(1)


def test_board_pages_fifty_plans_and_its_figures_count_every_matching_system(
    browser_as: Callable[[str], TestClient], county: County, ledger: Ledger
) -> None:
    _more_plans(county, edu=55)  # 57 plans in all, 56 of them overdue
    admin = browser_as("admin")
    first = admin.get("/migration").text
    cards = _cards(first)
    assert len(cards) == 50 and len(set(cards)) == 50
    assert "第一批" in first and "第二批" in first and "未分配批次" in first  # grouped by wave and step
    assert _tile(first, "割接逾期") == "56" and _tile(first, "纳入范围") == "58"
    assert "共 57 条，第 1 / 2 页" in first and 'href="/migration?page=2"' in first and "下一页" in first
    second = admin.get("/migration?page=2").text
    assert len(_cards(second)) == 7 and not set(_cards(second)) & set(cards)
    assert _tile(second, "割接逾期") == "56"
    assert str(ledger.edu_plan) in _cards(second) or str(ledger.edu_plan) in cards

    civil = admin.get(f"/migration?unit_id={county.civil}").text
    assert _cards(civil) == [str(ledger.civil_plan)] and _tile(civil, "纳入范围") == "2"
    found = admin.get("/migration", params={"q": "jy-21"}).text  # catalogue number
    assert len(_cards(found)) == 10 and _tile(found, "纳入范围") == "10" and "下一页" not in found
    named = admin.get("/migration", params={"q": "婚姻"}).text  # system name
    assert _cards(named) == [str(ledger.civil_plan)] and _tile(named, "割接逾期") == "1"
    kept = admin.get("/migration", params={"q": "系统", "unit_id": county.edu}).text
    assert "共 56 条" in kept and _tile(kept, "纳入范围") == "56"
    assert f'href="/migration?q=%E7%B3%BB%E7%BB%9F&amp;unit_id={county.edu}&amp;page=2"' in kept
    tail = admin.get("/migration", params={"q": "系统", "unit_id": county.edu, "page": 2}).text
    assert len(_cards(tail)) == 6


def test_unit_user_pages_only_their_plans_and_the_board_still_advances(
    browser_as: Callable[[str], TestClient], county: County, ledger: Ledger
) -> None:
    _more_plans(county, edu=55)
    unit = browser_as("unit")
    first = unit.get("/migration").text
    assert "共 56 条" in first and len(_cards(first)) == 50
    assert str(ledger.civil_plan) not in _cards(first) + _cards(unit.get("/migration?page=2").text)
    assert _tile(first, "纳入范围") == "56" and _tile(first, "割接逾期") == "55"
    assert len(_cards(unit.get("/migration?page=2").text)) == 6
    ops = browser_as("ops")
    path = f"/migration/plans/{ledger.edu_plan}"
    token = csrf_of(ops.get(path).text)
    moved = ops.post(
        f"{path}/advance", data={"to": "assessment", "csrf_token": token}, follow_redirects=False
    )
    assert moved.status_code == 303
    board = ops.get("/migration", params={"q": "学籍"}).text
    assert _cards(board) == [str(ledger.edu_plan)]
    cell = board.split('data-state="assessment"', 1)[1].split("</td>", 1)[0]
    assert f'href="/migration/plans/{ledger.edu_plan}"' in cell
