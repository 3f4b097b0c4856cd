"""The compliance rules: a registry of pure functions from a ``LedgerSnapshot`` to hits.

Each module of this package covers one article group and registers its rules with ``@rule``.
A rule's function receives the read-only snapshot (``snap.today``, ``snap.policy``,
``snap.calendar`` and lazily loaded tables) and yields ``Hit``s; it never writes, never queries
row by row, and reads every number from the policy. The engine (``security.findings.engine``)
turns hits into stored findings.

How to add a rule
-----------------
1. Pick or create the module for its article (``rules/art35_migration.py`` for 第三十五条) and add
   its name to ``RULE_MODULES`` below.
2. Write ``@rule("art35.not_on_city_cloud", title="…", severity=Severity.HIGH,
   citation="襄政办发〔2022〕2号 第三十五条")`` over ``def check(snap) -> Iterator[Hit]``.
3. If it needs a table the snapshot does not load yet, read it with
   ``snap.rows_by_system(MigrationPlan)`` (tables with a ``system_id`` column: one query, scoped
   to the systems being evaluated) or ``snap.rows(CloudService)`` (small reference tables). Do not
   add queries inside loops. If a subject type is new, add it to ``SubjectType`` and to
   ``SUBJECT_MODELS`` in ``security.findings.subjects``.
4. Set ``system_id`` on every hit that concerns a system: a partial evaluation reconciles the
   findings of the systems it was asked about by that column.
5. If writes to the new table should trigger re-evaluation, register it in
   ``security.findings.triggers.WATCHED`` with a function returning the affected system ids.
6. Write tests that make the rule fire and that keep it quiet (``tests/security/findings``).

Messages are Chinese and stable: they must not contain values that change by themselves every day
(such as "overdue by N days"), or every evaluation would rewrite every finding.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from security.findings.choices import Severity, SubjectType
from security.findings.snapshot import LedgerSnapshot

REGULATION = "襄政办发〔2022〕2号"


@dataclass(frozen=True)
class Hit:
    """One problem found for one subject."""

    subject_type: SubjectType
    subject_id: int
    subject_name: str
    unit_id: int | None
    message: str
    system_id: int | None = None
    due_date: dt.date | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    discriminator: str = ""
    severity: Severity | None = None  # overrides the rule's severity for this hit


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: Severity
    citation: str
    article: str
    check: Callable[[LedgerSnapshot], Iterable[Hit]]
    description: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "severity": self.severity.value,
            "severity_label": self.severity.label,
            "citation": self.citation,
            "article": self.article,
            "description": self.description,
        }


_RULES: dict[str, Rule] = {}

RULE_MODULES = (
    "art09_art23_resources",
    "art10_catalogue",
    "art11_networks",
    "projects",
    "art24_supply_chain",
    "art12_art35_cloud",
    "art36_security",
    "art36_crypto_risk",
    "art37_response",
    "ledger_reality",
)


def rule(
    rule_id: str, *, title: str, severity: Severity, citation: str, article: str, description: str = ""
) -> Callable[[Callable[[LedgerSnapshot], Iterator[Hit]]], Callable[[LedgerSnapshot], Iterator[Hit]]]:
    """Register ``check`` as rule ``rule_id``; ids are unique."""

    def register(
        check: Callable[[LedgerSnapshot], Iterator[Hit]],
    ) -> Callable[[LedgerSnapshot], Iterator[Hit]]:
        if rule_id in _RULES:
            raise ValueError(f"duplicate rule id {rule_id}")
        doc = description or (check.__doc__ or "").strip()
        _RULES[rule_id] = Rule(rule_id, title, severity, citation, article, check, doc)
        return check

    return register


def all_rules() -> list[Rule]:
    for name in RULE_MODULES:
        importlib.import_module(f"{__name__}.{name}")
    return list(_RULES.values())


def get_rule(rule_id: str) -> Rule | None:
    return {r.id: r for r in all_rules()}.get(rule_id)
