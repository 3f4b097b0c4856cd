"""A stored script payload is shown as text in a real browser and never runs: no alert, no flag set,
no element injected (the server-side sweep over every field and page is tests/web/test_web_escaping.py).
"""

from __future__ import annotations

from typing import Any

import httpx
from e2e_support import DEMO_PASSWORD, Server, Watch, login, shot

SCRIPT = "<script>window.__pwned=1;alert(1)</script>"
IMG = '"><img src=x onerror="window.__pwned=2;alert(2)">'
SVG = "<svg onload=alert(3)>"


def _store_payloads(server: Server) -> dict[str, int]:
    with httpx.Client(base_url=server.base_url, timeout=30) as api:
        issued = api.post("/api/v1/auth/tokens", json={"username": "admin", "password": DEMO_PASSWORD})
        assert issued.status_code == 201, issued.text
        api.headers["Authorization"] = f"Bearer {issued.json()['token']}"
        unit = api.post(
            "/api/v1/inventory/units",
            json={"code": "XSS-E2E", "name": f"单位{SVG}", "kind": "township", "contact_person": IMG[:50]},
        )
        assert unit.status_code == 201, unit.text
        system = api.post(
            "/api/v1/inventory/systems",
            json={
                "catalogue_number": "XSS-E2E-001",
                "name": f"系统{SCRIPT}{IMG}",
                "purpose": f"{IMG}{SCRIPT}",
                "owner_unit_id": unit.json()["id"],
            },
        )
        assert system.status_code == 201, system.text
        host = api.post(
            "/api/v1/inventory/hosts",
            json={
                "hostname": "xss-e2e-host",
                "kind": "virtual",
                "os_name": IMG[:100],
                "location": SCRIPT,
                "unit_id": unit.json()["id"],
                "system_ids": [system.json()["id"]],
            },
        )
        assert host.status_code == 201, host.text
        return {"system": system.json()["id"], "host": host.json()["id"]}


def test_stored_script_is_text_and_never_runs(page: Any, server: Server, watch: Watch) -> None:
    ids = _store_payloads(server)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    login(page, "admin")
    pages = [
        f"/systems/{ids['system']}",
        f"/systems/{ids['system']}/edit",
        "/systems?q=XSS-E2E",
        f"/hosts/{ids['host']}",
        "/hosts?q=xss-e2e",
        "/units",
        "/changelog",
        "/",
    ]
    for path in pages:
        page.goto(path)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__pwned") is None, f"a stored payload ran on {path}"
        assert page.locator("img[src='x']").count() == 0, f"an <img> was injected on {path}"
        assert page.locator("svg[onload]").count() == 0, f"an <svg onload> was injected on {path}"
        injected = page.evaluate(
            "[...document.scripts].filter(s => !s.src || s.textContent.includes('__pwned')).length"
        )
        assert injected == 0, f"an inline <script> is in the page {path}"
    page.goto(f"/systems/{ids['system']}")
    assert SCRIPT in page.locator("body").inner_text(), "the payload is shown as text"
    shot(page, "stored-script-as-text")
    assert dialogs == [], f"alert() ran: {dialogs}"
    assert watch.errors == [], f"browser errors (a blocked inline script shows here): {watch.errors}"
