"""第十条: every system is in the unit's catalogue before its project is approved; no 未批先建.

What "not in the catalogue" means in this ledger: a ``System`` row *is* a catalogue entry, so a
system can only be "not in the catalogue" when its catalogue number is blank. Workloads that were
never catalogued show up instead as active hosts that serve no system, and as projects that name
no catalogued system. The ledger has no date on which a system entered the catalogue, so "approved
before its systems were catalogued" is found as an approved project linked to no system or to a
system without a catalogue number; building before approval is found from the project's dates.
"""

from __future__ import annotations

from collections.abc import Iterator

from inventory.choices import HostLifecycle
from security.findings.choices import Severity, SubjectType
from security.findings.rules import REGULATION, Hit, rule
from security.findings.snapshot import LedgerSnapshot

CITATION = f"{REGULATION} 第十条"


@rule(
    "art10.system_without_catalogue_number",
    title="信息系统未列入政务信息系统目录（无目录编号）",
    severity=Severity.HIGH,
    citation=CITATION,
    article="第十条",
)
def system_without_catalogue_number(snap: LedgerSnapshot) -> Iterator[Hit]:
    """A system whose catalogue number is blank is not in the unit's system catalogue."""
    for system in snap.systems.values():
        if not (system.catalogue_number or "").strip():
            yield Hit(
                SubjectType.SYSTEM,
                system.id,
                system.name,
                system.owner_unit_id,
                f"信息系统“{system.name}”没有政务信息系统目录编号，未列入本单位系统目录",
                system_id=system.id,
                facts={"catalogue_number": system.catalogue_number},
            )


@rule(
    "art10.host_without_system",
    title="在用主机未承载任何已编目的信息系统",
    severity=Severity.MEDIUM,
    citation=CITATION,
    article="第十条",
)
def host_without_system(snap: LedgerSnapshot) -> Iterator[Hit]:
    """An active host that serves no catalogued system runs something the catalogue does not know."""
    if snap.partial:
        return  # hosts linked to no system are outside every system's scope: whole-ledger runs only
    for host in snap.hosts.values():
        if host.lifecycle is not HostLifecycle.ACTIVE or snap.host_system_links.get(host.id):
            continue
        yield Hit(
            SubjectType.HOST,
            host.id,
            host.hostname,
            host.unit_id,
            f"在用主机 {host.hostname} 未关联任何已列入目录的信息系统，其承载的业务未纳入系统目录",
            facts={"hostname": host.hostname, "lifecycle": host.lifecycle.value, "system_ids": []},
        )


@rule(
    "art10.project_without_catalogued_system",
    title="项目所涉信息系统未列入目录即报批",
    severity=Severity.HIGH,
    citation=CITATION,
    article="第十条",
)
def project_without_catalogued_system(snap: LedgerSnapshot) -> Iterator[Hit]:
    """An approved project must name the catalogued systems it builds; none, or one without a number, fires."""
    for project in snap.projects.values():
        if project.approved_on is None:
            continue
        system_ids = snap.project_system_ids(project.id)
        uncatalogued = [sid for sid in system_ids if not (snap.systems[sid].catalogue_number or "").strip()]
        if system_ids and not uncatalogued:
            continue
        if not system_ids:
            message = f"项目“{project.name}”已于 {project.approved_on} 审批，但未关联任何已列入目录的信息系统"
        else:
            names = "、".join(snap.systems[sid].name for sid in uncatalogued)
            message = f"项目“{project.name}”已于 {project.approved_on} 审批，所涉系统 {names} 未列入目录"
        yield Hit(
            SubjectType.PROJECT,
            project.id,
            project.name,
            project.implementing_unit_id,
            message,
            system_id=system_ids[0] if system_ids else None,
            facts={
                "approved_on": project.approved_on.isoformat(),
                "system_ids": system_ids,
                "uncatalogued_system_ids": uncatalogued,
            },
        )


@rule(
    "art10.built_before_approval",
    title="未批先建：项目开工早于审批",
    severity=Severity.HIGH,
    citation=CITATION,
    article="第十条",
)
def built_before_approval(snap: LedgerSnapshot) -> Iterator[Hit]:
    """Construction started before the project was approved, or without any approval."""
    for project in snap.projects.values():
        started, approved = project.construction_started_on, project.approved_on
        if started is None or (approved is not None and started >= approved):
            continue
        if approved is None:
            message = f"项目“{project.name}”于 {started} 开工，至今未经审批（未批先建）"
        else:
            message = f"项目“{project.name}”于 {started} 开工，早于 {approved} 审批（未批先建）"
        system_ids = snap.project_system_ids(project.id)
        yield Hit(
            SubjectType.PROJECT,
            project.id,
            project.name,
            project.implementing_unit_id,
            message,
            system_id=system_ids[0] if system_ids else None,
            facts={
                "construction_started_on": started.isoformat(),
                "approved_on": approved.isoformat() if approved else None,
            },
        )
