"""The city-cloud catalogue (第十二条), subscriptions against its current edition, and exemptions."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from migration_helpers import API, make_system, make_unit
from sqlalchemy.orm import Session

from migration import service


def _catalogue(client: TestClient) -> dict[str, int]:
    ids = {}
    for name, day in [("2020版", "2020-01-01"), ("2021版", "2021-01-01"), ("2999版", "2999-01-01")]:
        r = client.post(f"{API}/catalogue-versions", json={"name": name, "effective_from": day})
        assert r.status_code == 201, r.text
        ids[name] = r.json()["id"]
    items = [
        (ids["2020版"], "RDS-MYSQL57", "云数据库 MySQL 5.7", "database"),
        (ids["2021版"], "ECS-4C8G", "云主机 4核8G", "compute"),
        (ids["2999版"], "ECS-NEXT", "云主机 新一代", "compute"),
    ]
    for version_id, code, name, category in items:
        body = {
            "catalogue_version_id": version_id,
            "code": code,
            "name": name,
            "category": category,
            "specs": {"vCPU": "4", "内存": "8GB"},
            "unit_of_measure": "台",
        }
        r = client.post(f"{API}/catalogue-items", json=body)
        assert r.status_code == 201, r.text
        ids[code] = r.json()["id"]
    return ids


def test_subscriptions_use_the_current_catalogue_unless_an_approved_exception(client: TestClient) -> None:
    ids = _catalogue(client)
    system = make_system(client, make_unit(client)["id"], "XF-1", hosting="city_cloud")
    current = client.get(f"{API}/catalogue-items", params={"current": True}).json()["results"]
    assert [i["code"] for i in current] == ["ECS-4C8G"]

    body = {"system_id": system["id"], "item_id": ids["ECS-4C8G"], "quantity": 3, "since": "2026-01-05"}
    r = client.post(f"{API}/subscriptions", json=body)
    assert r.status_code == 201, r.text

    for old_or_future in ("RDS-MYSQL57", "ECS-NEXT"):
        r = client.post(f"{API}/subscriptions", json={**body, "item_id": ids[old_or_future]})
        assert r.status_code == 422 and r.json()["field"] == "item_id", r.text
        assert "2021版" in r.json()["detail"] and "第十二条" in r.json()["detail"]

    exception = {**body, "item_id": ids["RDS-MYSQL57"], "approved_exception": True}
    r = client.post(f"{API}/subscriptions", json=exception)
    assert r.status_code == 422 and r.json()["field"] == "exception_reference"
    r = client.post(f"{API}/subscriptions", json={**exception, "exception_reference": "襄政信批〔2026〕3号"})
    assert r.status_code == 201, r.text
    sub = r.json()
    # The exception cannot be quietly dropped while the item stays outside the catalogue.
    r = client.patch(f"{API}/subscriptions/{sub['id']}", json={"approved_exception": False})
    assert r.status_code == 422
    assert client.patch(f"{API}/subscriptions/{sub['id']}", json={"quantity": 2}).status_code == 200
    assert client.post(f"{API}/subscriptions", json={**body, "quantity": 0}).status_code == 422
    assert client.post(f"{API}/subscriptions", json=body).status_code == 409
    listed = client.get(f"{API}/subscriptions", params={"system_id": system["id"]}).json()
    assert listed["count"] == 2


def test_current_catalogue_follows_today(session: Session, client: TestClient) -> None:
    _catalogue(client)
    assert service.current_catalogue(session, today=dt.date(2019, 12, 31)) is None
    assert service.current_catalogue(session, today=dt.date(2020, 6, 1)).name == "2020版"  # type: ignore[union-attr]
    assert service.current_catalogue(session, today=dt.date(2999, 1, 1)).name == "2999版"  # type: ignore[union-attr]


def test_exemptions_need_reason_approver_reference_and_a_bounded_expiry(client: TestClient) -> None:
    system = make_system(client, make_unit(client)["id"], "XF-1")
    body = {
        "system_id": system["id"],
        "reason": "依赖本地专用加密设备",
        "approver": "县政务信息管理局",
        "approval_reference": "襄政信批〔2026〕11号",
        "approved_on": "2026-03-01",
        "expires_on": "2027-02-28",
    }
    r = client.post(f"{API}/exemptions", json=body)
    assert r.status_code == 201, r.text
    for field in ("reason", "approver", "approval_reference", "expires_on"):
        r = client.post(f"{API}/exemptions", json={k: v for k, v in body.items() if k != field})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == field
    r = client.post(f"{API}/exemptions", json={**body, "expires_on": "2027-03-02"})
    assert r.status_code == 422 and r.json()["field"] == "expires_on"
    assert "migration.exemption.max_months" in r.json()["detail"]
    r = client.post(f"{API}/exemptions", json={**body, "expires_on": "2026-02-01"})
    assert r.status_code == 422
