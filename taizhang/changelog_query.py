"""Reading the change log: filtered pages, an object's history, and what each entry changed."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from taizhang.changelog import ChangeLogEntry
from taizhang.listing import Listing
from taizhang.pagination import count_of


def list_entries(
    session: Session,
    *,
    object_type: str | None = None,
    object_id: int | None = None,
    actor: str | None = None,
    action: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Listing:
    stmt = select(ChangeLogEntry)
    if object_type:
        stmt = stmt.where(ChangeLogEntry.object_type == object_type)
    if object_id is not None:
        stmt = stmt.where(ChangeLogEntry.object_id == object_id)
    if actor:
        stmt = stmt.where(ChangeLogEntry.actor == actor)
    if action:
        stmt = stmt.where(ChangeLogEntry.action == action)
    total = count_of(session, stmt)
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    rows = (
        session.execute(stmt.order_by(ChangeLogEntry.id.desc()).limit(per_page).offset((page - 1) * per_page))
        .scalars()
        .all()
    )
    return Listing(rows=rows, total=total, page=page, per_page=per_page)


def object_types(session: Session) -> list[str]:
    stmt = select(ChangeLogEntry.object_type).distinct().order_by(ChangeLogEntry.object_type)
    return [str(t) for t in session.execute(stmt).scalars()]


def history_of(
    session: Session, objects: Iterable[tuple[str, Iterable[int]]], *, limit: int = 50
) -> Sequence[ChangeLogEntry]:
    """Newest first: every entry about any of the ``(object_type, ids)`` given."""
    clauses = []
    for object_type, ids in objects:
        id_list = sorted(set(ids))
        if id_list:
            clauses.append(
                and_(ChangeLogEntry.object_type == object_type, ChangeLogEntry.object_id.in_(id_list))
            )
    if not clauses:
        return []
    stmt = select(ChangeLogEntry).where(or_(*clauses)).order_by(ChangeLogEntry.id.desc()).limit(limit)
    return session.execute(stmt).scalars().all()


_HIDDEN = frozenset({"id", "created_at", "updated_at", "version"})


@dataclass(frozen=True)
class FieldChange:
    name: str
    before: Any
    after: Any


def changes(entry: ChangeLogEntry) -> list[FieldChange]:
    """The fields an entry changed (all fields for a create or delete)."""
    before = entry.before or {}
    after = entry.after or {}
    names = sorted(set(before) | set(after))
    return [
        FieldChange(n, before.get(n), after.get(n))
        for n in names
        if n not in _HIDDEN and before.get(n) != after.get(n)
    ]
