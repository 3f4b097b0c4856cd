"""The ansible-runner adapter: runs verify.yml and turns its events into (host, check) results.

``results_from_events`` is a pure function (tested on its own); ``run_verification`` is the only
place that starts Ansible. The event handler never raises (a raising handler kills the runner
thread and leaves it spinning), and events are read before the artifacts directory is removed.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from security.verification.catalogue import PLAYBOOK, playbooks_dir
from security.verification.choices import CheckOutcome, RunStatus
from security.verification.inventory import to_static
from taizhang.db import utcnow
from taizhang.settings import get_settings

log = logging.getLogger("taizhang.verification")

PASS_PREFIX = "符合 | "
FAIL_PREFIX = "不符合 | "
NOT_CHECKED_PREFIX = "NOT_CHECKED | "
CANCEL_POLL_SECONDS = 2.0
INTERNAL_TASKS = ("TZ-PROBE", "TZ-PARSE", "TZ-PRECHECK")
OS_KEYS = ("os_id", "os_version_id", "os_pretty_name", "os_family", "python", "python_interpreter")


@dataclass
class HostResult:
    outcome: CheckOutcome
    evidence: str
    checked_at: dt.datetime


@dataclass
class RunOutput:
    status: RunStatus
    results: dict[tuple[str, str], HostResult] = field(default_factory=dict)
    observed: dict[str, dict[str, str]] = field(default_factory=dict)
    message: str = ""


def check_id_of(task: str) -> str:
    head = task.split("|", 1)[0].strip()
    return head if head.startswith("TZ-") else ""


def parse_probe(stdout: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in stdout.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key.replace("_", "").isalnum():
            out[key] = value
    return out


def _event_time(event: dict[str, Any]) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(str(event.get("created"))).replace(tzinfo=dt.UTC)
    except ValueError:
        return utcnow()


def _assert_result(kind: str, res: dict[str, Any], event: dict[str, Any]) -> tuple[CheckOutcome, str]:
    msg = str(res.get("msg") or "")
    if kind == "runner_on_ok":
        return CheckOutcome.PASS, msg.removeprefix(PASS_PREFIX)
    if kind == "runner_on_skipped":
        condition = res.get("false_condition") or event.get("event_data", {}).get("false_condition") or ""
        return CheckOutcome.NOT_APPLICABLE, f"不适用：条件不满足（{condition}）" if condition else "不适用"
    if msg.startswith(NOT_CHECKED_PREFIX):
        return CheckOutcome.NOT_CHECKED, msg.removeprefix(NOT_CHECKED_PREFIX)
    if msg.startswith(FAIL_PREFIX):
        return CheckOutcome.FAIL, msg.removeprefix(FAIL_PREFIX)
    return CheckOutcome.ERROR, f"检查任务出错：{msg}"


def results_from_events(
    events: Iterable[dict[str, Any]], hostnames: Iterable[str], check_ids: Iterable[str], *, status: RunStatus
) -> RunOutput:
    """Every (host, check) gets exactly one result; what produced no event is an error with its reason."""
    output = RunOutput(status=status)
    broken: dict[str, str] = {}
    for event in events:
        kind = str(event.get("event") or "")
        data = event.get("event_data") or {}
        host, task = str(data.get("host") or ""), str(data.get("task") or "")
        res = data.get("res") or {}
        if not host or not isinstance(res, dict):
            continue
        if kind == "runner_on_unreachable":
            broken.setdefault(host, f"主机不可达：{res.get('msg') or ''}".strip())
            continue
        check = check_id_of(task)
        if task.startswith("TZ-PROBE") and kind == "runner_on_ok":
            output.observed[host] = {
                k: v for k, v in parse_probe(str(res.get("stdout") or "")).items() if k in OS_KEYS
            }
        elif check in INTERNAL_TASKS and kind == "runner_on_failed":
            detail = res.get("msg") or res.get("stderr") or res.get("stdout") or ""
            broken.setdefault(host, f"采集失败（{task.split('|')[0].strip()}）：{str(detail).strip()[:500]}")
        elif (
            check
            and check not in INTERNAL_TASKS
            and kind in ("runner_on_ok", "runner_on_failed", "runner_on_skipped")
        ):
            outcome, evidence = _assert_result(kind, res, event)
            output.results[(host, check)] = HostResult(outcome, evidence, _event_time(event))
    now = utcnow()
    default_reason = {
        RunStatus.TIMED_OUT: "核验超时，未执行到该检查",
        RunStatus.CANCELLED: "核验已取消，未执行到该检查",
    }.get(status, "未产生检查结果")
    for host in hostnames:
        for check in check_ids:
            if (host, check) not in output.results:
                output.results[(host, check)] = HostResult(
                    CheckOutcome.ERROR, broken.get(host, default_reason), now
                )
    return output


def _environment() -> dict[str, str]:
    settings = get_settings()
    venv_bin = str(Path(sys.executable).parent)
    env = {
        "PATH": f"{venv_bin}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "ANSIBLE_CONFIG": str(playbooks_dir() / "ansible.cfg"),
        "ANSIBLE_HOST_KEY_CHECKING": "True" if settings.ssh_host_key_checking else "False",
        "ANSIBLE_TIMEOUT": "10",
        "ANSIBLE_NOCOLOR": "1",
    }
    ssh_args = "-o ControlMaster=auto -o ControlPersist=60s -o BatchMode=yes"
    if settings.ssh_config_file is not None:
        ssh_args = f"-F {settings.ssh_config_file} {ssh_args}"
    env["ANSIBLE_SSH_ARGS"] = ssh_args
    return env


def run_verification(
    inventory: dict[str, Any],
    check_ids: list[str],
    *,
    only_checks: bool,
    timeout_seconds: int,
    cancelled: Callable[[], bool],
) -> RunOutput:
    """Run verify.yml over ``inventory``; blocks until Ansible finishes, times out or is cancelled."""
    import ansible_runner

    hostnames = sorted(inventory.get("_meta", {}).get("hostvars", {}))
    if not hostnames:
        return RunOutput(status=RunStatus.SUCCEEDED, message="所选范围内没有在用主机")
    events: list[dict[str, Any]] = []

    def handler(event: dict[str, Any]) -> bool:
        try:
            if str(event.get("event", "")).startswith("runner_on_"):
                events.append(event)
        except Exception:  # a raising handler would kill the runner thread
            log.exception("verification event handler")
        return False  # events are kept in memory only; nothing is written per event

    last_check = [0.0, False]  # ansible-runner polls many times a second; ask the database rarely

    def cancel() -> bool:
        now = time.monotonic()
        if now - last_check[0] >= CANCEL_POLL_SECONDS:
            try:
                last_check[:] = [now, bool(cancelled())]
            except Exception:
                log.exception("verification cancel check")
        return bool(last_check[1])

    private = tempfile.mkdtemp(prefix="taizhang-verify-")
    try:
        runner = ansible_runner.run(
            private_data_dir=private,
            project_dir=str(playbooks_dir()),
            playbook=str(playbooks_dir() / PLAYBOOK),
            inventory=to_static(inventory),
            envvars=_environment(),
            forks=get_settings().ansible_forks,
            tags=",".join(check_ids) if only_checks else None,
            timeout=timeout_seconds,
            event_handler=handler,
            cancel_callback=cancel,
            quiet=True,
            json_mode=False,
        )
        status = {
            "successful": RunStatus.SUCCEEDED,
            "failed": RunStatus.SUCCEEDED,  # a failed host is a result, not a failed run
            "canceled": RunStatus.CANCELLED,
            "timeout": RunStatus.TIMED_OUT,
        }.get(str(runner.status), RunStatus.FAILED)
        if status is RunStatus.SUCCEEDED and runner.status == "failed" and not events:
            status = RunStatus.FAILED  # ansible-playbook did not get as far as any host
        message = (
            ""
            if status is not RunStatus.FAILED
            else f"ansible-runner 状态 {runner.status}，返回码 {runner.rc}"
        )
        output = results_from_events(events, hostnames, check_ids, status=status)
        output.message = message
        return output
    finally:
        shutil.rmtree(private, ignore_errors=True)
