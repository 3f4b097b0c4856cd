"""Counting the SQL statements a piece of code runs (the N+1 tests, the page caches)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine

from taizhang.db import statements_run

PUMP_THREAD = "findings-pump"


@contextmanager
def counting(engine: Engine, *, skip_thread: str | None = PUMP_THREAD) -> Iterator[list[str]]:
    """Statements ``engine`` runs meanwhile; not those of ``skip_thread`` (the app's findings pump)."""
    with statements_run(
        engine, include=lambda: skip_thread is None or threading.current_thread().name != skip_thread
    ) as statements:
        yield statements
