"""The /api/v1/security routes on both databases: records, validation, scope, computed status."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from tests.security.grading.conftest import INVENTORY, SECURITY, post

GRADING = {
    "level": 3,
    "graded_on": "2024-03-04",
    "expert_review_on": "2024-02-20",
    "approving_authority": "县委网信办",
}


def level_of(client: TestClient, system_id: int) -> int | None:
    return client.get(f"{INVENTORY}/systems/{system_id}").json()["mlps_level"]


def test_final_grading_sets_the_system_level_and_is_logged(
    client: TestClient, county: dict[str, Any]
) -> None:
    sid = county["systems"][0]["id"]
    first = post(client, "mlps-gradings", {**GRADING, "system_id": sid, "level": 2})
    assert level_of(client, sid) == 2
    draft = post(
        client,
        "mlps-gradings",
        {**GRADING, "system_id": sid, "level": 4, "graded_on": "2025-06-02", "status": "draft"},
    )
    assert level_of(client, sid) == 2
    r = client.patch(f"{SECURITY}/mlps-gradings/{draft['id']}", json={"status": "final"})
    assert r.status_code == 200, r.text
    assert level_of(client, sid) == 4
    assert client.delete(f"{SECURITY}/mlps-gradings/{draft['id']}").status_code == 204
    assert level_of(client, sid) == 2
    r = client.patch(f"{INVENTORY}/systems/{sid}", json={"mlps_level": 5})
    assert r.status_code == 422 and r.json()["field"] == "mlps_level" and "定级记录" in r.json()["detail"]
    assert (
        client.patch(f"{INVENTORY}/systems/{sid}", json={"mlps_level": 2, "name": "改名"}).status_code == 200
    )
    assert client.delete(f"{SECURITY}/mlps-gradings/{first['id']}").status_code == 204
    assert level_of(client, sid) == 2  # no final grading left: the inventory's level stays
    log = client.get("/api/v1/changelog", params={"object_type": "inventory.system", "object_id": sid}).json()
    changes = [e for e in log["results"] if e["action"] == "update"]
    assert {(e["before"]["mlps_level"], e["after"]["mlps_level"]) for e in changes} >= {
        (3, 2),
        (2, 4),
        (4, 2),
    }
    assert all(e["actor"] == "root_admin" for e in changes)


GRADING_ERRORS = [
    ({"expert_review_on": None}, "expert_review_on"),
    ({"approving_authority": ""}, "approving_authority"),
    ({"business_level": 2, "service_level": 2}, "level"),
    ({"graded_on": "2099-01-01"}, "graded_on"),
    ({"level": 6}, "level"),
    ({"expert_review_on": "2024-03-05"}, "graded_on"),
]


def test_grading_validation_names_the_field(client: TestClient, county: dict[str, Any]) -> None:
    for change, field in GRADING_ERRORS:
        body = {**GRADING, "system_id": county["systems"][0]["id"], **change}
        r = client.post(f"{SECURITY}/mlps-gradings", json=body)
        assert r.status_code == 422, (change, r.text)
        payload = r.json()
        fields = [payload.get("field")] + [e["field"] for e in payload.get("errors", [])]
        assert field in fields, (change, payload)
    assert client.get(f"{SECURITY}/mlps-gradings").json()["count"] == 0


def assessment(sid: int, number: str, **extra: Any) -> dict[str, Any]:
    return {"system_id": sid, "agency": "山西省信息安全测评中心", "report_number": number, **extra}


RESULTS = [
    ({"assessed_on": "2024-05-10", "score": 90}, "excellent"),
    ({"assessed_on": "2024-05-10", "score": 89.99}, "good"),
    ({"assessed_on": "2024-05-10", "score": 70}, "fair"),
    ({"assessed_on": "2024-05-10", "score": 69.9}, "poor"),
    ({"assessed_on": "2024-05-10", "score": 96, "high_risk_count": 1}, "poor"),
    ({"assessed_on": "2025-03-19", "score": 85}, "good"),
    ({"assessed_on": "2025-03-20", "conformity_rate": 90.5}, "conform"),
    ({"assessed_on": "2025-03-20", "conformity_rate": 90}, "basic_conform"),
    ({"assessed_on": "2025-03-20", "conformity_rate": 60}, "basic_conform"),
    ({"assessed_on": "2025-03-20", "conformity_rate": 59.9}, "nonconform"),
    ({"assessed_on": "2025-06-01", "conformity_rate": 97, "high_risk_count": 2}, "nonconform"),
]


def test_assessment_conclusion_is_computed_on_the_template_scale(
    client: TestClient, county: dict[str, Any]
) -> None:
    sid = county["systems"][0]["id"]
    for index, (extra, conclusion) in enumerate(RESULTS):
        created = post(client, "mlps-assessments", assessment(sid, f"CP-{index}", **extra))
        assert created["conclusion"] == conclusion, extra
        assert created["template_version"] == ("2021" if extra["assessed_on"] < "2025-03-20" else "2025")
        assert created["level"] == 3


REFUSED = [
    ({"assessed_on": "2024-05-10", "score": 85, "conclusion": "excellent"}, "conclusion", "应为“良”"),
    (
        {"assessed_on": "2024-05-10", "score": 95, "high_risk_count": 1, "conclusion": "excellent"},
        "conclusion",
        "应为“差”",
    ),
    ({"assessed_on": "2024-05-10", "score": 85, "conclusion": "conform"}, "conclusion", "只能是"),
    (
        {"assessed_on": "2024-05-10", "score": 85, "template_version": "2025"},
        "template_version",
        "2021 版模板",
    ),
    ({"assessed_on": "2024-05-10", "conformity_rate": 85}, "conformity_rate", "综合得分"),
    ({"assessed_on": "2024-05-10"}, "score", "综合得分"),
    ({"assessed_on": "2025-04-01", "score": 85}, "score", "符合率"),
    (
        {"assessed_on": "2025-04-01", "conformity_rate": 95, "conclusion": "basic_conform"},
        "conclusion",
        "应为“符合”",
    ),
    (
        {"assessed_on": "2025-04-01", "conformity_rate": 95, "template_version": "2021"},
        "template_version",
        "2025 版模板",
    ),
]


def test_inconsistent_results_are_refused_naming_the_field(
    client: TestClient, county: dict[str, Any]
) -> None:
    for extra, field, fragment in REFUSED:
        r = client.post(
            f"{SECURITY}/mlps-assessments", json=assessment(county["systems"][0]["id"], "CP-X", **extra)
        )
        assert r.status_code == 422, (extra, r.text)
        assert r.json()["field"] == field and fragment in r.json()["detail"], (extra, r.json())
    assert client.get(f"{SECURITY}/mlps-assessments").json()["count"] == 0


def test_patching_the_score_rechecks_the_conclusion(client: TestClient, county: dict[str, Any]) -> None:
    created = post(
        client,
        "mlps-assessments",
        assessment(county["systems"][0]["id"], "CP-2", assessed_on="2024-05-10", score=85),
    )
    r = client.patch(f"{SECURITY}/mlps-assessments/{created['id']}", json={"score": 93})
    assert r.status_code == 422 and r.json()["field"] == "conclusion"
    r = client.patch(f"{SECURITY}/mlps-assessments/{created['id']}", json={"score": 93, "conclusion": None})
    assert r.status_code == 200 and r.json()["conclusion"] == "excellent"


def test_crypto_assessment_level_follows_the_system_and_result_is_checked(
    client: TestClient, county: dict[str, Any]
) -> None:
    sid = county["systems"][0]["id"]
    body = {
        "system_id": sid,
        "assessed_on": "2025-09-01",
        "agency": "商用密码检测中心",
        "report_number": "MP-1",
        "score": 82,
        "rule_version": "2023 版",
    }
    created = post(client, "crypto-assessments", body)
    assert (created["level"], created["conclusion"]) == (3, "basic_conform")
    r = client.post(
        f"{SECURITY}/crypto-assessments", json={**body, "report_number": "MP-2", "conclusion": "conform"}
    )
    assert r.status_code == 422 and r.json()["field"] == "conclusion"
    r = client.post(
        f"{SECURITY}/crypto-assessments", json={**body, "report_number": "MP-3", "filed_on": "2025-08-01"}
    )
    assert r.status_code == 422 and r.json()["field"] == "filed_on"
    r = client.post(f"{SECURITY}/crypto-assessments", json={**body, "report_number": "MP-1"})
    assert r.status_code == 409 and r.json()["field"] == "report_number"


def test_rectification_must_belong_to_the_assessments_system(
    client: TestClient, county: dict[str, Any]
) -> None:
    a, b = (s["id"] for s in county["systems"])
    found = post(client, "mlps-assessments", assessment(a, "CP-3", assessed_on="2024-05-10", score=85))
    body = {
        "system_id": b,
        "assessment_id": found["id"],
        "description": "口令复杂度不足",
        "owner": "张三",
        "due_on": "2026-12-31",
    }
    r = client.post(f"{SECURITY}/mlps-rectifications", json=body)
    assert r.status_code == 422 and r.json()["field"] == "assessment_id"
    r = client.post(f"{SECURITY}/mlps-rectifications", json={**body, "system_id": a, "status": "done"})
    assert r.status_code == 422 and r.json()["field"] == "completed_on"
    grading = post(client, "mlps-gradings", {**GRADING, "system_id": a})
    filing = {"system_id": b, "grading_id": grading["id"], "submitted_on": "2024-03-20"}
    r = client.post(f"{SECURITY}/mlps-filings", json=filing)
    assert r.status_code == 422 and r.json()["field"] == "grading_id"
    r = client.post(f"{SECURITY}/mlps-filings", json={**filing, "system_id": a, "submitted_on": "2024-03-01"})
    assert r.status_code == 422 and r.json()["field"] == "submitted_on"
    r = client.post(f"{SECURITY}/mlps-filings", json={**filing, "system_id": a, "issued_on": "2024-04-01"})
    assert r.status_code == 422 and r.json()["field"] == "certificate_number"
    post(
        client,
        "mlps-filings",
        {**filing, "system_id": a, "issued_on": "2024-04-01", "certificate_number": "C-1"},
    )
    r = client.post(
        f"{SECURITY}/mlps-filings",
        json={**filing, "system_id": a, "issued_on": "2024-04-02", "certificate_number": "C-1"},
    )
    assert r.status_code == 409 and r.json()["field"] == "certificate_number"


def test_unit_users_read_only_their_units_records(
    client: TestClient, county: dict[str, Any], make_user: Callable[..., dict[str, str]]
) -> None:
    (u1, _), (s1, s2) = county["units"], county["systems"]
    own = post(
        client,
        "risk-assessments",
        {"system_id": s1["id"], "assessed_on": "2026-03-02", "scope": "全系统", "method": "self"},
    )
    other = post(
        client,
        "risk-assessments",
        {"system_id": s2["id"], "assessed_on": "2026-03-02", "scope": "全系统", "method": "self"},
    )
    unit = make_user("edu", "unit", (u1["id"],))
    listed = client.get(f"{SECURITY}/risk-assessments", headers=unit).json()
    assert [r["id"] for r in listed["results"]] == [own["id"]]
    assert client.get(f"{SECURITY}/risk-assessments/{other['id']}", headers=unit).status_code == 404
    assert client.get(f"{SECURITY}/systems/{s2['id']}/status", headers=unit).status_code == 404
    assert client.get(f"{SECURITY}/systems/{s1['id']}/status", headers=unit).status_code == 200
    assert [row["system_id"] for row in client.get(f"{SECURITY}/status", headers=unit).json()["results"]] == [
        s1["id"]
    ]
    everything = client.get(f"{SECURITY}/status", params={"limit": 1}).json()
    assert everything["count"] == 2 and len(everything["results"]) == 1 and "offset=1" in everything["next"]
    assert client.get(f"{SECURITY}/status", params={"owner_unit_id": u1["id"]}).json()["count"] == 1
    body = {"system_id": s1["id"], "assessed_on": "2026-04-01", "scope": "全系统", "method": "self"}
    assert client.post(f"{SECURITY}/risk-assessments", json=body, headers=unit).status_code == 403
    assert (
        client.patch(
            f"{SECURITY}/risk-assessments/{own['id']}", json={"high_count": 1}, headers=unit
        ).status_code
        == 403
    )
    ops = make_user("ops1", "ops")
    assert client.post(f"{SECURITY}/risk-assessments", json=body, headers=ops).status_code == 403
    security = make_user("sec1", "security")
    assert client.post(f"{SECURITY}/risk-assessments", json=body, headers=security).status_code == 201


def record_history(client: TestClient, sid: int) -> None:
    post(
        client,
        "mlps-gradings",
        {**GRADING, "system_id": sid, "graded_on": "2023-04-03", "expert_review_on": "2023-03-20"},
    )
    post(
        client,
        "mlps-filings",
        {
            "system_id": sid,
            "submitted_on": "2023-04-20",
            "certificate_number": "14102813001-23001",
            "issued_on": "2023-05-31",
        },
    )
    post(client, "mlps-assessments", assessment(sid, "CP-9", assessed_on="2025-11-26", conformity_rate=92))
    post(
        client,
        "crypto-assessments",
        {
            "system_id": sid,
            "assessed_on": "2025-11-26",
            "agency": "密评机构",
            "report_number": "MP-9",
            "score": 75,
            "rule_version": "2023 版",
        },
    )


def test_status_endpoint_computes_every_date(client: TestClient, county: dict[str, Any]) -> None:
    sid = county["systems"][0]["id"]
    record_history(client, sid)
    r = client.get(f"{SECURITY}/systems/{sid}/status", params={"today": "2026-11-27"})
    assert r.status_code == 200, r.text
    body = r.json()
    mlps, crypto = body["mlps"], body["crypto"]
    assert body["today"] == "2026-11-27"
    assert (
        mlps["filing_deadline"] == "2023-05-04"
        and mlps["filed_on"] == "2023-04-20"
        and not mlps["filed_late"]
    )
    assert mlps["certificate_valid_until"] == "2027-05-31"  # 3 years + 1 for the 2025 assessment
    assert mlps["next_assessment_due"] == "2026-11-26" and mlps["assessment_overdue"]
    assert mlps["last_conclusion"] == "conform" and mlps["last_template"] == "2025"
    assert (
        crypto["level"] == 3
        and crypto["next_assessment_due"] == "2026-11-26"
        and crypto["assessment_overdue"]
    )
    assert crypto["result_filing_deadline"] == "2025-12-26" and crypto["result_filing_overdue"]
    assert body["risk"]["never_assessed"]
    assert {"等级测评逾期", "密评逾期", "密评结果未备案"} <= set(body["problems"])
    assert client.get(f"{SECURITY}/systems/99999/status").status_code == 404
    assert client.get(f"{SECURITY}/systems/{sid}/status", params={"today": "26-11-2026"}).status_code == 422


@pytest.fixture
def policy_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Callable[[str], None]]:
    from taizhang.policy import reset_policy_cache
    from taizhang.settings import reset_settings_cache

    def use(text: str) -> None:
        path = tmp_path / "county.toml"
        path.write_text(text, encoding="utf-8")
        monkeypatch.setenv("TAIZHANG_POLICY_FILE", str(path))
        reset_settings_cache()
        reset_policy_cache()

    yield use
    monkeypatch.delenv("TAIZHANG_POLICY_FILE", raising=False)
    reset_settings_cache()
    reset_policy_cache()


def test_changing_the_policy_file_changes_the_dates(
    client: TestClient, county: dict[str, Any], policy_file: Callable[[str], None]
) -> None:
    sid = county["systems"][0]["id"]
    record_history(client, sid)
    policy_file(
        'version = "测试"\nmlps.assessment.level3_months = 6\nmlps.certificate.validity_years = 4\ncrypto.result_filing.days = 10\n'
    )
    body = client.get(f"{SECURITY}/systems/{sid}/status", params={"today": "2026-01-05"}).json()
    assert body["mlps"]["next_assessment_due"] == "2026-05-26"
    assert body["mlps"]["certificate_valid_until"] == "2028-05-31"
    assert body["crypto"]["result_filing_deadline"] == "2025-12-08"  # 12-06 is a Saturday
    assert body["mlps"]["policy_version"].endswith("+测试")


def test_bulk_status_uses_a_fixed_number_of_queries(
    client: TestClient, county: dict[str, Any], session: Session
) -> None:
    from security.grading.service import security_statuses

    for sid in (s["id"] for s in county["systems"]):
        record_history_unique(client, sid)
    statements: list[str] = []
    engine = session.get_bind()
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        rows = security_statuses(session)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert [r.system_id for r in rows] == sorted(s["id"] for s in county["systems"])
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) <= 9
    from inventory.models import System

    assert session.execute(select(System.mlps_level)).scalars().all() == [3, 3]


def record_history_unique(client: TestClient, sid: int) -> None:
    post(client, "mlps-gradings", {**GRADING, "system_id": sid})
    post(
        client, "mlps-assessments", assessment(sid, f"CP-{sid}", assessed_on="2025-11-26", conformity_rate=92)
    )
    post(client, "mlps-self-checks", {"system_id": sid, "checked_on": "2026-01-05"})
    post(
        client,
        "mlps-rectifications",
        {"system_id": sid, "description": "补丁未更新", "owner": "李四", "due_on": "2026-06-30"},
    )
    post(
        client,
        "crypto-plans",
        {"system_id": sid, "drafted_on": "2024-01-02", "evaluated_on": "2024-02-01", "conclusion": "passed"},
    )
    post(
        client,
        "risk-assessments",
        {"system_id": sid, "assessed_on": "2026-03-02", "scope": "全系统", "method": "commissioned"},
    )
