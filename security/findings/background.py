"""The in-process evaluation pump: re-evaluates after writes, off the request threads.

One daemon thread per API process. ``notify()`` (called after a commit that queued evaluation
requests) wakes it; it waits ``DEBOUNCE_SECONDS`` so a burst of writes becomes one evaluation,
then consumes the queue (``triggers.process_pending``) in its own transaction, committed before
anything else so the writes' findings show up within seconds. Once a day (the first wake-up or
``POLL_SECONDS`` tick of a new date) it then evaluates the whole ledger in a second transaction,
which is how deadlines that pass and waivers that expire show up without any write. A failed run
is logged and retried after ``RETRY_SECONDS`` (not only at the next write): requests are only
removed by a committed evaluation, and pages show "re-evaluation pending" while any remain.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from taizhang.clock import china_today

log = logging.getLogger("taizhang.findings")

DEBOUNCE_SECONDS = 2.0
POLL_SECONDS = 600.0
RETRY_SECONDS = 5.0


class EvaluationPump:
    def __init__(self, *, daily: bool = True) -> None:
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._daily = daily
        self._last_whole: dt.date | None = None
        self.runs = 0

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="findings-pump", daemon=True)
            self._thread.start()

    def notify(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        failed = False
        while not self._stop.is_set():
            self._wake.wait(RETRY_SECONDS if failed else POLL_SECONDS)
            if self._stop.is_set():
                return
            self._wake.clear()
            if self._stop.wait(DEBOUNCE_SECONDS):
                return
            try:
                self.run_once()
                failed = False
            except Exception:  # keep the thread alive; the queue keeps the requests
                log.exception("background evaluation failed; retrying in %.0f s", RETRY_SECONDS)
                failed = True

    def run_once(self) -> dict[str, Any] | None:
        from security.findings.engine import evaluate
        from security.findings.triggers import process_pending
        from taizhang.db import session_scope

        today = china_today()
        # Deferred, not BEGIN IMMEDIATE: an evaluation reads for seconds and must not hold SQLite's
        # write lock meanwhile, or API writers time out behind it; ``release_reads`` stores the
        # findings in a second, short transaction that takes the lock up front.
        with session_scope(actor="system:findings", write=False) as session:
            result = process_pending(session, today=today, release_reads=True)
        if result is not None and not result["partial"]:
            self._last_whole = today
        # The day's whole-ledger run commits on its own: the queued writes' findings (committed
        # above) must not wait for it.
        if self._daily and self._last_whole != today:
            requests = result["requests"] if result is not None else 0
            with session_scope(actor="system:findings", write=False) as session:
                result = {
                    "requests": requests,
                    **evaluate(session, today=today, release_reads=True).as_dict(),
                }
            self._last_whole = today
        self.runs += 1
        return result


_pump: EvaluationPump | None = None


def notify() -> None:
    if _pump is not None:
        _pump.notify()


def install(app: Any) -> None:
    """Run a pump for the lifetime of ``app`` (wraps its lifespan; no change to the app factory)."""
    previous: Callable[[Any], AbstractAsyncContextManager[Any]] = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[Any]:
        global _pump
        pump = EvaluationPump()
        _pump = pump
        pump.start()
        try:
            async with previous(application) as state:
                yield state
        finally:
            _pump = None
            pump.stop()

    app.router.lifespan_context = lifespan
