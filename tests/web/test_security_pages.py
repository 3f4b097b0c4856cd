"""等保与密评 pages: every page for every role, the record forms, evidence upload, unit scoping, CSRF."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from web_support import County, csrf_of

from taizhang.clock import china_today

ROLES = ("admin", "ops", "security", "unit", "auditor")
KINDS = ("mlps-assessments", "mlps-gradings", "mlps-filings", "crypto-assessments", "risk-assessments")


@pytest.fixture
def overdue(county: County) -> int:
    """The 县教育局 system went live in 2018 and was last assessed in 2022: its assessment is overdue."""
    from security.grading import schemas as gs
    from security.grading.entities import MLPS_ASSESSMENTS, MLPS_GRADINGS
    from taizhang import crud
    from taizhang.db import session_scope

    with session_scope(actor="test") as db:
        crud.create(
            db,
            MLPS_GRADINGS,
            gs.MlpsGradingCreate(
                system_id=county.edu_system,
                level=3,
                graded_on="2018-03-01",
                expert_review_on="2018-02-20",
                approving_authority="县教育局",
            ),
        )
        old = crud.create(
            db,
            MLPS_ASSESSMENTS,
            gs.MlpsAssessmentCreate(
                system_id=county.edu_system,
                assessed_on="2022-05-10",
                agency="山西某测评中心",
                report_number="CP-2022-001",
                score=82.5,
            ),
        )
        return int(old.id)


def test_every_security_page_for_every_role(
    browser_as: Callable[[str], TestClient], county: County, overdue: int
) -> None:
    no_write = {"ops": 403, "unit": 403, "auditor": 403}
    pages: dict[str, dict[str, int]] = {
        "/security": {},
        f"/security/records/mlps-assessments/{overdue}": {},
        "/security/records/mlps-assessments/999999": {r: 404 for r in ROLES},
        "/security/records/nonsense/1": {r: 404 for r in ROLES},
        f"/systems/{county.edu_system}": {},
    }
    for kind in KINDS:
        pages[f"/security/systems/{county.edu_system}/{kind}/new"] = no_write
        pages[f"/security/systems/{county.civil_system}/{kind}/new"] = {**no_write}
    for role in ROLES:
        client = browser_as(role)
        for path, expected in pages.items():
            r = client.get(path, follow_redirects=False)
            assert r.status_code == expected.get(role, 200), (role, path, r.status_code, r.text[:300])
            assert '<html lang="zh-CN">' in r.text
            assert "服务器内部错误" not in r.text
        nav = client.get("/").text.split("</nav>")[0]
        assert ">安全<" in nav


def test_unit_user_reads_only_their_units(
    browser_as: Callable[[str], TestClient], county: County, overdue: int
) -> None:
    from security.grading import schemas as gs
    from security.grading.entities import MLPS_ASSESSMENTS
    from taizhang import crud
    from taizhang.db import session_scope

    with session_scope(actor="test") as db:
        foreign = crud.create(
            db,
            MLPS_ASSESSMENTS,
            gs.MlpsAssessmentCreate(
                system_id=county.civil_system,
                assessed_on="2025-01-10",
                agency="外单位测评机构",
                report_number="CP-MZ-1",
                score=90,
                level=2,
            ),
        )
    unit = browser_as("unit")
    overview = unit.get("/security").text
    assert "学籍管理系统" in overview and county.civil_system_name not in overview
    assert unit.get(f"/security/records/mlps-assessments/{foreign.id}").status_code == 404
    assert unit.get(f"/security/records/mlps-assessments/{overdue}").status_code == 200
    panel = unit.get(f"/systems/{county.edu_system}").text
    assert "CP-2022-001" in panel and "登记等级测评" not in panel
    security = browser_as("security")
    assert security.get(f"/security/systems/{county.civil_system}/mlps-assessments/new").status_code == 200


def _assessment(token: str, **changes: str) -> dict[str, str]:
    form = {
        "csrf_token": token,
        "assessed_on": (china_today() - dt.timedelta(days=3)).isoformat(),
        "agency": "山西某测评中心",
        "report_number": "CP-2026-077",
        "template_version": "",
        "score": "",
        "conformity_rate": "88.5",
        "conclusion": "",
        "level": "",
        "high_risk_count": "0",
        "medium_risk_count": "4",
        "low_risk_count": "9",
        "notes": "年度测评",
    }
    form.update(changes)
    return form


def test_assessment_form_keeps_input_shows_service_errors_and_clears_overdue(
    browser_as: Callable[[str], TestClient], county: County, overdue: int, session: Any
) -> None:
    from security.grading.models import MlpsAssessment

    officer = browser_as("security")
    system_page = officer.get(f"/systems/{county.edu_system}").text
    assert "等级测评逾期" in system_page and "已逾期" in system_page
    path = f"/security/systems/{county.edu_system}/mlps-assessments/new"
    token = csrf_of(officer.get(path).text)

    r = officer.post(path, data=_assessment(token, conformity_rate="91", assessed_on="2026-02-30"))
    assert r.status_code == 422
    assert 'id="assessed_on-error"' in r.text and "日期格式" in r.text
    assert 'value="CP-2026-077"' in r.text and "年度测评" in r.text and 'value="91"' in r.text

    # The service's own checks (template by report date, figures by template) land next to the field.
    r = officer.post(path, data=_assessment(token, score="90"))
    assert r.status_code == 422
    assert 'id="score-error"' in r.text and "2025 版模板以符合率给出结果" in r.text
    assert 'value="88.5"' in r.text and 'value="90"' in r.text
    r = officer.post(path, data=_assessment(token, template_version="2021"))
    assert r.status_code == 422 and 'id="template_version-error"' in r.text
    assert '<option value="2021" selected>' in r.text

    r = officer.post(path, data=_assessment(token, report_number="CP-2022-001"))
    assert r.status_code == 422 and 'id="report_number-error"' in r.text and "已存在" in r.text
    assert session.execute(select(func.count()).select_from(MlpsAssessment)).scalar_one() == 1

    r = officer.post(path, data=_assessment(token), follow_redirects=False)
    assert r.status_code == 303, r.text[:500]
    record = officer.get(r.headers["location"]).text
    assert "已登记等级测评记录" in record and "CP-2026-077" in record and "符合" in record
    system_page = officer.get(f"/systems/{county.edu_system}").text
    assert "等级测评逾期" not in system_page and "CP-2026-077" in system_page


def test_other_forms_save_and_report_field_errors(
    browser_as: Callable[[str], TestClient], county: County, overdue: int
) -> None:
    officer = browser_as("security")
    base = f"/security/systems/{county.edu_system}"
    form_page = officer.get(f"{base}/mlps-filings/new").text
    token = csrf_of(form_page)
    assert "2018-03-01 第三级" in form_page
    grading = form_page.split('<option value="')[2].split('"')[0]
    r = officer.post(
        f"{base}/mlps-filings/new",
        data={
            "csrf_token": token,
            "grading_id": grading,
            "submitted_on": "2018-02-01",
            "police_authority": "县公安局网安大队",
        },
    )
    assert r.status_code == 422 and 'id="submitted_on-error"' in r.text and "不能早于定级日期" in r.text
    assert 'value="县公安局网安大队"' in r.text
    forms = {
        "mlps-filings": {
            "submitted_on": "2018-03-20",
            "certificate_number": "14102630001-18001",
            "issued_on": "2018-04-10",
        },
        "mlps-gradings": {
            "level": "3",
            "graded_on": "2025-06-01",
            "expert_review_on": "2025-05-20",
            "reason": "review",
            "approving_authority": "县教育局",
        },
        "crypto-assessments": {
            "assessed_on": "2025-09-01",
            "agency": "省密码测评中心",
            "report_number": "MP-2025-9",
            "score": "72",
            "rule_version": "2023",
        },
        "risk-assessments": {"assessed_on": "2025-10-01", "scope": "全系统", "method": "self"},
    }
    for kind, data in forms.items():
        r = officer.post(f"{base}/{kind}/new", data={"csrf_token": token, **data}, follow_redirects=False)
        assert r.status_code == 303, (
            kind,
            re.findall(r"-error\"[^>]*>([^<]*)", r.text),
            re.findall("msg-error[^>]*>([^<]*)", r.text),
        )
    r = officer.post(f"{base}/risk-assessments/new", data={"csrf_token": token, "scope": "x"})
    assert r.status_code == 422 and 'id="assessed_on-error"' in r.text and 'id="method-error"' in r.text
    timeline = officer.get(f"/systems/{county.edu_system}").text
    for text in ("14102630001-18001", "MP-2025-9", "全系统", "风险评估"):
        assert text in timeline


def test_evidence_upload_and_download(
    browser_as: Callable[[str], TestClient], county: County, overdue: int
) -> None:
    officer = browser_as("security")
    page = f"/security/records/mlps-assessments/{overdue}"
    token = csrf_of(officer.get(page).text)
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    r = officer.post(
        f"{page}/evidence",
        data={"csrf_token": token, "kind": "assessment_report", "description": "测评报告扫描件"},
        files={"file": ("测评报告.pdf", pdf, "application/pdf")},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text[:500]
    shown = officer.get(page).text
    assert "测评报告.pdf" in shown and "测评报告扫描件" in shown
    link = shown.split('href="/api/v1/security/evidence/')[1].split('"')[0]
    got = officer.get(f"/api/v1/security/evidence/{link}")
    assert got.status_code == 200, (link, got.text)
    download = browser_as("unit").get(f"/api/v1/security/evidence/{link}")
    assert download.status_code == 200 and download.content == pdf
    r = officer.post(f"{page}/evidence", data={"csrf_token": token, "kind": "other"})
    assert r.status_code == 422 and "请选择要上传的文件" in r.text
    auditor = browser_as("auditor")
    assert 'type="file"' not in auditor.get(page).text
    r = auditor.post(
        f"{page}/evidence",
        data={"csrf_token": csrf_of(auditor.get(page).text), "kind": "other"},
        files={"file": ("a.pdf", pdf, "application/pdf")},
    )
    assert r.status_code == 403


def test_every_security_post_refuses_a_missing_or_wrong_csrf_token(
    browser_as: Callable[[str], TestClient], county: County, overdue: int, session: Any
) -> None:
    from security.evidence.models import EvidenceFile
    from security.grading.models import MlpsAssessment

    officer = browser_as("security")
    posts = [f"/security/systems/{county.edu_system}/{kind}/new" for kind in KINDS]
    posts.append(f"/security/records/mlps-assessments/{overdue}/evidence")
    for path in posts:
        for token in (None, "forged"):
            data = _assessment(token or "")
            if token is None:
                data.pop("csrf_token")
            r = officer.post(path, data=data, files={"file": ("a.pdf", b"%PDF-1.4\n", "application/pdf")})
            assert r.status_code == 403, (path, r.status_code)
            assert "CSRF" in r.text
    assert session.execute(select(func.count()).select_from(MlpsAssessment)).scalar_one() == 1
    assert session.execute(select(func.count()).select_from(EvidenceFile)).scalar_one() == 0


def _more_systems(county: County, edu: int, civil: int) -> None:
    """``edu`` more systems of 县教育局 (JY-1xx, every third live since 2019 at level 3, so with
    problems) and ``civil`` more of 县民政局 (MZ-1xx)."""
    from inventory import schemas as s
    from inventory.entities import SYSTEMS
    from taizhang import crud
    from taizhang.db import session_scope

    with session_scope(actor="test") as db:
        for n in range(edu):
            troubled = n % 3 == 0
            crud.create(
                db,
                SYSTEMS,
                s.SystemCreate(
                    catalogue_number=f"JY-{100 + n}",
                    name=f"教育批量系统{n:02d}",
                    owner_unit_id=county.edu,
                    mlps_level=3 if troubled else None,
                    go_live_date=dt.date(2019, 1, 1) if troubled else None,
                ),
            )
        for n in range(civil):
            crud.create(
                db,
                SYSTEMS,
                s.SystemCreate(
                    catalogue_number=f"MZ-{100 + n}", name=f"民政批量系统{n}", owner_unit_id=county.civil
                ),
            )


def _rows_of(html: str) -> list[str]:
    """Catalogue numbers of the overview's rows, in order."""
    table = html.split('id="security-table"', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<td>([A-Z]{2}-\d+)</td>", table)


def _summary(html: str) -> tuple[int, int]:
    found = re.search(r"共 (\d+) 个信息系统，(\d+) 个有逾期或待处理事项", html)
    assert found, html[:2000]
    return int(found.group(1)), int(found.group(2))


def _with_problems(**scope: Any) -> int:
    from security.grading import service
    from taizhang.db import session_scope

    with session_scope(write=False) as db:
        return sum(1 for r in service.security_statuses(db, **scope) if r.problems)


def test_overview_pages_fifty_systems_and_counts_every_matching_one(
    browser_as: Callable[[str], TestClient], county: County
) -> None:
    from taizhang.auth.principal import Scope

    _more_systems(county, edu=55, civil=3)  # 56 + 4 systems in all
    admin = browser_as("admin")
    first = admin.get("/security").text
    rows = _rows_of(first)
    assert len(rows) == 50 and rows == sorted(rows)
    everyone = _with_problems()
    assert everyone >= 19  # every third of the 55, at least
    assert _summary(first) == (60, everyone)
    assert 'href="/security?page=2"' in first and 'rel="next">下一页</a>' in first
    assert 'aria-current="page" class="current">1<' in first and "共 60 条，第 1 / 2 页" in first
    second = admin.get("/security?page=2").text
    rest = _rows_of(second)
    assert len(rest) == 10 and not set(rest) & set(rows)
    assert _summary(second) == (60, everyone)  # the figures do not depend on the page
    assert 'rel="prev">上一页</a>' in second and 'href="/security?page=1"' in second

    civil = admin.get(f"/security?owner_unit_id={county.civil}").text
    assert sorted(_rows_of(civil)) == ["MZ-001", "MZ-100", "MZ-101", "MZ-102"]
    assert _summary(civil) == (4, _with_problems(scope=Scope(frozenset({county.civil}))))
    assert "下一页" not in civil
    found = admin.get("/security", params={"q": "jy-10"}).text  # catalogue number, any case
    assert sorted(_rows_of(found)) == [f"JY-{n}" for n in range(100, 110)]
    assert _summary(found)[0] == 10
    by_name = admin.get("/security", params={"q": "教育批量系统 5"}).text
    assert sorted(_rows_of(by_name)) == [
        "JY-105",
        "JY-115",
        "JY-125",
        "JY-135",
        "JY-145",
        "JY-150",
        *[f"JY-{n}" for n in range(151, 155)],
    ]
    # the page links keep the search and the unit filter
    narrowed = admin.get("/security", params={"q": "批量", "owner_unit_id": county.edu}).text
    assert _summary(narrowed)[0] == 55 and len(_rows_of(narrowed)) == 50
    assert f'href="/security?q=%E6%89%B9%E9%87%8F&amp;owner_unit_id={county.edu}&amp;page=2"' in narrowed
    last = admin.get("/security", params={"q": "批量", "owner_unit_id": county.edu, "page": 2}).text
    assert len(_rows_of(last)) == 5 and all(r.startswith("JY-") for r in _rows_of(last))
    assert len(_rows_of(admin.get("/security?page=99").text)) == 10  # past the end: the last page


def test_unit_user_pages_and_counts_only_their_units(
    browser_as: Callable[[str], TestClient], county: County
) -> None:
    from taizhang.auth.principal import Scope

    _more_systems(county, edu=55, civil=3)
    unit = browser_as("unit")
    first = unit.get("/security").text
    own = _with_problems(scope=Scope(frozenset({county.edu})))
    assert _summary(first) == (56, own)
    assert len(_rows_of(first)) == 50 and county.civil_system_name not in first
    assert "县民政局" not in first  # nor in the unit filter's choices
    second = unit.get("/security?page=2").text
    assert len(_rows_of(second)) == 6 and all(r.startswith("JY-") for r in _rows_of(second))
    foreign = unit.get(f"/security?owner_unit_id={county.civil}")
    assert foreign.status_code == 200 and _rows_of(foreign.text) == [] and _summary(foreign.text) == (0, 0)
    assert _rows_of(unit.get("/security?q=MZ").text) == []


def test_timeline_keeps_finished_rectifications(
    browser_as: Callable[[str], TestClient], county: County, overdue: int
) -> None:
    """A rectification stays in the system's history once done: at its completion date, marked done."""
    from security.grading import schemas as gs
    from security.grading.choices import RectificationStatus
    from security.grading.entities import MLPS_RECTIFICATIONS
    from taizhang import crud
    from taizhang.db import session_scope

    with session_scope(actor="test") as db:
        for description, status, completed in (
            ("口令复杂度不足", RectificationStatus.DONE, "2022-08-01"),
            ("日志留存不足六个月", RectificationStatus.OPEN, None),
        ):
            crud.create(
                db,
                MLPS_RECTIFICATIONS,
                gs.MlpsRectificationCreate(
                    system_id=county.edu_system,
                    assessment_id=overdue,
                    description=description,
                    owner="张三",
                    due_on="2022-09-30",
                    status=status,
                    completed_on=completed,
                ),
            )
    page = browser_as("security").get(f"/systems/{county.edu_system}").text
    rows = re.findall(r"<tr><td class=\"nowrap\">([^<]*)</td><td>([^<]*)</td><td><a [^>]*>([^<]*)</a>", page)
    assert ("2022-08-01", "整改（已完成）", "口令复杂度不足") in rows
    assert ("2022-09-30", "整改（未完成）", "日志留存不足六个月") in rows


def test_problem_count_is_kept_until_the_ledger_changes(
    browser_as: Callable[[str], TestClient], county: County, overdue: int
) -> None:
    """The figure over every matching system is worked out once per ledger state, not per view:
    a second view runs fewer statements, and a new record changes it at once."""
    from perf_support import counting

    from inventory import schemas as s
    from inventory.entities import SYSTEMS
    from taizhang import crud
    from taizhang.db import get_engine, session_scope

    _more_systems(county, edu=5, civil=0)
    admin = browser_as("admin")
    before = _with_problems()
    with counting(get_engine()) as first:
        assert _summary(admin.get("/security").text)[1] == before
    with counting(get_engine()) as again:
        assert _summary(admin.get("/security?page=1").text)[1] == before
    assert len(again) < len(first), (len(first), len(again))

    with session_scope(actor="test") as db:  # a third-level system in use since 2020, never assessed
        crud.create(
            db,
            SYSTEMS,
            s.SystemCreate(
                catalogue_number="JY-900",
                name="新登记系统",
                owner_unit_id=county.edu,
                mlps_level=3,
                lifecycle="running",
                go_live_date="2020-01-01",
            ),
        )
    after = _with_problems()
    assert after == before + 1
    assert _summary(admin.get("/security").text)[1] == after
