"""Helpers shared by the migration tests: units, systems and plans made through the API."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

INV = "/api/v1/inventory"
API = "/api/v1/migration"


def make_unit(client: TestClient, code: str = "U01", name: str = "县教育局") -> dict[str, Any]:
    r = client.post(f"{INV}/units", json={"code": code, "name": name, "kind": "county_department"})
    assert r.status_code == 201, r.text
    return r.json()


def make_system(client: TestClient, unit_id: int, number: str, **extra: Any) -> dict[str, Any]:
    body = {"catalogue_number": number, "name": f"系统{number}", "owner_unit_id": unit_id, **extra}
    r = client.post(f"{INV}/systems", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def make_plan(client: TestClient, system_id: int, **extra: Any) -> dict[str, Any]:
    body = {"system_id": system_id, "owner": "张伟", **extra}
    r = client.post(f"{API}/plans", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def move(client: TestClient, plan_id: int, to: str, note: str = "") -> Any:
    return client.post(f"{API}/plans/{plan_id}/transitions", json={"to": to, "note": note})


def hosting_of(client: TestClient, system_id: int) -> str:
    r = client.get(f"{INV}/systems/{system_id}")
    assert r.status_code == 200, r.text
    return str(r.json()["hosting"])
