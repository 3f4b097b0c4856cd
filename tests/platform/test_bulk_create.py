"""Bulk creates are written in batches, yet check, log, scope and notify each row as a single create does."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from inventory import schemas as s
from inventory.entities import HOSTS, NETWORK_ATTACHMENTS, PROJECTS, SYSTEMS, UNITS
from inventory.models import Host, System, host_systems
from security.findings.models import FindingEvaluationRequest
from taizhang import bulk, crud, db
from taizhang.changelog import ChangeLogEntry, verify_chain

API = "/api/v1/inventory"
PER_ROW = {"id", "hostname", "catalogue_number", "name", "created_at", "updated_at"}


def _post(client: TestClient, path: str, body: Any, request_id: str = "") -> Any:
    headers = {"X-Request-ID": request_id} if request_id else {}
    r = client.post(f"{API}/{path}", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def _ledger(client: TestClient) -> tuple[int, int, list[int]]:
    unit = _post(client, "units", {"code": "U01", "name": "县教育局", "kind": "county_department"})
    other = _post(client, "units", {"code": "U02", "name": "县民政局", "kind": "county_department"})
    systems = [
        _post(client, "systems", {"catalogue_number": f"XF-{i}", "name": f"系统{i}", "owner_unit_id": owner})
        for i, owner in enumerate((unit["id"], unit["id"], other["id"]))
    ]
    return unit["id"], other["id"], [x["id"] for x in systems]


def _entry(object_type: str, object_id: int) -> ChangeLogEntry:
    with db.session_scope(write=False) as session:
        stmt = select(ChangeLogEntry).where(
            ChangeLogEntry.object_type == object_type, ChangeLogEntry.object_id == object_id
        )
        (row,) = session.execute(stmt).scalars().all()
        session.expunge(row)
        return row


def _moment(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _same_as_single(single: ChangeLogEntry, batched: ChangeLogEntry, created: dict[str, Any]) -> None:
    """The same content but for what differs from row to row (id, name, time of writing)."""
    assert batched.action == single.action == "create"
    assert (batched.object_type, batched.before, batched.message) == (
        single.object_type,
        None,
        single.message,
    )
    assert batched.after is not None and single.after is not None
    assert set(batched.after) == set(single.after)
    assert {k: v for k, v in batched.after.items() if k not in PER_ROW} == {
        k: v for k, v in single.after.items() if k not in PER_ROW
    }
    assert batched.after["id"] == created["id"] == batched.object_id
    assert _moment(batched.after["created_at"]) == _moment(created["created_at"])
    assert batched.object_repr == (created.get("hostname") or created["name"])


def test_a_bulk_created_host_is_logged_and_answered_as_a_single_create(client: TestClient) -> None:
    unit, _other, systems = _ledger(client)
    base = {
        "kind": "physical",
        "ip_addresses": ["10.0.0.1", " fe80::1 ", "10.0.0.1"],
        "os_name": "银河麒麟高级服务器操作系统",
        "os_version": "V10 SP3",
        "cpu_arch": "aarch64",
        "unit_id": unit,
        "system_ids": [systems[1], systems[0], systems[1]],
        "replacement_plan": "替换为国产服务器",
        "replacement_date": "2027-06-30",
    }
    single = _post(client, "hosts", {**base, "hostname": "single-01"}, "req-single")
    batch = _post(client, "hosts", [{**base, "hostname": f"bulk-{i:02d}"} for i in range(3)], "req-bulk")

    one = _entry("inventory.host", single["id"])
    assert one.request_id == "req-single" and one.after is not None
    assert one.after["systems"] == sorted(systems[:2])
    for created in batch:
        entry = _entry("inventory.host", created["id"])
        _same_as_single(one, entry, created)
        assert (entry.actor, entry.request_id) == (one.actor, "req-bulk")
        # the answer is what reading the row back gives, and matches the single create's
        assert client.get(f"{API}/hosts/{created['id']}").json() == created
        assert {k: v for k, v in created.items() if k not in PER_ROW} == {
            k: v for k, v in single.items() if k not in PER_ROW
        }
    with db.session_scope(write=False) as session:
        assert verify_chain(session).ok
        links = session.execute(select(func.count()).select_from(host_systems)).scalar_one()
    assert links == 2 * 4


def test_a_bulk_created_system_is_logged_as_a_single_create(client: TestClient) -> None:
    unit, _other, _systems = _ledger(client)
    base = {
        "owner_unit_id": unit,
        "lifecycle": "running",
        "base_libraries_fed": ["spatial", "natural_person"],
    }
    single = _post(client, "systems", {**base, "catalogue_number": "S-1", "name": "单建系统"})
    batch = _post(
        client, "systems", [{**base, "catalogue_number": f"B-{i}", "name": f"批量系统{i}"} for i in range(2)]
    )
    one = _entry("inventory.system", single["id"])
    for created in batch:
        _same_as_single(one, _entry("inventory.system", created["id"]), created)
        assert client.get(f"{API}/systems/{created['id']}").json() == created


def test_an_imported_host_is_logged_as_a_single_create(
    client: TestClient, engine: object, tmp_path: Path
) -> None:
    from exporters.sheets.service import run_import

    unit, _other, _systems = _ledger(client)
    single = _post(
        client,
        "hosts",
        {
            "hostname": "single-01",
            "kind": "virtual",
            "ip_addresses": ["10.1.0.1"],
            "os_name": "openEuler",
            "unit_id": unit,
            "system_ids": [_systems[0]],
        },
    )
    path = tmp_path / "主机.csv"
    path.write_text(
        "主机名,主机类型,IP 地址,操作系统,所属单位,承载的信息系统\nimported-01,虚拟机,10.1.0.1,openEuler,U01,XF-0\n",
        encoding="utf-8",
    )
    with db.session_scope(actor="cli:importer") as session:
        result = run_import(session, path, display_name=path.name)
    assert result.ok, result.problems
    with db.session_scope(write=False) as session:
        imported = session.execute(select(Host).where(Host.hostname == "imported-01")).scalar_one()
        created = {
            "id": imported.id,
            "hostname": imported.hostname,
            "created_at": imported.created_at.isoformat(),
        }
    entry = _entry("inventory.host", imported.id)
    assert entry.actor == "cli:importer"
    _same_as_single(_entry("inventory.host", single["id"]), entry, created)


def _counts() -> tuple[int, int, int]:
    with db.session_scope(write=False) as session:
        return (
            session.execute(select(func.count()).select_from(Host)).scalar_one(),
            session.execute(select(func.count()).select_from(host_systems)).scalar_one(),
            session.execute(select(func.count()).select_from(ChangeLogEntry)).scalar_one(),
        )


@pytest.mark.parametrize(
    ("bad", "status", "field", "message"),
    [
        ({"system_ids": [999999]}, 422, "[2].system_ids", "信息系统 999999 不存在"),
        ({"unit_id": 999999}, 422, "[2].unit_id", "单位 999999 不存在"),
        ({"hostname": "h-00"}, 409, "[2].hostname", "主机已存在：主机名“h-00”"),
        ({"hostname": "taken"}, 409, "[2].hostname", "主机已存在：主机名“taken”"),
        (
            {"netbox_kind": "vm", "netbox_id": 7},
            409,
            "[2].netbox_id",
            "主机已存在：NetBox 对象类型“vm”、NetBox 编号“7”",
        ),
        ({"ip_addresses": ["10.0.0.300"]}, 422, "[2].ip_addresses", "10.0.0.300"),
        ({"kind": None}, 422, "[2].kind", None),
    ],
)
def test_one_bad_row_in_the_middle_writes_nothing(
    client: TestClient, bad: dict[str, Any], status: int, field: str, message: str | None
) -> None:
    unit, _other, systems = _ledger(client)
    _post(client, "hosts", {"hostname": "taken", "kind": "virtual", "netbox_kind": "vm", "netbox_id": 7})
    before = _counts()
    body = [
        {"hostname": f"h-{i:02d}", "kind": "virtual", "unit_id": unit, "system_ids": [systems[i % 2]]}
        for i in range(5)
    ]
    body[2].update(bad)
    r = client.post(f"{API}/hosts", json=body)
    assert r.status_code == status, r.text
    answer = r.json()
    if status == 422 and "errors" in answer:  # the request schema's verdict
        assert answer["errors"][0]["field"] == field
        assert message is None or message in answer["errors"][0]["msg"]
    else:
        assert answer["field"] == field
        assert answer["detail"] == message
    assert _counts() == before


def test_unit_users_bulk_create_only_their_units_hosts(
    anon: TestClient, client: TestClient, make_user: Callable[..., dict[str, str]]
) -> None:
    unit, other, systems = _ledger(client)
    headers = make_user("edu_li", "unit", (unit,))
    before = _counts()
    rows = [
        {"hostname": "edu-01", "kind": "virtual", "unit_id": unit},
        {"hostname": "edu-02", "kind": "virtual", "system_ids": [systems[0]]},
    ]
    foreign_system = {"hostname": "x-01", "kind": "virtual", "system_ids": [systems[2]]}
    foreign_unit = {"hostname": "x-02", "kind": "virtual", "unit_id": other}
    nobody = {"hostname": "x-03", "kind": "virtual"}
    refused = [
        (foreign_system, 422, f"信息系统 {systems[2]} 不存在"),
        (foreign_unit, 422, f"单位 {other} 不存在"),
        (nobody, 403, "只能登记或修改本单位的主机"),
    ]
    for row, status, detail in refused:
        r = anon.post(f"{API}/hosts", json=[*rows, row], headers=headers)
        assert (r.status_code, r.json()["detail"]) == (status, detail)
        assert _counts() == before
    r = anon.post(f"{API}/hosts", json=rows, headers=headers)
    assert r.status_code == 201, r.text
    assert [h["hostname"] for h in r.json()] == ["edu-01", "edu-02"]
    assert _entry("inventory.host", r.json()[0]["id"]).actor == "edu_li"


def _requests() -> list[int | None]:
    with db.session_scope() as session:
        rows = session.execute(select(FindingEvaluationRequest.system_id)).scalars().all()
        session.execute(FindingEvaluationRequest.__table__.delete())
    return sorted(rows, key=lambda i: -1 if i is None else i)


def test_a_batch_asks_the_findings_queue_what_single_creates_ask(engine: object) -> None:
    with db.session_scope(actor="test") as session:
        unit = crud.create(session, UNITS, s.UnitCreate(code="U9", name="县应急局", kind="county_department"))
        system_ids = [
            crud.create(
                session,
                SYSTEMS,
                s.SystemCreate(catalogue_number=f"YJ-{i}", name=f"应急系统{i}", owner_unit_id=unit.id),
            ).id
            for i in range(2)
        ]
    _requests()
    linked = [
        s.HostCreate(hostname=f"linked-{i}", kind="virtual", system_ids=system_ids[i:]) for i in range(2)
    ]
    alone = s.HostCreate(hostname="alone", kind="virtual")  # no system: every system may be concerned
    for payloads, asked in ((linked, sorted(system_ids)), ([*linked, alone], [None])):
        with db.session_scope(actor="test") as session:
            for payload in payloads:
                crud.create(session, HOSTS, payload)
        assert _requests() == asked
        with db.session_scope(actor="test") as session:
            session.execute(Host.__table__.delete())
        _requests()
        with db.session_scope(actor="test") as session:
            created = crud.create_many(session, HOSTS, payloads)
            assert all(isinstance(c, crud.Created) for c in created)
        assert _requests() == asked
        with db.session_scope(actor="test") as session:
            session.execute(Host.__table__.delete())
        _requests()


def test_entities_with_their_own_create_code_stay_on_the_orm(engine: object) -> None:
    assert bulk.batchable(HOSTS) and bulk.batchable(SYSTEMS)
    # a validate hook is code of the entity's own: such entities are created object by object
    with db.session_scope(actor="test") as session:
        unit = crud.create(session, UNITS, s.UnitCreate(code="U9", name="县应急局", kind="county_department"))
        system = crud.create(
            session, SYSTEMS, s.SystemCreate(catalogue_number="YJ-1", name="应急系统", owner_unit_id=unit.id)
        )
        made = crud.create_many(
            session,
            NETWORK_ATTACHMENTS,
            [
                s.NetworkAttachmentCreate(system_id=system.id, network="internet", name=f"出口{i}")
                for i in range(2)
            ],
        )
        assert not any(isinstance(m, crud.Created) for m in made)
        assert PROJECTS.validate is not None
    with db.session_scope(write=False) as session:
        assert session.execute(select(func.count()).select_from(System)).scalar_one() == 1
        assert verify_chain(session).ok


def test_start_up_objects_are_left_out_of_garbage_collection(client: TestClient) -> None:
    """A full collection would walk every module, schema and route at each large request."""
    import gc

    assert gc.get_freeze_count() > 10_000


def test_an_import_changing_a_host_logs_and_notifies_as_an_update(engine: object, tmp_path: Path) -> None:
    from exporters.sheets.service import run_import

    with db.session_scope(actor="test") as session:
        unit = crud.create(session, UNITS, s.UnitCreate(code="U9", name="县应急局", kind="county_department"))
        first, second = (
            crud.create(
                session,
                SYSTEMS,
                s.SystemCreate(catalogue_number=f"YJ-{i}", name=f"应急系统{i}", owner_unit_id=unit.id),
            ).id
            for i in range(2)
        )
        hosts = [
            crud.create(
                session,
                HOSTS,
                s.HostCreate(
                    hostname=name, kind="virtual", os_version="V1", unit_id=unit.id, system_ids=[first]
                ),
            ).id
            for name in ("patched", "imported")
        ]
    _requests()
    with db.session_scope(actor="cli:importer") as session:
        crud.update(session, HOSTS, hosts[0], s.HostUpdate(os_version="V2", system_ids=[second]))
    by_orm = _requests()
    path = tmp_path / "主机.csv"
    path.write_text(
        "主机名,主机类型,操作系统版本,承载的信息系统\nimported,虚拟机,V2,YJ-1\n", encoding="utf-8"
    )
    with db.session_scope(actor="cli:importer") as session:
        result = run_import(session, path, display_name=path.name)
    assert result.ok and result.sheets[0].updated == 1, result.problems
    assert _requests() == by_orm == sorted([first, second])
    with db.session_scope(write=False) as session:
        entries = {
            e.object_id: e
            for e in session.execute(
                select(ChangeLogEntry).where(
                    ChangeLogEntry.action == "update", ChangeLogEntry.object_id.in_(hosts)
                )
            ).scalars()
        }
        assert verify_chain(session).ok
    patched, imported = entries[hosts[0]], entries[hosts[1]]
    assert (imported.actor, imported.object_type, imported.object_repr) == (
        "cli:importer",
        "inventory.host",
        "imported",
    )
    for side in ("before", "after"):
        mine, theirs = getattr(imported, side), getattr(patched, side)
        assert set(mine) == set(theirs)
        assert {k: v for k, v in mine.items() if k not in PER_ROW} == {
            k: v for k, v in theirs.items() if k not in PER_ROW
        }
    assert imported.after["version"] == 2 and imported.after["systems"] == [second]
    assert imported.before["systems"] == [first] and imported.before["os_version"] == "V1"
