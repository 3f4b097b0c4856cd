"""第十一条: no new 业务专网 without the authority's consent; systems share data as required."""

from __future__ import annotations

from collections.abc import Iterator

from inventory.choices import DataSharing, Network, SystemLifecycle
from security.findings.choices import Severity, SubjectType
from security.findings.rules import REGULATION, Hit, rule
from security.findings.snapshot import LedgerSnapshot

CITATION = f"{REGULATION} 第十一条"


@rule(
    "art11.private_network_unapproved",
    title="接入业务专网未经主管部门同意",
    severity=Severity.HIGH,
    citation=CITATION,
    article="第十一条",
)
def private_network_unapproved(snap: LedgerSnapshot) -> Iterator[Hit]:
    """A 业务专网 attachment needs the authority's approval reference and date."""
    for system_id, attachments in sorted(snap.network_attachments.items()):
        system = snap.systems.get(system_id)
        if system is None or system.lifecycle is SystemLifecycle.RETIRED:
            continue
        for att in attachments:
            if att.network is not Network.PRIVATE:
                continue
            if (att.approval_reference or "").strip() and att.approval_date is not None:
                continue
            label = att.name or Network.PRIVATE.label
            yield Hit(
                SubjectType.NETWORK_ATTACHMENT,
                att.id,
                f"{system.name} / {label}",
                system.owner_unit_id,
                f"信息系统 {snap.system_label(system_id)} 接入业务专网“{label}”，未登记县政务信息化主管部门的批准文号或日期",
                system_id=system_id,
                facts={
                    "network": att.network.value,
                    "approval_reference": att.approval_reference,
                    "approval_date": att.approval_date.isoformat() if att.approval_date else None,
                },
            )


@rule(
    "art11.data_not_shared",
    title="信息系统未按要求共享数据",
    severity=Severity.HIGH,
    citation=CITATION,
    article="第十一条",
)
def data_not_shared(snap: LedgerSnapshot) -> Iterator[Hit]:
    """A running or building system not sharing (high) or only partly sharing (medium) its data."""
    for system in snap.systems.values():
        if system.lifecycle not in (SystemLifecycle.RUNNING, SystemLifecycle.BUILDING):
            continue
        if system.data_sharing not in (DataSharing.NOT_SHARING, DataSharing.PARTIAL):
            continue
        partial = system.data_sharing is DataSharing.PARTIAL
        yield Hit(
            SubjectType.SYSTEM,
            system.id,
            system.name,
            system.owner_unit_id,
            f"信息系统 {snap.system_label(system.id)} 数据共享状况为“{system.data_sharing.label}”，"
            f"未按要求进行业务协同和数据共享（不再拨付运维经费）",
            system_id=system.id,
            severity=Severity.MEDIUM if partial else None,
            facts={"data_sharing": system.data_sharing.value, "lifecycle": system.lifecycle.value},
        )
