"""The printable county report page: in the navigation, print CSS linked, unit users see their units."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient


def test_report_page_for_admin_and_unit_user(
    browser_as: Callable[[str], TestClient], anon: TestClient
) -> None:
    admin = browser_as("admin").get("/report")
    assert admin.status_code == 200
    assert 'href="/report"' in admin.text and "css/report.css" in admin.text
    assert "县教育局" in admin.text and "县民政局" in admin.text and "全县合计" in admin.text
    unit = browser_as("unit").get("/report")
    assert unit.status_code == 200
    assert "县教育局" in unit.text and "县民政局" not in unit.text
    assert anon.get("/report", follow_redirects=False).status_code in (302, 303)
