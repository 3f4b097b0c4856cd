"""Start a command under ``crash_driver.py``, follow its writes, SIGKILL it inside a transaction."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, func, select

from taizhang import db
from taizhang.changelog import ChangeLogEntry, verify_chain

DRIVER = Path(__file__).with_name("crash_driver.py")


@dataclass
class Progress:
    """The driver's log: ``write <table> <rows>`` and ``commit`` lines, in the order they happened."""

    lines: list[str]

    @classmethod
    def read(cls, path: Path) -> Progress:
        text = path.read_text() if path.exists() else ""
        complete = text[: text.rfind("\n") + 1]  # a line being written is not yet a line
        return cls(complete.splitlines())

    def rows_written(self, table: str) -> int:
        """Rows of ``table`` the process has written so far, committed or not."""
        return sum(int(line.rsplit(" ", 1)[1]) for line in self.lines if line.startswith(f"write {table} "))

    def commits_after_first_write(self, table: str) -> int:
        seen = False
        commits = 0
        for line in self.lines:
            seen = seen or line.startswith(f"write {table} ")
            commits += seen and line == "commit"
        return commits


def run_driver(args: list[str], progress: Path, *, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """The command to its end, uninterrupted."""
    return subprocess.run(
        [sys.executable, str(DRIVER), str(progress), *args],
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def kill_mid_transaction(
    args: list[str], progress: Path, *, table: str, after_rows: int, timeout: float = 300
) -> Progress:
    """Start the command; SIGKILL it once it has written ``after_rows`` rows of ``table``.

    Returns what the process had done when it died. Fails the test when the process ended before
    it could be killed (the data set is too small), and when anything was committed between the
    first write to ``table`` and the kill: the operation promises one transaction, or the kill came
    too late.
    """
    proc = subprocess.Popen(
        [sys.executable, str(DRIVER), str(progress), *args],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + timeout
    try:
        while True:
            if Progress.read(progress).rows_written(table) >= after_rows:
                proc.send_signal(signal.SIGKILL)
                break
            if proc.poll() is not None:
                raise AssertionError(
                    f"the command ended (exit {proc.returncode}) before it had written {after_rows} "
                    f"rows of {table}: {proc.stderr.read() if proc.stderr else ''}"
                )
            if time.monotonic() > deadline:
                raise AssertionError(f"no {after_rows} rows of {table} written within {timeout:.0f} s")
            time.sleep(0.005)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, f"exit {proc.returncode}: the kill did not land"
    done = Progress.read(progress)
    assert done.commits_after_first_write(table) == 0, (
        f"a commit came between the first write of {table} and the kill: the operation commits "
        "part-way, or it finished before the kill (then make the data set bigger)"
    )
    return done


def count(model: type) -> int:
    with db.session_scope(write=False) as s:
        return int(s.execute(select(func.count()).select_from(model)).scalar_one())


def chain_ok(engine: Engine) -> int:
    """The change log verifies end to end; returns its length."""
    engine.dispose()
    with db.session_scope(write=False) as s:
        result = verify_chain(s)
        assert result.ok, result
        return int(s.execute(select(func.count()).select_from(ChangeLogEntry)).scalar_one())
