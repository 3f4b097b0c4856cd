"""Per-process caches that stay correct across processes: keyed by the ledger's generation.

Every write to a tracked table appends to the hash-chained change log in the same transaction, and
the log's head row (``changelog_head``: newest entry id and hash) changes with it. So "the head is
what it was" means "no tracked row changed": a count of hosts or the principal behind an API token
computed at that head is still right, in this process or any other, until the head moves. Reading
the head is one primary-key lookup; it replaces a count over 100,000 rows (province scale) and the
two queries of token authentication on every request.

The head is read inside the request's transaction before the cached query would run, so a value is
never stored under a generation older than the data it was computed from.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Hashable
from typing import Any, Protocol, TypeVar

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from taizhang.changelog import ChangeLogHead

T = TypeVar("T")

MAX_ENTRIES = 4096


_MEMO = "taizhang_generation"


def generation(session: Session) -> tuple[int | None, str] | None:
    """The change log's head as this session's transaction sees it (its own flushed writes included).

    Read once per transaction: a flush (which may move the head) or the end of the transaction
    forgets it.
    """
    if _MEMO not in session.info:
        row = session.execute(
            select(ChangeLogHead.last_entry_id, ChangeLogHead.last_hash).where(ChangeLogHead.id == 1)
        ).one_or_none()
        session.info[_MEMO] = None if row is None else (row.last_entry_id, row.last_hash)
    value: tuple[int | None, str] | None = session.info[_MEMO]
    return value


@event.listens_for(Session, "after_flush")
def _forget_after_flush(session: Session, _context: Any) -> None:
    session.info.pop(_MEMO, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_after_transaction(session: Session, _transaction: Any) -> None:
    session.info.pop(_MEMO, None)


class Clearable(Protocol):
    def clear(self) -> None: ...


_caches: weakref.WeakSet[Clearable] = weakref.WeakSet()


def register(cache: Clearable) -> None:
    """Have ``clear_all`` empty ``cache`` too (a cache of another kind, kept while it lives)."""
    _caches.add(cache)


def clear_all() -> None:
    """Empty every cache of this process (tests that count statements start cold)."""
    for cache in list(_caches):
        cache.clear()


class GenerationCache:
    """A bounded map valid for one generation; a new generation empties it."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._lock = threading.Lock()
        self._generation: Any = object()
        self._values: dict[Hashable, Any] = {}
        self._max = max_entries
        self.hits = 0
        self.misses = 0
        _caches.add(self)

    def get_or_compute(self, session: Session, key: Hashable, compute: Callable[[], T]) -> T:
        try:
            hash(key)
        except TypeError:
            return compute()
        if session.new or session.dirty or session.deleted:
            return compute()  # unflushed writes would flush inside compute(), after the head was read
        current = generation(session)
        if current is None:
            return compute()  # a ledger never written through the log (a bulk-loaded bench set)
        with self._lock:
            if current != self._generation:
                self._generation = current
                self._values.clear()
            elif key in self._values:
                self.hits += 1
                value: T = self._values[key]
                return value
        self.misses += 1
        value = compute()
        with self._lock:
            if current == self._generation:
                if len(self._values) >= self._max:
                    self._values.clear()
                self._values[key] = value
        return value

    def clear(self) -> None:
        with self._lock:
            self._generation = object()
            self._values.clear()
