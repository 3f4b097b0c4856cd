"""``netbox push`` (opt-in): the ledger's compliance view written into NetBox custom fields.

Four custom fields on devices and virtual machines, created when absent (group “taizhang”):

- ``taizhang_hosting`` (multi-select): hosting of the systems on the host (System.hosting);
- ``taizhang_mlps_level`` (integer 1–5): the highest MLPS level of those systems;
- ``taizhang_open_findings`` (integer) and ``taizhang_last_verification`` (text): given by a
  ``ComplianceProvider``. ``taizhang netbox push`` uses ``security.findings.compliance.host_compliance``
  (open findings of the host and its systems, latest verification outcome); ``no_compliance``
  knows nothing, and the fields are then left as they are in NetBox.

Only fields whose value differs are sent (bulk PATCH), so a second push sends nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from inventory.choices import Hosting, HostLifecycle
from inventory.models import Host
from inventory.netbox.client import NetboxClient
from inventory.netbox.sync import ENDPOINTS

OBJECT_TYPES = ["dcim.device", "virtualization.virtualmachine"]
CHOICE_SET = "taizhang-hosting"
HOSTING, MLPS, FINDINGS, VERIFICATION = (
    "taizhang_hosting",
    "taizhang_mlps_level",
    "taizhang_open_findings",
    "taizhang_last_verification",
)
CUSTOM_FIELDS: list[dict[str, Any]] = [
    {"name": HOSTING, "label": "部署位置（台账）", "type": "multiselect"},
    {
        "name": MLPS,
        "label": "等保级别（台账）",
        "type": "integer",
        "validation_minimum": 1,
        "validation_maximum": 5,
    },
    {"name": FINDINGS, "label": "未整改问题数（台账）", "type": "integer", "validation_minimum": 0},
    {"name": VERIFICATION, "label": "最近核验结果（台账）", "type": "text"},
]


@dataclass(frozen=True)
class HostCompliance:
    """What the findings and verification packages know about one host; None = unknown, not written."""

    open_findings: int | None = None
    last_verification: str | None = None


# provider(session, host_ids) -> {host_id: HostCompliance}; hosts it omits get nothing written.
ComplianceProvider = Callable[[Session, Sequence[int]], Mapping[int, HostCompliance]]


def no_compliance(session: Session, host_ids: Sequence[int]) -> Mapping[int, HostCompliance]:
    """The default until findings and verification are wired: knows nothing, writes nothing."""
    return {}


@dataclass
class PushResult:
    dry_run: bool
    created_fields: list[str] = field(default_factory=list)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: int = 0
    missing: list[str] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "created_fields": self.created_fields,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "missing": self.missing,
            "changes": self.changes,
        }


def ensure_custom_fields(client: NetboxClient, *, dry_run: bool = False) -> list[str]:
    """Create the choice set and the four custom fields where absent; returns what was (to be) created."""
    created: list[str] = []
    choices = [[h.value, h.label] for h in Hosting]
    sets = {s["name"]: s for s in client.list("extras.custom_field_choice_sets")}
    choice_set = sets.get(CHOICE_SET)
    if choice_set is None:
        created.append(CHOICE_SET)
        if not dry_run:
            choice_set = dict(
                client.create(
                    "extras.custom_field_choice_sets", {"name": CHOICE_SET, "extra_choices": choices}
                )
            )
    elif [list(c) for c in choice_set.get("extra_choices") or []] != choices and not dry_run:
        client.update("extras.custom_field_choice_sets", int(choice_set["id"]), {"extra_choices": choices})
    existing = {f["name"]: f for f in client.list("extras.custom_fields")}
    for spec in CUSTOM_FIELDS:
        current = existing.get(spec["name"])
        if current is None:
            created.append(spec["name"])
            if dry_run:
                continue
            body = spec | {"object_types": OBJECT_TYPES, "group_name": "taizhang", "required": False}
            if spec["type"] == "multiselect":
                body["choice_set"] = int(choice_set["id"]) if choice_set else None
            client.create("extras.custom_fields", body)
        elif not set(OBJECT_TYPES) <= set(current.get("object_types") or []) and not dry_run:
            types = sorted(set(current.get("object_types") or []) | set(OBJECT_TYPES))
            client.update("extras.custom_fields", int(current["id"]), {"object_types": types})
    return created


def _plain(value: Any) -> Any:
    """Select values read back as {"value", "label"}; compare by value."""
    if isinstance(value, Mapping):
        return value.get("value")
    if isinstance(value, list):
        return sorted(_plain(v) for v in value)
    return value


def desired_fields(host: Host, compliance: HostCompliance | None) -> dict[str, Any]:
    """The custom-field values the ledger holds for one host (absent keys are left alone)."""
    hosting = sorted({s.hosting.value for s in host.systems})
    levels = [s.mlps_level for s in host.systems if s.mlps_level is not None]
    values: dict[str, Any] = {HOSTING: hosting or None, MLPS: max(levels) if levels else None}
    if compliance is not None and compliance.open_findings is not None:
        values[FINDINGS] = compliance.open_findings
    if compliance is not None and compliance.last_verification is not None:
        values[VERIFICATION] = compliance.last_verification
    return values


def push(
    session: Session,
    client: NetboxClient,
    *,
    provider: ComplianceProvider = no_compliance,
    dry_run: bool = False,
) -> PushResult:
    """Write the compliance view of every active NetBox-linked host into NetBox."""
    result = PushResult(dry_run=dry_run)
    client.status()
    result.created_fields = ensure_custom_fields(client, dry_run=dry_run)
    stmt = (
        select(Host)
        .where(Host.netbox_id.is_not(None), Host.lifecycle == HostLifecycle.ACTIVE)
        .options(selectinload(Host.systems))
    )
    hosts = list(session.execute(stmt).scalars())
    compliance = provider(session, [h.id for h in hosts])
    for kind, path in ENDPOINTS.items():
        current = {
            int(r["id"]): r.get("custom_fields") or {} for r in client.list(path, fields="id,custom_fields")
        }
        rows: list[dict[str, Any]] = []
        for host in (h for h in hosts if h.netbox_kind == kind):
            if host.netbox_id not in current:
                result.missing.append(host.hostname)
                continue
            have = current[int(host.netbox_id or 0)]
            want = desired_fields(host, compliance.get(host.id))
            diff = {k: v for k, v in want.items() if _plain(have.get(k)) != _plain(v)}
            if not diff:
                result.unchanged += 1
                continue
            rows.append({"id": host.netbox_id, "custom_fields": diff})
            result.changes.append(
                {"hostname": host.hostname, "kind": kind, "netbox_id": host.netbox_id, "fields": diff}
            )
        if rows and not dry_run:
            client.bulk_update(path, rows)
        result.updated[kind] = len(rows)
    return result
