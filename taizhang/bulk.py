"""Batched inserts: many new rows of an entity, one statement per table, each logged as a single create.

``insert_rows`` writes rows that have already passed the entity's checks (``taizhang.crud``'s
bulk create, the spreadsheet import) with Core executemany: the entity's table, its many-to-many
association tables, and one change-log entry per row. A row gets the column defaults a flush
would give it, and its change-log entry holds what a flush of the same object records
(``changelog.snapshot_of``), with the session's actor and request id. Flush listeners do not see
these rows: code that reacts to writes registers with ``on_insert`` too (the findings queue does).

``batchable`` says whether an entity's creates may take this path: a model whose create does more
than set its columns and links (mapper events, attribute validators, inheritance) goes through
the ORM instead.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, bindparam, delete, func, inspect, select, text, update
from sqlalchemy.orm import Session

from taizhang.changelog import (
    ChangeAction,
    append_rows,
    entry,
    repr_of,
    same_content,
    snapshot_of,
    to_jsonable,
)
from taizhang.db import Tracked, insert_columns, insert_many, utcnow

if TYPE_CHECKING:
    from taizhang.crud import Entity

WriteListener = Callable[[Session, type, list[dict[str, Any]], list[dict[str, Any]] | None], None]
"""Called with the session, the model, the rows of a batch as written and, for updates, the same
rows as they were before (``None`` for inserts). A row holds its columns and each many-to-many
relationship as ids (``systems``)."""

_LISTENERS: list[WriteListener] = []
_MAPPER_EVENTS = ("before_insert", "after_insert", "before_update", "after_update")
_INSTANCE_EVENTS = ("init", "init_failure")


def _fill_defaults(
    row: dict[str, Any], specs: Iterable[tuple[str, Any, bool]], given: Container[str], shared: dict[str, Any]
) -> None:
    """Column defaults (or on-update values) for the columns not in ``given``, as a flush applies them.

    A callable's immutable result (a timestamp) is computed once and shared by the batch's rows.
    """
    for name, value, call in specs:
        if name in given:
            continue
        if not call:
            row[name] = value
        elif name in shared:
            row[name] = shared[name]
        else:
            row[name] = value(None)
            if isinstance(row[name], _IMMUTABLE):
                shared[name] = row[name]


def on_write(listener: WriteListener) -> WriteListener:
    """Register ``listener`` for every batch ``insert_rows`` and ``update_rows`` write (a decorator)."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)
    return listener


@dataclass(frozen=True)
class Association:
    """A many-to-many of the entity: its Create field, relationship and secondary table."""

    field: str
    attribute: str
    table: Table
    local: str
    remote: str


@dataclass(frozen=True)
class _Plan:
    table: Table
    columns: frozenset[str]
    json_columns: tuple[str, ...]
    defaults: tuple[tuple[str, Any, bool], ...]
    onupdates: tuple[tuple[str, Any, bool], ...]
    associations: tuple[Association, ...]
    tracked: bool


_PLANS: dict[int, _Plan | None] = {}
_IMMUTABLE = (str, int, float, bool, type(None), dt.date, dt.time, Decimal, enum.Enum, tuple, frozenset)


def association(entity: Entity, attribute: str) -> tuple[Any, str, str]:
    """The secondary table of a many-to-many and its (this side, other side) column names."""
    relationship = entity.model.__mapper__.relationships[attribute]
    table = relationship.secondary
    own_table = entity.model.__table__
    local = next(c.name for c in table.c if any(fk.column.table is own_table for fk in c.foreign_keys))
    remote = next(c.name for c in table.c if c.name != local)
    return table, local, remote


def _sqlalchemy_own(fn: Any) -> bool:
    """SQLAlchemy's own listener (it wraps a user's in ``_listen.<locals>.wrap``)."""
    module = getattr(fn, "__module__", "") or ""
    return module.startswith("sqlalchemy.") and "._listen.<locals>." not in getattr(fn, "__qualname__", "")


