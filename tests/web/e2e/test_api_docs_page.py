"""/api/docs in a real browser: Swagger UI renders the API from the app's own files only, with no
CSP violation (the ``page`` fixture fails on any request outside the app and any console error)."""

from __future__ import annotations

from typing import Any

from e2e_support import Server, Watch, shot


def test_api_docs_render_from_the_app_alone(page: Any, server: Server, watch: Watch) -> None:
    page.goto("/api/docs")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "taizhang 台账" in page.locator(".swagger-ui .info .title").inner_text()
    page.wait_for_selector(".opblock-tag-section")
    assert page.locator(".opblock-tag-section").count() > 5
    page.locator(".opblock-tag-section").first.locator("h3").click()
    page.wait_for_selector(".opblock")
    page.wait_for_load_state("networkidle")
    shot(page, "api-docs")
    assert any("/static/vendor/swagger-ui-bundle-" in url for url in watch.requests)
    assert any(url.endswith("/api/openapi.json") for url in watch.requests)
    assert watch.outside() == [], f"/api/docs asked for assets outside the app: {watch.outside()}"
    assert watch.errors == [], f"browser errors on /api/docs: {watch.errors}"
