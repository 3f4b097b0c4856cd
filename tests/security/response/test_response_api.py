"""Plans, drills, follow-ups and incidents through the API, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from taizhang.changelog import ChangeLogEntry
from taizhang.policy import reset_policy_cache
from taizhang.settings import reset_settings_cache

INV = "/api/v1/inventory"
SEC = "/api/v1/security"


def post(client: TestClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    r = client.post(path, json=body)
    assert r.status_code == 201, r.text
    return r.json()


@pytest.fixture
def county(client: TestClient) -> dict[str, Any]:
    edu = post(client, f"{INV}/units", {"code": "U1", "name": "县教育局", "kind": "county_department"})
    civ = post(client, f"{INV}/units", {"code": "U2", "name": "县民政局", "kind": "county_department"})
    s3 = post(
        client,
        f"{INV}/systems",
        {"catalogue_number": "E-1", "name": "学籍系统", "owner_unit_id": edu["id"], "mlps_level": 3},
    )
    s2 = post(
        client,
        f"{INV}/systems",
        {"catalogue_number": "E-2", "name": "门户网站", "owner_unit_id": edu["id"], "mlps_level": 2},
    )
    c1 = post(
        client,
        f"{INV}/systems",
        {"catalogue_number": "M-1", "name": "低保系统", "owner_unit_id": civ["id"], "mlps_level": 3},
    )
    return {"edu": edu, "civ": civ, "s3": s3, "s2": s2, "c1": c1}


def test_plan_drill_and_status(client: TestClient, county: dict[str, Any], session: Session) -> None:
    edu, s3 = county["edu"], county["s3"]
    plan = post(
        client,
        f"{SEC}/plans",
        {
            "name": "学籍系统应急预案",
            "unit_id": edu["id"],
            "system_id": s3["id"],
            "plan_version": "V2.0",
            "approved_on": "2025-03-02",
        },
    )
    assert plan["scope_kind"] == "system"
    unit_plan = post(
        client, f"{SEC}/plans", {"name": "教育局总体预案", "unit_id": edu["id"], "approved_on": "2025-06-10"}
    )
    assert unit_plan["scope_kind"] == "unit"
    drill = post(
        client,
        f"{SEC}/drills",
        {
            "plan_id": plan["id"],
            "drill_type": "tabletop",
            "scenario": "勒索病毒",
            "held_on": "2025-10-01",
            "participants": ["信息中心", "信息中心", "厂商"],
        },
    )
    assert drill["participants"] == ["信息中心", "厂商"]
    post(
        client,
        f"{SEC}/drill-actions",
        {"drill_id": drill["id"], "action": "补充离线备份", "owner": "张三", "due_on": "2025-11-30"},
    )

    rows = {
        r["system_id"]: r for r in client.get(f"{SEC}/system-status", params={"as_of": "2026-10-08"}).json()
    }
    assert rows[s3["id"]]["plan_ids"] == [plan["id"]]
    assert rows[s3["id"]]["next_drill_due"] == "2026-10-08" and not rows[s3["id"]]["drill_overdue"]
    assert rows[s3["id"]]["review_due"] == "2026-03-02" and rows[s3["id"]]["review_overdue"]
    s2 = rows[county["s2"]["id"]]
    assert (
        s2["plan_ids"] == [unit_plan["id"]] and s2["next_drill_due"] == "2026-06-10" and s2["drill_overdue"]
    )
    assert not s2["review_required"]
    assert not rows[county["c1"]["id"]]["has_plan"]

    later = client.get(f"{SEC}/system-status", params={"as_of": "2026-10-09", "system_id": s3["id"]}).json()
    assert later[0]["drill_overdue"]
    schedules = client.get(f"{SEC}/plan-schedules", params={"as_of": "2026-10-08", "overdue": True}).json()
    by_plan = {r["plan_id"]: r for r in schedules}
    assert by_plan[unit_plan["id"]]["level"] == 3  # the unit's highest running level
    assert by_plan[unit_plan["id"]]["review_due"] == "2026-06-10"
    overdue = client.get(f"{SEC}/overdue-drill-actions", params={"as_of": "2025-12-01"}).json()
    assert [a["action"] for a in overdue] == ["补充离线备份"]
    assert client.get(f"{SEC}/overdue-drill-actions", params={"as_of": "2025-11-30"}).json() == []

    logged = (
        session.execute(select(ChangeLogEntry.actor).where(ChangeLogEntry.object_type == "security.drill"))
        .scalars()
        .all()
    )
    assert logged == ["root_admin"]


def test_bad_input_names_the_field(client: TestClient, county: dict[str, Any]) -> None:
    edu, civ = county["edu"], county["civ"]
    r = client.post(
        f"{SEC}/plans",
        json={
            "name": "预案",
            "unit_id": civ["id"],
            "system_id": county["s3"]["id"],
            "approved_on": "2025-01-01",
        },
    )
    assert r.status_code == 422 and r.json()["field"] == "system_id"
    r = client.post(
        f"{SEC}/plans",
        json={
            "name": "预案",
            "unit_id": edu["id"],
            "approved_on": "2025-01-01",
            "last_reviewed_on": "2024-12-31",
        },
    )
    assert r.status_code == 422 and r.json()["field"] == "last_reviewed_on"
    plan = post(client, f"{SEC}/plans", {"name": "预案", "unit_id": edu["id"], "approved_on": "2025-01-01"})
    drill = post(
        client,
        f"{SEC}/drills",
        {"plan_id": plan["id"], "drill_type": "live", "scenario": "断电", "held_on": "2025-05-01"},
    )
    r = client.post(
        f"{SEC}/drill-actions",
        json={"drill_id": drill["id"], "action": "x", "owner": "y", "due_on": "2025-04-30"},
    )
    assert r.status_code == 422 and r.json()["field"] == "due_on"
    r = client.post(
        f"{SEC}/drills",
        json={"plan_id": plan["id"], "drill_type": "exercise", "scenario": "x", "held_on": "2025-05-01"},
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "drill_type"
    base = {
        "title": "事件",
        "unit_id": edu["id"],
        "category": "malware",
        "grade": "larger",
        "occurred_at": "2026-10-01T09:00:00+08:00",
        "detected_at": "2026-10-01T08:00:00+08:00",
    }
    r = client.post(f"{SEC}/incidents", json=base)
    assert r.status_code == 422 and r.json()["field"] == "detected_at"
    r = client.post(f"{SEC}/incidents", json={**base, "detected_at": "2026-10-01T10:00:00"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "detected_at"
    r = client.post(
        f"{SEC}/incidents",
        json={**base, "detected_at": "2026-10-01T10:00:00+08:00", "reported_at": "2026-10-01T11:00:00+08:00"},
    )
    assert r.status_code == 422 and r.json()["field"] == "report_recipient"


def test_incident_deadlines_and_flags(client: TestClient, county: dict[str, Any]) -> None:
    edu = county["edu"]
    body = {
        "title": "学籍系统数据泄露",
        "unit_id": edu["id"],
        "system_ids": [county["s3"]["id"]],
        "category": "data_security",
        "grade": "larger",
        "critical_infrastructure": True,
        "occurred_at": "2026-10-01T07:00:00+08:00",
        "detected_at": "2026-10-01T08:00:00+08:00",
        "timeline": [{"at": "2026-10-01T08:30:00+08:00", "action": "隔离数据库服务器"}],
    }
    incident = post(client, f"{SEC}/incidents", body)
    assert incident["system_ids"] == [county["s3"]["id"]]
    assert incident["timeline"][0]["action"] == "隔离数据库服务器"
    d = client.get(
        f"{SEC}/incidents/{incident['id']}/deadlines", params={"at": "2026-10-01T08:30:00+08:00"}
    ).json()
    assert d["report_due"] == "2026-10-01T09:00:00+08:00" and d["report_state"] == "pending"
    flagged = client.get(
        f"{SEC}/incident-deadlines", params={"flagged": True, "at": "2026-10-01T09:00:01+08:00"}
    ).json()
    assert [f["incident_id"] for f in flagged] == [incident["id"]] and flagged[0][
        "report_state_label"
    ] == "已逾期"
    r = client.get(f"{SEC}/incidents/{incident['id']}/deadlines", params={"at": "2026-10-01T09:00:00"})
    assert r.status_code == 422
    r = client.patch(
        f"{SEC}/incidents/{incident['id']}",
        json={"reported_at": "2026-10-01T08:50:00+08:00", "report_recipient": "省委网信办"},
    )
    assert r.status_code == 200, r.text
    assert client.get(f"{SEC}/incident-deadlines", params={"flagged": True}).json() == []
    cii = post(
        client,
        f"{INV}/systems",
        {
            "catalogue_number": "E-9",
            "name": "关基系统",
            "owner_unit_id": edu["id"],
            "critical_infrastructure": True,
        },
    )
    other = post(
        client, f"{SEC}/incidents", {**body, "critical_infrastructure": False, "system_ids": [cii["id"]]}
    )
    d = client.get(f"{SEC}/incidents/{other['id']}/deadlines").json()
    assert d["report_hours"] == 1 and d["operator_kind"] == "critical_infrastructure"


def test_unit_users_see_only_their_units(
    client: TestClient, county: dict[str, Any], make_user: Callable[..., dict[str, str]]
) -> None:
    edu, civ = county["edu"], county["civ"]
    mine = post(
        client, f"{SEC}/plans", {"name": "教育局预案", "unit_id": edu["id"], "approved_on": "2025-01-01"}
    )
    theirs = post(
        client, f"{SEC}/plans", {"name": "民政局预案", "unit_id": civ["id"], "approved_on": "2025-01-01"}
    )
    drill = post(
        client,
        f"{SEC}/drills",
        {"plan_id": theirs["id"], "drill_type": "red_blue", "scenario": "攻防", "held_on": "2025-05-01"},
    )
    headers = make_user("edu_user", "unit", (edu["id"],))
    listed = client.get(f"{SEC}/plans", headers=headers).json()
    assert [p["id"] for p in listed["results"]] == [mine["id"]]
    assert client.get(f"{SEC}/plans/{theirs['id']}", headers=headers).status_code == 404
    assert client.get(f"{SEC}/drills/{drill['id']}", headers=headers).status_code == 404
    statuses = client.get(f"{SEC}/system-status", headers=headers).json()
    assert {s["unit_id"] for s in statuses} == {edu["id"]}
    r = client.post(
        f"{SEC}/plans", headers=headers, json={"name": "x", "unit_id": edu["id"], "approved_on": "2025-01-01"}
    )
    assert r.status_code == 403


def test_policy_file_changes_computed_dates(
    client: TestClient, county: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = post(
        client, f"{SEC}/plans", {"name": "预案", "unit_id": county["edu"]["id"], "approved_on": "2025-06-10"}
    )
    before = client.get(f"{SEC}/plan-schedules", params={"as_of": "2026-01-01"}).json()[0]
    assert before["next_drill_due"] == "2026-06-10"
    policy = tmp_path / "county.toml"
    policy.write_text('version = "xf-2026"\nemergency.drill.months = 6\n', encoding="utf-8")
    monkeypatch.setenv("TAIZHANG_POLICY_FILE", str(policy))
    reset_settings_cache()
    reset_policy_cache()
    try:
        after = client.get(f"{SEC}/plan-schedules", params={"as_of": "2026-01-01"}).json()[0]
    finally:
        monkeypatch.delenv("TAIZHANG_POLICY_FILE")
        reset_settings_cache()
        reset_policy_cache()
    assert (
        after["plan_id"] == plan["id"] and after["next_drill_due"] == "2025-12-10" and after["drill_overdue"]
    )


def test_drill_status_service_for_one_system(
    client: TestClient, county: dict[str, Any], session: Session
) -> None:
    import datetime as dt

    from security.response.service import drill_status, plan_status
    from taizhang.auth.principal import Scope
    from taizhang.errors import NotFound

    post(
        client, f"{SEC}/plans", {"name": "预案", "unit_id": county["civ"]["id"], "approved_on": "2025-06-10"}
    )
    status = drill_status(session, county["c1"]["id"], today=dt.date(2026, 6, 10))
    assert status.has_plan and status.next_drill_due == dt.date(2026, 6, 10) and not status.drill_overdue
    assert plan_status(session, county["c1"]["id"], today=dt.date(2026, 6, 11)).drill_overdue
    with pytest.raises(NotFound):
        drill_status(session, county["c1"]["id"], scope=Scope(frozenset({county["edu"]["id"]})))
