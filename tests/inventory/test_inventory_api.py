"""The inventory REST API: CRUD, conventions and errors, on both databases."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

API = "/api/v1/inventory"


def make_unit(client: TestClient, code: str = "U01", name: str = "县教育局", **extra: Any) -> dict[str, Any]:
    r = client.post(f"{API}/units", json={"code": code, "name": name, "kind": "county_department", **extra})
    assert r.status_code == 201, r.text
    return r.json()


def make_system(client: TestClient, unit_id: int, number: str = "XF-001", **extra: Any) -> dict[str, Any]:
    body = {"catalogue_number": number, "name": f"学籍管理系统{number}", "owner_unit_id": unit_id, **extra}
    r = client.post(f"{API}/systems", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def test_create_read_update_delete_system(client: TestClient) -> None:
    unit = make_unit(client)
    system = make_system(client, unit["id"], mlps_level=3, base_libraries_fed=["spatial", "natural_person"])
    assert system["base_libraries_fed"] == ["natural_person", "spatial"]
    assert system["version"] == 1

    got = client.get(f"{API}/systems/{system['id']}")
    assert got.status_code == 200
    assert got.headers["etag"] == '"1"'

    patched = client.patch(f"{API}/systems/{system['id']}", json={"lifecycle": "retired"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["lifecycle"] == "retired"
    assert patched.json()["mlps_level"] == 3
    assert patched.json()["version"] == 2

    assert client.delete(f"{API}/systems/{system['id']}").status_code == 204
    assert client.get(f"{API}/systems/{system['id']}").status_code == 404


def test_pages_filters_brief_and_search(client: TestClient) -> None:
    unit = make_unit(client)
    other = make_unit(client, "U02", "县民政局")
    for i in range(7):
        make_system(client, unit["id"], f"XF-{i:03d}", mlps_level=2 if i % 2 else 3)
    make_system(client, other["id"], "MZ-001", name="低保救助管理系统")

    page = client.get(f"{API}/systems", params={"limit": 3, "offset": 0}).json()
    assert page["count"] == 8
    assert len(page["results"]) == 3
    assert page["previous"] is None and "offset=3" in page["next"]

    last = client.get(f"{API}/systems", params={"limit": 3, "offset": 6}).json()
    assert last["next"] is None and len(last["results"]) == 2

    level3 = client.get(f"{API}/systems", params={"mlps_level": 3, "owner_unit_id": unit["id"]}).json()
    assert level3["count"] == 4

    found = client.get(f"{API}/systems", params={"q": "低保"}).json()
    assert [s["catalogue_number"] for s in found["results"]] == ["MZ-001"]

    brief = client.get(f"{API}/systems", params={"brief": "true", "limit": 1}).json()["results"][0]
    assert set(brief) == {"id", "catalogue_number", "name"}


def test_bulk_create_is_all_or_nothing(client: TestClient) -> None:
    unit = make_unit(client)
    good = {"catalogue_number": "A-1", "name": "甲系统", "owner_unit_id": unit["id"]}
    dup = {"catalogue_number": "A-1", "name": "乙系统", "owner_unit_id": unit["id"]}
    r = client.post(f"{API}/systems", json=[good, dup])
    assert r.status_code == 409
    assert r.json()["field"] == "[1].catalogue_number"
    assert client.get(f"{API}/systems").json()["count"] == 0

    r = client.post(f"{API}/systems", json=[good, {**dup, "catalogue_number": "A-2"}])
    assert r.status_code == 201
    assert [s["catalogue_number"] for s in r.json()] == ["A-1", "A-2"]


def test_validation_errors_name_the_field(client: TestClient) -> None:
    unit = make_unit(client)
    r = client.post(
        f"{API}/systems",
        json={"catalogue_number": "X", "name": "系统", "owner_unit_id": unit["id"], "mlps_level": 7},
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "mlps_level"

    r = client.post(
        f"{API}/hosts", json={"hostname": "web01", "kind": "virtual", "ip_addresses": ["10.0.0.300"]}
    )
    assert r.status_code == 422
    assert "10.0.0.300" in r.json()["errors"][0]["msg"]

    r = client.post(f"{API}/systems", json={"catalogue_number": "X", "name": "系统", "owner_unit_id": 999})
    assert r.status_code == 422
    assert r.json()["field"] == "owner_unit_id"

    r = client.patch(f"{API}/systems/12345", json={"name": "新名"})
    assert r.status_code == 404


def test_classified_system_is_refused(client: TestClient) -> None:
    unit = make_unit(client)
    r = client.post(
        f"{API}/systems",
        json={
            "catalogue_number": "S-1",
            "name": "涉密系统",
            "owner_unit_id": unit["id"],
            "classification": "classified",
        },
    )
    assert r.status_code == 422
    assert "第三条" in r.text


def test_private_network_needs_approval(client: TestClient) -> None:
    unit = make_unit(client)
    system = make_system(client, unit["id"])
    r = client.post(f"{API}/network-attachments", json={"system_id": system["id"], "network": "private"})
    assert r.status_code == 422
    assert r.json()["field"] == "approval_reference"
    r = client.post(
        f"{API}/network-attachments",
        json={
            "system_id": system["id"],
            "network": "private",
            "name": "医保专网",
            "approval_reference": "襄政信函〔2024〕3号",
            "approval_date": "2024-03-05",
        },
    )
    assert r.status_code == 201, r.text
    system_filter = client.get(f"{API}/systems", params={"network": "private"}).json()
    assert system_filter["count"] == 1


def test_delete_referenced_unit_is_conflict(client: TestClient) -> None:
    unit = make_unit(client)
    make_system(client, unit["id"])
    r = client.delete(f"{API}/units/{unit['id']}")
    assert r.status_code == 409
    assert r.json()["code"] == "conflict"


def test_concurrent_edit_gets_conflict_with_current_version(client: TestClient) -> None:
    unit = make_unit(client)
    system = make_system(client, unit["id"])
    first = client.patch(f"{API}/systems/{system['id']}", json={"name": "甲"}, headers={"If-Match": '"1"'})
    assert first.status_code == 200
    second = client.patch(f"{API}/systems/{system['id']}", json={"name": "乙"}, headers={"If-Match": '"1"'})
    assert second.status_code == 409
    assert second.json()["current"]["name"] == "甲"
    assert second.json()["current"]["version"] == 2
    stale_body = client.patch(f"{API}/systems/{system['id']}", json={"name": "丙", "version": 1})
    assert stale_body.status_code == 409


def test_hosts_link_systems_and_filter(client: TestClient) -> None:
    unit = make_unit(client)
    s1 = make_system(client, unit["id"], "A")
    s2 = make_system(client, unit["id"], "B")
    r = client.post(
        f"{API}/hosts",
        json={
            "hostname": "db01",
            "kind": "physical",
            "ip_addresses": ["10.0.0.5", "fe80::1"],
            "system_ids": [s2["id"], s1["id"]],
        },
    )
    assert r.status_code == 201, r.text
    host = r.json()
    assert host["system_ids"] == sorted([s1["id"], s2["id"]])
    assert client.get(f"{API}/hosts", params={"system_id": s1["id"]}).json()["count"] == 1
    r = client.patch(f"{API}/hosts/{host['id']}", json={"system_ids": [s1["id"]]})
    assert r.json()["system_ids"] == [s1["id"]]
    assert client.get(f"{API}/hosts", params={"system_id": s2["id"]}).json()["count"] == 0
    r = client.post(f"{API}/hosts", json={"hostname": "db01", "kind": "physical"})
    assert r.status_code == 409
    r = client.post(f"{API}/hosts", json={"hostname": "x1", "kind": "physical", "system_ids": [999]})
    assert r.status_code == 422 and r.json()["field"] == "system_ids"


def test_project_budget_checks(client: TestClient) -> None:
    unit = make_unit(client)
    body = {
        "name": "教育云项目",
        "implementing_unit_id": unit["id"],
        "kind": "new",
        "total_budget": "100.00",
        "yearly_budgets": {"2025": "60", "2026": "50"},
    }
    r = client.post(f"{API}/projects", json=body)
    assert r.status_code == 422 and r.json()["field"] == "yearly_budgets"
    body["yearly_budgets"] = {"2025": "60", "2026": "40"}
    r = client.post(f"{API}/projects", json=body)
    assert r.status_code == 201, r.text
    assert r.json()["yearly_budgets"] == {"2025": "60", "2026": "40"}


def test_status_and_enums(anon: TestClient) -> None:
    status = anon.get("/api/v1/status").json()
    assert status["database"]["ok"] is True
    enums = anon.get("/api/v1/enums").json()
    assert {"value": "city_cloud", "label": "市级政务云"} in enums["hosting"]
    assert anon.get("/api/docs").status_code == 200


def test_deep_pages_hold_the_same_rows_in_the_same_order(client: TestClient, monkeypatch: Any) -> None:
    """Past ``DEEP_OFFSET`` a page's ids are found first, its rows read by id: nothing may change."""
    from sqlalchemy import select

    from inventory.entities import HOSTS, SYSTEMS
    from inventory.models import System
    from inventory.pages import SYSTEM_SORTS
    from taizhang import crud, db
    from taizhang.listing import list_rows

    unit = make_unit(client)
    systems = [make_system(client, unit["id"], f"XF-{i:03d}", mlps_level=2 + i % 2) for i in range(9)]
    for i in range(9):
        r = client.post(
            f"{API}/hosts",
            json={
                "hostname": f"h{(i * 7) % 9}",
                "kind": "virtual",
                "unit_id": unit["id"],
                "system_ids": [systems[i]["id"]],
            },
        )
        assert r.status_code == 201, r.text

    def pages(path: str, **params: Any) -> list[Any]:
        return [
            client.get(f"{API}/{path}", params={"limit": 2, "offset": offset, **params}).json()["results"]
            for offset in range(0, 10, 2)
        ]

    shallow = {
        (path, brief): pages(path, brief=brief)
        for path in ("hosts", "systems")
        for brief in ("true", "false")
    }
    monkeypatch.setattr(crud, "DEEP_OFFSET", 1)
    calls: list[int] = []
    original = crud.deep_page_ids
    monkeypatch.setattr(crud, "deep_page_ids", lambda *a, **k: calls.append(k["offset"]) or original(*a, **k))
    for (path, brief), expected in shallow.items():
        assert pages(path, brief=brief) == expected, (path, brief)
    assert [h["hostname"] for page in shallow[("hosts", "false")] for h in page] == [
        f"h{i}" for i in range(9)
    ]
    assert shallow[("hosts", "false")][2][0]["system_ids"]  # linked ids survive the second read
    assert calls and all(offset >= 2 for offset in calls if offset)

    # The pages' listing with a sort that is not the entity's own order, and a filter.
    with db.session_scope() as session:
        everything = [s.id for s in session.execute(select(System).order_by(System.name.desc())).scalars()]
        got = [
            row.id
            for page in range(1, 6)
            for row in list_rows(
                session, SYSTEMS, sort_columns=SYSTEM_SORTS, sort="-name", page=page, per_page=2
            ).rows
        ]
        assert got == everything
        level3 = list_rows(session, SYSTEMS, filters={"mlps_level": 3}, page=2, per_page=2)
        assert level3.total == 4 and [r.mlps_level for r in level3.rows] == [3, 3]
        assert len(list_rows(session, HOSTS, page=5, per_page=2).rows) == 1
