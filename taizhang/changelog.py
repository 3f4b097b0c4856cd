"""Tamper-evident change log.

Every create, update and delete of a ``Tracked`` model appends a row, whichever boundary made it:
the session records the before and after state at flush time, with the actor and request id that
the boundary put on ``session.info``. Rows are hash-chained: each row's hash covers its content
and the previous row's hash, so altering or removing a row breaks the chain from there on. A
single-row head table holds the newest hash; it also serialises writers (row lock on PostgreSQL,
the write lock on SQLite), so the chain never forks.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, event, insert, inspect, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.orm.attributes import History

from taizhang.db import Base, Tracked, utcnow
from taizhang.enums import LabeledEnum, register

GENESIS = "0" * 64


@register
class ChangeAction(LabeledEnum):
    CREATE = "create", "新增"
    UPDATE = "update", "修改"
    DELETE = "delete", "删除"


class ChangeLogEntry(Base):
    __tablename__ = "changelog"
    __table_args__ = (
        Index("ix_changelog_object", "object_type", "object_id"),
        Index("ix_changelog_actor_time", "actor", "time"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    time: Mapped[dt.datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(150))
    action: Mapped[str] = mapped_column(String(16))
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[int | None] = mapped_column(Integer)
    object_repr: Mapped[str] = mapped_column(String(300), default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    request_id: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class ChangeLogHead(Base):
    """The newest row of the chain; its row lock serialises writers."""

    __tablename__ = "changelog_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_entry_id: Mapped[int | None] = mapped_column(ForeignKey("changelog.id", ondelete="SET NULL"))
    last_hash: Mapped[str] = mapped_column(String(64))


def object_type_of(obj_or_cls: Any) -> str:
    cls = obj_or_cls if isinstance(obj_or_cls, type) else type(obj_or_cls)
    return f"{cls.__module__.split('.')[0]}.{cls.__name__.lower()}"


def to_jsonable(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [to_jsonable(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    return value


_SKIP = frozenset({"updated_at", "version", "created_at"})


def _snapshot(obj: Any, *, before: bool) -> dict[str, Any]:
    state = inspect(obj)
    exclude: frozenset[str] = getattr(obj, "__changelog_exclude__", frozenset())
    out: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in exclude:
            continue
        if before:
            hist: History = state.attrs[key].history
            if hist.deleted:
                value = hist.deleted[0]
            elif hist.unchanged:
                value = hist.unchanged[0]
            else:
                value = state.committed_state.get(key, state.dict.get(key))
        else:
            value = state.dict.get(key)
        out[key] = to_jsonable(value)
    for key in getattr(obj, "__changelog_collections__", ()):
        hist = state.attrs[key].history
        if before:
            items = list(hist.unchanged or ()) + list(hist.deleted or ())
        else:
            items = list(state.dict.get(key) or ())
        out[key] = sorted(i.id for i in items if getattr(i, "id", None) is not None)
    return out


def _repr(obj: Any) -> str:
    for name in ("name", "hostname", "title", "username", "code"):
        value = inspect(obj).dict.get(name)
        if value:
            return str(value)[:300]
    return ""


def entry_hash(prev_hash: str, row: dict[str, Any]) -> str:
    payload = {
        "prev": prev_hash,
        "time": to_jsonable(row["time"]),
        "actor": row["actor"],
        "action": row["action"],
        "object_type": row["object_type"],
        "object_id": row["object_id"],
        "before": row["before"],
        "after": row["after"],
        "request_id": row["request_id"],
        "message": row["message"],
    }
    canonical = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _lock_head(session: Session) -> ChangeLogHead | tuple[int | None, str]:
    conn = session.connection()
    dialect = conn.dialect.name
    values = {"id": 1, "last_entry_id": None, "last_hash": GENESIS}
    stmt: Any
    if dialect == "postgresql":
        stmt = pg_insert(ChangeLogHead).values(values).on_conflict_do_nothing(index_elements=["id"])
    elif dialect == "sqlite":
        stmt = sqlite_insert(ChangeLogHead).values(values).on_conflict_do_nothing(index_elements=["id"])
    else:  # pragma: no cover - only the two supported backends
        raise RuntimeError(f"unsupported database {dialect}")
    conn.execute(stmt)
    query = select(ChangeLogHead.last_entry_id, ChangeLogHead.last_hash).where(ChangeLogHead.id == 1)
    if dialect == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).one()
    return row.last_entry_id, row.last_hash


def append_rows(session: Session, rows: list[dict[str, Any]]) -> None:
    """Append rows to the chain inside the session's transaction (also used by bulk writers)."""
    if not rows:
        return
    conn = session.connection()
    _last_id, prev = _lock_head(session)  # type: ignore[misc]
    last_id = None
    for row in rows:
        row = {**row, "before": to_jsonable(row.get("before")), "after": to_jsonable(row.get("after"))}
        row.setdefault("message", None)
        row.setdefault("request_id", None)
        row.setdefault("object_repr", "")
        row["prev_hash"] = prev
        row["hash"] = entry_hash(prev, row)
        last_id = conn.execute(insert(ChangeLogEntry).values(row).returning(ChangeLogEntry.id)).scalar_one()
        prev = row["hash"]
    conn.execute(
        update(ChangeLogHead).where(ChangeLogHead.id == 1).values(last_entry_id=last_id, last_hash=prev)
    )


