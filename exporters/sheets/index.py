"""Natural-key indexes: one query per sheet loads the keys, the import keeps them current.

Looking a row up by its natural key one query at a time is what makes a 50,000-row import slow;
these indexes answer from memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from exporters.sheets.normalize import fold
from exporters.sheets.spec import SheetSpec

Key = tuple[Any, ...]


class KeyIndex:
    """``columns`` values → row id, for one table."""

    def __init__(self, session: Session, model: type[Any], columns: Sequence[str]):
        self.columns = tuple(columns)
        stmt = select(model.id, *(getattr(model, c) for c in self.columns))
        self.ids: dict[Key, int] = {tuple(row[1:]): row[0] for row in session.execute(stmt)}

    def get(self, key: Key) -> int | None:
        return self.ids.get(key)

    def add(self, key: Key, object_id: int) -> None:
        self.ids[key] = object_id

    def key_of(self, data: dict[str, Any]) -> Key | None:
        key = tuple([data.get(c) for c in self.columns])
        return None if None in key else key


class RefIndex:
    """How other sheets find a row of ``spec``: by each of its lookups, plus its owning unit."""

    def __init__(self, session: Session, spec: SheetSpec):
        self.spec = spec
        model = spec.entity.model
        self.lookups = [KeyIndex(session, model, cols) for cols in spec.lookups]
        self.owner: dict[int, int | None] = {}
        if spec.owner_column:
            column = getattr(model, spec.owner_column)
            self.owner = {row[0]: row[1] for row in session.execute(select(model.id, column))}
        self.failed: set[Key] = set()
        self.pending: set[Key] = set()
        self.found: dict[Key, int] = {}

    def resolve(self, key: Key) -> int | None:
        """``find``, remembering what was found until the index changes (rows repeat references)."""
        found = self.found.get(key)
        if found is None:
            found = self.find(key)
            if found is not None:
                self.found[key] = found
        return found

    def find(self, key: Key) -> int | None:
        for candidate in (key, tuple(fold(v) if isinstance(v, str) else v for v in key)):
            for lookup in self.lookups:
                if len(lookup.columns) == len(candidate) and (found := lookup.get(candidate)) is not None:
                    return found
        return None

    def is_pending(self, key: Key) -> bool:
        if not self.pending:
            return False
        return key in self.pending or tuple(fold(v) if isinstance(v, str) else v for v in key) in self.pending

    def is_failed(self, key: Key) -> bool:
        return key in self.failed

    def keys_of(self, data: dict[str, Any]) -> list[Key]:
        return [k for lookup in self.lookups if (k := lookup.key_of(data)) is not None]

    def add(self, data: dict[str, Any], object_id: int) -> None:
        self.found.clear()
        for lookup in self.lookups:
            key = lookup.key_of(data)
            if key is not None:
                lookup.add(key, object_id)
                self.pending.discard(key)
        if self.spec.owner_column:
            self.owner[object_id] = (
                object_id if self.spec.owner_column == "id" else data.get(self.spec.owner_column)
            )
