"""Counting the SQL statements a piece of code runs (the N+1 tests, the page caches)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event

PUMP_THREAD = "findings-pump"


@contextmanager
def counting(engine: Engine, *, skip_thread: str | None = PUMP_THREAD) -> Iterator[list[str]]:
    """Statements ``engine`` runs meanwhile; not those of ``skip_thread`` (the app's findings pump)."""
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if skip_thread is None or threading.current_thread().name != skip_thread:
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
