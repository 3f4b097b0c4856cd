"""Evaluate the rules over the ledger and store what they find, idempotently.

``evaluate(session)`` runs every rule over the whole ledger; ``evaluate(session, system_ids=[…])``
over a few systems (and whatever hangs on them), which is what the re-evaluation after a write
uses. A finding is keyed by ``(rule_id, subject_type, subject_id, discriminator)``:

* a hit with no finding creates one (state ``open``, or ``waived`` under an active waiver);
* a hit on an existing finding refreshes it: ``last_seen`` moves (one bulk UPDATE, kept out of the
  change log), other fields are written only when they changed, and a resolved finding reopens;
* an open or waived finding in scope that no rule hit any more is resolved.

A rule that raises (for instance a deadline in a year the working-day calendar does not know) is
reported in ``EvaluationReport.errors`` and its findings are left as they were: a broken rule must
never look like a fixed problem. On PostgreSQL evaluations are serialised by an advisory lock.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import json
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, or_, select, text, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from security.findings.choices import FindingState, Severity, SubjectType
from security.findings.models import Finding, Waiver
from security.findings.rules import Hit, Rule, all_rules
from security.findings.snapshot import LedgerSnapshot
from taizhang.clock import china_today
from taizhang.db import declare_write, utcnow
from taizhang.policy import Policy
from taizhang.workdays import WorkdayCalendar

log = logging.getLogger("taizhang.findings")

Key = tuple[str, str, int, str]
_ADVISORY_LOCK = 0x7A68_6E67  # "zhng": one evaluation at a time across API workers
_CHUNK = 900


@dataclass
class EvaluationReport:
    today: dt.date
    partial: bool
    system_ids: list[int] = field(default_factory=list)
    rules: int = 0
    hits: int = 0
    created: int = 0
    reopened: int = 0
    updated: int = 0
    resolved: int = 0
    unchanged: int = 0
    errors: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "today": self.today.isoformat(),
            "partial": self.partial,
            "system_ids": self.system_ids,
            "rules": self.rules,
            "hits": self.hits,
            "created": self.created,
            "reopened": self.reopened,
            "updated": self.updated,
            "resolved": self.resolved,
            "unchanged": self.unchanged,
            "errors": self.errors,
            "seconds": round(self.seconds, 3),
        }


def key_of(rule_id: str, hit: Hit) -> Key:
    return (rule_id, hit.subject_type.value, hit.subject_id, hit.discriminator)


def run_rules(
    snap: LedgerSnapshot, rules: Sequence[Rule]
) -> tuple[dict[Key, tuple[Rule, Hit]], dict[str, str]]:
    """Every hit of every rule by key; a rule that raises contributes nothing and is reported."""
    hits: dict[Key, tuple[Rule, Hit]] = {}
    errors: dict[str, str] = {}
    for rule in rules:
        try:
            found = {key_of(rule.id, hit): (rule, hit) for hit in rule.check(snap)}
        except Exception as exc:  # one broken rule must not stop the others
            log.exception("rule %s failed", rule.id)
            errors[rule.id] = f"{type(exc).__name__}: {exc}"
            continue
        hits.update(found)
    return hits, errors


def active_waivers(session: Session, today: dt.date) -> dict[tuple[str, str, int], int]:
    """(rule_id, subject_type, subject_id) -> id of a waiver valid today (the latest expiring)."""
    stmt = (
        select(Waiver.id, Waiver.rule_id, Waiver.subject_type, Waiver.subject_id)
        .where(Waiver.expires_on >= today)
        .order_by(Waiver.expires_on, Waiver.id)
    )
    return {(r.rule_id, r.subject_type.value, r.subject_id): r.id for r in session.execute(stmt)}


def _in_chunks(column: Any, ids: Iterable[int]) -> Any:
    ordered = sorted(ids)
    return or_(*(column.in_(ordered[i : i + _CHUNK]) for i in range(0, len(ordered), _CHUNK)))


def _scope_clause(snap: LedgerSnapshot) -> Any:
    """Findings a partial evaluation is entitled to resolve (None: all of them)."""
    covered = snap.covered()
    if covered is None:
        return None
    assert snap.requested_system_ids is not None
    clauses = [
        and_(Finding.subject_type == subject_type, _in_chunks(Finding.subject_id, ids))
        for subject_type, ids in covered.items()
        if ids
    ]
    if snap.requested_system_ids:
        clauses.append(
            and_(
                Finding.subject_type.not_in(list(covered)),
                _in_chunks(Finding.system_id, snap.requested_system_ids),
            )
        )
    return or_(*clauses) if clauses else None


_ROW_COLUMNS = (
    Finding.id,
    Finding.rule_id,
    Finding.subject_type,
    Finding.subject_id,
    Finding.discriminator,
    Finding.state,
    Finding.waiver_id,
    Finding.fingerprint,
)


def _row_key(row: Any) -> Key:
    return (row.rule_id, row.subject_type.value, row.subject_id, row.discriminator)


def _load_existing(
    session: Session, snap: LedgerSnapshot, hits: dict[Key, tuple[Rule, Hit]]
) -> tuple[dict[Key, Any], set[Key]]:
    """Stored findings (as plain rows) to reconcile, and the keys this evaluation may resolve.

    Rows, not ORM objects: comparing is all most findings need; only the ones that change are
    loaded as objects (so their changes reach the change log).
    """
    if not snap.partial:
        existing = {_row_key(r): r for r in session.execute(select(*_ROW_COLUMNS))}
        return existing, set(existing)
    clause = _scope_clause(snap)
    existing = {}
    if clause is not None:
        existing = {_row_key(r): r for r in session.execute(select(*_ROW_COLUMNS).where(clause))}
    resolvable = set(existing)
    by_type: dict[str, set[int]] = {}
    for _rule_id, subject_type, subject_id, _disc in (k for k in hits if k not in existing):
        by_type.setdefault(subject_type, set()).add(subject_id)
    for subject_type, ids in by_type.items():
        stmt = select(*_ROW_COLUMNS).where(
            Finding.subject_type == SubjectType(subject_type), _in_chunks(Finding.subject_id, ids)
        )
        for row in session.execute(stmt):
            existing.setdefault(_row_key(row), row)
    return existing, resolvable


def _desired_fields(rule: Rule, hit: Hit) -> dict[str, Any]:
    fields = {
        "rule_title": rule.title,
        "severity": hit.severity or rule.severity,
        "citation": rule.citation,
        "subject_name": hit.subject_name[:300],
        "unit_id": hit.unit_id,
        "system_id": hit.system_id,
        "message": hit.message,
        "due_date": hit.due_date,
        "facts": hit.facts,  # made JSON-ready only when written (see _stored)
    }
    # enums are str subclasses and dates print as ISO: default=str is the canonical form of both
    canonical = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    fields["fingerprint"] = hashlib.sha1(canonical.encode("utf-8"), usedforsecurity=False).hexdigest()
    return fields


def _stored(fields: dict[str, Any]) -> dict[str, Any]:
    from taizhang.changelog import to_jsonable

    return {**fields, "facts": to_jsonable(fields["facts"])}


def _refresh(finding: Finding, fields: dict[str, Any], waiver_id: int | None, now: dt.datetime) -> str:
    """Bring ``finding`` in line with a hit; returns "reopened", "updated" or "unchanged"."""
    outcome = "unchanged"
    for name, value in _stored(fields).items():
        if getattr(finding, name) != value:
            setattr(finding, name, value)
            outcome = "updated"
    state = FindingState.WAIVED if waiver_id is not None else FindingState.OPEN
    if finding.state is FindingState.RESOLVED:
        finding.resolved_at = None
        finding.reopened_at = now
        outcome = "reopened"
    if finding.state is not state:
        finding.state = state
        outcome = "updated" if outcome == "unchanged" else outcome
    if finding.waiver_id != waiver_id:
        finding.waiver_id = waiver_id
        outcome = "updated" if outcome == "unchanged" else outcome
    return outcome


def _lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK})


def evaluate(
    session: Session,
    *,
    today: dt.date | None = None,
    system_ids: Iterable[int] | None = None,
    rules: Sequence[Rule] | None = None,
    policy: Policy | None = None,
    calendar: WorkdayCalendar | None = None,
    release_reads: bool = False,
) -> EvaluationReport:
    """Run ``rules`` (default: all) over the ledger or some systems and store the findings (flush only).

    ``release_reads`` (SQLite, the background pump): the rules read in a transaction of their own,
    committed before the findings are stored in a second one that takes the write lock up front
    (``BEGIN IMMEDIATE``). Writers then wait only for the storing, not for seconds of reading; a
    deferred transaction that read first could not take the lock at all once another connection
    had committed. Writes committed between the two are queued requests of their own, evaluated by
    the next run.
    """
    started = time.perf_counter()
    today = today or china_today()
    _lock(session)
    snap = LedgerSnapshot(session, today=today, system_ids=system_ids, policy=policy, calendar=calendar)
    selected = list(rules) if rules is not None else all_rules()
    report = EvaluationReport(
        today=today, partial=snap.partial, system_ids=sorted(snap.requested_system_ids or ())
    )
    report.rules = len(selected)
    # Cycle collection over a heap of 100,000 freshly loaded rows costs more than the rules
    # themselves; nothing built here forms cycles that must be freed before the run ends.
    collecting = gc.isenabled()
    gc.disable()
    try:
        hits, report.errors = run_rules(snap, selected)
        report.hits = len(hits)
        if release_reads and session.get_bind().dialect.name == "sqlite":
            session.commit()
            declare_write(session)
        existing, resolvable = _load_existing(session, snap, hits)
        _reconcile(session, report, hits, existing, resolvable, selected, today)
    finally:
        if collecting:
            gc.enable()
    from security.findings.rectification import mark_overdue

    mark_overdue(session, today=today)
    session.flush()
    report.seconds = time.perf_counter() - started
    return report


def _reconcile(
    session: Session,
    report: EvaluationReport,
    hits: dict[Key, tuple[Rule, Hit]],
    existing: dict[Key, Any],
    resolvable: set[Key],
    selected: Sequence[Rule],
    today: dt.date,
) -> None:
    now = utcnow()
    waivers = active_waivers(session, today)
    seen_ids: list[int] = []
    changes: dict[int, tuple[dict[str, Any], int | None]] = {}
    for key, (rule, hit) in hits.items():
        waiver_id = waivers.get(key[:3])
        fields = _desired_fields(rule, hit)
        row = existing.get(key)
        if row is None:
            _create(session, rule, hit, fields, waiver_id, now)
            report.created += 1
            continue
        seen_ids.append(row.id)
        state = FindingState.WAIVED if waiver_id is not None else FindingState.OPEN
        if row.state is state and row.waiver_id == waiver_id and row.fingerprint == fields["fingerprint"]:
            report.unchanged += 1
        else:
            changes[row.id] = (fields, waiver_id)
    to_resolve = _to_resolve(report, hits, existing, resolvable, selected)
    for finding in _objects(session, [*changes, *to_resolve]):
        if finding.id in changes:
            outcome = _refresh(finding, *changes[finding.id], now)
            setattr(report, outcome, getattr(report, outcome) + 1)
            set_committed_value(finding, "last_seen", now)
        else:
            finding.state, finding.resolved_at, finding.waiver_id = FindingState.RESOLVED, now, None
            report.resolved += 1
    # last_seen moves in bulk, outside the change log; updated_at keeps meaning "last real change"
    for start in range(0, len(seen_ids), _CHUNK):
        chunk = seen_ids[start : start + _CHUNK]
        stmt = (
            update(Finding).where(Finding.id.in_(chunk)).values(last_seen=now, updated_at=Finding.updated_at)
        )
        session.execute(stmt.execution_options(synchronize_session=False))


def _create(
    session: Session, rule: Rule, hit: Hit, fields: dict[str, Any], waiver_id: int | None, now: dt.datetime
) -> None:
    session.add(
        Finding(
            rule_id=rule.id,
            subject_type=hit.subject_type,
            subject_id=hit.subject_id,
            discriminator=hit.discriminator,
            state=FindingState.WAIVED if waiver_id is not None else FindingState.OPEN,
            waiver_id=waiver_id,
            first_seen=now,
            last_seen=now,
            **_stored(fields),
        )
    )


def _to_resolve(
    report: EvaluationReport,
    hits: dict[Key, tuple[Rule, Hit]],
    existing: dict[Key, Any],
    resolvable: set[Key],
    selected: Sequence[Rule],
) -> list[int]:
    """Ids of live findings in scope that no rule hit any more (and whose rule ran cleanly)."""
    evaluated = {rule.id for rule in selected} - set(report.errors)
    registered = {rule.id for rule in all_rules()}
    whole = not report.partial and registered <= {rule.id for rule in selected}
    out = []
    for key in resolvable - set(hits):
        row = existing[key]
        if row.state is FindingState.RESOLVED:
            continue
        # a whole-ledger run also resolves the findings of rules that no longer exist
        if row.rule_id in evaluated or (whole and row.rule_id not in registered):
            out.append(row.id)
    return out


def _objects(session: Session, ids: list[int]) -> list[Finding]:
    out: list[Finding] = []
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        out.extend(session.execute(select(Finding).where(Finding.id.in_(chunk))).scalars())
    return out


def severity_counts(rows: Iterable[tuple[Severity, int]]) -> dict[str, int]:
    counts = {severity.value: 0 for severity in Severity}
    for severity, count in rows:
        counts[severity.value] += count
    return counts
