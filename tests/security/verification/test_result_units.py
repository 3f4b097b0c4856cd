"""A current check result carries its host's unit (the exporter counts by it without a join).

Every way a result is written fills the copy, and every way a host changes unit carries it along:
ingest (driver SQL), an ORM insert, a host moved through the API, a bulk UPDATE of hosts, and a
database upgraded from revision 0001 that already held results.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from db_support import create_pg_database
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from inventory.choices import HostKind, UnitKind
from inventory.models import Host, Unit
from security.verification.choices import CheckOutcome
from security.verification.models import CheckResult
from security.verification.service import ingest_results
from taizhang import db
from taizhang.schema import upgrade

API = "/api/v1/inventory"
PG_ENV = "TAIZHANG_TEST_POSTGRES_URL"
AT = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)


def _unit(client: TestClient, code: str) -> int:
    r = client.post(f"{API}/units", json={"code": code, "name": f"单位{code}", "kind": "county_department"})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _host(client: TestClient, name: str, unit_id: int) -> int:
    r = client.post(f"{API}/hosts", json={"hostname": name, "kind": "virtual", "unit_id": unit_id})
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _result(host_id: int, check: str, outcome: CheckOutcome = CheckOutcome.PASS) -> dict[str, Any]:
    return {
        "host_id": host_id,
        "check_id": check,
        "outcome": outcome,
        "evidence": "证据",
        "observed": {"os_id": "kylin"},
        "checked_at": AT,
        "run_id": None,
    }


def _units() -> dict[tuple[int, str], int | None]:
    with db.session_scope(write=False) as s:
        rows = s.execute(select(CheckResult.host_id, CheckResult.check_id, CheckResult.unit_id))
        return {(h, c): u for h, c, u in rows}


def test_every_write_path_keeps_the_unit(client: TestClient) -> None:
    first, second = _unit(client, "U1"), _unit(client, "U2")
    moved, stays, orm_host = (
        _host(client, "h-moved", first),
        _host(client, "h-stays", first),
        _host(client, "h-orm", second),
    )
    with db.session_scope(actor="test") as s:
        ingest_results(s, [_result(moved, "TZ-SSH-001"), _result(stays, "TZ-SSH-001")])
        s.add(CheckResult(host_id=orm_host, check_id="TZ-SSH-001", outcome=CheckOutcome.FAIL, checked_at=AT))
    assert _units() == {
        (moved, "TZ-SSH-001"): first,
        (stays, "TZ-SSH-001"): first,
        (orm_host, "TZ-SSH-001"): second,
    }
    # The stored values read back as written (the driver path converts as the ORM would).
    with db.session_scope(write=False) as s:
        stored = s.execute(select(CheckResult).where(CheckResult.host_id == moved)).scalar_one()
        assert (stored.outcome, stored.observed, stored.checked_at) == (
            CheckOutcome.PASS,
            {"os_id": "kylin"},
            AT,
        )

    r = client.patch(f"{API}/hosts/{moved}", json={"unit_id": second})
    assert r.status_code == 200, r.text
    assert _units()[(moved, "TZ-SSH-001")] == second
    assert _units()[(stays, "TZ-SSH-001")] == first

    # A result upserted again after the move takes the host's new unit, not the old copy.
    with db.session_scope(actor="test") as s:
        ingest_results(s, [_result(moved, "TZ-SSH-001", CheckOutcome.FAIL), _result(moved, "TZ-FW-001")])
    assert _units()[(moved, "TZ-FW-001")] == second

    # A bulk UPDATE that bypasses the ORM (as a sheet import's does) is followed too.
    with db.session_scope(actor="test") as s:
        s.execute(update(Host).where(Host.id.in_([moved, stays])).values(unit_id=first))
    assert {k: v for k, v in _units().items() if k[0] in (moved, stays)} == {
        (moved, "TZ-SSH-001"): first,
        (moved, "TZ-FW-001"): first,
        (stays, "TZ-SSH-001"): first,
    }


def test_upgrade_from_0001_fills_the_unit(backend_url: str, tmp_path: Path) -> None:
    """Results recorded before revision 0002 get their host's unit when the database is upgraded."""
    if backend_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'old.db'}"
        drop = None
    else:
        url, drop = create_pg_database(os.environ[PG_ENV])
    engine = db.make_engine(url)
    try:
        upgrade(engine, "0001")
        with Session(engine) as s:  # units and hosts are the same in 0001; results are not
            units = [Unit(code=f"U{n}", name=f"单位{n}", kind=UnitKind.COUNTY_DEPARTMENT) for n in (7, 8)]
            s.add_all(units)
            s.flush()
            host = Host(hostname="old-host", kind=HostKind.VIRTUAL, unit_id=units[0].id)
            s.add(host)
            s.flush()
            ids = host.id, units[0].id, units[1].id
            s.execute(
                text(
                    "INSERT INTO check_results (host_id, check_id, outcome, evidence, observed, checked_at) "
                    "VALUES (:host, 'TZ-SSH-001', 'pass', '', '{}', CURRENT_TIMESTAMP)"
                ),
                {"host": ids[0]},
            )
            s.commit()
        upgrade(engine)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT unit_id FROM check_results")).scalar_one() == ids[1]
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE hosts SET unit_id = :unit WHERE id = :host"), {"unit": ids[2], "host": ids[0]}
            )
        with engine.connect() as conn:
            assert conn.execute(text("SELECT unit_id FROM check_results")).scalar_one() == ids[2]
    finally:
        engine.dispose()
        if drop is not None:
            drop()
