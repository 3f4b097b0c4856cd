"""``netbox sync``: read NetBox completely, diff it against the ledger, then apply in one transaction.

NetBox is read first (every page) and only then is anything written, so an unreachable NetBox, a bad
token or a page failing halfway leaves the ledger untouched. Hosts are keyed by (kind, NetBox id);
a host that disappears from NetBox is marked 已下线, never deleted, so its history stays. Incremental
runs (after a first full run) fetch only objects with ``last_updated`` since the previous run, plus
the id list of every object (to see deletions) and any object the ledger does not know yet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from inventory.choices import HostLifecycle, UnitKind
from inventory.models import Host, System, Unit
from inventory.netbox import mapping
from inventory.netbox.client import NetboxClient
from inventory.netbox.models import NetboxSyncState
from taizhang.db import utcnow
from taizhang.enums import LabeledEnum

ENDPOINTS = {mapping.DEVICE: "dcim.devices", mapping.VM: "virtualization.virtual_machines"}
KIND_LABELS = {"unit": "单位", mapping.DEVICE: "设备", mapping.VM: "虚拟机"}
ACTION_LABELS = {"new": "新增", "changed": "变更", "retired": "下线"}
# Incremental runs look back this much before the previous start, against clock skew between hosts.
INCREMENTAL_OVERLAP = dt.timedelta(minutes=10)
HOST_FIELDS = ("hostname", "kind", "ip_addresses", "os_name", "os_version", "location", "role", "lifecycle")


@dataclass(frozen=True)
class SyncOptions:
    unit_source: str = "tenant"
    unit_kind: UnitKind = UnitKind.COUNTY_DEPARTMENT
    tag_prefix: str = "tz-"
    system_field: str = "taizhang_systems"
    retired_statuses: tuple[str, ...] = ("offline", "decommissioning")


@dataclass
class Change:
    object_kind: str
    action: str
    key: str
    netbox_id: int
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "object_kind": self.object_kind,
            "action": self.action,
            "key": self.key,
            "netbox_id": self.netbox_id,
            "fields": {k: {"old": _show(o), "new": _show(n)} for k, (o, n) in self.fields.items()},
        }


@dataclass
class Snapshot:
    """What was read from NetBox, before anything is written."""

    started_at: dt.datetime
    units: list[mapping.UnitRecord]
    tenant_units: dict[int, str]
    hosts: list[mapping.HostRecord]
    present: dict[str, set[int]]
    incremental: dict[str, bool]


@dataclass
class SyncResult:
    dry_run: bool
    incremental: dict[str, bool]
    seen: dict[str, int]
    changes: list[Change] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {action: sum(1 for c in self.changes if c.action == action) for action in ACTION_LABELS}

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "incremental": self.incremental,
            "seen": self.seen,
            "counts": self.counts(),
            "changes": [c.as_dict() for c in self.changes],
            "warnings": self.warnings,
        }


def _show(value: Any) -> Any:
    if isinstance(value, LabeledEnum):
        return value.value
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_show(v) for v in value]
    return value


# ---- reading NetBox -------------------------------------------------------------------------


def _state(session: Session, url: str) -> dict[str, NetboxSyncState]:
    rows = session.execute(select(NetboxSyncState).where(NetboxSyncState.netbox_url == url)).scalars()
    return {row.object_kind: row for row in rows}


def _fetch_kind(
    client: NetboxClient, kind: str, since: dt.datetime | None, known: set[int]
) -> tuple[list[dict[str, Any]], set[int]]:
    path = ENDPOINTS[kind]
    if since is None:
        records = client.list(path, exclude="config_context")
        return records, {int(r["id"]) for r in records}
    present = {int(r["id"]) for r in client.list(path, fields="id")}
    records = client.list(path, exclude="config_context", last_updated__gte=since.isoformat())
    fetched = {int(r["id"]) for r in records}
    missing = sorted(present - known - fetched)
    for start in range(0, len(missing), 100):
        records += client.list(path, exclude="config_context", id=missing[start : start + 100])
    # NetBox ignores unknown filters silently; keep only what exists, whatever the server did.
    return [r for r in records if int(r["id"]) in present], present


def read_netbox(session: Session, client: NetboxClient, options: SyncOptions, *, full: bool) -> Snapshot:
    """Every page NetBox has for this sync; raises ``NetboxError`` before any write."""
    started_at = utcnow()
    client.status()
    state = {} if full else _state(session, client.url)
    tenants = client.list("tenancy.tenants")
    groups = client.list("tenancy.tenant_groups") if options.unit_source == "tenant_group" else tenants
    known = session.execute(select(Host.netbox_kind, Host.netbox_id).where(Host.netbox_id.is_not(None))).all()
    hosts: list[mapping.HostRecord] = []
    present: dict[str, set[int]] = {}
    incremental: dict[str, bool] = {}
    for kind in mapping.NETBOX_KINDS:
        since = state[kind].synced_at - INCREMENTAL_OVERLAP if kind in state else None
        incremental[kind] = since is not None
        records, present[kind] = _fetch_kind(
            client, kind, since, {i for k, i in known if k == kind and i is not None}
        )
        hosts += [
            mapping.host_from_record(
                kind,
                r,
                tag_prefix=options.tag_prefix,
                system_field=options.system_field,
                retired_statuses=options.retired_statuses,
            )
            for r in records
        ]
    return Snapshot(
        started_at=started_at,
        units=[mapping.unit_from_tenant(g) for g in groups],
        tenant_units=mapping.tenant_units(tenants, options.unit_source),
        hosts=hosts,
        present=present,
        incremental=incremental,
    )


# ---- reconciling --------------------------------------------------------------------------------


class _Ledger:
    def __init__(self, session: Session) -> None:
        self.units = {u.code: u for u in session.execute(select(Unit)).scalars()}
        self.unit_names = {u.name: u for u in self.units.values()}
        self.unit_codes = {u.id: u.code for u in self.units.values()}
        hosts = list(session.execute(select(Host).options(selectinload(Host.systems))).scalars())
        self.hosts = {(h.netbox_kind, h.netbox_id): h for h in hosts if h.netbox_id is not None}
        self.by_hostname = {h.hostname: h for h in hosts}
        self.systems = {s.catalogue_number.upper(): s for s in session.execute(select(System)).scalars()}


def _sync_units(
    session: Session, ledger: _Ledger, snap: Snapshot, opts: SyncOptions, result: SyncResult, apply: bool
) -> None:
    for record in snap.units:
        unit = ledger.units.get(record.code) or ledger.unit_names.get(record.name)
        if unit is None:
            result.changes.append(
                Change("unit", "new", record.code, record.netbox_id, {"name": (None, record.name)})
            )
            unit = Unit(code=record.code, name=record.name, kind=opts.unit_kind)
            if apply:
                session.add(unit)
            ledger.units[record.code] = ledger.unit_names[record.name] = unit
        elif unit.name != record.name:
            if record.name in ledger.unit_names:
                result.warnings.append(
                    f"单位 {record.code} 改名为“{record.name}”失败：该名称已被其他单位使用"
                )
                continue
            result.changes.append(
                Change("unit", "changed", unit.code, record.netbox_id, {"name": (unit.name, record.name)})
            )
            if apply:
                unit.name = record.name
            ledger.unit_names[record.name] = unit


def _desired(
    ledger: _Ledger, snap: Snapshot, record: mapping.HostRecord, result: SyncResult
) -> dict[str, Any]:
    values = dict(record.fields)
    code = snap.tenant_units.get(record.tenant_id) if record.tenant_id is not None else None
    values["unit"] = ledger.units.get(code) if code else None
    systems = []
    for number in record.system_numbers:
        system = ledger.systems.get(number)
        if system is None:
            result.warnings.append(
                f"{KIND_LABELS[record.netbox_kind]} {record.fields['hostname']}：系统目录编号 {number} 在台账中不存在，已忽略"
            )
        else:
            systems.append(system)
    values["systems"] = systems
    return values


def _diff(ledger: _Ledger, host: Host | None, values: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    changes: dict[str, tuple[Any, Any]] = {}
    for name in HOST_FIELDS:
        old = getattr(host, name) if host is not None else None
        if old != values[name]:
            changes[name] = (old, values[name])
    old_unit = ledger.unit_codes.get(host.unit_id) if host is not None and host.unit_id else None
    new_unit = values["unit"].code if values["unit"] is not None else None
    if old_unit != new_unit:
        changes["unit"] = (old_unit, new_unit)
    old_systems = sorted(s.catalogue_number for s in host.systems) if host is not None else []
    new_systems = sorted(s.catalogue_number for s in values["systems"])
    if old_systems != new_systems:
        changes["systems"] = (old_systems, new_systems)
    return changes


def _write(host: Host, values: dict[str, Any], changed: Iterable[str]) -> None:
    for name in changed:
        if name == "unit":
            host.unit_id = values["unit"].id if values["unit"] is not None else None
        else:
            setattr(host, name, values[name])


def _sync_hosts(session: Session, ledger: _Ledger, snap: Snapshot, result: SyncResult, apply: bool) -> None:
    for record in snap.hosts:
        label = f"{KIND_LABELS[record.netbox_kind]} #{record.netbox_id}"
        if record.problems:
            result.warnings.append(f"{label}：{'；'.join(record.problems)}，已跳过")
            continue
        key = (record.netbox_kind, record.netbox_id)
        host = ledger.hosts.get(key)
        hostname = record.fields["hostname"]
        other = ledger.by_hostname.get(hostname)
        if other is not None and other is not host and other.netbox_id is not None:
            result.warnings.append(f"{label}：主机名 {hostname} 已被台账中另一台 NetBox 主机使用，已跳过")
            continue
        values = _desired(ledger, snap, record, result)
        if host is None and other is not None:
            host = other  # a host recorded by hand before NetBox knew it: link it rather than duplicate
            link = {"netbox_kind": (None, record.netbox_kind), "netbox_id": (None, record.netbox_id)}
        else:
            link = {}
        changes = _diff(ledger, host, values)
        if host is None:
            result.changes.append(Change(record.netbox_kind, "new", hostname, record.netbox_id, changes))
            host = Host(netbox_kind=record.netbox_kind, netbox_id=record.netbox_id, systems=[])
            if apply:
                session.add(host)
        elif changes or link:
            result.changes.append(
                Change(record.netbox_kind, "changed", hostname, record.netbox_id, link | changes)
            )
        else:
            continue
        if host.hostname is not None and host.hostname != hostname:
            ledger.by_hostname.pop(host.hostname, None)
        ledger.by_hostname[hostname] = ledger.hosts[key] = host
        if apply:
            host.netbox_kind, host.netbox_id = record.netbox_kind, record.netbox_id
            _write(host, values, changes)


def _retire(ledger: _Ledger, snap: Snapshot, result: SyncResult, apply: bool) -> None:
    for (kind, netbox_id), host in sorted(
        ledger.hosts.items(), key=lambda item: (item[0][0] or "", item[0][1] or 0)
    ):
        if kind not in snap.present or netbox_id in snap.present[kind]:
            continue
        if host.lifecycle == HostLifecycle.RETIRED:
            continue
        result.changes.append(
            Change(
                kind,
                "retired",
                host.hostname,
                int(netbox_id or 0),
                {"lifecycle": (host.lifecycle, HostLifecycle.RETIRED)},
            )
        )
        if apply:
            host.lifecycle = HostLifecycle.RETIRED


def _record_state(session: Session, url: str, snap: Snapshot) -> None:
    state = _state(session, url)
    for kind, ids in snap.present.items():
        row = state.get(kind) or NetboxSyncState(netbox_url=url, object_kind=kind)
        row.synced_at = snap.started_at
        row.objects_seen = len(ids)
        session.add(row)


def reconcile(
    session: Session, snap: Snapshot, options: SyncOptions, *, url: str, dry_run: bool
) -> SyncResult:
    """Diff the snapshot against the ledger; unless ``dry_run``, apply it (flush, no commit)."""
    result = SyncResult(
        dry_run=dry_run, incremental=snap.incremental, seen={k: len(v) for k, v in snap.present.items()}
    )
    apply = not dry_run
    ledger = _Ledger(session)
    _sync_units(session, ledger, snap, options, result, apply)
    if apply:
        session.flush()
    _sync_hosts(session, ledger, snap, result, apply)
    _retire(ledger, snap, result, apply)
    if apply:
        _record_state(session, url, snap)
        session.flush()
    return result


def sync(
    session: Session, client: NetboxClient, options: SyncOptions, *, dry_run: bool = False, full: bool = False
) -> SyncResult:
    """Read NetBox, then diff and (unless ``dry_run``) apply; the caller's boundary commits."""
    snapshot = read_netbox(session, client, options, full=full)
    return reconcile(session, snapshot, options, url=client.url, dry_run=dry_run)
