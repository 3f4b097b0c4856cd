"""Writes that matter queue a re-evaluation; the queue is consumed off the request path."""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from inventory.choices import DataSharing
from security.findings import background
from security.findings.choices import FindingState
from security.findings.models import Finding, FindingEvaluationRequest
from security.findings.triggers import process_pending
from taizhang import db as tzdb
from taizhang.changelog import ChangeLogEntry


def _queued(session: Any) -> list[int | None]:
    session.expire_all()
    rows = session.execute(select(FindingEvaluationRequest.system_id).order_by(FindingEvaluationRequest.id))
    return [r.system_id for r in rows]


def test_committed_writes_queue_their_systems_and_rollbacks_queue_nothing(ledger: Any, session: Any) -> None:
    unit = ledger.unit()
    system = ledger.system(unit)
    session.commit()
    assert _queued(session) == [system.id]
    process_pending(session)
    session.commit()
    assert _queued(session) == []

    system.data_sharing = DataSharing.NOT_SHARING
    session.flush()
    session.rollback()
    assert _queued(session) == []

    ledger.host([])  # a host serving no system can only be judged by a whole-ledger run
    session.commit()
    assert _queued(session) == [None]


def test_process_pending_evaluates_the_queued_systems(ledger: Any, session: Any) -> None:
    unit = ledger.unit()
    system = ledger.system(unit, data_sharing=DataSharing.NOT_SHARING)
    session.commit()
    result = process_pending(session)
    session.commit()
    assert result is not None and result["partial"] and result["system_ids"] == [system.id]
    assert result["created"] == 1
    assert process_pending(session) is None


def test_pump_evaluates_after_an_api_write_without_blocking_it(
    app: Any, make_user: Any, monkeypatch: Any, session: Any
) -> None:
    monkeypatch.setattr(background, "DEBOUNCE_SECONDS", 0.0)
    with TestClient(app) as client:
        client.headers.update(make_user("pump_admin", "admin"))
        unit = client.post(
            "/api/v1/inventory/units", json={"code": "P1", "name": "泵测试单位", "kind": "county_department"}
        )
        assert unit.status_code == 201, unit.text
        body = {
            "catalogue_number": "P-1",
            "name": "不共享数据的系统",
            "owner_unit_id": unit.json()["id"],
            "lifecycle": "running",
            "data_sharing": "not_sharing",
        }
        assert client.post("/api/v1/inventory/systems", json=body).status_code == 201
        deadline = time.monotonic() + 20
        states: list[Any] = []
        while time.monotonic() < deadline:
            with tzdb.session_scope() as check:
                states = list(check.execute(select(Finding.rule_id, Finding.state)).all())
            if states:
                break
            time.sleep(0.1)
    assert ("art11.data_not_shared", FindingState.OPEN) in [tuple(s) for s in states]
    assert _queued(session) == []
    actors = session.execute(
        select(ChangeLogEntry.actor).where(ChangeLogEntry.object_type == "security.finding")
    ).scalars()
    assert set(actors) == {"system:findings"}  # the background job's writes are logged as its own


def test_domain_tables_queue_their_systems(ledger: Any, session: Any) -> None:
    import datetime as dt

    from inventory.choices import Hosting
    from migration.models import Exemption
    from security.grading.models import MlpsGrading
    from security.response.models import EmergencyPlan

    unit = ledger.unit()
    system = ledger.system(unit, hosting=Hosting.LEGACY)
    session.commit()
    process_pending(session)
    session.commit()
    ledger.add(MlpsGrading(system_id=system.id, level=2, graded_on=dt.date(2026, 3, 2)))
    exemption = ledger.add(
        Exemption(
            system_id=system.id,
            reason="专网依赖",
            approver="县政务信息管理局",
            approval_reference="襄政信函〔2026〕9号",
            approved_on=dt.date(2026, 3, 2),
            expires_on=dt.date(2026, 12, 31),
        )
    )
    session.commit()
    assert _queued(session) == [system.id]
    report = process_pending(session)
    session.commit()
    assert report is not None and report["requests"] == 1
    exemption.expires_on = dt.date(2026, 6, 30)  # the exemption's end moved: re-judge 第三十五条
    session.commit()
    assert _queued(session) == [system.id]
    ledger.add(EmergencyPlan(name="单位预案", unit_id=unit.id, approved_on=dt.date(2026, 3, 2)))
    session.commit()  # a unit plan covers all the unit's systems: whole ledger
    assert _queued(session) == [system.id, None]


def test_pump_reads_without_the_write_lock_and_keeps_requests_queued_meanwhile(
    ledger: Any, session: Any, engine: Any, monkeypatch: Any
) -> None:
    """While the pump's rules read (seconds at province scale), another connection can write at once.

    On SQLite the rules read in their own transaction and the findings are stored in a second one;
    a request queued during the reading is not taken by that run.
    """
    import threading

    from sqlalchemy import text

    from security.findings import engine as findings_engine
    from security.findings.choices import Severity
    from security.findings.rules import Rule

    unit = ledger.unit()
    system = ledger.system(unit, data_sharing=DataSharing.NOT_SHARING)
    session.commit()
    reading, release = threading.Event(), threading.Event()

    def slow(snap: Any) -> list[Any]:
        reading.set()
        assert release.wait(30)
        return []

    slow_rule = Rule("test.slow", "慢规则", Severity.LOW, "测试", "第一条", slow)
    monkeypatch.setattr(findings_engine, "all_rules", lambda: [slow_rule])
    outcome: dict[str, Any] = {}

    def pump() -> None:
        try:
            with tzdb.session_scope(actor="system:findings", write=False) as s:
                outcome["result"] = process_pending(s, release_reads=True)
        except BaseException as exc:  # reported below
            outcome["error"] = exc

    worker = threading.Thread(target=pump)
    worker.start()
    assert reading.wait(30)
    try:
        # Another writer: it must not wait behind the reading pump (which waits for this write to
        # end before it goes on: a pump holding the lock makes this fail at the busy timeout).
        started = time.monotonic()
        with tzdb.session_scope(actor="other") as other:
            if engine.dialect.name == "postgresql":
                other.execute(text("SET LOCAL lock_timeout = '2s'"))
            other.get(type(system), system.id).purpose = "读取期间的修改"
        assert time.monotonic() - started < 2
    finally:
        release.set()
        worker.join(30)
    assert "error" not in outcome, outcome.get("error")
    assert outcome["result"] is not None and outcome["result"]["requests"] == 1
    # The write made while the pump read queued its system again: that request is still there.
    assert _queued(session) == [system.id]
