"""Shared by the metrics tests: load the whole demo county, read samples out of an exposition."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import Session


def load_full_demo(session: Session) -> None:
    """What ``taizhang demo`` loads but users: inventory, migration, grading, response, supply, evidence, findings."""
    from inventory.demo import load_inventory
    from migration.demo import load_demo as load_migration_demo
    from security.evidence import demo as evidence_demo
    from security.findings.demo import load_demo as load_findings_demo
    from security.grading.demo import load_demo as load_grading_demo
    from security.response import demo as response_demo
    from security.supply import demo as supply_demo

    load_inventory(session)  # the demo users are left out: hashing their passwords is slow
    load_migration_demo(session)
    load_grading_demo(session)
    for part in (response_demo.load_demo, supply_demo.load_demo, evidence_demo.load_demo):
        part(session)
    load_findings_demo(session)


def samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    out = []
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                out.append((dict(sample.labels), sample.value))
    return out


def metric_names(text: str) -> set[str]:
    return {s.name for family in text_string_to_metric_families(text) for s in family.samples}


def total(text: str, name: str, **match: str) -> float:
    return sum(v for labels, v in samples(text, name) if all(labels.get(k) == w for k, w in match.items()))