def _make_plan(entity: Entity) -> _Plan | None:
    model = entity.model
    mapper = inspect(model)
    table = getattr(model, "__table__", None)
    if not isinstance(table, Table) or mapper.inherits is not None or mapper.polymorphic_on is not None:
        return None
    hooks = [fn for name in _MAPPER_EVENTS for fn in getattr(mapper.dispatch, name)]
    hooks += [fn for name in _INSTANCE_EVENTS for fn in getattr(mapper.class_manager.dispatch, name)]
    if mapper.validators or not all(_sqlalchemy_own(fn) for fn in hooks):
        return None  # the ORM runs code of the model's own on a new object
    if any(attr.key != attr.columns[0].name or len(attr.columns) != 1 for attr in mapper.column_attrs):
        return None
    names = set(table.c.keys())
    fields = set(entity.create.model_fields) - {"version"}
    if not fields <= names | set(entity.relations):
        return None  # a Create field the model takes some other way (a property, a relationship)
    defaults: list[tuple[str, Any, bool]] = []
    onupdates: list[tuple[str, Any, bool]] = []
    for column in table.c:
        if column.primary_key:
            continue
        if column.server_default is not None and column.default is None:
            return None  # a flush would fetch the value; a batch cannot know it
        if column.server_onupdate is not None:
            return None
        for default, into in ((column.default, defaults), (column.onupdate, onupdates)):
            if default is None:
                continue
            if default.is_scalar:
                into.append((column.name, default.arg, False))
            elif default.is_callable:
                into.append((column.name, default.arg, True))
            else:
                return None  # a SQL expression default
    associations = []
    for field_name, relation in entity.relations.items():
        prop = mapper.relationships.get(relation.attribute)
        if prop is None or prop.secondary is None:
            return None
        link, local, remote = association(entity, relation.attribute)
        associations.append(Association(field_name, relation.attribute, link, local, remote))
    json_columns = tuple(c.name for c in table.c if c.type.__class__.__name__ == "JSON")
    return _Plan(
        table,
        frozenset(names),
        json_columns,
        tuple(defaults),
        tuple(onupdates),
        tuple(associations),
        issubclass(model, Tracked),
    )


def _plan(entity: Entity) -> _Plan | None:
    key = id(entity)
    if key not in _PLANS:
        _PLANS[key] = _make_plan(entity)
    return _PLANS[key]


def batchable(entity: Entity) -> bool:
    """Whether ``insert_rows`` writes rows of ``entity`` exactly as a flush would."""
    return entity.bulk_insert and _plan(entity) is not None


def associations(entity: Entity) -> tuple[Association, ...]:
    plan = _plan(entity)
    if plan is None:
        raise ValueError(f"{entity.path}: no batched inserts")
    return plan.associations


def allocate_ids(session: Session, table: Any, count: int) -> list[int]:
    """Ids for ``count`` new rows: from the PostgreSQL sequence, or after SQLite's largest id.

    SQLite has one writer at a time: should another connection commit between the read and this
    transaction's first write, SQLite refuses the write (busy snapshot) — an id is never reused.
    Writers that declare their intent (``taizhang.db.declare_write``) hold the lock already.
    """
    if count == 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        stmt = text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :count)")
        return [int(i) for i in session.execute(stmt, {"table": table.name, "count": count}).scalars()]
    largest = session.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
    return list(range(largest + 1, largest + count + 1))