@dataclass
class _Pending:
    action: ChangeAction
    obj: Any
    before: dict[str, Any] | None
    object_id: int | None


@event.listens_for(Session, "before_flush")
def _collect_changes(session: Session, _ctx: Any, _instances: Any) -> None:
    pending: list[_Pending] = session.info.setdefault("_changelog_pending", [])
    for obj in session.new:
        if isinstance(obj, Tracked):
            pending.append(_Pending(ChangeAction.CREATE, obj, None, None))
    for obj in session.dirty:
        if isinstance(obj, Tracked) and session.is_modified(obj, include_collections=True):
            pending.append(
                _Pending(ChangeAction.UPDATE, obj, _snapshot(obj, before=True), inspect(obj).identity[0])
            )
    for obj in session.deleted:
        if isinstance(obj, Tracked):
            pending.append(
                _Pending(ChangeAction.DELETE, obj, _snapshot(obj, before=True), inspect(obj).identity[0])
            )


@event.listens_for(Session, "after_flush")
def _write_changes(session: Session, _ctx: Any) -> None:
    pending: list[_Pending] = session.info.pop("_changelog_pending", [])
    if not pending:
        return
    now = utcnow()
    rows = []
    for item in pending:
        after = None if item.action is ChangeAction.DELETE else _snapshot(item.obj, before=False)
        if item.action is ChangeAction.UPDATE and item.before is not None and after is not None:
            before_cmp = {k: v for k, v in item.before.items() if k not in _SKIP}
            after_cmp = {k: v for k, v in after.items() if k not in _SKIP}
            if before_cmp == after_cmp:
                continue
        rows.append(
            {
                "time": now,
                "actor": session.info.get("actor") or "system",
                "action": item.action.value,
                "object_type": object_type_of(item.obj),
                "object_id": item.object_id
                if item.object_id is not None
                else inspect(item.obj).dict.get("id"),
                "object_repr": _repr(item.obj),
                "before": item.before,
                "after": after,
                "request_id": session.info.get("request_id"),
                "message": session.info.get("change_message"),
            }
        )
    append_rows(session, rows)


@event.listens_for(Session, "after_rollback")
def _forget_pending(session: Session) -> None:
    session.info.pop("_changelog_pending", None)


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    bad_entry_id: int | None = None
    reason: str = ""


def verify_chain(session: Session, *, batch: int = 5000) -> VerifyResult:
    """Walk the chain in id order; report the first row altered, inserted or removed."""
    prev = GENESIS
    checked = 0
    last_id = 0
    last_seen_id: int | None = None
    while True:
        rows = (
            session.execute(
                select(ChangeLogEntry)
                .where(ChangeLogEntry.id > last_id)
                .order_by(ChangeLogEntry.id)
                .limit(batch)
            )
            .scalars()
            .all()
        )
        if not rows:
            break
        for entry in rows:
            data = {
                c: getattr(entry, c)
                for c in (
                    "time",
                    "actor",
                    "action",
                    "object_type",
                    "object_id",
                    "before",
                    "after",
                    "request_id",
                    "message",
                )
            }
            if entry.prev_hash != prev:
                return VerifyResult(
                    False, checked, entry.id, f"第 {entry.id} 条之前的记录被删除或篡改（链接断开）"
                )
            if entry_hash(prev, data) != entry.hash:
                return VerifyResult(False, checked, entry.id, f"第 {entry.id} 条记录内容被篡改（哈希不符）")
            prev = entry.hash
            checked += 1
            last_id = entry.id
            last_seen_id = entry.id
        session.expunge_all()
    head = session.execute(select(ChangeLogHead).where(ChangeLogHead.id == 1)).scalar_one_or_none()
    if head is not None and (head.last_hash != prev or head.last_entry_id != last_seen_id):
        return VerifyResult(
            False, checked, head.last_entry_id, f"链尾不符：第 {head.last_entry_id} 条记录已被删除或篡改"
        )
    return VerifyResult(True, checked)
