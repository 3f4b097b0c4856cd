"""第九、二十三条: the information-resource catalogue is a precondition of approval, and at
acceptance a project's resources are registered on the shared platform."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from security.findings.choices import Severity, SubjectType
from security.findings.rules import REGULATION, Hit, rule
from security.findings.snapshot import LedgerSnapshot


@rule(
    "art9.approved_project_without_resources",
    title="项目已审批但所涉系统未编制信息资源目录",
    severity=Severity.MEDIUM,
    citation=f"{REGULATION} 第九条",
    article="第九条",
)
def approved_project_without_resources(snap: LedgerSnapshot) -> Iterator[Hit]:
    """Each system of an approved project must have at least one entry in the resource catalogue."""
    for project in snap.projects.values():
        if project.approved_on is None:
            continue
        for system_id in snap.project_system_ids(project.id):
            if snap.resources.get(system_id):
                continue
            system = snap.system_label(system_id)
            yield Hit(
                SubjectType.PROJECT,
                project.id,
                project.name,
                project.implementing_unit_id,
                f"项目“{project.name}”已于 {project.approved_on} 审批，但所涉系统 {system} 没有信息资源目录",
                system_id=system_id,
                discriminator=f"system:{system_id}",
                facts={
                    "approved_on": project.approved_on.isoformat(),
                    "system_id": system_id,
                    "resources": 0,
                },
            )


@rule(
    "art23.accepted_resources_not_registered",
    title="项目已竣工验收但信息资源未纳入共享平台目录",
    severity=Severity.MEDIUM,
    citation=f"{REGULATION} 第二十三条",
    article="第二十三条",
)
def accepted_resources_not_registered(snap: LedgerSnapshot) -> Iterator[Hit]:
    """Resources of systems built by an accepted project must be registered on the shared platform."""
    accepted_by_system: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for project in snap.projects.values():
        if project.accepted_on is None:
            continue
        for system_id in snap.project_system_ids(project.id):
            accepted_by_system[system_id].append((project.id, project.accepted_on.isoformat()))
    for system_id, accepted in sorted(accepted_by_system.items()):
        system = snap.systems.get(system_id)
        if system is None:
            continue
        first_acceptance = min(day for _, day in accepted)
        for resource in snap.resources.get(system_id, []):
            if resource.registered_on_platform:
                continue
            yield Hit(
                SubjectType.RESOURCE,
                resource.id,
                resource.name,
                system.owner_unit_id,
                f"信息资源“{resource.name}”所属系统 {snap.system_label(system_id)} 的建设项目已竣工验收，"
                f"但该资源未在共享平台目录管理系统登记",
                system_id=system_id,
                facts={
                    "registered_on_platform": False,
                    "accepted_projects": sorted(pid for pid, _ in accepted),
                    "first_accepted_on": first_acceptance,
                },
            )
