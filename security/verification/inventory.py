"""The Ansible inventory built from the ledger: hosts by unit, system, level and hosting.

``build_inventory`` is a pure function of ledger rows and settings; ``inventory_for`` queries them.
Credentials never enter the inventory beyond the key *path* and user from settings.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from inventory.choices import Classification, HostLifecycle
from inventory.models import Host, System, Unit, host_systems
from security.verification.catalogue import Check, catalogue, load_allowlist
from security.verification.models import HostVerificationProfile
from taizhang.auth.principal import ALL, Scope
from taizhang.policy import get_policy
from taizhang.settings import get_settings


@dataclass(frozen=True)
class Selection:
    """Which hosts and checks a run covers; empty lists mean "all"."""

    host_ids: list[int] = field(default_factory=list)
    system_ids: list[int] = field(default_factory=list)
    unit_ids: list[int] = field(default_factory=list)
    check_ids: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, list[Any]]:
        return {
            "host_ids": self.host_ids,
            "system_ids": self.system_ids,
            "unit_ids": self.unit_ids,
            "check_ids": self.check_ids,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Selection:
        return cls(
            **{k: list(data.get(k) or []) for k in ("host_ids", "system_ids", "unit_ids", "check_ids")}
        )


def group_name(prefix: str, text: str) -> str:
    return f"{prefix}_" + (re.sub(r"[^A-Za-z0-9_]", "_", text).strip("_").lower() or "x")


def policy_vars() -> dict[str, int]:
    policy = get_policy()
    return {
        "password_min_length": policy.int_value("verification.password_min_length"),
        "password_min_classes": policy.int_value("verification.password_min_classes"),
        "password_max_days": policy.int_value("verification.password_max_days"),
        "lockout_max_failures": policy.int_value("auth.login.max_failures"),
        "idle_timeout_seconds": policy.int_value("verification.idle_timeout_minutes") * 60,
        "log_retention_days": policy.int_value("log.retention_days"),
    }


def _connection_vars(host: Host, profile: HostVerificationProfile | None) -> dict[str, Any]:
    settings = get_settings()
    out: dict[str, Any] = {"ansible_host": host.ip_addresses[0] if host.ip_addresses else host.hostname}
    if out["ansible_host"] in ("localhost", "127.0.0.1", "::1"):
        return {**out, "ansible_connection": "local"}  # the taizhang server verifying itself
    out["ansible_user"] = settings.ssh_user
    if settings.ssh_key_file is not None:
        out["ansible_ssh_private_key_file"] = str(settings.ssh_key_file)
    if profile is not None and profile.ssh_port:
        out["ansible_port"] = profile.ssh_port
    if profile is not None and profile.python_interpreter:
        out["ansible_python_interpreter"] = profile.python_interpreter
    return out


def host_vars(
    host: Host, profile: HostVerificationProfile | None, allowlist: dict[str, list[int]]
) -> dict[str, Any]:
    role = host.role or "default"
    needs_crypto = any(
        s.needs_crypto_assessment and s.classification is Classification.NON_CLASSIFIED for s in host.systems
    )
    return {
        **_connection_vars(host, profile),
        "tz_host_id": host.id,
        "tz_role": role,
        "tz_allowed_ports": allowlist.get(role, allowlist.get("default", [22])),
        "tz_ledger_os_name": host.os_name,
        "tz_ledger_os_version": host.os_version,
        "tz_needs_crypto": needs_crypto,
        "tz_tls_endpoints": list(profile.tls_endpoints) if profile else [],
        "tz_security_agents": list(profile.security_agents) if profile else [],
    }


def build_inventory(
    hosts: list[Host],
    profiles: dict[int, HostVerificationProfile],
    units: dict[int, Unit],
    checks: dict[str, Check],
    allowlist: dict[str, list[int]],
) -> dict[str, Any]:
    """A dynamic inventory (``ansible-inventory --list`` shape); hosts are named by hostname."""
    groups: dict[str, set[str]] = defaultdict(set)
    hostvars: dict[str, Any] = {}
    for host in hosts:
        hostvars[host.hostname] = host_vars(host, profiles.get(host.id), allowlist)
        if host.unit_id in units:
            groups[group_name("unit", units[host.unit_id].code)].add(host.hostname)
        for system in host.systems:
            groups[group_name("system", system.catalogue_number)].add(host.hostname)
            if system.mlps_level:
                groups[f"level_{system.mlps_level}"].add(host.hostname)
            groups[group_name("hosting", system.hosting.value)].add(host.hostname)
    inventory: dict[str, Any] = {name: {"hosts": sorted(members)} for name, members in sorted(groups.items())}
    inventory["all"] = {
        "children": [*sorted(groups), "ungrouped"],
        "vars": {
            "tz_policy": policy_vars(),
            "tz_families": {c.id: list(c.os_families) for c in checks.values()},
        },
    }
    grouped = set().union(*groups.values()) if groups else set()
    inventory["ungrouped"] = {"hosts": sorted(set(hostvars) - grouped)}
    inventory["_meta"] = {"hostvars": hostvars}
    return inventory


def select_hosts(session: Session, selection: Selection, *, scope: Scope = ALL) -> list[Host]:
    stmt = (
        select(Host)
        .where(Host.lifecycle == HostLifecycle.ACTIVE)
        .options(selectinload(Host.systems))
        .order_by(Host.hostname)
    )
    if selection.host_ids:
        stmt = stmt.where(Host.id.in_(selection.host_ids))
    if selection.unit_ids:
        stmt = stmt.where(Host.unit_id.in_(selection.unit_ids))
    if selection.system_ids:
        linked = select(host_systems.c.host_id).where(host_systems.c.system_id.in_(selection.system_ids))
        stmt = stmt.where(Host.id.in_(linked))
    if not scope.everything:
        stmt = stmt.where(Host.unit_id.in_(scope.unit_ids or []))
    return list(session.execute(stmt).scalars())


def inventory_for(session: Session, selection: Selection, *, scope: Scope = ALL) -> dict[str, Any]:
    hosts = select_hosts(session, selection, scope=scope)
    ids = [h.id for h in hosts]
    profiles = {
        p.host_id: p
        for p in session.execute(
            select(HostVerificationProfile).where(HostVerificationProfile.host_id.in_(ids))
        ).scalars()
    }
    unit_ids = {h.unit_id for h in hosts if h.unit_id is not None}
    units = {u.id: u for u in session.execute(select(Unit).where(Unit.id.in_(unit_ids))).scalars()}
    return build_inventory(hosts, profiles, units, catalogue(), load_allowlist())


__all__ = ["Selection", "System", "build_inventory", "inventory_for", "select_hosts"]


def to_static(dynamic: dict[str, Any]) -> dict[str, Any]:
    """The same inventory in Ansible's static YAML/JSON shape (what ansible-runner writes to disk)."""
    hostvars = dynamic.get("_meta", {}).get("hostvars", {})
    children: dict[str, Any] = {
        name: {"hosts": {host: {} for host in group.get("hosts", [])}}
        for name, group in dynamic.items()
        if name not in ("_meta", "all", "ungrouped") and group.get("hosts")
    }
    return {"all": {"hosts": hostvars, "children": children, "vars": dynamic.get("all", {}).get("vars", {})}}