def insert_rows(session: Session, entity: Entity, datas: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Insert checked rows of ``entity``; flush-free, inside the session's transaction.

    ``datas`` are Create-schema values (``model_dump()``: enums and dates as Python values,
    references as ids, many-to-many fields such as ``system_ids`` as lists of ids). Returns each
    row as written: every column (``id``, defaults, timestamps, ``version``) plus each many-to-many
    relationship (``systems``) as its sorted ids.
    """
    plan = _plan(entity)
    if plan is None or not entity.bulk_insert:
        raise ValueError(f"{entity.path}: rows of this entity are created through the ORM")
    if not datas:
        return []
    session.flush()  # pending ORM work first, in the order it was made
    rows: list[dict[str, Any]] = []
    names = plan.columns
    shared: dict[str, Any] = {}  # callable defaults whose value is immutable: one per batch (timestamps)
    for data in datas:
        row = {k: v for k, v in data.items() if k in names}
        for name in plan.json_columns:
            value = row.get(name)
            if value is not None:
                row[name] = to_jsonable(value)
        _fill_defaults(row, plan.defaults, row, shared)
        rows.append(row)
    keys = set().union(*rows)
    for row in rows:
        if len(row) != len(keys):
            row.update({k: None for k in keys.difference(row)})  # unset and no default: NULL
    ids = allocate_ids(session, plan.table, len(rows))
    for object_id, row in zip(ids, rows, strict=True):
        row["id"] = object_id
    conn = session.connection()
    # A plain executemany: RETURNING makes PostgreSQL batches several times slower.
    insert_many(conn, plan.table, rows)
    for link in plan.associations:
        owners: list[int] = []
        targets: list[int] = []
        for row, data in zip(rows, datas, strict=True):
            linked = sorted(set(data.get(link.field) or ()))
            row[link.attribute] = linked
            owners += [row["id"]] * len(linked)
            targets += linked
        insert_columns(conn, link.table, {link.local: owners, link.remote: targets})
    if plan.tracked:
        _log(session, entity.model, rows)
    for listener in _LISTENERS:
        listener(session, entity.model, rows, None)
    return rows


def update_rows(
    session: Session, entity: Entity, changes: Sequence[tuple[dict[str, Any], dict[str, Any]]]
) -> list[dict[str, Any]]:
    """Write changed rows of ``entity``, each logged as a flush would log its update.

    ``changes`` pairs each row as stored — every column, and each many-to-many relationship as its
    ids under the relationship's name (``systems``) — with the checked Create values to store
    (``model_dump()``, many-to-many fields such as ``system_ids`` as lists of ids; a field left
    out keeps its value). The version goes up by one, ``onupdate`` columns (``updated_at``) are
    set, links are replaced where they changed. Returns the rows as written, in the same shape.
    """
    plan = _plan(entity)
    if plan is None or not entity.bulk_insert:
        raise ValueError(f"{entity.path}: rows of this entity are changed through the ORM")
    if not changes:
        return []
    session.flush()
    names = plan.columns
    version = inspect(entity.model).version_id_col
    befores: list[dict[str, Any]] = []
    afters: list[dict[str, Any]] = []
    shared: dict[str, Any] = {}
    for stored, values in changes:
        row = {k: v for k, v in stored.items() if k in names}
        for name, value in values.items():
            if name in names and name != "id":
                row[name] = to_jsonable(value) if name in plan.json_columns and value is not None else value
        _fill_defaults(row, plan.onupdates, values, shared)
        if version is not None:
            row[version.name] = stored[version.name] + 1
        for link in plan.associations:
            kept = stored.get(link.attribute) or []
            row[link.attribute] = (
                sorted(set(values[link.field] or ())) if link.field in values else list(kept)
            )
        befores.append(stored)
        afters.append(row)
    table = plan.table
    written = sorted(k for k in afters[0] if k in names and k != "id")
    stmt = (
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values({name: bindparam(f"b_{name}") for name in written})
    )
    conn = session.connection()
    conn.execute(stmt, [{"b_id": row["id"], **{f"b_{k}": row[k] for k in written}} for row in afters])
    for link in plan.associations:
        moved = [
            (b["id"], a[link.attribute])
            for b, a in zip(befores, afters, strict=True)
            if sorted(b.get(link.attribute) or ()) != a[link.attribute]
        ]
        if not moved:
            continue
        owners = [object_id for object_id, _ in moved]
        for start in range(0, len(owners), 500):
            part = owners[start : start + 500]
            conn.execute(delete(link.table).where(link.table.c[link.local].in_(part)))
        insert_columns(
            conn,
            link.table,
            {
                link.local: [object_id for object_id, targets in moved for _ in targets],
                link.remote: [target for _, targets in moved for target in targets],
            },
        )
    if plan.tracked:
        log_updates(session, entity.model, befores, afters)
    for listener in _LISTENERS:
        listener(session, entity.model, afters, befores)
    return afters


def log_updates(
    session: Session, model: type, befores: list[dict[str, Any]], afters: list[dict[str, Any]]
) -> None:
    """Log rows changed by a Core UPDATE as a flush would: ``befores`` and ``afters`` hold every
    column of each row (and its many-to-many ids), before and after; unchanged rows are skipped."""
    shared = entry(
        session, model, ChangeAction.UPDATE, None, object_repr="", before=None, after=None, time=utcnow()
    )
    memo: dict[Any, Any] = {}
    entries = []
    for stored, row in zip(befores, afters, strict=True):
        before = snapshot_of(model, stored, stored, memo=memo)
        after = snapshot_of(model, row, row, memo=memo)
        if same_content(before, after):
            continue
        logged = dict(shared)
        logged.update(object_id=row["id"], object_repr=repr_of(row), before=before, after=after)
        entries.append(logged)
    append_rows(session, entries, jsonable=True)


def _log(session: Session, model: type, rows: list[dict[str, Any]]) -> None:
    shared = entry(
        session, model, ChangeAction.CREATE, None, object_repr="", before=None, after=None, time=utcnow()
    )
    memo: dict[Any, Any] = {}
    entries = []
    for row in rows:
        logged = dict(shared)
        logged["object_id"] = row["id"]
        logged["object_repr"] = repr_of(row)
        logged["after"] = snapshot_of(model, row, row, memo=memo)
        entries.append(logged)
    append_rows(session, entries, jsonable=True)
