"""Metric groups kept between scrapes until a table they read changes.

At province scale the GROUP BY queries behind ``/metrics`` take most of a second, while between
two scrapes (15–60 s) only a few tables change. So each group's metrics are kept with what they
depend on, and computed again only when that changed:

- **the tables the group read.** Recorded while it computes: every statement it runs is matched
  against the schema's table names. Nothing is declared by hand, so a query added to a group later
  cannot be forgotten (a group must read through the session it is given, never from a cache of
  its own or another session, or what it read would go unrecorded). A table is mapped to the
  change log's ``object_type`` of its class; a many-to-many table to both of its sides; a table whose rows a database-side cascade rewrites
  (``ON DELETE CASCADE / SET NULL``) also to the parents whose deletion does it, since those
  rewrites are not logged themselves.
- **the change log since the last scrape.** Every write to a tracked table appends to the log in
  its own transaction (``taizhang.changelog``). One query reads which object types the entries
  after the last scrape's head touched; a group none of whose types is among them is still right.
  If the head went backwards or the entry the cache saw has another hash (a restored backup,
  another database), everything is computed again.
- **the day and the policy.** Groups see ``now.date()`` and the policy in force; a new day or a
  reloaded policy computes them again.

A group that reads a table outside the change log (check results, the evaluation queue) or the
time of day (``live=True``: incident report deadlines in hours) is computed on every scrape. With
no log head yet (a ledger bulk-loaded around the log) nothing is kept. Several workers behind one
database still answer alike: the log they check is the database's. ``TAIZHANG_METRICS_CACHE=0``
turns the cache off (a ledger that other programs write behind the log's back).
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from prometheus_client.core import Metric
from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from taizhang import generation
from taizhang.changelog import ChangeLogEntry, ChangeLogHead, object_type_of
from taizhang.db import Base, Tracked

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@cache
def table_types() -> dict[str, frozenset[str] | None]:
    """Each table's change-log object types; ``None`` for a table the log does not cover."""
    direct: dict[str, frozenset[str] | None] = {}
    for mapper in Base.registry.mappers:
        cls = mapper.class_
        for table in mapper.tables:
            direct[table.name] = frozenset({object_type_of(cls)}) if issubclass(cls, Tracked) else None
    links: dict[str, set[str] | None] = {}
    for mapper in Base.registry.mappers:
        for relation in mapper.relationships:
            secondary = relation.secondary
            if not isinstance(secondary, Table) or secondary.name in direct:
                continue  # no link table, or one mapped to a class of its own
            sides = [relation.parent.class_, relation.mapper.class_]
            known = links.setdefault(secondary.name, set())
            if known is None or not all(issubclass(side, Tracked) for side in sides):
                links[secondary.name] = None
            else:
                known.update(object_type_of(side) for side in sides)
    for name, link_types in links.items():
        direct[name] = None if link_types is None else frozenset(link_types)
    for name in Base.metadata.tables:
        direct.setdefault(name, None)

    def closure(name: str, seen: frozenset[str]) -> frozenset[str] | None:
        own = direct[name]
        if own is None:
            return None
        types = set(own)
        for fk in Base.metadata.tables[name].foreign_keys:
            parent = fk.column.table.name
            if (fk.ondelete or "").upper() in ("CASCADE", "SET NULL") and parent not in seen:
                theirs = closure(parent, seen | {parent})
                if theirs is None:
                    return None
                types |= theirs
        return frozenset(types)

    return {name: closure(name, frozenset({name})) for name in direct}


def types_read(statements: list[str]) -> frozenset[str] | None:
    """The object types behind the tables ``statements`` name; ``None`` if one is not logged."""
    known = table_types()
    types: set[str] = set()
    for sql in statements:
        for word in set(_WORD.findall(sql)):
            if word in known:
                theirs = known[word]
                if theirs is None:
                    return None
                types |= theirs
    return frozenset(types)


@dataclass
class _Entry:
    metrics: list[Metric]
    types: frozenset[str]
    day: dt.date
    policy: Any
    renderings: dict[Any, bytes] = field(default_factory=dict)  # encoder -> the group's text


class GroupCache:
    """One collector's kept groups, valid as of the change-log head ``self._head``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._head: tuple[str, int, str] | None = None  # (database, entry id, hash)
        self._entries: dict[str, _Entry] = {}
        generation.register(self)

    def begin(self, session: Session) -> tuple[tuple[str, int, str] | None, frozenset[str] | None]:
        """This scrape's head, and the object types changed since the last one (``None``: all)."""
        database = session.get_bind().engine.url.render_as_string(hide_password=True)
        row = session.execute(
            select(ChangeLogHead.last_entry_id, ChangeLogHead.last_hash).where(ChangeLogHead.id == 1)
        ).one_or_none()
        if row is None or row.last_entry_id is None:
            return None, None
        head = (database, row.last_entry_id, row.last_hash)
        with self._lock:
            seen = self._head
        if seen is None or seen[0] != database or seen[1] > head[1]:
            return head, None
        if seen == head:
            return head, frozenset()
        still = session.execute(select(ChangeLogEntry.hash).where(ChangeLogEntry.id == seen[1])).scalar()
        if still != seen[2]:
            return head, None
        changed = session.execute(
            select(ChangeLogEntry.object_type).where(ChangeLogEntry.id > seen[1]).distinct()
        ).scalars()
        return head, frozenset(changed)

    def get(
        self,
        name: str,
        changed: frozenset[str] | None,
        day: dt.date,
        policy: Any,
    ) -> list[Metric] | None:
        if changed is None:
            return None
        with self._lock:
            entry = self._entries.get(name)
        if entry is None or entry.day != day or entry.policy is not policy or entry.types & changed:
            return None
        return entry.metrics

    def rendering(self, name: str, metrics: list[Metric], encoder: Any) -> bytes | None:
        """The text ``encoder`` made of a kept group's very ``metrics``, if it made one."""
        with self._lock:
            entry = self._entries.get(name)
            return entry.renderings.get(encoder) if entry is not None and entry.metrics is metrics else None

    def keep_rendering(self, name: str, metrics: list[Metric], encoder: Any, body: bytes) -> None:
        with self._lock:
            entry = self._entries.get(name)
            if entry is not None and entry.metrics is metrics:
                entry.renderings[encoder] = body

    def finish(
        self,
        head: tuple[str, int, str] | None,
        computed: dict[str, tuple[list[Metric], frozenset[str] | None]],
        kept: set[str],
        day: dt.date,
        policy: Any,
    ) -> None:
        """Remember this scrape's groups as of ``head``; a group computed without a head is dropped."""
        with self._lock:
            if head is None:
                self._head = None
                self._entries.clear()
            else:
                self._entries = {name: e for name, e in self._entries.items() if name in kept}
                for name, (metrics, types) in computed.items():
                    if types is not None:
                        self._entries[name] = _Entry(metrics, types, day, policy)
                self._head = head

    def clear(self) -> None:
        with self._lock:
            self._head = None
            self._entries.clear()
