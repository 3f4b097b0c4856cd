"""Shared arrangements for the 等保 / 密评 tests: a unit with systems, through the real API."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

INVENTORY = "/api/v1/inventory"
SECURITY = "/api/v1/security"


def post(client: TestClient, path: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
    r = client.post(f"{SECURITY}/{path}", json=body)
    assert r.status_code == status, r.text
    return r.json()


@pytest.fixture
def county(client: TestClient) -> dict[str, Any]:
    """Two units with one level-3 system each (go-live 2015)."""
    units, systems = [], []
    for code, name in (("U01", "县教育局"), ("U02", "县民政局")):
        r = client.post(f"{INVENTORY}/units", json={"code": code, "name": name, "kind": "county_department"})
        assert r.status_code == 201, r.text
        units.append(r.json())
        r = client.post(
            f"{INVENTORY}/systems",
            json={
                "catalogue_number": f"XF-{code}-001",
                "name": f"{name}业务系统",
                "owner_unit_id": units[-1]["id"],
                "go_live_date": "2015-01-01",
                "mlps_level": 3,
            },
        )
        assert r.status_code == 201, r.text
        systems.append(r.json())
    return {"units": units, "systems": systems}
