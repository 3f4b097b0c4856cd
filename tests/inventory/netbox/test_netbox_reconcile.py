"""The diff/apply step on its own: a snapshot as NetBox would give it, against the ledger database."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.choices import HostKind, HostLifecycle, UnitKind
from inventory.models import Host, Unit
from inventory.netbox import mapping
from inventory.netbox import sync as sync_service


def snapshot(*vms: dict[str, Any], units: tuple[mapping.UnitRecord, ...] = ()) -> sync_service.Snapshot:
    return sync_service.Snapshot(
        started_at=dt.datetime.now(dt.UTC),
        units=list(units),
        tenant_units={u.netbox_id: u.code for u in units},
        hosts=[mapping.host_from_record("vm", vm, system_field="taizhang_systems") for vm in vms],
        present={"device": set(), "vm": {int(vm["id"]) for vm in vms}},
        incremental={"device": False, "vm": False},
    )


def reconcile(
    session: Session, snap: sync_service.Snapshot, dry_run: bool = False
) -> sync_service.SyncResult:
    result = sync_service.reconcile(
        session, snap, sync_service.SyncOptions(), url="http://nb", dry_run=dry_run
    )
    session.commit()
    return result


def test_dry_run_lists_and_writes_nothing_then_apply_is_idempotent(session: Session) -> None:
    snap = snapshot(
        {"id": 1, "name": "a", "tenant": {"id": 5}}, units=(mapping.UnitRecord(5, "T1", "单位一"),)
    )
    preview = reconcile(session, snap, dry_run=True)
    assert preview.counts() == {"new": 2, "changed": 0, "retired": 0}
    assert session.execute(select(Host)).first() is None and session.execute(select(Unit)).first() is None
    assert reconcile(session, snap).counts() == {"new": 2, "changed": 0, "retired": 0}
    assert reconcile(session, snap).changes == []
    host = session.execute(select(Host)).scalar_one()
    unit = session.execute(select(Unit)).scalar_one()
    assert (host.hostname, host.kind, host.unit_id, unit.kind) == (
        "a",
        HostKind.VIRTUAL,
        unit.id,
        UnitKind.COUNTY_DEPARTMENT,
    )


def test_conflicts_and_unknown_systems_are_warnings_not_writes(session: Session) -> None:
    linked = Host(hostname="taken", kind=HostKind.PHYSICAL, netbox_kind="device", netbox_id=1)
    session.add_all([linked, Unit(code="OTHER", name="单位二", kind=UnitKind.TOWNSHIP)])
    session.commit()
    snap = snapshot(
        {"id": 2, "name": "taken"},
        {"id": 3, "name": None},
        {"id": 4, "name": "ok", "custom_fields": {"taizhang_systems": "XF-404"}},
        units=(mapping.UnitRecord(9, "T9", "单位二"),),  # same name, new code: adopted, not duplicated
    )
    snap.present["device"] = {1}
    result = reconcile(session, snap)
    assert [(c.action, c.key) for c in result.changes] == [("new", "ok")]
    assert any("主机名 taken 已被台账中另一台 NetBox 主机使用" in w for w in result.warnings)
    assert any("虚拟机 #3：没有名称" in w for w in result.warnings)
    assert any("XF-404 在台账中不存在" in w for w in result.warnings)
    assert session.execute(select(Host).where(Host.hostname == "taken")).scalar_one().netbox_kind == "device"


def test_disappeared_host_is_retired_once(session: Session) -> None:
    reconcile(session, snapshot({"id": 1, "name": "a"}))
    gone = snapshot()
    assert [(c.action, c.key) for c in reconcile(session, gone).changes] == [("retired", "a")]
    assert reconcile(session, gone).changes == []
    host = session.execute(select(Host)).scalar_one()
    assert host.lifecycle == HostLifecycle.RETIRED and host.netbox_id == 1
