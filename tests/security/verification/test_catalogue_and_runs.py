"""Catalogue and playbook agree, ansible-lint passes, events parse, the queue claims once, CLI answers."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from inventory.choices import HostKind, SystemLifecycle, UnitKind
from inventory.models import Host, System, Unit
from security.verification import service
from security.verification.catalogue import catalogue, playbooks_dir
from security.verification.choices import CheckOutcome, RunStatus
from security.verification.inventory import Selection
from security.verification.runner import results_from_events
from taizhang.changelog import ChangeLogEntry
from taizhang.cli import app as cli_app

API = "/api/v1/security/verification"


def test_every_catalogue_check_has_one_task_and_back() -> None:
    text = (playbooks_dir() / "verify.yml").read_text()
    task_ids = re.findall(r'- name: "(TZ-[A-Z]+-\d{3}) \|', text)
    assert sorted(task_ids) == sorted(catalogue())
    assert len(catalogue()) >= 17
    for check in catalogue().values():
        assert check.requirement and check.remediation and check.rationale


def test_ansible_lint_passes() -> None:
    lint = Path(sys.executable).parent / "ansible-lint"
    done = subprocess.run(
        [str(lint), "--offline", "--nocolor"],
        cwd=playbooks_dir(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_events_become_one_result_per_host_and_check() -> None:
    def ev(kind: str, host: str, task: str, res: dict[str, object] | None = None) -> dict[str, object]:
        return {
            "event": kind,
            "created": "2026-11-26T10:00:00",
            "event_data": {"host": host, "task": task, "res": res},
        }

    events = [
        {"event": "runner_on_start", "event_data": {"host": "a", "task": "TZ-SSH-001 | x"}},  # no res
        ev("runner_on_ok", "a", "TZ-PROBE | p", {"stdout": "os_id=debian\nos_version_id=12\nnoise\n"}),
        ev("runner_on_ok", "a", "TZ-PARSE | p", {}),
        ev("runner_on_ok", "a", "TZ-SSH-001 | x", {"msg": "符合 | PermitRootLogin=no"}),
        ev("runner_on_failed", "a", "TZ-SSH-002 | x", {"msg": "不符合 | PasswordAuthentication=yes"}),
        ev("runner_on_failed", "a", "TZ-PKG-001 | x", {"msg": "NOT_CHECKED | 软件源索引为空"}),
        ev("runner_on_failed", "a", "TZ-LOG-001 | x", {"msg": "template error while templating"}),
        ev("runner_on_skipped", "a", "TZ-TLS-001 | x", {"false_condition": "tz_tls_endpoints | length > 0"}),
        ev("runner_on_unreachable", "b", "TZ-PROBE | p", {"msg": "Connection refused"}),
    ]
    checks = ["TZ-SSH-001", "TZ-SSH-002", "TZ-PKG-001", "TZ-LOG-001", "TZ-TLS-001", "TZ-AGT-001"]
    out = results_from_events(events, ["a", "b"], checks, status=RunStatus.SUCCEEDED)
    got = {k: v.outcome for k, v in out.results.items()}
    assert got[("a", "TZ-SSH-001")] is CheckOutcome.PASS
    assert got[("a", "TZ-SSH-002")] is CheckOutcome.FAIL
    assert got[("a", "TZ-PKG-001")] is CheckOutcome.NOT_CHECKED
    assert got[("a", "TZ-LOG-001")] is CheckOutcome.ERROR
    assert got[("a", "TZ-TLS-001")] is CheckOutcome.NOT_APPLICABLE
    assert got[("a", "TZ-AGT-001")] is CheckOutcome.ERROR  # no event: recorded, not silently dropped
    assert all(got[("b", c)] is CheckOutcome.ERROR for c in checks)
    assert "Connection refused" in out.results[("b", "TZ-SSH-001")].evidence
    assert out.observed["a"] == {"os_id": "debian", "os_version_id": "12"}
    assert len(out.results) == 12


def _ledger(session: Session) -> dict[str, int]:
    unit = Unit(code="U01", name="县数据局", kind=UnitKind.COUNTY_DEPARTMENT)
    session.add(unit)
    session.flush()
    system = System(catalogue_number="XF-001", name="平台", owner_unit_id=unit.id,
                    lifecycle=SystemLifecycle.RUNNING, mlps_level=3)  # fmt: skip
    host = Host(hostname="web-01", kind=HostKind.VIRTUAL, ip_addresses=["10.0.0.5"], unit_id=unit.id,
                role="web", systems=[system])  # fmt: skip
    session.add(host)
    session.commit()
    return {"unit": unit.id, "host": host.id, "system": system.id}


def test_queue_claims_once_and_cancel(session: Session, client: TestClient) -> None:
    ids = _ledger(session)
    run = service.enqueue_run(session, selection=Selection(host_ids=[ids["host"]]), requested_by="t")
    session.commit()
    assert service.claim_run(session, worker="w1") == run.id
    assert service.claim_run(session, worker="w2") is None  # already claimed
    session.commit()
    # The claim is in the change log, as every other change of a run is.
    logged = session.execute(
        select(ChangeLogEntry).where(
            ChangeLogEntry.object_type == "security.verificationrun",
            ChangeLogEntry.object_id == run.id,
            ChangeLogEntry.action == "update",
        )
    ).scalar_one()
    assert (logged.before or {})["status"] == "queued" and (logged.after or {})["status"] == "running"
    assert logged.actor == "test"
    assert client.post(f"{API}/runs/{run.id}/cancel").json()["cancel_requested"] is True

    queued = client.post(f"{API}/runs", json={"unit_ids": [ids["unit"]]}).json()
    cancelled = client.post(f"{API}/runs/{queued['id']}/cancel").json()
    assert cancelled["status"] == "cancelled"
    again = client.post(f"{API}/runs/{queued['id']}/cancel")
    assert again.status_code == 409 and "已结束" in again.json()["detail"]

    bad = client.post(f"{API}/runs", json={"check_ids": ["TZ-NOPE-001"]})
    assert bad.status_code == 422 and bad.json()["field"] == "check_ids"
    assert client.post(f"{API}/runs", json={"host_ids": [999]}).status_code == 404


def test_permissions(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    auditor = make_user("aud", "auditor")
    assert client.get(f"{API}/checks", headers=auditor).status_code == 200
    assert client.post(f"{API}/runs", json={}, headers=auditor).status_code == 403
    assert client.post(f"{API}/runs", json={}, headers=make_user("op", "ops")).status_code == 202
    assert client.post(f"{API}/runs", json={}, headers=make_user("sec", "security")).status_code == 202


def test_cli_checks_and_dynamic_inventory(session: Session) -> None:
    ids = _ledger(session)
    runner = CliRunner()
    listed = runner.invoke(cli_app, ["checks", "list", "--json"])
    assert listed.exit_code == 0 and len(json.loads(listed.stdout)) == len(catalogue())
    inv = runner.invoke(cli_app, ["ansible-inventory", "--list"])
    assert inv.exit_code == 0, inv.output
    data = json.loads(inv.stdout)
    assert data["unit_u01"]["hosts"] == ["web-01"]
    assert data["system_xf_001"]["hosts"] == ["web-01"]
    assert data["level_3"]["hosts"] == ["web-01"] and data["hosting_legacy"]["hosts"] == ["web-01"]
    hv = data["_meta"]["hostvars"]["web-01"]
    assert hv["tz_host_id"] == ids["host"] and hv["tz_allowed_ports"] == [22, 80, 443]
    assert data["all"]["vars"]["tz_policy"]["log_retention_days"] == 180
    assert not any("pass" in k.lower() for k in json.dumps(data).split('"') if k.startswith("ansible_"))
    assert runner.invoke(cli_app, ["ansible-inventory"]).exit_code == 2
    queued = runner.invoke(cli_app, ["verify", "--host", str(ids["host"]), "--queue"])
    assert queued.exit_code == 0 and "已排队" in queued.output
    unknown = runner.invoke(cli_app, ["verify", "--check", "TZ-X-000"])
    assert unknown.exit_code == 2 and "未知的检查项" in unknown.output


def test_profiles_api_validates_and_scopes(session: Session, client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    ids = _ledger(session)
    body = {"host_id": ids["host"], "tls_endpoints": ["10.0.0.5:443"], "security_agents": ["edr-agent"]}
    created = client.post(f"{API}/profiles", json=body)
    assert created.status_code == 201, created.text
    bad = client.post(f"{API}/profiles", json={**body, "tls_endpoints": ["10.0.0.5"]})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "tls_endpoints"
    assert client.post(f"{API}/profiles", json=body).status_code == 409  # one profile per host
    other = Unit(code="U77", name="县水利局", kind=UnitKind.COUNTY_DEPARTMENT)
    session.add(other)
    session.commit()
    stranger = make_user("water", "unit", (other.id,))
    assert client.get(f"{API}/profiles/{created.json()['id']}", headers=stranger).status_code == 404
    owner = make_user("data", "unit", (ids["unit"],))
    assert client.get(f"{API}/profiles/{created.json()['id']}", headers=owner).status_code == 200
    assert (
        client.patch(
            f"{API}/profiles/{created.json()['id']}", json={"ssh_port": 2222}, headers=owner
        ).status_code
        == 403
    )
    hv = json.loads(CliRunner().invoke(cli_app, ["ansible-inventory", "--host", "web-01"]).stdout)
    assert hv["tz_tls_endpoints"] == ["10.0.0.5:443"] and hv["tz_security_agents"] == ["edr-agent"]
