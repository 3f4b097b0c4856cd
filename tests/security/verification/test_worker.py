"""Runs leave the API through the queue: a separate worker process, the CLI, timeouts and cancels."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from inventory.choices import HostKind, UnitKind
from inventory.models import Host, Unit
from security.verification import service
from security.verification.catalogue import catalogue
from security.verification.choices import CheckOutcome, RunStatus
from security.verification.inventory import Selection
from security.verification.models import CheckResult, HostVerificationProfile, VerificationRun
from taizhang.changelog import ChangeLogEntry
from taizhang.cli import app as cli_app

API = "/api/v1/security/verification"


def _server(session: Session) -> int:
    unit = Unit(code="U09", name="县政务信息管理局", kind=UnitKind.COUNTY_DEPARTMENT)
    session.add(unit)
    session.flush()
    host = Host(hostname="taizhang-server", kind=HostKind.VIRTUAL, ip_addresses=["127.0.0.1"],
                os_name="Debian", os_version="12", unit_id=unit.id)  # fmt: skip
    session.add(host)
    session.commit()
    return host.id


def test_a_separate_worker_process_runs_what_the_api_queued(session: Session, client: TestClient) -> None:
    host_id = _server(session)
    run_id = client.post(f"{API}/runs", json={"host_ids": [host_id], "check_ids": ["TZ-OS-001"]}).json()["id"]
    env = {**os.environ, "TAIZHANG_DATABASE_URL": str(session.get_bind().url.render_as_string(False))}
    worker = subprocess.run(
        [str(Path(sys.executable).parent / "taizhang"), "worker", "--once"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert worker.returncode == 0, worker.stderr
    assert f"核验任务 {run_id} 已执行完毕" in worker.stdout
    run = client.get(f"{API}/runs/{run_id}").json()
    assert run["status"] == "succeeded" and run["worker"]
    assert run["summary"] == {"hosts": 1, "checks": 1, "outcomes": {"pass": 1}}
    session.expire_all()
    actors = session.execute(
        select(ChangeLogEntry.actor).where(ChangeLogEntry.object_type == "security.verificationrun")
    ).scalars()
    assert {"root_admin", "worker"} <= set(actors)


def test_cli_verify_runs_now_and_prints_results(session: Session) -> None:
    host_id = _server(session)
    done = CliRunner().invoke(cli_app, ["verify", "--host", str(host_id), "--check", "TZ-OS-001", "--json"])
    assert done.exit_code == 0, done.output
    body = json.loads(done.stdout)
    assert body["status"] == "succeeded"
    assert [(r["check_id"], r["outcome"]) for r in body["results"]] == [("TZ-OS-001", "pass")]


def test_timeout_and_cancel_end_the_run_and_record_why(session: Session) -> None:
    host_id = _server(session)
    # a declared TLS endpoint that accepts TCP and never answers keeps the probe busy for seconds
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    endpoint = f"127.0.0.1:{silent.getsockname()[1]}"
    session.add(HostVerificationProfile(host_id=host_id, tls_endpoints=[endpoint]))
    slow = service.enqueue_run(
        session, selection=Selection(host_ids=[host_id]), requested_by="t", timeout_seconds=2
    )
    session.commit()
    assert service.run_next(run_id=slow.id) == slow.id
    session.expire_all()
    assert session.get(VerificationRun, slow.id).status is RunStatus.TIMED_OUT  # type: ignore[union-attr]
    results = session.execute(select(CheckResult).where(CheckResult.run_id == slow.id)).scalars().all()
    assert len(results) == len(catalogue())
    assert all(r.outcome is CheckOutcome.ERROR and r.evidence == "核验超时，未执行到该检查" for r in results)
    silent.close()

    session.execute(delete(HostVerificationProfile))
    run = service.enqueue_run(session, selection=Selection(host_ids=[host_id]), requested_by="t")
    session.commit()
    assert service.claim_run(session, worker="w", run_id=run.id) == run.id
    session.commit()
    service.request_cancel(session, run.id)  # cancel while it is running: the worker stops Ansible
    session.commit()
    assert service.execute_run(run.id) is RunStatus.CANCELLED


def test_check_mode_changes_nothing_and_still_judges(session: Session, tmp_path: Path) -> None:
    import ansible_runner

    from security.verification.catalogue import playbooks_dir
    from security.verification.inventory import inventory_for, to_static
    from security.verification.runner import _environment

    _server(session)
    inventory = to_static(inventory_for(session, Selection()))
    runner = ansible_runner.run(
        private_data_dir=str(tmp_path),
        project_dir=str(playbooks_dir()),
        playbook=str(playbooks_dir() / "verify.yml"),
        inventory=inventory,
        envvars=_environment(),
        cmdline="--check --diff",
        tags="TZ-OS-001,TZ-FILE-001",
        quiet=True,
        timeout=120,
    )
    stats = runner.stats or {}
    assert runner.status == "successful", runner.stdout.read()
    assert not stats.get("changed") and not stats.get("failures")
    verdicts = {
        e["event_data"]["task"].split(" |")[0]: e["event"]
        for e in runner.events
        if e.get("event", "").startswith("runner_on_")
        and e.get("event_data", {}).get("task", "").startswith("TZ-")
    }
    assert verdicts["TZ-PROBE"] == "runner_on_ok"  # the read-only probe runs in check mode too
    assert verdicts["TZ-OS-001"] == "runner_on_ok"
