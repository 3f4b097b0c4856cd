"""Real playbooks against localhost and real sshd hosts: the exact outcome of every check on each."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sshhosts as th
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from inventory.choices import HostKind, SystemLifecycle, UnitKind
from inventory.models import Host, System, Unit
from security.verification import service
from security.verification.catalogue import catalogue
from security.verification.discrepancies import verification_discrepancies
from security.verification.models import HostVerificationProfile
from taizhang.settings import reset_settings_cache

API = "/api/v1/security/verification"
P, F, E, NA, NC = "pass", "fail", "error", "not_applicable", "not_checked"
# What no namespace can have: auditd (one per kernel), a time daemon, a host firewall (no nft/iptables).
MACHINE_LIMITS = {"TZ-AUD-001": F, "TZ-TIME-001": F, "TZ-FW-001": F, "TZ-PKG-001": NC}

EXPECTED: dict[str, dict[str, str]] = {
    "tz-good": {
        "TZ-OS-001": P, "TZ-SSH-001": P, "TZ-SSH-002": P, "TZ-PWD-001": P, "TZ-PWD-002": P,
        "TZ-AUTH-001": P, "TZ-SES-001": P, "TZ-LOG-001": P, "TZ-NET-001": P, "TZ-TLS-001": P,
        "TZ-CRY-001": P, "TZ-AGT-001": NA, "TZ-FILE-001": P, **MACHINE_LIMITS,
    },
    "tz-bad": {
        "TZ-OS-001": F, "TZ-SSH-001": F, "TZ-SSH-002": F, "TZ-PWD-001": F, "TZ-PWD-002": F,
        "TZ-AUTH-001": F, "TZ-SES-001": F, "TZ-LOG-001": F, "TZ-NET-001": F, "TZ-TLS-001": F,
        "TZ-CRY-001": NA, "TZ-AGT-001": F, "TZ-FILE-001": F, **MACHINE_LIMITS,
    },
    "tz-legacy": {
        "TZ-OS-001": P, "TZ-SSH-001": P, "TZ-SSH-002": P, "TZ-PWD-001": P, "TZ-PWD-002": P,
        "TZ-AUTH-001": P, "TZ-SES-001": P, "TZ-LOG-001": P, "TZ-NET-001": P, "TZ-TLS-001": NA,
        "TZ-CRY-001": NA, "TZ-AGT-001": NA, "TZ-FILE-001": P, **MACHINE_LIMITS,
    },
    "tz-down": dict.fromkeys(catalogue(), E),
}  # fmt: skip


def _arrange(session: Session) -> dict[str, int]:
    unit = Unit(code="U01", name="县数据局", kind=UnitKind.COUNTY_DEPARTMENT)
    other = Unit(code="U02", name="县民政局", kind=UnitKind.COUNTY_DEPARTMENT)
    session.add_all([unit, other])
    session.flush()
    crypto = System(
        catalogue_number="XF-001",
        name="政务服务平台",
        owner_unit_id=unit.id,
        lifecycle=SystemLifecycle.RUNNING,
        mlps_level=3,
        needs_crypto_assessment=True,
    )
    plain = System(catalogue_number="XF-002", name="内部办公", owner_unit_id=unit.id,
                   lifecycle=SystemLifecycle.RUNNING, mlps_level=2, needs_crypto_assessment=False)  # fmt: skip
    specs = [
        ("tz-good", th.GOOD.address, "Debian", "12", "app", [crypto], unit),
        ("tz-bad", th.BAD.address, "CentOS", "7", "", [plain], unit),
        ("tz-legacy", th.LEGACY.address, "CentOS", "7", "", [], unit),
        ("tz-down", th.DOWN.address, "Debian", "12", "", [], unit),
        ("taizhang-server", "127.0.0.1", "Debian", "12", "", [], other),
    ]
    ids = {}
    for name, ip, os_name, os_version, role, systems, owner in specs:
        host = Host(hostname=name, kind=HostKind.VIRTUAL, ip_addresses=[ip], os_name=os_name,
                    os_version=os_version, role=role, unit_id=owner.id, systems=systems)  # fmt: skip
        session.add(host)
        session.flush()
        ids[name] = host.id
    session.add_all([
        HostVerificationProfile(host_id=ids["tz-good"], tls_endpoints=[f"{th.GOOD.address}:8443"]),
        HostVerificationProfile(host_id=ids["tz-bad"], tls_endpoints=[f"{th.BAD.address}:4433"],
                                security_agents=["edr-agent"]),
        HostVerificationProfile(host_id=ids["tz-legacy"], python_interpreter=str(th.PY27)),
    ])  # fmt: skip
    session.commit()
    return ids


def _by_host(client: TestClient, ids: dict[str, int]) -> dict[str, dict[str, dict[str, Any]]]:
    names = {v: k for k, v in ids.items()}
    page = client.get(f"{API}/results", params={"limit": 1000}).json()
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for row in page["results"]:
        out.setdefault(names[row["host_id"]], {})[row["check_id"]] = row
    return out


def test_real_hosts_every_check(
    session: Session,
    client: TestClient,
    make_user: Callable[..., dict[str, str]],
    sshd_hosts: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TAIZHANG_SSH_KEY_FILE", str(sshd_hosts))
    monkeypatch.setenv("TAIZHANG_SSH_HOST_KEY_CHECKING", "false")
    monkeypatch.setenv("TAIZHANG_VERIFY_TIMEOUT_SECONDS", "240")
    reset_settings_cache()
    ids = _arrange(session)

    created = client.post(f"{API}/runs", json={})
    assert created.status_code == 202, created.text
    run_id = created.json()["id"]
    assert created.json()["status"] == "queued"  # the request only queues; a worker runs it
    assert service.run_next(worker="test-worker") == run_id
    run = client.get(f"{API}/runs/{run_id}").json()
    assert run["status"] == "succeeded", run
    assert run["summary"]["hosts"] == 5

    results = _by_host(client, ids)
    for host, expected in EXPECTED.items():
        got = {check: row["outcome"] for check, row in results[host].items()}
        assert got == expected, (
            host,
            {c: results[host][c]["evidence"] for c in got if got[c] != expected[c]},
        )
    assert "主机不可达" in results["tz-down"]["TZ-SSH-001"]["evidence"]
    assert "PermitRootLogin=yes" in results["tz-bad"]["TZ-SSH-001"]["evidence"]
    assert "23" in results["tz-bad"]["TZ-NET-001"]["evidence"]
    assert "4433:old" in results["tz-bad"]["TZ-TLS-001"]["evidence"]
    assert "/etc/ssh/sshd_config:666:root" in results["tz-bad"]["TZ-FILE-001"]["evidence"]
    # the legacy host: only Python 2.7 there, the raw probe still saw everything
    legacy = results["tz-legacy"]["TZ-OS-001"]["observed"]
    assert legacy["python_interpreter"] == "Python-2.7.18"
    assert "Python-3" not in legacy["python"]
    assert legacy["os_pretty_name"] == "CentOS Linux 7 (Core)"

    local = results["taizhang-server"]
    assert set(local) == set(catalogue())
    assert local["TZ-OS-001"]["outcome"] == P  # this machine is Debian 12, as its ledger row says
    assert all(r["evidence"] for r in local.values())

    found = {(d.hostname, d.check_id): d for d in verification_discrepancies(session)}
    assert found[("tz-bad", "TZ-OS-001")].observed_os == "Debian GNU/Linux 12 (bookworm)"
    assert found[("tz-bad", "TZ-OS-001")].ledger_os == "CentOS 7"
    assert ("tz-good", "TZ-SSH-001") not in found and ("tz-bad", "TZ-SSH-002") in found

    # a unit user sees only their unit's hosts
    unit_headers = make_user("u2", "unit", (session.get(Host, ids["taizhang-server"]).unit_id,))  # type: ignore[union-attr]
    mine = client.get(f"{API}/results", params={"limit": 1000}, headers=unit_headers).json()
    assert {r["host_id"] for r in mine["results"]} == {ids["taizhang-server"]}

    # a second run of one check keeps the current table at one row per (host, check) and grows history
    second = client.post(f"{API}/runs", json={"host_ids": [ids["tz-bad"]], "check_ids": ["TZ-SSH-001"]})
    assert service.run_next(worker="test-worker") == second.json()["id"]
    history = client.get(
        f"{API}/results/history", params={"host_id": ids["tz-bad"], "check_id": "TZ-SSH-001"}
    ).json()
    assert history["count"] == 2
    current = client.get(f"{API}/results", params={"host_id": ids["tz-bad"]}).json()
    assert current["count"] == len(catalogue())
