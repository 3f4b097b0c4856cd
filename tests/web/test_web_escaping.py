"""Stored markup never reaches a page as markup: every text field of the inventory holds a
<script> payload, and every page that shows those rows returns it escaped."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from web_support import login

PAYLOAD = "<script>alert(1)</script><img src=x onerror=1>"  # fits every 50-character field
RAW = ("<script>alert", "<img src=x")


def test_script_in_every_text_field_is_escaped_everywhere(
    client: TestClient, anon: TestClient, make_user: Callable[..., dict[str, str]]
) -> None:
    api = "/api/v1/inventory"
    unit = client.post(
        f"{api}/units", json={"code": "X1", "name": PAYLOAD, "kind": "township", "contact_person": PAYLOAD}
    ).json()
    system = client.post(
        f"{api}/systems",
        json={"catalogue_number": "XSS-1", "name": PAYLOAD, "purpose": PAYLOAD, "owner_unit_id": unit["id"]},
    ).json()
    host = client.post(
        f"{api}/hosts",
        json={
            "hostname": "xss-host",
            "kind": "virtual",
            "os_name": PAYLOAD,
            "os_version": PAYLOAD[:50],
            "location": PAYLOAD,
            "role": PAYLOAD[:50],
            "unit_id": unit["id"],
            "system_ids": [system["id"]],
            "replacement_plan": PAYLOAD,
        },
    ).json()
    project = client.post(
        f"{api}/projects",
        json={
            "name": PAYLOAD,
            "implementing_unit_id": unit["id"],
            "kind": "new",
            "contractor": PAYLOAD,
            "supervision_unit": PAYLOAD,
            "system_ids": [system["id"]],
        },
    ).json()
    client.post(
        f"{api}/network-attachments",
        json={
            "system_id": system["id"],
            "network": "internet",
            "name": PAYLOAD[:100],
            "description": PAYLOAD,
        },
    )
    client.post(
        f"{api}/resources",
        json={
            "system_id": system["id"],
            "name": PAYLOAD,
            "format": "api",
            "update_cycle": "daily",
            "sharing": "conditional",
            "sharing_condition": PAYLOAD,
            "openness": "closed",
            "data_owner": PAYLOAD[:100],
        },
    )
    for value in (unit, system, host, project):
        assert "id" in value, value

    make_user("xss_admin", "admin")
    assert login(anon, "xss_admin").status_code == 303
    pages = [
        "/",
        "/systems",
        f"/systems/{system['id']}",
        f"/systems/{system['id']}/edit",
        "/hosts",
        f"/hosts/{host['id']}",
        "/projects",
        f"/projects/{project['id']}",
        "/units",
        "/changelog",
        "/systems?q=script",
    ]
    for page in pages:
        r = anon.get(page)
        assert r.status_code == 200, (page, r.status_code)
        for raw in RAW:
            assert raw not in r.text, f"{page} returned unescaped markup"
        assert "&lt;script&gt;" in r.text or page in ("/", "/systems?q=script"), page
