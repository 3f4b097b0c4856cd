"""Every role against every inventory route: allowed → 2xx, forbidden → 403/404, anonymous → 401."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

API = "/api/v1/inventory"
ROLES = ["admin", "ops", "security", "unit", "auditor"]
WRITERS = {"admin", "ops", "unit"}
UNIT_FORBIDDEN_ENTITIES = {"units", "products"}  # county-wide catalogues: unit users only read them


@pytest.fixture
def world(client: TestClient) -> dict[str, Any]:
    """Two units, each with a system, host, attachment, usage, project and resource."""

    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        r = client.post(f"{API}/{path}", json=body)
        assert r.status_code == 201, r.text
        return r.json()

    world: dict[str, Any] = {}
    product = post(
        "products",
        {
            "product_class": "base_software",
            "vendor": "达梦",
            "model": "DM8",
            "controllability": "controllable",
        },
    )
    world["product"] = post(
        "products",
        {
            "product_class": "hardware",
            "vendor": "飞腾",
            "model": "FT-2000",
            "controllability": "controllable",
        },
    )
    for tag, code in (("own", "A"), ("other", "B")):
        unit = post("units", {"code": code, "name": f"单位{code}", "kind": "county_department"})
        system = post(
            "systems", {"catalogue_number": f"{code}-1", "name": f"系统{code}", "owner_unit_id": unit["id"]}
        )
        world[tag] = {
            "units": unit,
            "systems": system,
            "hosts": post(
                "hosts", {"hostname": f"h-{code}", "kind": "virtual", "system_ids": [system["id"]]}
            ),
            "network-attachments": post(
                "network-attachments", {"system_id": system["id"], "network": "extranet"}
            ),
            "product-usages": post(
                "product-usages", {"system_id": system["id"], "product_id": product["id"]}
            ),
            "projects": post(
                "projects", {"name": f"项目{code}", "implementing_unit_id": unit["id"], "kind": "new"}
            ),
            "resources": post(
                "resources",
                {
                    "system_id": system["id"],
                    "name": f"资源{code}",
                    "format": "database",
                    "update_cycle": "daily",
                    "sharing": "unconditional",
                    "openness": "closed",
                },
            ),
        }
    world["own"]["products"] = product
    return world


def new_body(path: str, side: dict[str, Any], n: int, product_id: int) -> dict[str, Any]:
    unit_id, system_id = side["units"]["id"], side["systems"]["id"]
    return {
        "units": {"code": f"N{n}", "name": f"新单位{n}", "kind": "township"},
        "systems": {"catalogue_number": f"N-{n}", "name": "新系统", "owner_unit_id": unit_id},
        "hosts": {"hostname": f"new-{n}", "kind": "physical", "unit_id": unit_id},
        "network-attachments": {"system_id": system_id, "network": "internet"},
        "products": {
            "product_class": "hardware",
            "vendor": "华为",
            "model": f"M{n}",
            "controllability": "controllable",
        },
        "product-usages": {"system_id": system_id, "product_id": product_id, "quantity": 1},
        "projects": {"name": f"新项目{n}", "implementing_unit_id": unit_id, "kind": "upgrade"},
        "resources": {
            "system_id": system_id,
            "name": f"新资源{n}",
            "format": "api",
            "update_cycle": "daily",
            "sharing": "conditional",
            "openness": "closed",
        },
    }[path]


PATCHES = {
    "units": {"contact_person": "张三"},
    "systems": {"purpose": "改"},
    "hosts": {"location": "新机房"},
    "network-attachments": {"description": "说明"},
    "products": {"category": "数据库"},
    "product-usages": {"quantity": 2},
    "projects": {"contractor": "某公司"},
    "resources": {"data_owner": "李四"},
}
PATHS = list(PATCHES)


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(
    role: str, world: dict[str, Any], anon: TestClient, make_user: Callable[..., dict[str, str]]
) -> None:
    own_unit = world["own"]["units"]["id"]
    headers = make_user(f"user_{role}", role, (own_unit,) if role == "unit" else ())
    product_id = world["product"]["id"]
    for n, path in enumerate(PATHS):
        own = world["own"][path]
        listing = anon.get(f"{API}/{path}", headers=headers)
        assert listing.status_code == 200, (role, path, listing.text)
        assert anon.get(f"{API}/{path}/{own['id']}", headers=headers).status_code == 200, (role, path)

        may_write = role in WRITERS and not (role == "unit" and path in UNIT_FORBIDDEN_ENTITIES)
        created = anon.post(
            f"{API}/{path}", json=new_body(path, world["own"], n, product_id), headers=headers
        )
        patched = anon.patch(f"{API}/{path}/{own['id']}", json=PATCHES[path], headers=headers)
        if may_write:
            assert created.status_code == 201, (role, path, created.text)
            assert patched.status_code == 200, (role, path, patched.text)
            deleted = anon.delete(f"{API}/{path}/{created.json()['id']}", headers=headers)
            assert deleted.status_code == 204, (role, path, deleted.text)
        else:
            assert created.status_code == 403, (role, path, created.text)
            assert patched.status_code == 403, (role, path, patched.text)
            assert anon.delete(f"{API}/{path}/{own['id']}", headers=headers).status_code == 403


@pytest.mark.parametrize("path", PATHS)
def test_anonymous_gets_401(path: str, world: dict[str, Any], anon: TestClient) -> None:
    anon.headers.pop("Authorization", None)
    own = world["own"][path]
    assert anon.get(f"{API}/{path}").status_code == 401
    assert anon.get(f"{API}/{path}/{own['id']}").status_code == 401
    assert anon.post(f"{API}/{path}", json={}).status_code == 401
    assert anon.patch(f"{API}/{path}/{own['id']}", json={}).status_code == 401
    assert anon.delete(f"{API}/{path}/{own['id']}").status_code == 401
    bad = anon.get(f"{API}/{path}", headers={"Authorization": "Bearer tz_nope.nope"})
    assert bad.status_code == 401


UNIT_SCOPED = ["systems", "hosts", "network-attachments", "product-usages", "projects", "resources"]


def test_unit_user_cannot_see_or_touch_another_unit(
    world: dict[str, Any], anon: TestClient, make_user: Callable[..., dict[str, str]]
) -> None:
    headers = make_user("unit_a", "unit", (world["own"]["units"]["id"],))
    for path in UNIT_SCOPED:
        other = world["other"][path]
        listing = anon.get(f"{API}/{path}", headers=headers).json()
        assert listing["count"] == 1, (path, listing)
        assert [r["id"] for r in listing["results"]] == [world["own"][path]["id"]]
        assert anon.get(f"{API}/{path}/{other['id']}", headers=headers).status_code == 404
        assert (
            anon.patch(f"{API}/{path}/{other['id']}", json=PATCHES[path], headers=headers).status_code == 404
        )
        assert anon.delete(f"{API}/{path}/{other['id']}", headers=headers).status_code == 404
    assert anon.get(f"{API}/units", headers=headers).json()["count"] == 1
    assert anon.get(f"{API}/units/{world['other']['units']['id']}", headers=headers).status_code == 404
    found = anon.get(f"{API}/systems", params={"q": "系统B"}, headers=headers).json()
    assert found["count"] == 0

    other_unit, other_system = world["other"]["units"]["id"], world["other"]["systems"]["id"]
    r = anon.post(
        f"{API}/systems",
        json={"catalogue_number": "X-1", "name": "越权系统", "owner_unit_id": other_unit},
        headers=headers,
    )
    assert r.status_code == 422 and r.json()["field"] == "owner_unit_id"
    r = anon.post(
        f"{API}/hosts",
        json={"hostname": "sneaky", "kind": "virtual", "system_ids": [other_system]},
        headers=headers,
    )
    assert r.status_code == 422 and r.json()["field"] == "system_ids"
    r = anon.patch(
        f"{API}/systems/{world['own']['systems']['id']}", json={"owner_unit_id": other_unit}, headers=headers
    )
    assert r.status_code == 422
    r = anon.post(f"{API}/hosts", json={"hostname": "orphan", "kind": "virtual"}, headers=headers)
    assert r.status_code == 403


def test_revoked_and_expired_tokens_are_refused(world: dict[str, Any], anon: TestClient) -> None:
    import datetime as dt

    from taizhang import db
    from taizhang.auth import service
    from taizhang.auth.roles import Role

    with db.session_scope() as s:
        user = service.create_user(s, username="tok", role=Role.AUDITOR)
        revoked, revoked_plain = service.create_token(s, user=user)
        _, expired_plain = service.create_token(
            s, user=user, expires_at=db.utcnow() - dt.timedelta(seconds=1)
        )
        _, good_plain = service.create_token(s, user=user)
        service.revoke_token(s, key=revoked.key)
    for plain, status in ((revoked_plain, 401), (expired_plain, 401), (good_plain, 200)):
        r = anon.get(f"{API}/systems", headers={"Authorization": f"Bearer {plain}"})
        assert r.status_code == status
