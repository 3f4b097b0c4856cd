"""Pure functions from NetBox API records (plain JSON dicts) to ledger fields.

Nothing here talks to NetBox or the database, so every rule is unit-tested on its own.

Mapping (NetBox → ledger):

- tenant (or its tenant group, see ``unit_source``) → unit; the unit ``code`` is the slug.
- device → host of kind 物理机, virtual machine → host of kind 虚拟机, keyed by (kind, NetBox id).
- name → hostname; primary IPv4/IPv6 → ip_addresses (without prefix length);
  platform → os_name / os_version (``"openEuler 22.03 LTS"`` → ``openEuler`` / ``22.03 LTS``);
  site (+ location, rack for devices; + cluster for VMs) → location; role slug → role;
  status in ``retired_statuses`` → 已下线, otherwise 在用.
- systems: tags whose slug starts with ``tag_prefix`` (rest = catalogue number) and the text custom
  field ``system_field`` (catalogue numbers separated by commas, semicolons or spaces).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from inventory.choices import HostKind, HostLifecycle

DEVICE = "device"
VM = "vm"
NETBOX_KINDS = (DEVICE, VM)

_LIMITS = {"hostname": 255, "os_name": 100, "os_version": 50, "location": 200, "role": 50}
_VERSION_TOKEN = re.compile(r"^[vV]?\d")
_DASHED = re.compile(r"^(?P<name>.+?)[-_](?P<version>[vV]?\d.*)$")
_SPLIT = re.compile(r"[\s,;，；、]+")


@dataclass(frozen=True)
class UnitRecord:
    netbox_id: int
    code: str
    name: str


@dataclass(frozen=True)
class HostRecord:
    netbox_kind: str
    netbox_id: int
    fields: dict[str, Any]
    tenant_id: int | None
    system_numbers: tuple[str, ...] = ()
    last_updated: dt.datetime | None = None
    problems: tuple[str, ...] = field(default=())


def _name(obj: Mapping[str, Any] | None) -> str:
    return str(obj.get("name") or "") if obj else ""


def _clip(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (v[: _LIMITS[k]] if k in _LIMITS and isinstance(v, str) else v) for k, v in values.items()}


def unit_from_tenant(record: Mapping[str, Any]) -> UnitRecord:
    """A tenant or a tenant group → the unit it stands for (code = slug)."""
    return UnitRecord(
        netbox_id=int(record["id"]), code=str(record["slug"])[:32], name=str(record["name"])[:100]
    )


def tenant_units(tenants: Iterable[Mapping[str, Any]], unit_source: str) -> dict[int, str]:
    """NetBox tenant id → the unit code its hosts belong to, for ``tenant`` or ``tenant_group`` mode."""
    result: dict[int, str] = {}
    for tenant in tenants:
        if unit_source == "tenant_group":
            group = tenant.get("group")
            if group:
                result[int(tenant["id"])] = str(group["slug"])[:32]
        else:
            result[int(tenant["id"])] = str(tenant["slug"])[:32]
    return result


def split_platform(name: str) -> tuple[str, str]:
    """``"openEuler 22.03 LTS"`` → (``openEuler``, ``22.03 LTS``), ``"Kylin V10"`` → (``Kylin``, ``V10``).

    The version starts at the first word (after the first) that begins with a digit or v+digit;
    ``"UOS-20"`` splits at the dash; no such word → (name, "").
    """
    words = name.split()
    for index, word in enumerate(words[1:], start=1):
        if _VERSION_TOKEN.match(word):
            return " ".join(words[:index]), " ".join(words[index:])
    match = _DASHED.match(words[0]) if len(words) == 1 else None
    if match:
        return match.group("name"), match.group("version")
    return " ".join(words), ""


def address(ip: Mapping[str, Any] | None) -> str | None:
    """``{"address": "10.1.2.3/24"}`` → ``10.1.2.3``."""
    if not ip or not ip.get("address"):
        return None
    return str(ip["address"]).split("/", 1)[0]


def system_numbers(record: Mapping[str, Any], *, tag_prefix: str, system_field: str) -> tuple[str, ...]:
    """Catalogue numbers named by tags ``<prefix><number>`` and by the text custom field."""
    numbers: set[str] = set()
    if tag_prefix:
        for tag in record.get("tags") or ():
            slug = str(tag.get("slug") or "")
            if slug.lower().startswith(tag_prefix.lower()) and len(slug) > len(tag_prefix):
                numbers.add(slug[len(tag_prefix) :].upper())
    value = (record.get("custom_fields") or {}).get(system_field) if system_field else None
    if isinstance(value, str):
        numbers.update(part.upper() for part in _SPLIT.split(value) if part)
    return tuple(sorted(numbers))


def parse_time(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _status(record: Mapping[str, Any]) -> str:
    status = record.get("status")
    return str(status.get("value") if isinstance(status, Mapping) else status or "")


def _common(record: Mapping[str, Any], retired_statuses: Iterable[str]) -> dict[str, Any]:
    os_name, os_version = split_platform(_name(record.get("platform")))
    ips = [a for a in (address(record.get("primary_ip4")), address(record.get("primary_ip6"))) if a]
    role = record.get("role") or {}
    lifecycle = HostLifecycle.RETIRED if _status(record) in set(retired_statuses) else HostLifecycle.ACTIVE
    return {
        "os_name": os_name,
        "os_version": os_version,
        "ip_addresses": ips,
        "role": str(role.get("slug") or ""),
        "lifecycle": lifecycle,
    }


def host_from_record(
    kind: str,
    record: Mapping[str, Any],
    *,
    tag_prefix: str = "",
    system_field: str = "",
    retired_statuses: Iterable[str] = ("offline", "decommissioning"),
) -> HostRecord:
    """A NetBox device (``kind="device"``) or virtual machine (``kind="vm"``) → a host record."""
    if kind not in NETBOX_KINDS:
        raise ValueError(f"unknown NetBox kind {kind!r}")
    netbox_id = int(record["id"])
    problems: list[str] = []
    hostname = str(record.get("name") or "").strip()
    if not hostname:
        problems.append("没有名称")
    values = _common(record, retired_statuses)
    values["hostname"] = hostname
    site = _name(record.get("site"))
    if kind == DEVICE:
        values["kind"] = HostKind.PHYSICAL
        parts = [site, _name(record.get("location")), _name(record.get("rack"))]
    else:
        values["kind"] = HostKind.VIRTUAL
        cluster = _name(record.get("cluster"))
        parts = [site, f"集群 {cluster}" if cluster else ""]
    values["location"] = " / ".join(p for p in parts if p)
    tenant = record.get("tenant")
    return HostRecord(
        netbox_kind=kind,
        netbox_id=netbox_id,
        fields=_clip(values),
        tenant_id=int(tenant["id"]) if tenant else None,
        system_numbers=system_numbers(record, tag_prefix=tag_prefix, system_field=system_field),
        last_updated=parse_time(record.get("last_updated")),
        problems=tuple(problems),
    )
