"""Insert many new rows at once and still log each one in the change log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, delete, insert, update
from sqlalchemy.orm import Session

from taizhang import bulk as taizhang_bulk
from taizhang.bulk import allocate_ids, association
from taizhang.changelog import ChangeAction, append_rows, entry, repr_of, to_jsonable
from taizhang.crud import Entity
from taizhang.db import utcnow

__all__ = ["allocate_ids", "association", "insert_rows", "update_rows"]


def insert_rows(session: Session, entity: Entity, payloads: list[dict[str, Any]]) -> list[int]:
    """Insert validated Create payloads (ids in place of references); returns their new ids.

    The rows go through ``taizhang.bulk.insert_rows``, as a bulk create of the API does: many-to-many
    lists (``system_ids``) go to their association tables, and every row gets the change-log entry a
    single create would write, with the importing actor.
    """
    return [row["id"] for row in taizhang_bulk.insert_rows(session, entity, payloads)]


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
    return entry(
        session,
        entity.model,
        action,
        object_id,
        object_repr=repr_of(source),
        before=before,
        after=after,
        time=now,
    )
