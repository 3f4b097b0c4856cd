"""``taizhang netbox sync`` against a real NetBox (see conftest.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest
from netbox_harness.county import add_vm
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload
from typer.testing import CliRunner

from inventory.choices import Hosting, HostKind, HostLifecycle, SystemLifecycle, UnitKind
from inventory.models import Host, System, Unit
from inventory.netbox import sync as sync_service
from inventory.netbox.client import NetboxClient
from inventory.netbox.models import NetboxSyncState
from taizhang.changelog import ChangeLogEntry
from taizhang.cli import app

pytestmark = pytest.mark.netbox
runner = CliRunner()


def seed_ledger(session: Session) -> dict[str, Any]:
    """Units and systems the county's hosts point at, and one host recorded by hand."""
    jy = Unit(code="XF-JY", name="县教育局", kind=UnitKind.COUNTY_DEPARTMENT)
    wj = Unit(code="XF-WJ", name="卫健局（旧名）", kind=UnitKind.COUNTY_DEPARTMENT)
    session.add_all([jy, wj])
    session.flush()
    common = {"lifecycle": SystemLifecycle.RUNNING}
    edu = System(
        catalogue_number="XF-JY-001",
        name="教育资助系统",
        owner_unit_id=jy.id,
        hosting=Hosting.CITY_CLOUD,
        mlps_level=3,
        **common,
    )
    med = System(
        catalogue_number="XF-WJ-001",
        name="基层医疗系统",
        owner_unit_id=wj.id,
        hosting=Hosting.LEGACY,
        mlps_level=2,
        **common,
    )
    manual = Host(hostname="xf-bare-03", kind=HostKind.VIRTUAL, os_name="手工录入")
    session.add_all([edu, med, manual])
    session.commit()
    return {"jy": jy.id, "wj": wj.id, "manual": manual.id}


def hosts(session: Session) -> dict[str, Host]:
    session.expire_all()
    rows = session.execute(select(Host).options(selectinload(Host.systems))).scalars()
    return {h.hostname: h for h in rows}


def make_client(netbox: Any, token: str | None = None) -> NetboxClient:
    return NetboxClient(netbox.url, token or netbox.token, page_size=2, retries=2)


def test_sync_maps_every_field_dry_run_first(
    session: Session, county: dict[str, Any], netbox_env: Any
) -> None:
    ids = seed_ledger(session)
    preview = runner.invoke(app, ["netbox", "sync", "--dry-run"])
    assert preview.exit_code == 0, preview.output
    assert "+ 新增设备 xf-db-01" in preview.output and "+ 新增虚拟机 xf-web-01" in preview.output
    assert "~ 变更虚拟机 xf-bare-03" in preview.output and "~ 变更单位 XF-WJ" in preview.output
    assert "预览（未写入）（全量" in preview.output
    assert set(hosts(session)) == {"xf-bare-03"}
    assert session.scalar(select(func.count()).select_from(NetboxSyncState)) == 0

    done = runner.invoke(app, ["netbox", "sync", "--json"])
    assert done.exit_code == 0, done.output
    report = json.loads(done.output)
    assert report["dry_run"] is False and report["incremental"] == {"device": False, "vm": False}
    by_host = hosts(session)
    db01, web01 = by_host["xf-db-01"], by_host["xf-web-01"]
    assert (db01.netbox_kind, db01.netbox_id) == ("device", county["devices"]["db01"].id)
    assert db01.kind == HostKind.PHYSICAL and db01.ip_addresses == ["10.10.1.11"]
    assert (db01.os_name, db01.os_version) == ("openEuler", "22.03 LTS")
    assert db01.location == "县政务数据中心 / 一号机房 / A01" and db01.role == "db-server"
    assert db01.unit_id == ids["jy"] and db01.system_ids == [s.id for s in db01.systems]
    assert [s.catalogue_number for s in db01.systems] == ["XF-JY-001"]
    assert db01.lifecycle == HostLifecycle.ACTIVE
    assert (web01.netbox_kind, web01.netbox_id) == ("vm", county["vms"]["web01"].id)
    assert web01.kind == HostKind.VIRTUAL and web01.ip_addresses == ["10.20.0.5", "2001:db8::5"]
    assert (web01.os_name, web01.os_version, web01.role) == ("Kylin", "V10", "web-server")
    assert web01.location == "县政务数据中心 / 集群 政务云一区" and web01.unit_id == ids["jy"]
    assert sorted(s.catalogue_number for s in web01.systems) == ["XF-JY-001", "XF-WJ-001"]
    app02 = by_host["xf-app-02"]
    assert app02.unit_id == ids["wj"] and [s.catalogue_number for s in app02.systems] == ["XF-WJ-001"]
    assert by_host["xf-spare-01"].lifecycle == HostLifecycle.RETIRED  # status offline in NetBox
    adopted = by_host["xf-bare-03"]
    assert adopted.id == ids["manual"] and (adopted.netbox_kind, adopted.os_name) == ("vm", "")
    assert session.get(Unit, ids["wj"]).name == "县卫生健康局"  # type: ignore[union-attr]
    assert {r.object_kind for r in session.execute(select(NetboxSyncState)).scalars()} == {"device", "vm"}

    again = runner.invoke(app, ["netbox", "sync"])
    assert again.exit_code == 0, again.output
    assert "已同步（增量" in again.output and "新增 0，变更 0，下线 0" in again.output


