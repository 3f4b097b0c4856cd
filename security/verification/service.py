"""Verification services: queue, claim, cancel and execute runs; store and read results.

A run never executes inside an API request: the API only queues it, a worker (``taizhang worker``)
claims it — PostgreSQL ``FOR UPDATE SKIP LOCKED``, SQLite an atomic ``UPDATE … WHERE status='queued'``.
Services flush; the boundary commits (``execute_run`` is itself a boundary: it commits in steps so
that other processes see the run move).
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import sqlite3
from collections import Counter
from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import Select, Table, select, update
from sqlalchemy.orm import Session

from inventory.models import Host
from security.verification.catalogue import catalogue
from security.verification.choices import FINISHED, CheckOutcome, RunStatus
from security.verification.inventory import Selection, inventory_for
from security.verification.models import CheckResult, CheckResultHistory, VerificationRun
from security.verification.runner import RunOutput, run_verification
from taizhang import bulk
from taizhang.auth.principal import ALL, Scope
from taizhang.db import new_session, utcnow
from taizhang.errors import Conflict, Invalid, NotFound
from taizhang.settings import get_settings


def validate_selection(session: Session, selection: Selection, *, scope: Scope = ALL) -> Selection:
    unknown = [c for c in selection.check_ids if c not in catalogue()]
    if unknown:
        raise Invalid(f"未知的检查项：{'、'.join(unknown)}", field="check_ids")
    for host_id in selection.host_ids:
        host = session.get(Host, host_id)
        if host is None or not scope.allows_unit(host.unit_id):
            raise NotFound(f"主机 {host_id} 不存在", field="host_ids")
    if (
        not scope.everything
        and selection.unit_ids
        and not set(selection.unit_ids) <= (scope.unit_ids or set())
    ):
        raise NotFound("所选单位不存在", field="unit_ids")
    return selection


def enqueue_run(
    session: Session,
    *,
    selection: Selection,
    requested_by: str,
    scope: Scope = ALL,
    timeout_seconds: int | None = None,
) -> VerificationRun:
    validate_selection(session, selection, scope=scope)
    filters = selection.as_dict()
    if not scope.everything:
        filters["scope_unit_ids"] = sorted(scope.unit_ids or [])
    run = VerificationRun(
        status=RunStatus.QUEUED,
        requested_by=requested_by,
        filters=filters,
        timeout_seconds=timeout_seconds or get_settings().verify_timeout_seconds,
        summary={},
    )
    session.add(run)
    session.flush()
    return run


def get_run(session: Session, run_id: int) -> VerificationRun:
    run = session.get(VerificationRun, run_id)
    if run is None:
        raise NotFound(f"核验任务 {run_id} 不存在")
    return run


def request_cancel(session: Session, run_id: int) -> VerificationRun:
    run = get_run(session, run_id)
    if run.status in FINISHED:
        raise Conflict(f"核验任务 {run_id} 已结束（{run.status.label}），无法取消")
    if run.status is RunStatus.QUEUED:
        run.status = RunStatus.CANCELLED
        run.finished_at = utcnow()
        run.message = "排队中被取消"
    run.cancel_requested = True
    session.flush()
    return run


def claim_run(session: Session, *, worker: str, run_id: int | None = None) -> int | None:
    """Take one queued run (the oldest, or ``run_id``); ``None`` when another worker was faster."""
    candidate: Select[Any] = select(VerificationRun.id).where(VerificationRun.status == RunStatus.QUEUED)
    candidate = candidate.where(VerificationRun.id == run_id) if run_id else candidate
    candidate = candidate.order_by(VerificationRun.id).limit(1)
    if session.get_bind().dialect.name == "postgresql":
        candidate = candidate.with_for_update(skip_locked=True)
    chosen = session.execute(candidate).scalar_one_or_none()
    if chosen is None:
        return None
    table = cast(Table, VerificationRun.__table__)
    stored = dict(session.execute(select(*table.c).where(table.c.id == chosen)).one()._mapping)
    now = utcnow()
    claimed_values = {"status": RunStatus.RUNNING, "worker": worker, "started_at": now, "heartbeat_at": now}
    claimed = session.execute(
        update(VerificationRun)
        .where(VerificationRun.id == chosen, VerificationRun.status == RunStatus.QUEUED)
        .values(**claimed_values)
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        return None
    # The conditional UPDATE is what makes the claim atomic; log it as a flush would log the edit.
    bulk.log_updates(session, VerificationRun, [stored], [{**stored, **claimed_values}])
    return chosen


def fail_abandoned_runs(session: Session, *, grace_seconds: int = 120) -> int:
    """Runs left 'running' by a worker that died past their time limit are marked failed."""
    now = utcnow()
    count = 0
    for run in session.execute(
        select(VerificationRun).where(VerificationRun.status == RunStatus.RUNNING)
    ).scalars():
        started = run.started_at or run.created_at
        if started + dt.timedelta(seconds=run.timeout_seconds + grace_seconds) < now:
            run.status, run.finished_at, run.message = RunStatus.FAILED, now, "执行进程中断，任务未完成"
            count += 1
    session.flush()
    return count


RESULT_CHUNK = 10000


def record_results(
    session: Session, run: VerificationRun, output: RunOutput, host_ids: dict[str, int]
) -> None:
    """Upsert the current state per (host, check) and append history, in bulk.

    One INSERT … ON CONFLICT DO UPDATE and one plain INSERT per chunk of results (both SQLite and
    PostgreSQL speak it), each compiled once and executed over chunks of rows: a million results
    never become a million ORM objects.
    """
    rows = [
        {
            "host_id": host_ids[hostname],
            "check_id": check_id,
            "outcome": result.outcome,
            "evidence": result.evidence,
            "observed": output.observed.get(hostname, {}),
            "checked_at": result.checked_at,
            "run_id": run.id,
        }
        for (hostname, check_id), result in sorted(output.results.items())
        if hostname in host_ids
    ]
    ingest_results(session, rows)


_RESULT_COLUMNS = ("host_id", "check_id", "outcome", "evidence", "observed", "checked_at", "run_id")


def _result_sql(paramstyle: str) -> tuple[str, str]:
    """The upsert of the current state and the insert of history, as driver SQL.

    The current row takes its unit from the host row in the same statement (a primary-key
    lookup), so the copy can never be older than the host it was written for.
    """
    mark = "?" if paramstyle == "qmark" else "%s"
    columns = ", ".join(_RESULT_COLUMNS)
    # PostgreSQL is handed the JSON as text (see _driver_rows) and casts it.
    values = ", ".join(f"{mark}::json" if c == "observed" and mark == "%s" else mark for c in _RESULT_COLUMNS)
    updated = ", ".join(f"{c} = excluded.{c}" for c in (*_RESULT_COLUMNS[2:], "unit_id"))
    upsert = (
        f"INSERT INTO check_results ({columns}, unit_id) "
        f"VALUES ({values}, (SELECT unit_id FROM hosts WHERE id = {mark})) "
        f"ON CONFLICT (host_id, check_id) DO UPDATE SET {updated}"
    )
    history = f"INSERT INTO check_result_history ({columns}) VALUES ({values})"
    return upsert, history


def _converter(dialect: Any, column: str, *, remember: bool) -> Callable[[Any], Any]:
    """The column's own bind processing (enum to value, UTC datetime to the stored form, dict to
    JSON), ending in the value the driver stores; ``remember`` keeps what each distinct value
    became (a run's results share their outcomes and often their times)."""
    process: Callable[[Any], Any] | None = (
        cast(Table, CheckResult.__table__).c[column].type.bind_processor(dialect)
    )
    if process is None and column == "observed":  # psycopg adapts JSON itself; PostgreSQL casts text
        process = getattr(dialect, "_json_serializer", None) or json.dumps
    # sqlite3 would adapt a datetime row by row in its default adapter; adapt it here once instead
    adapt = sqlite3.adapters.get((dt.datetime, sqlite3.PrepareProtocol)) if dialect.name == "sqlite" else None

    def convert(value: Any) -> Any:
        if value is None:
            return None
        if process is not None:
            value = process(value)
        if adapt is not None and isinstance(value, dt.datetime):
            value = adapt(value)
        return value

    if not remember:
        return convert
    seen: dict[Any, Any] = {}

    def remembered(value: Any) -> Any:
        try:
            return seen[value]
        except KeyError:
            stored = seen[value] = convert(value)
            return stored

    return remembered


def _driver_rows(dialect: Any, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """Rows as the driver takes them, in ``_RESULT_COLUMNS`` order and then the host id again (for
    the unit lookup), converted as SQLAlchemy would convert them row by row."""
    outcome = _converter(dialect, "outcome", remember=True)
    checked_at = _converter(dialect, "checked_at", remember=True)
    to_json = _converter(dialect, "observed", remember=False)
    empty = to_json({})
    by_id: dict[int, Any] = {}  # a host's results share one observed dict; rows keep it alive
    out: list[tuple[Any, ...]] = []
    for row in rows:
        observed = row["observed"]
        if not observed:
            stored = empty
        else:
            stored = by_id.get(id(observed))
            if stored is None:
                stored = by_id[id(observed)] = to_json(observed)
        host_id = row["host_id"]
        out.append(
            (
                host_id,
                row["check_id"],
                outcome(row["outcome"]),
                row["evidence"],
                stored,
                checked_at(row["checked_at"]),
                row["run_id"],
                host_id,
            )
        )
    return out


def ingest_results(session: Session, rows: list[dict[str, Any]]) -> int:
    """Store result rows (host_id, check_id, outcome, evidence, observed, checked_at, run_id).

    One driver-level executemany per chunk for the current state (INSERT … ON CONFLICT DO UPDATE,
    which SQLite and PostgreSQL both speak) and one for history: a million results never become a
    million ORM objects, nor a million rounds of SQLAlchemy's per-row parameter handling.
    """
    conn = session.connection()
    upsert, history = _result_sql(conn.dialect.paramstyle)
    for start in range(0, len(rows), RESULT_CHUNK):
        chunk = _driver_rows(conn.dialect, rows[start : start + RESULT_CHUNK])
        conn.exec_driver_sql(upsert, chunk)
        conn.exec_driver_sql(history, [values[:-1] for values in chunk])
    session.expire_all()
    return len(rows)


def _is_cancelled(run_id: int) -> bool:
    with new_session(actor="worker") as s:
        return bool(
            s.execute(select(VerificationRun.cancel_requested).where(VerificationRun.id == run_id)).scalar()
        )


def execute_run(run_id: int, *, actor: str = "worker") -> RunStatus:
    """Execute a claimed run to its end. Commits its own steps; Ansible runs with no session open."""
    with new_session(actor=actor) as session:
        run = get_run(session, run_id)
        selection = Selection.from_dict(run.filters)
        scope_units = run.filters.get("scope_unit_ids")
        scope = Scope(frozenset(scope_units)) if scope_units is not None else ALL
        inventory = inventory_for(session, selection, scope=scope)
        host_ids = {name: hv["tz_host_id"] for name, hv in inventory["_meta"]["hostvars"].items()}
        timeout = run.timeout_seconds
        session.commit()
    check_ids = selection.check_ids or sorted(catalogue())
    try:
        output = run_verification(
            inventory,
            check_ids,
            only_checks=bool(selection.check_ids),
            timeout_seconds=timeout,
            cancelled=lambda: _is_cancelled(run_id),
        )
    except Exception as exc:  # the run must end in a state, whatever Ansible did
        output = RunOutput(status=RunStatus.FAILED, message=f"执行出错：{exc}")
    with new_session(actor=actor) as session:
        run = get_run(session, run_id)
        record_results(session, run, output, host_ids)
        counts = Counter(r.outcome.value for r in output.results.values())
        run.summary = {
            "hosts": len(host_ids),
            "checks": len(check_ids),
            "outcomes": dict(sorted(counts.items())),
        }
        run.status, run.message, run.finished_at = output.status, output.message, utcnow()
        session.commit()
        return run.status


def default_worker_name() -> str:
    import os

    return f"{socket.gethostname()}:{os.getpid()}"


def run_next(*, worker: str | None = None, run_id: int | None = None) -> int | None:
    """Claim and execute one queued run; returns its id, or None when the queue is empty."""
    with new_session(actor="worker") as session:
        fail_abandoned_runs(session)
        claimed = claim_run(session, worker=worker or default_worker_name(), run_id=run_id)
        session.commit()
    if claimed is None:
        return None
    execute_run(claimed)
    return claimed


def results_query(
    *,
    scope: Scope = ALL,
    host_id: int | None = None,
    check_id: str | None = None,
    outcome: CheckOutcome | None = None,
    history: bool = False,
) -> Select[Any]:
    model: type[CheckResult] | type[CheckResultHistory] = CheckResultHistory if history else CheckResult
    stmt: Select[Any] = select(model).join(Host, Host.id == model.host_id)
    if not scope.everything:
        stmt = stmt.where(Host.unit_id.in_(scope.unit_ids or []))
    if host_id is not None:
        stmt = stmt.where(model.host_id == host_id)
    if check_id:
        stmt = stmt.where(model.check_id == check_id)
    if outcome is not None:
        stmt = stmt.where(model.outcome == outcome)
    order = (model.checked_at.desc(), model.id.desc()) if history else (model.host_id, model.check_id)
    return stmt.order_by(*order)
