"""应急演练与安全事件 pages: roles, unit scoping, forms, the countdown's deadline, evidence, CSRF."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from web_support import County, csrf_of

ROLES = ("admin", "ops", "security", "unit", "auditor")
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def records(county: County) -> dict[str, int]:
    from security.response import schemas as rs
    from security.response.entities import DRILLS, INCIDENTS, PLANS
    from taizhang import crud
    from taizhang.db import session_scope

    detected = dt.datetime.now(SHANGHAI).replace(microsecond=0) - dt.timedelta(hours=2)
    out: dict[str, int] = {}
    with session_scope(actor="test") as db:
        for key, unit, system in (
            ("edu", county.edu, county.edu_system),
            ("civil", county.civil, county.civil_system),
        ):
            plan = crud.create(
                db,
                PLANS,
                rs.PlanCreate(
                    name=f"{key}应急预案", unit_id=unit, system_id=system, approved_on="2025-01-05"
                ),
            )
            drill = crud.create(
                db,
                DRILLS,
                rs.DrillCreate(
                    plan_id=plan.id,
                    drill_type="tabletop",
                    scenario=f"{key}勒索病毒推演",
                    held_on="2025-06-01",
                ),
            )
            incident = crud.create(
                db,
                INCIDENTS,
                rs.IncidentCreate(
                    title=f"{key}网页篡改",
                    unit_id=unit,
                    system_ids=[system],
                    category="attack",
                    grade="larger",
                    occurred_at=detected - dt.timedelta(minutes=30),
                    detected_at=detected,
                ),
            )
            out |= {f"{key}_plan": plan.id, f"{key}_drill": drill.id, f"{key}_incident": incident.id}
    return out


def test_every_response_page_for_every_role(
    browser_as: Callable[[str], TestClient], county: County, records: dict[str, int]
) -> None:
    no_write = {"ops": 403, "unit": 403, "auditor": 403}
    foreign = {"unit": 404}
    pages = {
        "/security/drills/new": no_write,
        "/security/incidents/new": no_write,
        f"/security/incidents/new?system_id={county.edu_system}": no_write,
        f"/security/drills/{records['edu_drill']}": {},
        f"/security/drills/{records['civil_drill']}": foreign,
        f"/security/incidents/{records['edu_incident']}": {},
        f"/security/incidents/{records['civil_incident']}": foreign,
        "/security/incidents/999999": {r: 404 for r in ROLES},
        f"/systems/{county.edu_system}": {},
    }
    for role in ROLES:
        client = browser_as(role)
        for path, expected in pages.items():
            r = client.get(path, follow_redirects=False)
            assert r.status_code == expected.get(role, 200), (role, path, r.status_code, r.text[:300])
            assert "服务器内部错误" not in r.text
        system = client.get(f"/systems/{county.edu_system}").text
        assert "应急预案与演练" in system and "edu勒索病毒推演" in system and "edu网页篡改" in system
        assert "civil网页篡改" not in system


def test_incident_page_counts_down_to_the_computed_deadline(
    browser_as: Callable[[str], TestClient], records: dict[str, int], session: Any
) -> None:
    from security.response.dates import incident_deadlines
    from security.response.models import Incident
    from taizhang.policy import get_policy

    page = browser_as("unit").get(f"/security/incidents/{records['edu_incident']}").text
    expected = incident_deadlines(session.get(Incident, records["edu_incident"]), get_policy())
    assert expected.must_report and expected.report_due is not None
    iso = expected.report_due.astimezone(SHANGHAI).isoformat()
    assert f'data-deadline="{iso}"' in page
    assert "/static/js/countdown.js" in page or "js/countdown" in page
    assert "<script>" not in page  # the CSP forbids inline scripts


def test_drill_and_incident_forms(
    browser_as: Callable[[str], TestClient], county: County, records: dict[str, int], session: Any
) -> None:
    from security.response.models import Drill, Incident

    officer = browser_as("security")
    token = csrf_of(officer.get("/security/drills/new").text)
    bad = {
        "csrf_token": token,
        "plan_id": str(records["edu_plan"]),
        "scenario": "断电演练",
        "participants": "信息中心\n县教育局",
    }
    r = officer.post("/security/drills/new", data={**bad, "held_on": "2025-02-31"})
    assert r.status_code == 422 and 'id="held_on-error"' in r.text and 'id="drill_type-error"' in r.text
    assert 'value="断电演练"' in r.text and "信息中心\n县教育局" in r.text
    r = officer.post(
        "/security/drills/new",
        data={**bad, "held_on": "2025-09-09", "drill_type": "live"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    drill = session.execute(select(Drill).where(Drill.scenario == "断电演练")).scalar_one()
    assert drill.participants == ["信息中心", "县教育局"]

    form = {
        "csrf_token": token,
        "title": "门户网站被挂马",
        "unit_id": str(county.edu),
        "system_ids": [str(county.edu_system)],
        "category": "malware",
        "grade": "larger",
        "occurred_at": "2026-03-01T08:10",
        "detected_at": "2026-03-01T07:00",
    }
    r = officer.post("/security/incidents/new", data=form)
    assert r.status_code == 422 and 'value="2026-03-01T07:00"' in r.text and "门户网站被挂马" in r.text
    r = officer.post(
        "/security/incidents/new", data={**form, "detected_at": "2026-03-01T09:00"}, follow_redirects=False
    )
    assert r.status_code == 303, r.text[:2000]
    incident = session.execute(select(Incident).where(Incident.title == "门户网站被挂马")).scalar_one()
    assert incident.detected_at.astimezone(SHANGHAI).hour == 9
    page = officer.get(r.headers["location"]).text
    assert "已逾期" in page  # the report deadline has long passed


def test_evidence_on_drills_and_incidents_and_csrf(
    browser_as: Callable[[str], TestClient], records: dict[str, int], session: Any
) -> None:
    from security.evidence.models import EvidenceFile
    from security.response.models import Drill, Incident

    officer = browser_as("security")
    pdf = b"%PDF-1.4\n%%EOF\n"
    for path in (
        f"/security/drills/{records['edu_drill']}",
        f"/security/incidents/{records['edu_incident']}",
    ):
        token = csrf_of(officer.get(path).text)
        r = officer.post(
            f"{path}/evidence",
            data={"csrf_token": token, "kind": "drill_minutes"},
            files={"file": ("记录.pdf", pdf)},
        )
        assert r.status_code == 200 and "记录.pdf" in r.text and "已上传佐证材料" in r.text
    assert session.execute(select(func.count()).select_from(EvidenceFile)).scalar_one() == 2
    unit = browser_as("unit")
    assert unit.get(f"/security/incidents/{records['civil_incident']}").status_code == 404
    for path in (
        "/security/drills/new",
        "/security/incidents/new",
        f"/security/drills/{records['edu_drill']}/evidence",
        f"/security/incidents/{records['edu_incident']}/evidence",
    ):
        for data in ({}, {"csrf_token": "forged"}):
            r = officer.post(path, data={**data, "kind": "other"}, files={"file": ("a.pdf", pdf)})
            assert r.status_code == 403 and "CSRF" in r.text, path
    assert session.execute(select(func.count()).select_from(EvidenceFile)).scalar_one() == 2
    assert session.execute(select(func.count()).select_from(Drill)).scalar_one() == 2
    assert session.execute(select(func.count()).select_from(Incident)).scalar_one() == 2