def test_incremental_change_and_retire_keep_history(
    session: Session, county: dict[str, Any], netbox_env: Any
) -> None:
    seed_ledger(session)
    client = make_client(netbox_env)
    options = sync_service.SyncOptions()
    sync_service.sync(session, client, options)
    session.commit()
    suffix = uuid.uuid4().hex[:6]
    keep = add_vm(county["nb"], county, f"xf-tmp-{suffix}-a", platform=county["platforms"]["euler"].id)
    gone = add_vm(county["nb"], county, f"xf-tmp-{suffix}-b")
    try:
        first = sync_service.sync(session, client, options)
        session.commit()
        assert first.incremental == {"device": True, "vm": True}
        assert {(c.action, c.key) for c in first.changes} == {("new", keep.name), ("new", gone.name)}

        before_edit = dt.datetime.now(dt.UTC)
        keep.update({"platform": county["platforms"]["kylin"].id})
        known = {h.netbox_id for h in hosts(session).values() if h.netbox_kind == "vm" and h.netbox_id}
        changed, _ = sync_service._fetch_kind(client, "vm", before_edit, known=known)
        assert [r["id"] for r in changed] == [keep.id]  # last_updated__gte is honoured, not ignored
        gone.delete()
        second = sync_service.sync(session, client, options)
        session.commit()
        summary = {(c.action, c.key): c.fields for c in second.changes}
        assert summary[("changed", keep.name)] == {
            "os_name": ("openEuler", "Kylin"),
            "os_version": ("22.03 LTS", "V10"),
        }
        assert ("retired", gone.name) in summary and len(summary) == 2
        retired = hosts(session)[gone.name]
        assert retired.lifecycle == HostLifecycle.RETIRED and retired.netbox_id == gone.id
        history = session.execute(
            select(ChangeLogEntry).where(
                ChangeLogEntry.object_type == "inventory.host", ChangeLogEntry.object_id == retired.id
            )
        ).scalars()
        assert [e.action for e in history] == ["create", "update"]
        assert sync_service.sync(session, client, options).changes == []
    finally:
        keep.delete()


def test_tenant_groups_as_units(
    session: Session, county: dict[str, Any], netbox_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from taizhang.settings import reset_settings_cache

    monkeypatch.setenv("TAIZHANG_NETBOX_UNIT_SOURCE", "tenant_group")
    monkeypatch.setenv("TAIZHANG_NETBOX_UNIT_KIND", "township")
    reset_settings_cache()
    result = runner.invoke(app, ["netbox", "sync"])
    assert result.exit_code == 0, result.output
    unit = session.execute(select(Unit).where(Unit.code == "county-departments")).scalar_one()
    assert (unit.name, unit.kind) == ("县直部门", UnitKind.TOWNSHIP)
    assert hosts(session)["xf-web-01"].unit_id == unit.id
    assert hosts(session)["xf-bare-03"].unit_id is None  # no tenant in NetBox
    assert "XF-JY-001 在台账中不存在" in result.output  # systems named in NetBox but not in this ledger


def test_v1_token_and_bad_tokens(session: Session, county: dict[str, Any], netbox_env: Any) -> None:
    ok = runner.invoke(app, ["netbox", "sync", "--dry-run", "--token", netbox_env.v1_token])
    assert ok.exit_code == 0, ok.output
    for bad in ("f" * 40, "nbt_badKey000001.0123456789abcdef0123456789abcdef01234567"):
        result = runner.invoke(app, ["netbox", "sync", "--token", bad])
        assert result.exit_code == 2
        assert "NetBox 拒绝访问（HTTP 403" in result.output or "NetBox 拒绝访问（HTTP 401" in result.output
        assert bad not in result.output and netbox_env.token not in result.output
    assert hosts(session) == {}


def test_unreachable_netbox_is_a_clear_message(session: Session, netbox_env: Any) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = runner.invoke(app, ["netbox", "sync", "--url", f"http://127.0.0.1:{port}"])
    assert result.exit_code == 2
    assert f"无法连接 NetBox（http://127.0.0.1:{port}" in result.output
    assert netbox_env.token not in result.output
    missing = runner.invoke(app, ["netbox", "sync", "--url", "ftp://example"])
    assert missing.exit_code == 2 and "NetBox 地址无效" in missing.output
