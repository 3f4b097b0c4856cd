"""After a save, the findings a page shows are never silently stale: while the background
re-evaluation is pending the system panel and the findings list say so and refresh themselves
(htmx), and once it has committed they show the settled finding resolved."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from web_support import County, csrf_of

from taizhang.clock import china_today

OVERDUE = "前完成等级测评，已逾期"
PENDING = "刚保存的变更正在重新评估"


@pytest.fixture
def overdue_finding(county: County) -> int:
    """县教育局's system was graded in 2018 and last assessed in 2022: one open overdue finding."""
    from security.findings.choices import FindingState
    from security.findings.engine import evaluate
    from security.findings.models import Finding
    from security.findings.triggers import process_pending
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
        crud.create(
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
    with session_scope(actor="system:findings") as db:
        process_pending(db)
        evaluate(db)
    with session_scope(actor="test") as db:
        finding = db.execute(
            select(Finding).where(Finding.system_id == county.edu_system, Finding.message.contains(OVERDUE))
        ).scalar_one()
        assert finding.state is FindingState.OPEN
        return int(finding.id)


def _record_assessment(officer: TestClient, system_id: int) -> None:
    path = f"/security/systems/{system_id}/mlps-assessments/new"
    token = csrf_of(officer.get(path).text)
    form = {
        "csrf_token": token,
        "assessed_on": (china_today() - dt.timedelta(days=1)).isoformat(),
        "agency": "山西某测评中心",
        "report_number": "CP-2026-100",
        "conformity_rate": "90",
        "high_risk_count": "0",
    }
    assert officer.post(path, data=form, follow_redirects=False).status_code == 303


def _panel(html: str) -> str:
    return html.split('id="panel-findings"')[1].split("</section>")[0]


def test_the_panel_says_re_evaluation_is_pending_and_refreshes_until_the_finding_resolves(
    browser_as: Callable[[str], TestClient], county: County, overdue_finding: int
) -> None:
    from security.findings.triggers import process_pending
    from taizhang.db import session_scope

    officer = browser_as("security")
    before = _panel(officer.get(f"/systems/{county.edu_system}").text)
    assert OVERDUE in before and PENDING not in before and "hx-get" not in before

    _record_assessment(officer, county.edu_system)  # no pump runs here: the request stays queued
    fragment_url = f"/findings/systems/{county.edu_system}/panel"
    pending = _panel(officer.get(f"/systems/{county.edu_system}").text)
    assert PENDING in pending and 'role="status"' in pending
    assert f'hx-get="{fragment_url}"' in pending and 'hx-trigger="every 1s"' in pending
    fragment = officer.get(fragment_url)
    assert fragment.status_code == 200 and PENDING in fragment.text and "<html" not in fragment.text
    listing = officer.get(f"/findings?system_id={county.edu_system}").text
    assert 'data-pending="true"' in listing and "列表将在评估完成后自动更新" in listing

    with session_scope(actor="system:findings") as db:
        assert process_pending(db) is not None
    settled = officer.get(fragment_url).text
    assert OVERDUE not in settled and PENDING not in settled and "hx-get" not in settled
    assert 'data-pending="false"' in settled
    resolved = officer.get(f"/findings?system_id={county.edu_system}&state=resolved").text
    assert OVERDUE in resolved and 'data-pending="false"' in resolved and "every 2s" not in resolved
    assert "已解决" in resolved


def test_another_units_pending_request_does_not_mark_this_system(
    browser_as: Callable[[str], TestClient], county: County, overdue_finding: int
) -> None:
    officer = browser_as("security")
    _record_assessment(officer, county.edu_system)
    other = _panel(officer.get(f"/systems/{county.civil_system}").text)
    assert PENDING not in other and 'data-pending="false"' in other


def test_the_panel_fragment_follows_scope_and_login(
    browser_as: Callable[[str], TestClient], anon: TestClient, county: County, overdue_finding: int
) -> None:
    unit = browser_as("unit")  # 县教育局 only
    assert unit.get(f"/findings/systems/{county.edu_system}/panel").status_code == 200
    assert unit.get(f"/findings/systems/{county.civil_system}/panel").status_code == 404
    assert unit.get("/findings/systems/999999/panel").status_code == 404
    r = anon.get(f"/findings/systems/{county.edu_system}/panel", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_a_failed_pump_run_is_retried_without_another_write(monkeypatch: Any) -> None:
    from security.findings import background

    monkeypatch.setattr(background, "DEBOUNCE_SECONDS", 0.0)
    monkeypatch.setattr(background, "RETRY_SECONDS", 0.05)
    done = threading.Event()

    class Flaky(background.EvaluationPump):
        attempts = 0

        def run_once(self) -> dict[str, Any] | None:
            self.attempts += 1
            if self.attempts == 1:
                raise RuntimeError("database is locked")
            done.set()
            return None

    pump = Flaky(daily=False)
    pump.start()
    try:
        pump.notify()  # one write, one wake-up: the retry must come from the failure itself
        assert done.wait(5), "the pump waited for another write instead of retrying"
    finally:
        pump.stop()
    assert pump.attempts == 2


def test_queued_findings_commit_before_the_days_whole_ledger_run(
    county: County, overdue_finding: int, monkeypatch: Any
) -> None:
    from security.findings import background, engine
    from security.findings.choices import FindingState
    from security.findings.models import Finding
    from security.grading import schemas as gs
    from security.grading.entities import MLPS_ASSESSMENTS
    from taizhang import crud
    from taizhang.db import session_scope

    with session_scope(actor="test") as db:
        crud.create(
            db,
            MLPS_ASSESSMENTS,
            gs.MlpsAssessmentCreate(
                system_id=county.edu_system,
                assessed_on=china_today() - dt.timedelta(days=1),
                agency="山西某测评中心",
                report_number="CP-2026-101",
                conformity_rate=90,
            ),
        )
    seen: list[FindingState] = []
    real = engine.evaluate

    def whole_run(session: Any, **options: Any) -> Any:
        if options.get("system_ids") is None:  # the whole-ledger run: what does another connection see?
            with session_scope(actor="test", write=False) as other:
                seen.append(other.get(Finding, overdue_finding).state)
        return real(session, **options)

    monkeypatch.setattr(engine, "evaluate", whole_run)
    started = time.monotonic()
    result = background.EvaluationPump().run_once()
    assert result is not None and result["requests"] == 1 and not result["partial"]
    assert seen == [FindingState.RESOLVED], "the queued system's finding waited for the whole run"
    assert time.monotonic() - started < 30
