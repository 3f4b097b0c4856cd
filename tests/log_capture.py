"""Every log record of every logger at DEBUG, kept as text, for tests that look for leaked secrets."""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session


class AllRecords(logging.Handler):
    """Keeps each record's name, template, arguments, formatted message, exception and extras."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.texts: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        parts = [record.name, str(record.msg), repr(record.args)]
        try:
            parts.append(record.getMessage())
        except Exception as exc:  # a broken format string is still a record to search
            parts.append(f"<unformattable: {exc}>")
        if record.exc_info:
            parts.append("".join(traceback.format_exception(*record.exc_info)))
        if record.stack_info:
            parts.append(record.stack_info)
        parts.append(repr(vars(record)))
        self.texts.append("\n".join(parts))

    def containing(self, secret: str) -> list[str]:
        return [t for t in self.texts if secret in t]


@contextmanager
def all_logs_at_debug() -> Iterator[AllRecords]:
    """Root and every existing logger at DEBUG, enabled and propagating to one capturing handler."""
    handler = AllRecords()
    root = logging.getLogger()
    saved_root = root.level
    saved: dict[str, tuple[int, bool, bool]] = {}
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger):
            saved[name] = (logger.level, logger.propagate, logger.disabled)
            logger.setLevel(logging.DEBUG)
            logger.propagate = True
            logger.disabled = False
    root.setLevel(logging.DEBUG)
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(saved_root)
        for name, (level, propagate, disabled) in saved.items():
            logger = logging.getLogger(name)
            logger.setLevel(level)
            logger.propagate = propagate
            logger.disabled = disabled


def changelog_text(session: Session) -> str:
    """Every change-log row, every column, as one text."""
    from taizhang.changelog import ChangeLogEntry

    rows: list[dict[str, Any]] = []
    for entry in session.execute(select(ChangeLogEntry).order_by(ChangeLogEntry.id)).scalars():
        rows.append({c.name: getattr(entry, c.key) for c in ChangeLogEntry.__table__.columns})
    return json.dumps(rows, ensure_ascii=False, default=str)


def assert_no_secret(texts: Iterable[str], secrets: dict[str, str], where: str) -> None:
    texts = list(texts)
    leaks = {name: [t[:500] for t in texts if value in t][:3] for name, value in secrets.items()}
    leaks = {name: found for name, found in leaks.items() if found}
    assert not leaks, f"secrets found in {where}: {leaks}"
