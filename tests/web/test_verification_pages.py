"""Host verification pages: start a run, poll it until it finishes, the host panel, roles, CSRF."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from web_support import County, csrf_of

ROLES = ("admin", "ops", "security", "unit", "auditor")


def _finish(run_id: int, hostname: str, host_id: int) -> None:
    """What the worker does when the playbook ends: record each outcome through the service."""
    from security.verification import service
    from security.verification.choices import CheckOutcome, RunStatus
    from security.verification.runner import HostResult, RunOutput
    from taizhang.db import session_scope, utcnow

    now = dt.datetime.now(dt.UTC)
    output = RunOutput(
        status=RunStatus.SUCCEEDED,
        results={
            (hostname, "TZ-SSH-001"): HostResult(CheckOutcome.FAIL, "PermitRootLogin yes", now),
            (hostname, "TZ-OS-001"): HostResult(CheckOutcome.PASS, "CentOS 7.9", now),
        },
    )
    with session_scope(actor="worker") as db:
        run = service.get_run(db, run_id)
        service.record_results(db, run, output, {hostname: host_id})
        run.status, run.finished_at = RunStatus.SUCCEEDED, utcnow()


def test_start_a_run_poll_it_and_see_the_outcomes(
    browser_as: Callable[[str], TestClient], county: County, session: Any
) -> None:
    from security.verification.models import VerificationRun

    ops = browser_as("ops")
    host_page = ops.get(f"/hosts/{county.edu_host}").text
    assert "核验结果" in host_page and "尚未核验过这台主机" in host_page
    form = ops.get(f"/verification/runs/new?host_id={county.edu_host}")
    assert form.status_code == 200 and "jy-app-01" in form.text and "TZ-SSH-001" in form.text
    r = ops.post(
        "/verification/runs/new",
        data={
            "csrf_token": csrf_of(form.text),
            "host_id": str(county.edu_host),
            "check_ids": ["TZ-SSH-001", "TZ-OS-001"],
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    run = session.execute(select(VerificationRun)).scalar_one()
    assert run.status.value == "queued" and run.filters["host_ids"] == [county.edu_host]
    page = ops.get(r.headers["location"]).text
    assert 'hx-trigger="every 2s"' in page and "排队中" in page and "已排队" in page
    status = ops.get(f"/verification/runs/{run.id}/status").text
    assert 'hx-trigger="every 2s"' in status and "<html" not in status

    _finish(run.id, "jy-app-01", county.edu_host)
    status = ops.get(f"/verification/runs/{run.id}/status").text
    assert "hx-trigger" not in status and "已完成" in status
    assert "PermitRootLogin yes" in status and "不符合" in status and "符合" in status
    panel = browser_as("auditor").get(f"/hosts/{county.edu_host}").text
    assert "TZ-SSH-001" in panel and "发起核验" not in panel

    bad = ops.post(
        "/verification/runs/new",
        data={"csrf_token": csrf_of(form.text), "system_id": str(county.edu_system), "check_ids": ["NOPE"]},
    )
    assert bad.status_code == 422 and "未知的检查项：NOPE" in bad.text


def test_verification_pages_for_every_role_and_unit_scope(
    browser_as: Callable[[str], TestClient], county: County, session: Any
) -> None:
    from security.verification import service
    from security.verification.inventory import Selection
    from taizhang.auth.principal import Scope
    from taizhang.db import session_scope

    with session_scope(actor="test") as db:
        everyone = service.enqueue_run(
            db, selection=Selection(host_ids=[county.civil_host]), requested_by="ops"
        ).id
        own = service.enqueue_run(
            db, selection=Selection(), requested_by="web_unit", scope=Scope(frozenset({county.edu}))
        ).id
    no_run = {"unit": 403, "auditor": 403}
    pages = {
        f"/verification/runs/new?host_id={county.edu_host}": no_run,
        f"/verification/runs/new?system_id={county.edu_system}": no_run,
        f"/verification/runs/new?host_id={county.civil_host}": {**no_run},
        "/verification/runs/new": {"admin": 404, "ops": 404, "security": 404, **no_run},
        f"/verification/runs/{everyone}": {"unit": 404},
        f"/verification/runs/{everyone}/status": {"unit": 404},
        f"/verification/runs/{own}": {},
        "/verification/runs/99999": {r: 404 for r in ROLES},
        f"/hosts/{county.edu_host}": {},
    }
    for role in ROLES:
        client = browser_as(role)
        for path, expected in pages.items():
            r = client.get(path, follow_redirects=False)
            assert r.status_code == expected.get(role, 200), (role, path, r.status_code)
            assert "服务器内部错误" not in r.text


def test_starting_a_run_refuses_a_bad_csrf_token(
    browser_as: Callable[[str], TestClient], county: County, session: Any
) -> None:
    from security.verification.models import VerificationRun

    ops = browser_as("ops")
    for data in ({}, {"csrf_token": "forged"}):
        r = ops.post("/verification/runs/new", data={**data, "host_id": str(county.edu_host)})
        assert r.status_code == 403 and "CSRF" in r.text
    assert session.execute(select(func.count()).select_from(VerificationRun)).scalar_one() == 0
