"""Create and edit forms of every security record: prefilled edit pages, saving, errors next to
their fields with the input kept, optimistic locking (a stale version answers 409 and keeps the
input), unit scoping (another unit's record is a 404) and roles (403)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from web_support import County, csrf_of

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
GRADING = "/security/records/{slug}/{id}"
RESPONSE = "/security/{slug}/{id}"


class FormValues(HTMLParser):
    """What a browser would post from the page's record form (the one with a ``version`` field)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({})
        if not self.forms or ("name" not in a and tag != "option"):
            return
        values = self.forms[-1]
        if tag == "input" and a.get("type") == "checkbox":
            if a["name"] in ("system_ids",):
                values.setdefault(a["name"], [])
                if "checked" in a:
                    values[a["name"]].append(a["value"])
            elif "checked" in a:
                values[a["name"]] = "on"
        elif tag == "input":
            values[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select = a["name"]
            values[a["name"]] = ""
        elif tag == "option" and self._select is not None and "selected" in a:
            values[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a["name"]
            values[a["name"]] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        if tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self.forms[-1][self._textarea] += data

    @classmethod
    def of(cls, html: str) -> dict[str, Any]:
        parser = cls()
        parser.feed(html)
        found = [f for f in parser.forms if "version" in f]
        assert len(found) == 1, "the page has one record form with a version"
        return found[0]


@dataclass
class Case:
    """One record kind: its edit URL pattern, a valid change, an invalid one and what to check."""

    slug: str
    url: str
    model: str  # module:Class
    prefilled: dict[str, str]  # what the edit page must show for the edu record
    change: dict[str, Any]  # a valid edit
    stored: dict[str, Any]  # attribute → value after the valid edit
    invalid: dict[str, Any]  # an edit the service or schema refuses
    error_field: str  # where its message goes
    stale_change: dict[str, Any] = field(default_factory=dict)  # what the late second tab sends


CASES = [
    Case(
        "mlps-gradings",
        GRADING,
        "security.grading.models:MlpsGrading",
        {"level": "3", "graded_on": "2018-03-01", "approving_authority": "县教育局", "status": "final"},
        {"approving_authority": "县网信办", "notes": "复核"},
        {"approving_authority": "县网信办", "notes": "复核"},
        {"expert_review_on": "", "approving_authority": "县网信办二"},
        "expert_review_on",
        {"notes": "第二个标签页"},
    ),
    Case(
        "mlps-filings",
        GRADING,
        "security.grading.models:MlpsFiling",
        {"submitted_on": "2018-03-20", "police_authority": "县公安局"},
        {"certificate_number": "14102630001-18001", "issued_on": "2018-04-10"},
        {"certificate_number": "14102630001-18001", "issued_on": dt.date(2018, 4, 10)},
        {"issued_on": "2018-03-01", "police_authority": "县公安局网安大队"},
        "issued_on",
        {"police_authority": "市公安局"},
    ),
    Case(
        "mlps-assessments",
        GRADING,
        "security.grading.models:MlpsAssessment",
        # the computed conclusion and template are left empty: changed figures give new ones
        {"report_number": "CP-EDU-1", "score": "82.5", "conclusion": "", "template_version": ""},
        {"score": "91", "agency": "省测评中心"},
        {"score": 91.0, "agency": "省测评中心", "conclusion": "excellent"},
        {"conformity_rate": "90", "agency": "某测评机构"},
        "conformity_rate",
        {"agency": "另一机构"},
    ),
    Case(
        "mlps-self-checks",
        GRADING,
        "security.grading.models:MlpsSelfCheck",
        {"checked_on": "2025-03-01", "checked_by": "王五", "issues_found": "2"},
        {"issues_found": "0", "report_reference": "ZC-2025-1", "checked_by": ""},
        {"issues_found": 0, "report_reference": "ZC-2025-1", "checked_by": ""},
        {"checked_on": "2999-01-01", "checked_by": "赵六"},
        "checked_on",
        {"notes": "补充"},
    ),
    Case(
        "mlps-rectifications",
        GRADING,
        "security.grading.models:MlpsRectification",
        {"description": "弱口令", "owner": "张三", "status": "open", "risk_level": "medium"},
        {"status": "done", "completed_on": "2026-01-10"},
        {"status": "done", "completed_on": dt.date(2026, 1, 10)},
        {"status": "done", "completed_on": "", "owner": "李四"},
        "completed_on",
        {"owner": "王五"},
    ),
    Case(
        "crypto-plans",
        GRADING,
        "security.grading.models:CryptoPlan",
        {"title": "密码应用方案", "drafted_on": "2024-01-01", "conclusion": ""},
        {"evaluated_on": "2024-02-01", "conclusion": "passed", "evaluation_agency": "省密码测评中心"},
        {"evaluated_on": dt.date(2024, 2, 1), "conclusion": "passed"},
        {"evaluated_on": "2023-12-01", "evaluation_agency": "某机构"},
        "evaluated_on",
        {"title": "另一个方案名"},
    ),
    Case(
        "crypto-assessments",
        GRADING,
        "security.grading.models:CryptoAssessment",
        {"report_number": "MP-EDU-1", "score": "72.0", "rule_version": "2023", "conclusion": ""},
        {"score": "55", "high_risk_count": "0"},
        {"score": 55.0, "conclusion": "nonconform"},
        {"score": "120", "agency": "某密评机构"},
        "score",
        {"notes": "迟到的修改"},
    ),
    Case(
        "risk-assessments",
        GRADING,
        "security.grading.models:RiskAssessment",
        {"scope": "全系统", "method": "self", "assessed_on": "2025-10-01"},
        {"method": "commissioned", "assessor": "县网信办", "high_count": "1"},
        {"method": "commissioned", "assessor": "县网信办", "high_count": 1},
        {"scope": "", "assessor": "某单位"},
        "scope",
        {"notes": "迟到的修改"},
    ),
    Case(
        "plans",
        RESPONSE,
        "security.response.models:EmergencyPlan",
        {"name": "edu应急预案", "approved_on": "2025-01-05", "plan_version": "V1"},
        {"plan_version": "V2", "last_reviewed_on": "2026-01-05", "description": ""},
        {"plan_version": "V2", "last_reviewed_on": dt.date(2026, 1, 5), "description": ""},
        {"last_reviewed_on": "2024-01-01", "plan_version": "V3"},
        "last_reviewed_on",
        {"description": "迟到的修改"},
    ),
    Case(
        "drills",
        RESPONSE,
        "security.response.models:Drill",
        {"scenario": "edu勒索病毒推演", "drill_type": "tabletop", "participants": "信息中心\n县教育局"},
        {"drill_type": "live", "participants": "信息中心\n县网信办\n县教育局"},
        {"drill_type": "live", "participants": ["信息中心", "县网信办", "县教育局"]},
        {"held_on": "2025-02-31", "scenario": "断电演练"},
        "held_on",
        {"findings": "迟到的修改"},
    ),
    Case(
        "incidents",
        RESPONSE,
        "security.response.models:Incident",
        {"title": "edu网页篡改", "category": "attack", "grade": "larger", "occurred_at": "2026-03-01T08:00"},
        {"reported_at": "2026-03-01T10:30", "report_recipient": "县网信办", "grade": "general"},
        {"report_recipient": "县网信办", "grade": "general"},
        {"reported_at": "2026-03-01T10:30", "report_recipient": ""},
        "report_recipient",
        {"description": "迟到的修改"},
    ),
]


@pytest.fixture
def ledger(county: County) -> dict[str, int]:
    """One record of every kind for each unit's system: ``{slug}:edu`` and ``{slug}:civil`` ids."""
    from security.grading import schemas as gs
    from security.grading.entities import (
        CRYPTO_ASSESSMENTS,
        CRYPTO_PLANS,
        MLPS_ASSESSMENTS,
        MLPS_FILINGS,
        MLPS_GRADINGS,
        MLPS_RECTIFICATIONS,
        MLPS_SELF_CHECKS,
        RISK_ASSESSMENTS,
    )
    from security.response import schemas as rs
    from security.response.entities import DRILLS, INCIDENTS, PLANS
    from taizhang import crud
    from taizhang.db import session_scope

    occurred = dt.datetime(2026, 3, 1, 8, 0, tzinfo=SHANGHAI)
    ids: dict[str, int] = {}
    with session_scope(actor="test") as db:
        for key, unit, system in (
            ("edu", county.edu, county.edu_system),
            ("civil", county.civil, county.civil_system),
        ):
            made = {
                "mlps-gradings": crud.create(
                    db,
                    MLPS_GRADINGS,
                    gs.MlpsGradingCreate(
                        system_id=system,
                        level=3,
                        graded_on="2018-03-01",
                        expert_review_on="2018-02-20",
                        approving_authority="县教育局",
                    ),
                ),
                "mlps-filings": crud.create(
                    db,
                    MLPS_FILINGS,
                    gs.MlpsFilingCreate(
                        system_id=system, submitted_on="2018-03-20", police_authority="县公安局"
                    ),
                ),
                "mlps-assessments": crud.create(
                    db,
                    MLPS_ASSESSMENTS,
                    gs.MlpsAssessmentCreate(
                        system_id=system,
                        assessed_on="2022-05-10",
                        agency="山西某测评中心",
                        report_number=f"CP-{key.upper()}-1",
                        score=82.5,
                    ),
                ),
                "mlps-self-checks": crud.create(
                    db,
                    MLPS_SELF_CHECKS,
                    gs.MlpsSelfCheckCreate(
                        system_id=system, checked_on="2025-03-01", checked_by="王五", issues_found=2
                    ),
                ),
                "mlps-rectifications": crud.create(
                    db,
                    MLPS_RECTIFICATIONS,
                    gs.MlpsRectificationCreate(
                        system_id=system, description="弱口令", owner="张三", due_on="2026-12-31"
                    ),
                ),
                "crypto-plans": crud.create(
                    db,
                    CRYPTO_PLANS,
                    gs.CryptoPlanCreate(system_id=system, title="密码应用方案", drafted_on="2024-01-01"),
                ),
                "crypto-assessments": crud.create(
                    db,
                    CRYPTO_ASSESSMENTS,
                    gs.CryptoAssessmentCreate(
                        system_id=system,
                        assessed_on="2025-09-01",
                        agency="省密码测评中心",
                        report_number=f"MP-{key.upper()}-1",
                        score=72,
                        rule_version="2023",
                    ),
                ),
                "risk-assessments": crud.create(
                    db,
                    RISK_ASSESSMENTS,
                    gs.RiskAssessmentCreate(
                        system_id=system, assessed_on="2025-10-01", scope="全系统", method="self"
                    ),
                ),
            }
            plan = crud.create(
                db,
                PLANS,
                rs.PlanCreate(
                    name=f"{key}应急预案",
                    unit_id=unit,
                    system_id=system,
                    approved_on="2025-01-05",
                    plan_version="V1",
                ),
            )
            made["plans"] = plan
            made["drills"] = crud.create(
                db,
                DRILLS,
                rs.DrillCreate(
                    plan_id=plan.id,
                    drill_type="tabletop",
                    scenario=f"{key}勒索病毒推演",
                    held_on="2025-06-01",
                    participants=["信息中心", "县教育局"],
                ),
            )
            made["incidents"] = crud.create(
                db,
                INCIDENTS,
                rs.IncidentCreate(
                    title=f"{key}网页篡改",
                    unit_id=unit,
                    system_ids=[system],
                    category="attack",
                    grade="larger",
                    occurred_at=occurred,
                    detected_at=occurred + dt.timedelta(minutes=30),
                ),
            )
            ids |= {f"{slug}:{key}": obj.id for slug, obj in made.items()}
    return ids


def _model(case: Case) -> Any:
    import importlib

    module, name = case.model.split(":")
    return getattr(importlib.import_module(module), name)


def _stored(session: Any, case: Case, record_id: int) -> Any:
    session.expire_all()
    return session.get(_model(case), record_id)


def _plain(value: Any) -> Any:
    return getattr(value, "value", value)


@pytest.mark.parametrize("case", CASES, ids=[c.slug for c in CASES])
def test_edit_form_prefills_saves_keeps_input_and_refuses_a_stale_version(
    case: Case, browser_as: Callable[[str], TestClient], ledger: dict[str, int], session: Any
) -> None:
    officer = browser_as("security")
    record_id = ledger[f"{case.slug}:edu"]
    page_url = case.url.format(slug=case.slug, id=record_id)
    edit = officer.get(f"{page_url}/edit")
    assert edit.status_code == 200, edit.text[:500]
    opened = FormValues.of(edit.text)
    assert opened["version"] == "1"
    for name, value in case.prefilled.items():
        assert opened.get(name) == value, (name, opened.get(name))
    assert officer.get(page_url).text.count(f'href="{page_url}/edit"') == 1  # the record page links it

    # a valid edit saves and goes back to the record's page
    saved = officer.post(f"{page_url}/edit", data={**opened, **case.change}, follow_redirects=False)
    assert saved.status_code == 303, (saved.status_code, saved.text[:3000])
    assert saved.headers["location"] == page_url
    assert "已保存对" in officer.get(page_url).text
    record = _stored(session, case, record_id)
    assert record.version == 2
    for name, value in case.stored.items():
        assert _plain(getattr(record, name)) == value, (name, getattr(record, name))

    # an invalid edit: the message sits next to its field, everything typed stays, nothing is stored
    current = FormValues.of(officer.get(f"{page_url}/edit").text)
    refused = officer.post(f"{page_url}/edit", data={**current, **case.invalid})
    assert refused.status_code == 422, refused.text[:2000]
    assert f'id="{case.error_field}-error"' in refused.text
    shown = FormValues.of(refused.text)
    for name, value in case.invalid.items():
        assert shown.get(name) == value, (name, shown.get(name))
    assert _stored(session, case, record_id).version == 2

    # the tab opened before the first save is stale: 409, a clear message, the input kept
    late = {**opened, **case.stale_change}
    stale = officer.post(f"{page_url}/edit", data=late)
    assert stale.status_code == 409, stale.text[:2000]
    assert 'data-stale="true"' in stale.text and "已被他人修改" in stale.text and "第 2 版" in stale.text
    again = FormValues.of(stale.text)
    for name, value in case.stale_change.items():
        assert again.get(name) == value
    record = _stored(session, case, record_id)
    assert record.version == 2
    for name, value in case.stored.items():  # the stale post changed nothing
        assert _plain(getattr(record, name)) == value
    # the listed current values name what the first save changed
    listed = stale.text.split('class="stale-values">')[1].split("</ul>")[0]
    changed_labels = [label for label in _labels(case) if f"<li>{label}：" in listed]
    assert changed_labels, "the stale message lists the stored values that differ from the input"
    # having read them, a deliberate second save goes ahead on the current version
    assert again["version"] == "2"
    overwrite = officer.post(f"{page_url}/edit", data=again, follow_redirects=False)
    assert overwrite.status_code == 303, overwrite.text[:2000]
    assert _stored(session, case, record_id).version == 3


def _labels(case: Case) -> list[str]:
    from security.grading.page_forms import KINDS
    from security.response.pages import FORMS

    spec = KINDS[case.slug].form if case.slug in KINDS else FORMS[case.slug].spec
    return [spec.entity.label_of(name) for name in case.change]


@pytest.mark.parametrize("case", CASES, ids=[c.slug for c in CASES])
def test_edit_forms_follow_scope_and_role(
    case: Case, browser_as: Callable[[str], TestClient], ledger: dict[str, int], anon: TestClient
) -> None:
    own = case.url.format(slug=case.slug, id=ledger[f"{case.slug}:edu"]) + "/edit"
    foreign = case.url.format(slug=case.slug, id=ledger[f"{case.slug}:civil"]) + "/edit"
    missing = case.url.format(slug=case.slug, id=999999) + "/edit"
    unit = browser_as("unit")  # 县教育局 only
    token = csrf_of(unit.get("/").text)
    assert unit.get(foreign).status_code == 404  # another unit's record: not even its existence
    assert unit.post(foreign, data={"csrf_token": token}).status_code == 404
    assert unit.get(own).status_code == 403  # visible, but a unit user does not write security records
    assert unit.post(own, data={"csrf_token": token}).status_code == 403
    for role in ("ops", "auditor"):
        client = browser_as(role)
        assert client.get(own).status_code == 403
        assert client.post(own, data={"csrf_token": csrf_of(client.get("/").text)}).status_code == 403
    officer = browser_as("security")
    assert officer.get(missing).status_code == 404
    assert officer.get(foreign).status_code == 200  # county-wide roles edit every unit's records
    r = officer.post(own, data={"csrf_token": "wrong"})
    assert r.status_code == 403 and "CSRF" in r.text
    r = anon.get(own, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


NEW_FORMS = [
    # (path under the edu system or /security, valid post, invalid post, error field, model)
    (
        "mlps-self-checks",
        {"checked_on": "2026-01-05", "checked_by": "王五", "issues_found": "3", "notes": "年度自查"},
        {"checked_on": "", "checked_by": "王五", "issues_found": "-1"},
        ("checked_on", "issues_found"),
        "security.grading.models:MlpsSelfCheck",
    ),
    (
        "mlps-rectifications",
        {
            "description": "修补中间件漏洞",
            "owner": "张三",
            "due_on": "2026-12-31",
            "risk_level": "high",
            "status": "open",
        },
        {
            "description": "修补中间件漏洞",
            "owner": "",
            "due_on": "2026-12-31",
            "status": "open",
            "completed_on": "2026-01-01",
        },
        ("owner",),
        "security.grading.models:MlpsRectification",
    ),
    (
        "crypto-plans",
        {
            "title": "门户密码应用方案",
            "drafted_on": "2024-01-01",
            "evaluated_on": "2024-02-01",
            "conclusion": "passed",
        },
        {"title": "门户密码应用方案", "drafted_on": "2024-01-01", "conclusion": "passed"},
        ("evaluated_on",),
        "security.grading.models:CryptoPlan",
    ),
]


@pytest.mark.parametrize("slug,valid,invalid,error_fields,model", NEW_FORMS, ids=[f[0] for f in NEW_FORMS])
def test_new_record_forms_of_a_system(
    slug: str,
    valid: dict[str, str],
    invalid: dict[str, str],
    error_fields: tuple[str, ...],
    model: str,
    browser_as: Callable[[str], TestClient],
    county: County,
    ledger: dict[str, int],
    session: Any,
) -> None:
    import importlib

    module, name = model.split(":")
    cls = getattr(importlib.import_module(module), name)
    path = f"/security/systems/{county.edu_system}/{slug}/new"
    officer = browser_as("security")
    system_page = officer.get(f"/systems/{county.edu_system}").text
    assert f'href="{path}"' in system_page  # the 等保与密评 panel links the form
    page = officer.get(path)
    assert page.status_code == 200 and "version" not in _field_names(page.text)
    token = csrf_of(page.text)
    before = session.execute(select(func.count()).select_from(cls)).scalar_one()

    refused = officer.post(path, data={"csrf_token": token, **invalid})
    assert refused.status_code == 422
    for error_field in error_fields:
        assert f'id="{error_field}-error"' in refused.text, error_field
    for field_name, value in invalid.items():
        if value and field_name not in error_fields:
            assert value in refused.text, field_name
    assert session.execute(select(func.count()).select_from(cls)).scalar_one() == before

    saved = officer.post(path, data={"csrf_token": token, **valid}, follow_redirects=False)
    assert saved.status_code == 303, saved.text[:2000]
    record_page = officer.get(saved.headers["location"]).text
    assert "已登记" in record_page
    session.expire_all()
    created = session.execute(select(cls).order_by(cls.id.desc())).scalars().first()
    assert created.system_id == county.edu_system
    timeline = officer.get(f"/systems/{county.edu_system}").text
    assert f'href="{saved.headers["location"]}"' in timeline

    for role in ("ops", "unit", "auditor"):
        assert browser_as(role).get(path).status_code == 403


def _field_names(html: str) -> set[str]:
    parser = FormValues()
    parser.feed(html)
    return {name for form in parser.forms for name in form}


def test_new_emergency_plan_from_a_system_page(
    browser_as: Callable[[str], TestClient], county: County, ledger: dict[str, int], session: Any
) -> None:
    from security.response.models import EmergencyPlan

    officer = browser_as("security")
    panel = officer.get(f"/systems/{county.edu_system}").text.split('id="panel-drills"')[1]
    link = f"/security/plans/new?system_id={county.edu_system}&amp;unit_id={county.edu}"
    assert link in panel and f'href="/security/plans/{ledger["plans:edu"]}"' in panel
    page = officer.get(link.replace("&amp;", "&"))
    assert page.status_code == 200
    preset = _largest_form(page.text)
    assert preset["system_id"] == str(county.edu_system) and preset["unit_id"] == str(county.edu)
    token = csrf_of(page.text)

    # a system plan must come from the system's own unit
    form = {
        "csrf_token": token,
        "name": "学籍系统专项预案",
        "unit_id": str(county.civil),
        "system_id": str(county.edu_system),
    }
    refused = officer.post("/security/plans/new", data={**form, "approved_on": "2025-03-01"})
    assert refused.status_code == 422 and 'id="system_id-error"' in refused.text
    assert 'value="学籍系统专项预案"' in refused.text
    refused = officer.post("/security/plans/new", data={**form, "unit_id": str(county.edu)})
    assert (
        refused.status_code == 422
        and 'id="approved_on-error"' in refused.text
        and "此项为必填项" in refused.text
    )

    saved = officer.post(
        "/security/plans/new",
        data={**form, "unit_id": str(county.edu), "approved_on": "2025-03-01", "plan_version": "V1"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    plan = session.execute(select(EmergencyPlan).where(EmergencyPlan.name == "学籍系统专项预案")).scalar_one()
    assert saved.headers["location"] == f"/security/plans/{plan.id}"
    page = officer.get(saved.headers["location"]).text
    assert (
        "已登记应急预案" in page
        and "下次演练期限" in page
        and f"/security/drills/new?plan_id={plan.id}" in page
    )
    unit_plan = officer.post(
        "/security/plans/new",
        data={
            "csrf_token": token,
            "name": "县教育局总体预案",
            "unit_id": str(county.edu),
            "approved_on": "2025-03-01",
        },
        follow_redirects=False,
    )
    assert unit_plan.status_code == 303
    assert "单位级预案" in officer.get(unit_plan.headers["location"]).text

    clients = {role: browser_as(role) for role in ("ops", "unit", "auditor")}
    for client in clients.values():
        assert client.get("/security/plans/new").status_code == 403
    unit = clients["unit"]
    assert unit.get(f"/security/plans/{plan.id}").status_code == 200
    assert unit.get(f"/security/plans/{ledger['plans:civil']}").status_code == 404


def _largest_form(html: str) -> dict[str, Any]:
    parser = FormValues()
    parser.feed(html)
    return max(parser.forms, key=len)


def test_the_overview_links_each_problem_to_the_form_that_settles_it(
    browser_as: Callable[[str], TestClient], county: County, ledger: dict[str, int]
) -> None:
    officer = browser_as("security")
    overview = officer.get("/security").text
    assert 'href="/security/plans/new"' in overview
    # the edu system: graded in 2018, last assessed 2022 → overdue; its rectification is open
    row = next(r for r in overview.split("<tr>") if "学籍管理系统" in r)
    assert f'href="/security/systems/{county.edu_system}/mlps-assessments/new"' in row
    auditor = browser_as("auditor").get("/security").text
    assert "badge-link" not in auditor and "/security/plans/new" not in auditor
