"""Runs a taizhang command in a child process and reports its database writes as they happen, so a
test can SIGKILL it at a known point in the middle of a transaction.

    python crash_driver.py PROGRESS_FILE cli ARGS…              the ``taizhang`` command, as is
    python crash_driver.py PROGRESS_FILE worker                 ``taizhang worker --once``, its Ansible
                                                                 step producing ``synthetic_output``

Every INSERT/UPDATE/DELETE the process sends is appended to PROGRESS_FILE as ``write <table> <rows>``
after the database has executed it (still uncommitted), and every COMMIT as ``commit``; the file is
written unbuffered, so what the test reads is what the process had done. Nothing else changes: the
command's own code runs, with its own transactions.

The worker mode replaces only ``run_verification`` (the Ansible run, which cannot verify thousands
of hosts on a test machine) with a deterministic producer of results for every host and check;
claiming the run, storing the results (``record_results`` → ``ingest_results``) and finishing the
run are the worker's real code.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

_WRITE = re.compile(r"^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)", re.IGNORECASE)
_NEXT_GROUP = re.compile(r"\)\s*,\s*\(")
CHECKED_AT = dt.datetime(2026, 3, 2, 8, 30, tzinfo=dt.UTC)


def synthetic_output(hostnames: list[str], check_ids: list[str]) -> Any:
    """What a verification of ``hostnames`` × ``check_ids`` returns; the same every time."""
    from security.verification.choices import CheckOutcome, RunStatus
    from security.verification.runner import HostResult, RunOutput

    outcomes = [CheckOutcome.PASS, CheckOutcome.FAIL, CheckOutcome.NOT_APPLICABLE, CheckOutcome.PASS]
    output = RunOutput(status=RunStatus.SUCCEEDED)
    for h, host in enumerate(sorted(hostnames)):
        output.observed[host] = {"os_id": "openEuler", "os_version_id": "22.03"}
        for c, check in enumerate(sorted(check_ids)):
            outcome = outcomes[(h + c) % len(outcomes)]
            output.results[(host, check)] = HostResult(outcome, f"{host} {check} {outcome.value}", CHECKED_AT)
    return output


def _rows(statement: str, cursor: Any, params: Any, executemany: bool) -> int:
    """Rows the statement wrote: one per parameter set, per VALUES group (SQLAlchemy sends many rows
    as one multi-row INSERT), or the driver's count for UPDATE and DELETE."""
    if (
        executemany
        and isinstance(params, (list, tuple))
        and all(isinstance(p, (list, tuple, dict)) for p in params)
    ):
        return len(params)
    upper = statement.upper()
    if upper.lstrip().startswith("INSERT") and "VALUES" in upper:
        values = re.split(r"\bRETURNING\b|\bON CONFLICT\b", statement[upper.index("VALUES") :], flags=re.I)[0]
        return len(_NEXT_GROUP.findall(values)) + 1
    count = getattr(cursor, "rowcount", -1)
    return count if isinstance(count, int) and count >= 0 else 1


def _report_writes(progress: Path) -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    fd = os.open(progress, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def line(text: str) -> None:
        os.write(fd, (text + "\n").encode())

    @event.listens_for(Engine, "after_cursor_execute")
    def _after(conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool) -> None:
        match = _WRITE.match(statement)
        if match:
            line(f"write {match.group(2).lower()} {_rows(statement, cursor, params, executemany)}")

    @event.listens_for(Engine, "commit")
    def _commit(conn: Any) -> None:
        line("commit")


def _results_without_ansible() -> None:
    from security.verification import service

    def run_verification(inventory: dict[str, Any], check_ids: list[str], **_: Any) -> Any:
        return synthetic_output(sorted(inventory.get("_meta", {}).get("hostvars", {})), check_ids)

    service.run_verification = run_verification  # type: ignore[assignment]


def main(argv: list[str]) -> None:
    progress, mode, *rest = argv
    _report_writes(Path(progress))
    from taizhang.cli import app

    if mode == "worker":
        _results_without_ansible()
        app(["worker", "--once"], prog_name="taizhang")
    elif mode == "cli":
        app(rest, prog_name="taizhang")
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main(sys.argv[1:])
