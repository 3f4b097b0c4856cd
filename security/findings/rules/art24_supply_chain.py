"""第二十四条 (and 第三十六条 for end of support): key products are secure and controllable,
controllability is checked at acceptance, and nothing runs past its vendor's end of support
without a replacement plan.

A non-controllable key product that a unit may keep for a while is excused with a ``Waiver`` on
rule ``art24.uncontrollable_key_product`` for that product usage; the finding then shows as waived
until the waiver expires.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Row

from inventory.choices import KEY_PRODUCT_CLASSES, Controllability, HostLifecycle, SystemLifecycle
from security.findings.choices import Severity, SubjectType
from security.findings.rules import REGULATION, Hit, rule
from security.findings.snapshot import LedgerSnapshot
from taizhang.policy import EosEntry

EOS_CITATION = f"{REGULATION} 第二十四条、第三十六条"


def _product_label(product: Row[Any]) -> str:
    return " ".join(p for p in (product.vendor, product.model, product.product_version) if p)


def _live_usages(snap: LedgerSnapshot) -> Iterator[tuple[Row[Any], Row[Any], Row[Any]]]:
    """(system, usage, product) for every product used by a system that is not retired."""
    for system_id, usages in sorted(snap.product_usages.items()):
        system = snap.systems.get(system_id)
        if system is None or system.lifecycle is SystemLifecycle.RETIRED:
            continue
        for usage in usages:
            product = snap.products.get(usage.product_id)
            if product is not None:
                yield system, usage, product


@rule(
    "art24.uncontrollable_key_product",
    title="使用不可控的关键产品且无豁免",
    severity=Severity.MEDIUM,
    citation=f"{REGULATION} 第二十四条",
    article="第二十四条",
)
def uncontrollable_key_product(snap: LedgerSnapshot) -> Iterator[Hit]:
    """A system uses a key product (five classes of 第二十四条) rated 不可控."""
    for system, usage, product in _live_usages(snap):
        if product.product_class not in KEY_PRODUCT_CLASSES:
            continue
        if product.controllability is not Controllability.UNCONTROLLABLE:
            continue
        label = _product_label(product)
        yield Hit(
            SubjectType.PRODUCT_USAGE,
            usage.id,
            f"{system.name} / {label}",
            system.owner_unit_id,
            f"信息系统 {snap.system_label(system.id)} 使用不可控的{product.product_class.label}“{label}”，"
            f"须替换为自主可控产品或经批准豁免",
            system_id=system.id,
            facts={
                "product_id": product.id,
                "product_class": product.product_class.value,
                "controllability": product.controllability.value,
                "quantity": usage.quantity,
                "replacement_plan": product.replacement_plan,
            },
        )


@rule(
    "art24.acceptance_without_controllability_check",
    title="项目竣工验收未检查软硬件安全可控情况",
    severity=Severity.MEDIUM,
    citation=f"{REGULATION} 第二十四条",
    article="第二十四条",
)
def acceptance_without_controllability_check(snap: LedgerSnapshot) -> Iterator[Hit]:
    """Controllability of a project's products is part of its acceptance."""
    for project in snap.projects.values():
        if project.accepted_on is None or project.controllability_checked:
            continue
        system_ids = snap.project_system_ids(project.id)
        yield Hit(
            SubjectType.PROJECT,
            project.id,
            project.name,
            project.implementing_unit_id,
            f"项目“{project.name}”于 {project.accepted_on} 竣工验收，验收时未检查软硬件产品安全可控情况",
            system_id=system_ids[0] if system_ids else None,
            facts={"accepted_on": project.accepted_on.isoformat(), "controllability_checked": False},
        )


def _eos_facts(end: dt.date, entry: EosEntry | None, plan: str) -> dict[str, Any]:
    facts: dict[str, Any] = {"end_of_support": end.isoformat(), "replacement_plan": plan}
    if entry is not None:
        facts.update(eos_id=entry.id, eos_source=entry.source, suggested_replacement=entry.replacement)
    return facts


@rule(
    "eos.host_past_support",
    title="主机操作系统已停止支持且无替换计划",
    severity=Severity.HIGH,
    citation=EOS_CITATION,
    article="第二十四条、第三十六条",
)
def host_past_support(snap: LedgerSnapshot) -> Iterator[Hit]:
    """An active host whose operating system is past its end of support (policy EOS list) has no plan."""
    cache: dict[tuple[str, str], EosEntry | None] = {}
    for host in snap.hosts.values():
        if host.lifecycle is not HostLifecycle.ACTIVE or (host.replacement_plan or "").strip():
            continue
        key = (host.os_name or "", host.os_version or "")
        if key not in cache:
            cache[key] = snap.policy.eos_for(*key) if key[0] else None
        entry = cache[key]
        if entry is None or entry.end_of_support >= snap.today:
            continue
        systems = sorted(snap.host_system_links.get(host.id, []))
        yield Hit(
            SubjectType.HOST,
            host.id,
            host.hostname,
            snap.host_unit(host),
            f"主机 {host.hostname} 运行的 {entry.product} 已于 {entry.end_of_support} 停止支持，未制定替换计划",
            system_id=systems[0] if systems else None,
            due_date=entry.end_of_support,
            facts={**_eos_facts(entry.end_of_support, entry, ""), "os_name": key[0], "os_version": key[1]},
        )


@rule(
    "eos.product_past_support",
    title="在用产品已停止支持且无替换计划",
    severity=Severity.MEDIUM,
    citation=EOS_CITATION,
    article="第二十四条、第三十六条",
)
def product_past_support(snap: LedgerSnapshot) -> Iterator[Hit]:
    """A product in use past its end of support (its own date, else the policy EOS list) has no plan."""
    cache: dict[int, tuple[dt.date | None, EosEntry | None]] = {}
    for system, usage, product in _live_usages(snap):
        if (product.replacement_plan or "").strip():
            continue
        if product.id not in cache:
            entry = snap.policy.eos_for(f"{product.vendor} {product.model}", product.product_version or "")
            end = product.end_of_support or (entry.end_of_support if entry else None)
            cache[product.id] = (end, entry)
        end, entry = cache[product.id]
        if end is None or end >= snap.today:
            continue
        label = _product_label(product)
        yield Hit(
            SubjectType.PRODUCT_USAGE,
            usage.id,
            f"{system.name} / {label}",
            system.owner_unit_id,
            f"信息系统 {snap.system_label(system.id)} 使用的“{label}”已于 {end} 停止支持，未制定替换计划",
            system_id=system.id,
            due_date=end,
            facts={**_eos_facts(end, entry, ""), "product_id": product.id},
        )
