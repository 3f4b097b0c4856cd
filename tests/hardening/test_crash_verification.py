"""A verification worker killed with SIGKILL while it stores a run's results leaves the database
consistent: none of that run's results (current or history) is visible, the run stays claimed until
it is failed as abandoned, the change log verifies, and a new run stores exactly what an
uninterrupted run stores.

The worker is the real ``taizhang worker --once`` (``crash_driver.py``); only its Ansible step is
replaced by a deterministic producer, since thousands of hosts cannot be verified on a test
machine and a kill must land while results are being written, not while Ansible runs.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from crash_driver import CHECKED_AT, synthetic_output
from crash_support import chain_ok, count, kill_mid_transaction, run_driver
from sqlalchemy import Engine, insert, select

from inventory.choices import HostKind, UnitKind
from inventory.models import Host, Unit
from security.verification import service
from security.verification.catalogue import catalogue
from security.verification.choices import RunStatus
from security.verification.inventory import Selection
from security.verification.models import CheckResult, CheckResultHistory, VerificationRun
from taizhang import db

HOSTS = 2000  # × the 17 checks of the catalogue: the results transaction writes 34,000 rows twice


def _ledger() -> tuple[int, list[str]]:
    with db.session_scope(actor="test") as s:
        unit = Unit(code="CR", name="核验崩溃测试局", kind=UnitKind.COUNTY_DEPARTMENT)
        s.add(unit)
        s.flush()
        names = [f"crash-{i:05d}" for i in range(HOSTS)]
        s.execute(
            insert(Host),
            [
                {
                    "hostname": n,
                    "kind": HostKind.VIRTUAL,
                    "ip_addresses": [],
                    "unit_id": unit.id,
                    "version": 1,
                }
                for n in names
            ],
        )
        return unit.id, names


def _enqueue(unit_id: int) -> int:
    with db.session_scope(actor="test") as s:
        run = service.enqueue_run(
            s, selection=Selection(unit_ids=[unit_id]), requested_by="test", timeout_seconds=10
        )
        return run.id


def _current() -> set[tuple[Any, ...]]:
    with db.session_scope(write=False) as s:
        rows = s.execute(
            select(
                Host.hostname,
                CheckResult.check_id,
                CheckResult.outcome,
                CheckResult.evidence,
                CheckResult.observed,
                CheckResult.checked_at,
            ).join(Host, Host.id == CheckResult.host_id)
        ).all()
    return {
        (h, c, o.value, e, tuple(sorted(obs.items())), t.replace(tzinfo=None)) for h, c, o, e, obs, t in rows
    }


def _expected(names: list[str]) -> set[tuple[Any, ...]]:
    output = synthetic_output(names, sorted(catalogue()))
    return {
        (
            h,
            c,
            r.outcome.value,
            r.evidence,
            tuple(sorted(output.observed[h].items())),
            CHECKED_AT.replace(tzinfo=None),
        )
        for (h, c), r in output.results.items()
    }


def _run(run_id: int) -> VerificationRun:
    with db.session_scope(write=False) as s:
        return s.get_one(VerificationRun, run_id)


def test_worker_killed_while_storing_results_is_all_or_nothing_and_rerunnable(
    engine: Engine, tmp_path: Path
) -> None:
    unit_id, names = _ledger()
    results = HOSTS * len(catalogue())
    first = _enqueue(unit_id)
    log_before = chain_ok(engine)

    done = kill_mid_transaction(["worker"], tmp_path / "killed.log", table="check_results", after_rows=20_000)
    assert done.rows_written("check_results") < results  # killed part-way through the results

    engine.dispose()
    assert count(CheckResult) == 0, "results of a killed run are visible"
    assert count(CheckResultHistory) == 0, "history of a killed run is visible"
    killed = _run(first)
    assert killed.status is RunStatus.RUNNING and killed.finished_at is None and killed.summary == {}
    # The claim (queued -> running, committed on its own) is logged; nothing of the results transaction.
    assert chain_ok(engine) == log_before + 1

    # The abandoned run is failed once its time limit has passed, by the next worker or by hand.
    time.sleep(1.1)
    with db.session_scope(actor="test") as s:
        assert service.fail_abandoned_runs(s, grace_seconds=-10) == 1
    assert _run(first).status is RunStatus.FAILED

    second = _enqueue(unit_id)
    rerun = run_driver(["worker"], tmp_path / "rerun.log")
    assert rerun.returncode == 0, rerun.stderr
    assert f"核验任务 {second} 已执行完毕" in rerun.stdout
    finished = _run(second)
    assert finished.status is RunStatus.SUCCEEDED
    assert finished.summary["hosts"] == HOSTS and sum(finished.summary["outcomes"].values()) == results
    assert _current() == _expected(names)  # what an uninterrupted run stores, nothing of the killed one
    assert count(CheckResultHistory) == results
    chain_ok(engine)
