"""The findings, waivers and rectification routes: answers, permissions and unit scoping."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.testclient import TestClient

from inventory.choices import DataSharing
from taizhang.clock import china_today

API = "/api/v1/security"
TODAY = china_today()


def _arrange(ledger: Any, session: Any) -> dict[str, Any]:
    mine, other = ledger.unit(), ledger.unit()
    mine_system = ledger.system(mine, data_sharing=DataSharing.NOT_SHARING)
    other_system = ledger.system(other, data_sharing=DataSharing.NOT_SHARING)
    ledger.project(mine, [mine_system], contract_signed_on=dt.date(2025, 3, 3))
    ledger.evaluate(TODAY)
    session.commit()
    return {
        "mine": mine.id,
        "other": other.id,
        "mine_system": mine_system.id,
        "other_system": other_system.id,
    }


def _findings(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    r = client.get(f"{API}/findings", params={"limit": 1000, **params})
    assert r.status_code == 200, r.text
    return r.json()["results"]  # type: ignore[no-any-return]


def test_rules_and_findings_read(client: TestClient, ledger: Any, session: Any) -> None:
    ids = _arrange(ledger, session)
    rules = client.get(f"{API}/rules").json()
    assert {"art18.contract_filing_late", "art11.data_not_shared"} <= {r["id"] for r in rules}

    found = _findings(client, rule_id="art11.data_not_shared")
    assert {f["unit_id"] for f in found} == {ids["mine"], ids["other"]}
    one = client.get(f"{API}/findings/{found[0]['id']}").json()
    assert one["citation"] == "襄政办发〔2022〕2号 第十一条" and one["comments"] == []
    assert one["facts"]["data_sharing"] == "not_sharing"

    summary = client.get(f"{API}/findings/summary").json()
    by_rule = {r["rule_id"]: r for r in summary["by_rule"]}
    assert by_rule["art11.data_not_shared"]["open"] == 2
    assert summary["by_severity"]["high"]["open"] == 2

    scores = {s["system_id"]: s for s in client.get(f"{API}/findings/scores", params={"by": "system"}).json()}
    assert scores[ids["mine_system"]]["high"] == 1
    units = {s["unit_id"]: s for s in client.get(f"{API}/findings/scores", params={"by": "unit"}).json()}
    assert units[ids["mine"]]["open"] == 2 and units[ids["mine"]]["medium"] == 1
    assert client.get(f"{API}/findings/scores", params={"by": "rule"}).status_code == 422

    export = client.get(f"{API}/findings/export")
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    lines = export.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("编号,规则") and len(lines) == 1 + len(_findings(client))


def test_unit_users_see_only_their_units(
    client: TestClient, ledger: Any, session: Any, make_user: Any
) -> None:
    ids = _arrange(ledger, session)
    headers = make_user("edu", "unit", (ids["mine"],))
    mine = client.get(f"{API}/findings", params={"limit": 1000}, headers=headers).json()["results"]
    assert mine and {f["unit_id"] for f in mine} == {ids["mine"]}
    theirs = _findings(client, unit_id=ids["other"])[0]
    assert client.get(f"{API}/findings/{theirs['id']}", headers=headers).status_code == 404
    summary = client.get(f"{API}/findings/summary", headers=headers).json()
    assert [u["unit_id"] for u in summary["by_unit"]] == [ids["mine"]]
    scores = client.get(f"{API}/findings/scores", params={"by": "unit"}, headers=headers).json()
    assert [s["unit_id"] for s in scores] == [ids["mine"]]
    csv_lines = client.get(f"{API}/findings/export", headers=headers).content.decode("utf-8-sig").splitlines()
    assert len(csv_lines) == 1 + len(mine)
    # writes need SECURITY_WRITE, which unit users do not have
    r = client.post(f"{API}/findings/{mine[0]['id']}/comments", json={"body": "已整改"}, headers=headers)
    assert r.status_code == 403


def test_assign_and_comment(client: TestClient, ledger: Any, session: Any, make_user: Any) -> None:
    _arrange(ledger, session)
    make_user("officer", "security")
    finding = _findings(client)[0]
    officer = next(u for u in client.get("/api/v1/users").json() if u["username"] == "officer")
    r = client.patch(f"{API}/findings/{finding['id']}", json={"assignee_id": officer["id"]})
    assert r.status_code == 200, r.text
    assert r.json()["assignee_id"] == officer["id"]
    assert (
        client.patch(f"{API}/findings/{finding['id']}", json={"assignee_id": 99999}).json()["field"]
        == "assignee_id"
    )
    stale = client.patch(f"{API}/findings/{finding['id']}", json={"assignee_id": None, "version": 1})
    assert stale.status_code == 409
    c = client.post(f"{API}/findings/{finding['id']}/comments", json={"body": "已通知单位整改"})
    assert c.status_code == 201 and c.json()["author"] == "root_admin"
    assert client.get(f"{API}/findings/{finding['id']}").json()["comments"][0]["body"] == "已通知单位整改"
    assert client.post(f"{API}/findings/{finding['id']}/comments", json={"body": ""}).status_code == 422
    from taizhang.changelog import ChangeLogEntry

    logged = session.query(ChangeLogEntry.object_type, ChangeLogEntry.actor, ChangeLogEntry.action).all()
    assert ("security.findingcomment", "root_admin", "create") in logged
    assert ("security.finding", "root_admin", "update") in logged


def test_waivers_through_the_api(client: TestClient, ledger: Any, session: Any, make_user: Any) -> None:
    ids = _arrange(ledger, session)
    target = _findings(client, rule_id="art11.data_not_shared", unit_id=ids["mine"])[0]
    body = {
        "rule_id": "art11.data_not_shared",
        "subject_type": "system",
        "subject_id": ids["mine_system"],
        "reason": "数据共享接口改造中",
        "approver": "县政务信息管理局",
        "expires_on": (TODAY + dt.timedelta(days=30)).isoformat(),
    }
    created = client.post(f"{API}/waivers", json=body)
    assert created.status_code == 201, created.text
    waiver = created.json()
    assert waiver["unit_id"] == ids["mine"]
    assert client.get(f"{API}/findings/{target['id']}").json()["state"] == "waived"

    bad = client.post(
        f"{API}/waivers", json={**body, "expires_on": (TODAY - dt.timedelta(days=1)).isoformat()}
    )
    assert bad.status_code == 422 and bad.json()["field"] == "expires_on"
    assert client.post(f"{API}/waivers", json={**body, "rule_id": "x"}).json()["field"] == "rule_id"

    unit_headers = make_user("edu2", "unit", (ids["other"],))
    assert client.get(f"{API}/waivers/{waiver['id']}", headers=unit_headers).status_code == 404
    assert client.get(f"{API}/waivers", headers=unit_headers).json()["count"] == 0
    assert client.post(f"{API}/waivers", json=body, headers=unit_headers).status_code == 403

    patched = client.patch(f"{API}/waivers/{waiver['id']}", json={"approver": "县政府办"})
    assert patched.status_code == 200 and patched.json()["approver"] == "县政府办"
    assert client.delete(f"{API}/waivers/{waiver['id']}").status_code == 204
    assert client.get(f"{API}/findings/{target['id']}").json()["state"] == "open"


def test_rectification_notice_lifecycle(
    client: TestClient, ledger: Any, session: Any, make_user: Any
) -> None:
    ids = _arrange(ledger, session)
    mine = [f["id"] for f in _findings(client, unit_id=ids["mine"])]
    theirs = _findings(client, unit_id=ids["other"])[0]["id"]
    body = {
        "number": "襄政信整改〔2026〕7号",
        "unit_id": ids["mine"],
        "title": "限期整改通知",
        "deadline": (TODAY + dt.timedelta(days=15)).isoformat(),
        "finding_ids": mine,
    }
    assert (
        client.post(f"{API}/rectifications", json={**body, "finding_ids": [theirs]}).json()["field"]
        == "finding_ids"
    )
    ops = make_user("ops1", "ops")
    assert client.post(f"{API}/rectifications", json=body, headers=ops).status_code == 403
    created = client.post(f"{API}/rectifications", json=body)
    assert created.status_code == 201, created.text
    notice = created.json()
    assert notice["state"] == "issued" and notice["finding_ids"] == sorted(mine)
    assert client.post(f"{API}/rectifications", json=body).status_code == 409

    path = f"{API}/rectifications/{notice['id']}/transitions"
    assert (
        client.post(path, json={"to_state": "rectifying", "comment": "单位已接收"}).json()["state"]
        == "rectifying"
    )
    wrong = client.post(path, json={"to_state": "terminated"})
    assert wrong.status_code == 422 and wrong.json()["field"] == "to_state"
    done = client.post(path, json={"to_state": "rectified"}).json()
    assert [(e["from_state"], e["to_state"]) for e in done["events"]] == [
        (None, "issued"),
        ("issued", "rectifying"),
        ("rectifying", "rectified"),
    ]
    assert done["events"][1]["actor"] == "root_admin"

    unit_headers = make_user("edu3", "unit", (ids["other"],))
    assert client.get(f"{API}/rectifications/{notice['id']}", headers=unit_headers).status_code == 404
    own = make_user("edu4", "unit", (ids["mine"],))
    assert client.get(f"{API}/rectifications/{notice['id']}", headers=own).status_code == 200


def test_overdue_notice_escalates(ledger: Any, session: Any) -> None:
    import pytest

    from security.findings import rectification
    from security.findings.choices import RectificationState
    from taizhang.errors import Invalid

    ids = _arrange(ledger, session)
    from security.findings.models import Finding

    finding_id = session.query(Finding.id).filter(Finding.unit_id == ids["mine"]).first()[0]
    issued = dt.date(2026, 11, 2)
    notice = rectification.create_notice(
        session,
        {
            "number": "N-1",
            "unit_id": ids["mine"],
            "title": "通知",
            "issued_on": issued,
            "deadline": dt.date(2026, 11, 16),
            "finding_ids": [finding_id],
        },
        actor="security",
        today=issued,
    )
    ledger.evaluate(dt.date(2026, 11, 16))  # the deadline day itself is not late
    assert notice.state is RectificationState.ISSUED
    ledger.evaluate(dt.date(2026, 11, 17))
    assert notice.state is RectificationState.OVERDUE
    for state in (RectificationState.FUNDS_SUSPENDED, RectificationState.TERMINATED):
        notice = rectification.transition(session, notice.id, state, actor="security")
    assert [e.to_state for e in notice.events][-3:] == [
        RectificationState.OVERDUE,
        RectificationState.FUNDS_SUSPENDED,
        RectificationState.TERMINATED,
    ]
    with pytest.raises(Invalid):
        rectification.transition(session, notice.id, RectificationState.RECTIFYING, actor="security")


def test_evaluation_request_is_queued_not_run(client: TestClient, session: Any) -> None:
    from security.findings.models import FindingEvaluationRequest

    r = client.post(f"{API}/findings/evaluate")
    assert r.status_code == 202 and r.json()["queued"] is True
    assert [row.system_id for row in session.query(FindingEvaluationRequest).all()] == [None]


def test_every_findings_route_declares_a_permission(app: Any) -> None:
    for route in app.routes:
        path = getattr(route, "path", "")
        if not path.startswith(API):
            continue
        permissions = [getattr(d.call, "__permission__", None) for d in route.dependant.dependencies]
        assert any(permissions), path
