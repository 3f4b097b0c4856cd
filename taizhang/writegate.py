"""A fair turn at SQLite's single write lock for every thread and process sharing one database.

SQLite lets one writer in at a time and makes the others wait in its busy handler, which polls
with a growing back-off: it sleeps 1, 2, 5 … then 100 ms between tries and takes the lock only if
it happens to be free at that instant. Under steady write load the lock is free only for the
moment between one writer's COMMIT and the next one's BEGIN IMMEDIATE, and a writer that is
already awake wins that moment nearly every time, so a waiter asleep for 100 ms at a time can lose
every race for the whole busy timeout and fail with "database is locked" while the database is
healthy, only busy (the load test's rare 503s; ``tests/platform/test_write_gate.py`` shows it).

The gate makes declared writers (``taizhang.db.declare_write``) take turns:

* within a process, all engines of one database file share a lock whose waiters sleep until it is
  released (no polling; the busy timeout is their limit);
* across processes, the one writer of each process that holds that lock takes an exclusive
  ``flock`` on a lock file beside the database, trying every millisecond with no back-off, so a
  waiting process sees nearly every moment the lock is free.

Past the busy timeout the writer fails as SQLite would, with "database is locked". The turn is
held from before BEGIN IMMEDIATE until the DBAPI commit or rollback has returned; a process killed
while holding it loses the flock with its descriptors. SQLite's lock stays the authority: writers
that do not declare their intent meet the busy handler as before.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import threading
import time

log = logging.getLogger("taizhang.db")

#: a write transaction holding the gate longer than this is logged with its hold time
SLOW_HOLD_SECONDS = 2.0
#: how often a process waiting for another process's turn tries again
POLL_SECONDS = 0.001


class GateTimeout(sqlite3.OperationalError):
    """No turn at the write lock within the busy timeout."""

    @classmethod
    def after(cls, timeout: float) -> GateTimeout:
        return cls(f"database is locked (no write turn within {timeout:g} s)")


class WriteGate:
    """The write queue of one SQLite database file within one process (see ``gate_for``)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.Lock()
        self._owner: int | None = None  # id() of the DBAPI connection holding the turn
        self._fd = -1
        self._since = 0.0

    def acquire(self, owner: object, timeout: float) -> None:
        """Wait for the turn of ``owner`` (a DBAPI connection); ``GateTimeout`` after ``timeout`` s."""
        if self._owner == id(owner):  # still holding from a transaction whose end was not seen
            return
        deadline = time.monotonic() + timeout
        if not self._local.acquire(timeout=timeout):
            raise GateTimeout.after(timeout)
        try:
            fd = _flock(self.path, deadline)
        except BaseException:
            self._local.release()
            raise
        if fd is None:
            self._local.release()
            raise GateTimeout.after(timeout)
        self._owner, self._fd, self._since = id(owner), fd, time.monotonic()

    def release(self, owner: object) -> None:
        """End ``owner``'s turn; nothing when it holds none."""
        if self._owner != id(owner):
            return
        fd, held = self._fd, time.monotonic() - self._since
        self._owner, self._fd = None, -1
        try:
            os.close(fd)  # closing the descriptor drops its flock
        finally:
            self._local.release()
        if held > SLOW_HOLD_SECONDS:
            log.warning("a write transaction held the database for %.1f s", held)


def _flock(path: str, deadline: float) -> int | None:
    """A new descriptor of ``path`` holding an exclusive flock, or None at ``deadline``.

    A descriptor per turn: a forked child never shares its parent's open lock.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    return None
                time.sleep(POLL_SECONDS)
    except BaseException:
        os.close(fd)
        raise


_GATES: dict[tuple[int, str], WriteGate] = {}
_GATES_LOCK = threading.Lock()


def gate_for(database: str) -> WriteGate:
    """The process's gate for the SQLite file ``database``, shared by all its engines."""
    path = os.path.realpath(database) + "-writer"
    key = (os.getpid(), path)  # a forked child starts its own, never a lock its parent held
    with _GATES_LOCK:
        gate = _GATES.get(key)
        if gate is None:
            gate = _GATES[key] = WriteGate(path)
        return gate
