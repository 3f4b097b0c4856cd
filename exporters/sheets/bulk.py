"""Insert many new rows at once and still log each one in the change log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from taizhang.changelog import ChangeAction, append_rows, object_type_of, to_jsonable
from taizhang.crud import Entity
from taizhang.db import utcnow

_REPR_FIELDS = ("name", "hostname", "title", "username", "code")


def association(entity: Entity, attribute: str) -> tuple[Any, str, str]:
    """The secondary table of a many-to-many and its (this side, other side) column names."""
    relationship = entity.model.__mapper__.relationships[attribute]
    table = relationship.secondary
    own_table = entity.model.__table__
    local = next(c.name for c in table.c if any(fk.column.table is own_table for fk in c.foreign_keys))
    remote = next(c.name for c in table.c if c.name != local)
    return table, local, remote


def allocate_ids(session: Session, table: Any, count: int) -> list[int]:
    """Ids for ``count`` new rows: from the PostgreSQL sequence, or after SQLite's largest id.

    SQLite has one writer at a time: should another connection commit between the read and this
    transaction's first write, SQLite refuses the write (busy snapshot) — an id is never reused.
    """
    if session.get_bind().dialect.name == "postgresql":
        stmt = text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :count)")
        return [int(i) for i in session.execute(stmt, {"table": table.name, "count": count}).scalars()]
    largest = session.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
    return list(range(largest + 1, largest + count + 1))


def insert_rows(session: Session, entity: Entity, payloads: list[dict[str, Any]]) -> list[int]:
    """Insert validated Create payloads (ids in place of references); returns their new ids.

    Many-to-many lists (``system_ids``) go to their association tables; every row gets a change
    log entry with the importing actor, as an ORM flush would write.
    """
    if not payloads:
        return []
    table = entity.model.__table__
    json_columns = {c.name for c in table.c if c.type.__class__.__name__ == "JSON"}
    now = utcnow()
    rows = []
    for payload in payloads:
        row = {k: v for k, v in payload.items() if k in table.c}
        for name in json_columns.intersection(row):
            row[name] = to_jsonable(row[name])
        row.update(created_at=now, updated_at=now, version=1)
        rows.append(row)
    ids = allocate_ids(session, table, len(rows))
    for object_id, row in zip(ids, rows, strict=True):
        row["id"] = object_id
    # A plain Core executemany: RETURNING makes PostgreSQL batches several times slower.
    session.execute(insert(table), rows)
    collections: dict[str, list[list[int]]] = {}
    for field_name, relation in entity.relations.items():
        link_table, local, remote = association(entity, relation.attribute)
        links = [
            {local: oid, remote: target}
            for oid, p in zip(ids, payloads, strict=True)
            for target in p.get(field_name) or []
        ]
        if links:
            session.execute(insert(link_table), links)
        collections[relation.attribute] = [sorted(p.get(field_name) or []) for p in payloads]
    _log(session, entity, ids, rows, collections, now)
    return ids


def update_rows(
    session: Session, entity: Entity, changes: list[tuple[int, dict[str, Any], dict[str, Any]]]
) -> None:
    """Write changed rows — (id, Create fields before, validated Create payload after) — in bulk.

    Each row's version goes up by one and its change gets a log entry with before and after, as
    an ORM flush would write; many-to-many lists are replaced where they changed.
    """
    table = entity.model.__table__
    columns = [name for name in entity.create.model_fields if name in table.c]
    json_columns = {c.name for c in table.c if c.type.__class__.__name__ == "JSON"}
    now = utcnow()
    params = []
    for object_id, _before, payload in changes:
        values = {f"v_{c}": to_jsonable(payload[c]) if c in json_columns else payload[c] for c in columns}
        params.append({"v_id": object_id, "v_updated_at": now, **values})
    stmt = (
        update(table)
        .where(table.c.id == bindparam("v_id"))
        .values(
            {
                **{c: bindparam(f"v_{c}") for c in columns},
                "updated_at": bindparam("v_updated_at"),
                "version": table.c.version + 1,
            }
        )
    )
    session.execute(stmt, params)
    for field_name, relation in entity.relations.items():
        link_table, local, remote = association(entity, relation.attribute)
        changed = [
            (i, p)
            for i, b, p in changes
            if sorted(b.get(field_name) or []) != sorted(p.get(field_name) or [])
        ]
        if not changed:
            continue
        session.execute(delete(link_table).where(link_table.c[local].in_([i for i, _ in changed])))
        links = [{local: i, remote: target} for i, p in changed for target in p.get(field_name) or []]
        if links:
            session.execute(insert(link_table), links)
    renames = {f: r.attribute for f, r in entity.relations.items()}
    entries = []
    for object_id, before, payload in changes:
        shown = {renames.get(k, k): sorted(v) if k in renames else v for k, v in before.items()}
        after = {renames.get(k, k): sorted(v or []) if k in renames else v for k, v in payload.items()}
        entries.append(
            _entry(
                session,
                entity,
                ChangeAction.UPDATE,
                object_id,
                {**shown, "id": object_id},
                {**after, "id": object_id},
                now,
            )
        )
    append_rows(session, entries)


def _entry(
    session: Session, entity: Entity, action: ChangeAction, object_id: int, before: Any, after: Any, now: Any
) -> dict[str, Any]:
    source = after if after is not None else before
    return {
        "time": now,
        "actor": session.info.get("actor") or "system",
        "action": action.value,
        "object_type": object_type_of(entity.model),
        "object_id": object_id,
        "object_repr": next((str(source[f])[:300] for f in _REPR_FIELDS if source.get(f)), ""),
        "before": before,
        "after": after,
        "request_id": session.info.get("request_id"),
        "message": session.info.get("change_message"),
    }


def _log(
    session: Session,
    entity: Entity,
    ids: list[int],
    rows: list[dict[str, Any]],
    collections: dict[str, list[list[int]]],
    now: Any,
) -> None:
    entries = []
    for position, (object_id, row) in enumerate(zip(ids, rows, strict=True)):
        after = {k: v for k, v in row.items() if k not in ("created_at", "updated_at", "version")}
        for attribute, lists in collections.items():
            after[attribute] = lists[position]
        entries.append(_entry(session, entity, ChangeAction.CREATE, object_id, None, after, now))
    append_rows(session, entries)
