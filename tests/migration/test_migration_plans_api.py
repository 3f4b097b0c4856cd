"""Migration plans through the REST API: transitions, history, hosting, blockers, scope."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from migration_helpers import API, hosting_of, make_plan, make_system, make_unit, move


def test_plan_walks_every_step_and_lands_on_the_city_cloud(client: TestClient) -> None:
    unit = make_unit(client)
    system = make_system(client, unit["id"], "XF-1", hosting="industry_cloud")
    wave = client.post(f"{API}/waves", json={"name": "第一批", "target_date": "2026-12-31"}).json()
    plan = make_plan(
        client, system["id"], wave_id=wave["id"], planned_start="2026-09-01", planned_cutover="2026-11-30"
    )
    assert plan["state"] == "planned" and plan["original_hosting"] == "industry_cloud"

    for step in ["assessment", "design", "resources"]:
        assert move(client, plan["id"], step).status_code == 200
    assert hosting_of(client, system["id"]) == "industry_cloud"
    r = move(client, plan["id"], "implementation", "开始迁移数据")
    assert r.status_code == 200, r.text
    assert r.json()["hosting"] == "migrating"
    assert r.json()["allowed_transitions"] == ["implementation", "cutover", "on_hold", "cancelled"][1:]
    for step in ["cutover", "verification", "decommission"]:
        assert move(client, plan["id"], step).status_code == 200
        assert hosting_of(client, system["id"]) == "migrating"
    r = move(client, plan["id"], "done", "原机房设备已下电")
    assert r.json()["state"] == "done" and r.json()["allowed_transitions"] == []
    assert hosting_of(client, system["id"]) == "city_cloud"

    history = client.get(f"{API}/plans/{plan['id']}/transitions").json()
    assert [(h["from_state"], h["to_state"]) for h in history][:2] == [
        ("planned", "assessment"),
        ("assessment", "design"),
    ]
    assert len(history) == 8
    assert {h["actor"] for h in history} == {"root_admin"}
    assert history[3]["note"] == "开始迁移数据" and history[-1]["note"] == "原机房设备已下电"
    assert all(h["at"] for h in history)

    logged = client.get(
        "/api/v1/changelog",
        params={"object_type": "inventory.system", "object_id": system["id"], "action": "update"},
    ).json()["results"]
    hostings = [(e["before"]["hosting"], e["after"]["hosting"], e["actor"]) for e in reversed(logged)]
    assert hostings == [
        ("industry_cloud", "migrating", "root_admin"),
        ("migrating", "city_cloud", "root_admin"),
    ]
    moves = client.get("/api/v1/changelog", params={"object_type": "migration.plantransition"}).json()
    assert moves["count"] == 8


def test_invalid_transition_is_409_naming_the_allowed_ones(client: TestClient) -> None:
    unit = make_unit(client)
    plan = make_plan(client, make_system(client, unit["id"], "XF-1")["id"])
    r = move(client, plan["id"], "cutover")
    assert r.status_code == 409
    body = r.json()
    assert body["allowed"] == ["assessment", "on_hold", "cancelled"]
    assert "评估" in body["detail"] and "割接" in body["detail"]
    assert client.get(f"{API}/plans/{plan['id']}").json()["state"] == "planned"
    assert client.get(f"{API}/plans/{plan['id']}/transitions").json() == []

    r = move(client, plan["id"], "nonsense")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "to"
    assert (
        client.post(
            f"{API}/plans/{plan['id']}/transitions", json={"to": "assessment", "version": 99}
        ).status_code
        == 409
    )
    assert client.patch(f"{API}/plans/{plan['id']}", json={"state": "done"}).status_code == 422


def test_verification_failure_goes_back_and_cancel_restores_hosting(client: TestClient) -> None:
    unit = make_unit(client)
    system = make_system(client, unit["id"], "XF-1", hosting="legacy")
    plan = make_plan(client, system["id"])
    for step in ["assessment", "design", "resources", "implementation", "cutover", "verification"]:
        assert move(client, plan["id"], step).status_code == 200
    r = move(client, plan["id"], "implementation", "验证发现接口超时，回退重做")
    assert r.status_code == 200 and r.json()["hosting"] == "migrating"
    assert move(client, plan["id"], "on_hold").status_code == 200
    state = client.get(f"{API}/plans/{plan['id']}/state").json()
    assert state["held_from"] == "implementation"
    assert state["allowed_transitions"] == ["implementation", "cancelled"]
    assert move(client, plan["id"], "design").status_code == 409
    assert move(client, plan["id"], "cancelled", "并入县政务服务平台").status_code == 200
    assert hosting_of(client, system["id"]) == "legacy"
    assert move(client, plan["id"], "planned").json()["state"] == "planned"


def test_plans_only_for_in_scope_systems(client: TestClient) -> None:
    unit = make_unit(client)
    on_cloud = make_system(client, unit["id"], "A", hosting="city_cloud")
    retired = make_system(client, unit["id"], "B", lifecycle="retired")
    fine = make_system(client, unit["id"], "C")
    for system in (on_cloud, retired):
        r = client.post(f"{API}/plans", json={"system_id": system["id"], "owner": "张伟"})
        assert r.status_code == 422 and r.json()["field"] == "system_id", r.text
    r = client.post(f"{API}/plans", json={"system_id": 999, "owner": "张伟"})
    assert r.status_code == 422 and r.json()["field"] == "system_id"
    r = client.post(
        f"{API}/plans",
        json={
            "system_id": fine["id"],
            "owner": "张伟",
            "planned_start": "2027-01-02",
            "planned_cutover": "2027-01-01",
        },
    )
    assert r.status_code == 422
    make_plan(client, fine["id"])
    r = client.post(f"{API}/plans", json={"system_id": fine["id"], "owner": "王芳"})
    assert r.status_code == 409


def test_blockers_with_owner_and_due_date(client: TestClient) -> None:
    unit = make_unit(client)
    plan = make_plan(client, make_system(client, unit["id"], "XF-1")["id"])
    body = {
        "plan_id": plan["id"],
        "description": "云资源配额待审批",
        "owner": "李强",
        "due_date": "2026-12-01",
    }
    r = client.post(f"{API}/blockers", json=body)
    assert r.status_code == 201, r.text
    blocker = r.json()
    assert client.get(f"{API}/blockers", params={"open": True}).json()["count"] == 1
    r = client.patch(
        f"{API}/blockers/{blocker['id']}", json={"resolved_on": "2026-11-20", "resolution": "已批复"}
    )
    assert r.status_code == 200
    assert client.get(f"{API}/blockers", params={"open": True}).json()["count"] == 0
    assert client.post(f"{API}/blockers", json={**body, "due_date": None}).status_code == 422


def test_unit_users_see_only_their_units_and_cannot_write(
    client: TestClient, anon: TestClient, make_user: Callable[..., dict[str, str]]
) -> None:
    mine, other = make_unit(client), make_unit(client, "U02", "县民政局")
    my_plan = make_plan(client, make_system(client, mine["id"], "A")["id"])
    their_plan = make_plan(client, make_system(client, other["id"], "B")["id"])
    client.post(
        f"{API}/blockers",
        json={"plan_id": their_plan["id"], "description": "x", "owner": "y", "due_date": "2026-12-01"},
    )
    headers = make_user("edu", "unit", (mine["id"],))
    listed = anon.get(f"{API}/plans", headers=headers).json()
    assert [p["id"] for p in listed["results"]] == [my_plan["id"]]
    assert anon.get(f"{API}/plans/{their_plan['id']}", headers=headers).status_code == 404
    assert anon.get(f"{API}/plans/{their_plan['id']}/transitions", headers=headers).status_code == 404
    assert anon.get(f"{API}/blockers", headers=headers).json()["count"] == 0
    assert anon.get(f"{API}/plans/{my_plan['id']}/state", headers=headers).status_code == 200
    r = anon.post(f"{API}/plans/{my_plan['id']}/transitions", headers=headers, json={"to": "assessment"})
    assert r.status_code == 403
    ops = make_user("ops1", "ops")
    assert (
        anon.post(
            f"{API}/plans/{my_plan['id']}/transitions", headers=ops, json={"to": "assessment"}
        ).status_code
        == 200
    )
    security = make_user("sec1", "security")
    assert (
        anon.post(
            f"{API}/waves", headers=security, json={"name": "x", "target_date": "2027-01-01"}
        ).status_code
        == 403
    )


def test_every_migration_route_requires_login_and_writes_need_migration_write(
    anon: TestClient, make_user: Callable[..., dict[str, str]]
) -> None:
    auditor = make_user("aud", "auditor")
    paths = anon.get("/api/openapi.json").json()["paths"]
    routes = [(p, m) for p, ops in paths.items() if p.startswith(API) for m in ops]
    assert len(routes) > 30
    for path, method in routes:
        url = path.replace("{object_id}", "1").replace("{plan_id}", "1").replace("{wave_id}", "1")
        r = anon.request(method.upper(), url, json={})
        assert r.status_code == 401, (method, path, r.status_code)
        if method in ("post", "patch", "delete", "put"):
            r = anon.request(method.upper(), url, json={}, headers=auditor)
            assert r.status_code == 403, (method, path, r.status_code)


def test_unit_users_get_404_for_other_units_exemptions_and_subscriptions(
    client: TestClient, anon: TestClient, make_user: Callable[..., dict[str, str]]
) -> None:
    mine, other = make_unit(client), make_unit(client, "U02", "县民政局")
    their_system = make_system(client, other["id"], "B", hosting="city_cloud")
    version = client.post(
        f"{API}/catalogue-versions", json={"name": "2021版", "effective_from": "2021-01-01"}
    )
    item = client.post(
        f"{API}/catalogue-items",
        json={
            "catalogue_version_id": version.json()["id"],
            "code": "ECS",
            "name": "云主机",
            "category": "compute",
        },
    ).json()
    sub = client.post(
        f"{API}/subscriptions",
        json={"system_id": their_system["id"], "item_id": item["id"], "since": "2026-01-01"},
    ).json()
    exemption = client.post(
        f"{API}/exemptions",
        json={
            "system_id": their_system["id"],
            "reason": "专网",
            "approver": "局长",
            "approval_reference": "批〔2026〕1号",
            "approved_on": "2026-01-01",
            "expires_on": "2026-12-31",
        },
    ).json()
    headers = make_user("edu", "unit", (mine["id"],))
    assert anon.get(f"{API}/subscriptions/{sub['id']}", headers=headers).status_code == 404
    assert anon.get(f"{API}/exemptions/{exemption['id']}", headers=headers).status_code == 404
    assert anon.get(f"{API}/subscriptions", headers=headers).json()["count"] == 0
    assert anon.get(f"{API}/catalogue-items", headers=headers).json()["count"] == 1
