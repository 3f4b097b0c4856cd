"""Re-evaluation after writes that matter, without blocking the writer.

1. A session listener notes, at each flush, which systems the written rows concern (``WATCHED``
   maps a model to a function giving those system ids, or ``None`` for "the whole ledger").
2. Just before the writer commits, the noted systems become ``FindingEvaluationRequest`` rows in
   the same transaction: a rolled-back write asks for nothing.
3. After the commit the in-process pump (``security.findings.background``) is nudged; it claims
   the pending requests, evaluates only those systems (or everything, if a request says so) and
   commits, off the request thread. ``taizhang findings worker`` and ``taizhang check`` consume the
   same queue, so a deployment without the pump loses nothing.

Deletions always ask for a whole-ledger evaluation: the deleted row's links are gone, and a
finding about it must still be resolved. To make a new table trigger re-evaluation, add its model
to ``WATCHED`` (``watch(Model, systems_of)``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import delete, event, insert, inspect, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.base import NO_VALUE

from inventory.models import Host, NetworkAttachment, Product, ProductUsage, Project, Resource, System
from security.findings.models import FindingEvaluationRequest
from taizhang.bulk import on_write

WHOLE = None
_INFO_KEY = "findings_dirty_systems"
_NOTIFY_KEY = "findings_requested"

SystemsOf = Callable[[Any], set[int] | None]
RowSystemsOf = Callable[[dict[str, Any]], set[int] | None]
WATCHED: dict[type, SystemsOf] = {}
WATCHED_ROWS: dict[type, RowSystemsOf] = {}


def watch(model: type, systems_of: SystemsOf, row_systems_of: RowSystemsOf | None = None) -> None:
    """``systems_of`` reads a flushed object; ``row_systems_of`` a row of a batched write
    (``taizhang.bulk``: columns, and many-to-many lists as ids), giving the system ids it names
    (an empty set: none) or ``WHOLE``. Without it a batch asks for the whole ledger."""
    WATCHED[model] = systems_of
    WATCHED_ROWS[model] = row_systems_of or (lambda row: WHOLE)


def _column_values(obj: Any, name: str) -> set[int] | None:
    history = inspect(obj).attrs[name].history
    values = {v for v in (*history.added, *history.unchanged, *history.deleted) if v is not None}
    return values or None


def _linked_systems(obj: Any) -> set[int] | None:
    """System ids of a ``systems`` collection, if loaded and non-empty (else: the whole ledger)."""
    attr = inspect(obj).attrs.systems
    if attr.loaded_value is NO_VALUE:
        return WHOLE
    history = attr.history
    ids = {s.id for s in (*history.added, *history.unchanged, *history.deleted) if s.id is not None}
    return ids or WHOLE


def _row_column(name: str) -> RowSystemsOf:
    return lambda row: {row[name]} if row.get(name) is not None else set()


def _row_systems(row: dict[str, Any]) -> set[int] | None:
    return set(row.get("systems") or ())


watch(System, lambda obj: {obj.id}, lambda row: {row["id"]})
watch(Host, _linked_systems, _row_systems)
watch(Project, _linked_systems, _row_systems)
watch(NetworkAttachment, lambda obj: _column_values(obj, "system_id"), _row_column("system_id"))
watch(ProductUsage, lambda obj: _column_values(obj, "system_id"), _row_column("system_id"))
watch(Resource, lambda obj: _column_values(obj, "system_id"), _row_column("system_id"))
watch(Product, lambda obj: WHOLE)  # used by many systems: cheaper to re-run everything once


def _watch_domains() -> None:
    """The tables of migration, grading, response and verification that rules read."""
    from migration.models import CatalogueItem, CatalogueVersion, Exemption, MigrationPlan, Subscription
    from security.grading.models import (
        CryptoAssessment,
        CryptoPlan,
        MlpsAssessment,
        MlpsFiling,
        MlpsGrading,
        MlpsRectification,
        MlpsSelfCheck,
        RiskAssessment,
    )
    from security.response.models import Drill, EmergencyPlan, Incident
    from security.verification.models import CheckResult

    def by_system(obj: Any) -> set[int] | None:
        return _column_values(obj, "system_id")

    per_system: tuple[type, ...] = (
        MigrationPlan,
        Exemption,
        Subscription,
        MlpsGrading,
        MlpsFiling,
        MlpsAssessment,
        MlpsSelfCheck,
        MlpsRectification,
        CryptoPlan,
        CryptoAssessment,
        RiskAssessment,
    )
    for model in per_system:
        watch(model, by_system, _row_column("system_id"))
    # a catalogue edition changes what "current" means for every subscription; a unit plan or a
    # drill covers systems through the unit; incidents and results are few: re-run everything
    whole: tuple[type, ...] = (CatalogueVersion, CatalogueItem, EmergencyPlan, Drill, Incident, CheckResult)
    for model in whole:
        watch(model, lambda obj: WHOLE)


_watch_domains()


def _note(session: Session, systems: set[int] | None) -> None:
    pending: dict[str, Any] = session.info.setdefault(_INFO_KEY, {"whole": False, "ids": set()})
    if systems is None:
        pending["whole"] = True
    else:
        pending["ids"].update(systems)


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _ctx: Any) -> None:
    for obj in session.deleted:
        if type(obj) in WATCHED:
            _note(session, WHOLE)
    for obj in (*session.new, *session.dirty):
        systems_of = WATCHED.get(type(obj))
        if systems_of is None:
            continue
        if obj in session.dirty and not session.is_modified(obj, include_collections=True):
            continue
        _note(session, systems_of(obj))


@on_write
def _collect_batch(
    session: Session, model: type, rows: list[dict[str, Any]], previous: list[dict[str, Any]] | None
) -> None:
    """Rows written by ``taizhang.bulk``, which flush listeners do not see.

    As for a flushed object, a row concerns the systems it names before and after the write;
    naming none, it concerns the whole ledger.
    """
    systems_of = WATCHED_ROWS.get(model)
    if systems_of is None:
        return
    named: set[int] = set()
    for position, row in enumerate(rows):
        systems = systems_of(row)
        if systems is not None and previous is not None:
            earlier = systems_of(previous[position])
            systems = None if earlier is None else systems | earlier
        if not systems:
            _note(session, WHOLE)  # the whole ledger covers the rest of the batch
            return
        named |= systems
    _note(session, named)


def request_evaluation(session: Session, system_ids: Iterable[int] | None = None) -> None:
    """Ask for a re-evaluation of some systems (None: the whole ledger) when ``session`` commits."""
    _note(session, None if system_ids is None else set(system_ids))


@event.listens_for(Session, "before_commit")
def _enqueue(session: Session) -> None:
    if session.new or session.dirty or session.deleted:
        session.flush()  # commit flushes after this hook: note those writes now, not never
    pending = session.info.pop(_INFO_KEY, None)
    if not pending or (not pending["whole"] and not pending["ids"]):
        return
    if pending["whole"]:
        rows = [{"system_id": None, "reason": "whole"}]
    else:
        rows = [{"system_id": i, "reason": "write"} for i in sorted(pending["ids"])]
    # one executemany: a flush would insert the requests one by one (RETURNING each id)
    session.execute(insert(FindingEvaluationRequest), rows)
    session.info[_NOTIFY_KEY] = True


@event.listens_for(Session, "after_commit")
def _nudge(session: Session) -> None:
    if session.info.pop(_NOTIFY_KEY, False):
        from security.findings import background

        background.notify()


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_INFO_KEY, None)
    session.info.pop(_NOTIFY_KEY, None)


def _pending_rows(session: Session) -> list[Any]:
    stmt = select(FindingEvaluationRequest.id, FindingEvaluationRequest.system_id).order_by(
        FindingEvaluationRequest.id
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return list(session.execute(stmt))


def _delete_requests(session: Session, ids: list[int]) -> None:
    for start in range(0, len(ids), 900):
        session.execute(
            delete(FindingEvaluationRequest).where(FindingEvaluationRequest.id.in_(ids[start : start + 900]))
        )


def claim_pending(session: Session) -> tuple[bool, set[int], int]:
    """Take the queued requests (skipping rows another worker holds); returns (whole, system ids, n).

    The rows are deleted in the caller's transaction: if the evaluation fails and rolls back, the
    requests come back for the next attempt.
    """
    rows = _pending_rows(session)
    if not rows:
        return False, set(), 0
    _delete_requests(session, [r.id for r in rows])
    whole = any(r.system_id is None for r in rows)
    return whole, {r.system_id for r in rows if r.system_id is not None}, len(rows)


def evaluation_pending(session: Session, system_id: int | None = None) -> bool:
    """Whether a committed write still waits for its re-evaluation (of ``system_id``, or of anything).

    A page that shows findings asks this *before* reading them: if nothing was pending then, every
    write committed before that moment has been evaluated, and the findings read after it are current.
    Rows the pump has claimed stay visible to other transactions until its evaluation commits.
    """
    stmt = select(FindingEvaluationRequest.id)
    if system_id is not None:
        stmt = stmt.where(
            or_(
                FindingEvaluationRequest.system_id == system_id,
                FindingEvaluationRequest.system_id.is_(None),
            )
        )
    return session.execute(stmt.limit(1)).first() is not None


def process_pending(
    session: Session, *, today: dt.date | None = None, release_reads: bool = False
) -> dict[str, Any] | None:
    """Evaluate what the queue asks for (flush only; the caller commits). None when the queue is empty.

    The requests are deleted after the evaluation, by id, in the transaction that stores its
    findings: a request queued meanwhile stays for the next run. ``release_reads`` (the background
    pump): see ``engine.evaluate``.
    """
    from security.findings.engine import evaluate

    rows = _pending_rows(session)
    if not rows:
        return None
    whole = any(r.system_id is None for r in rows)
    system_ids = None if whole else {r.system_id for r in rows if r.system_id is not None}
    report = evaluate(session, today=today, system_ids=system_ids, release_reads=release_reads)
    _delete_requests(session, [r.id for r in rows])
    return {"requests": len(rows), **report.as_dict()}
