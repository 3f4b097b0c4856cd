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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Table, Text, event, inspect, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Mapper, Session, mapped_column
from sqlalchemy.orm.attributes import History

from taizhang.db import Base, Tracked, insert_many, utcnow
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


_CHANGELOG: Table = ChangeLogEntry.__table__  # type: ignore[assignment]


class ChangeLogHead(Base):
    """The newest row of the chain; its row lock serialises writers."""

    __tablename__ = "changelog_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_entry_id: Mapped[int | None] = mapped_column(ForeignKey("changelog.id", ondelete="SET NULL"))
    last_hash: Mapped[str] = mapped_column(String(64))


def object_type_of(obj_or_cls: Any) -> str:
    cls = obj_or_cls if isinstance(obj_or_cls, type) else type(obj_or_cls)
    return f"{cls.__module__.split('.')[0]}.{cls.__name__.lower()}"


_PLAIN = frozenset({str, int, float, bool, type(None)})


def to_jsonable(value: Any) -> Any:
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is list:
        plain = _PLAIN
        return [v if type(v) in plain else to_jsonable(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    plain = _PLAIN
    if isinstance(value, dict):
        return {str(k): v if type(v) in plain else to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [v if type(v) in plain else to_jsonable(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    return value


_SKIP = frozenset({"updated_at", "version", "created_at"})


def same_content(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """Whether an update changed nothing but its bookkeeping (version, timestamps): not logged."""
    return {k: v for k, v in before.items() if k not in _SKIP} == {
        k: v for k, v in after.items() if k not in _SKIP
    }


_LOGGED: dict[type, tuple[str, ...]] = {}


def logged_columns(cls: type) -> tuple[str, ...]:
    """The column attributes of ``cls`` that its change-log snapshots hold."""
    if cls not in _LOGGED:
        exclude: frozenset[str] = getattr(cls, "__changelog_exclude__", frozenset())
        mapper: Mapper[Any] = inspect(cls)
        _LOGGED[cls] = tuple(attr.key for attr in mapper.column_attrs if attr.key not in exclude)
    return _LOGGED[cls]


def snapshot_of(
    cls: type,
    values: Mapping[str, Any],
    collections: Mapping[str, Iterable[int]],
    *,
    memo: dict[Any, Any] | None = None,
) -> dict[str, Any]:
    """A row's state as the change log records it: its columns, and the ids of its logged lists.

    ``values`` maps column attributes to values (missing ones are recorded as null), ``collections``
    the names in ``__changelog_collections__`` to the ids of the linked rows. A flush and a batched
    insert (``taizhang.bulk``) both describe a row with this, so the two record the same content.
    ``memo``: a dict shared by the rows of a batch, which repeat the same enums and timestamps.
    """
    plain, convert = _PLAIN, to_jsonable
    out = {}
    for key in logged_columns(cls):
        value = values.get(key)
        kind = type(value)
        if kind in plain:
            out[key] = value
        elif memo is not None and (kind is dt.datetime or isinstance(value, enum.Enum)):
            # equal datetimes of different zones print differently: the zone is part of the key
            token = (value, getattr(value, "tzinfo", None))
            if token not in memo:
                memo[token] = convert(value)
            out[key] = memo[token]
        else:
            out[key] = convert(value)
    for key in getattr(cls, "__changelog_collections__", ()):
        out[key] = sorted(collections.get(key) or ())
    return out


def _ids(items: Iterable[Any]) -> list[int]:
    return [i.id for i in items if getattr(i, "id", None) is not None]


def _snapshot(obj: Any, *, before: bool) -> dict[str, Any]:
    state = inspect(obj)
    if not before:
        collections = {
            key: _ids(state.dict.get(key) or ()) for key in getattr(obj, "__changelog_collections__", ())
        }
        return snapshot_of(type(obj), state.dict, collections)
    out: dict[str, Any] = {}
    for key in logged_columns(type(obj)):
        hist: History = state.attrs[key].history
        if hist.deleted:
            value = hist.deleted[0]
        elif hist.unchanged:
            value = hist.unchanged[0]
        else:
            value = state.committed_state.get(key, state.dict.get(key))
        out[key] = to_jsonable(value)
    for key in getattr(obj, "__changelog_collections__", ()):
        hist = state.attrs[key].history
        out[key] = sorted(_ids(list(hist.unchanged or ()) + list(hist.deleted or ())))
    return out


REPR_FIELDS = ("name", "hostname", "title", "username", "code")


def repr_of(values: Mapping[str, Any]) -> str:
    """How the change log names a row: its first non-empty name-like column."""
    for name in REPR_FIELDS:
        value = values.get(name)
        if value:
            return str(value)[:300]
    return ""


def _repr(obj: Any) -> str:
    return repr_of(inspect(obj).dict)


def entry(
    session: Session,
    cls: type,
    action: ChangeAction,
    object_id: int | None,
    *,
    object_repr: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    time: dt.datetime,
) -> dict[str, Any]:
    """A change-log row for ``append_rows``, with the actor and request of ``session``."""
    return {
        "time": time,
        "actor": session.info.get("actor") or "system",
        "action": action.value,
        "object_type": object_type_of(cls),
        "object_id": object_id,
        "object_repr": object_repr,
        "before": before,
        "after": after,
        "request_id": session.info.get("request_id"),
        "message": session.info.get("change_message"),
    }


_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def canonical_json(value: Any) -> str:
    """The JSON text the chain hashes: sorted keys, no spaces, characters as they are."""
    return "null" if value is None else _CANONICAL.encode(value)


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
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


class _Hasher:
    """``entry_hash`` for many rows, each ``before``/``after`` serialised once (also for storing).

    The canonical text of a row is assembled from pieces: the sorted keys put the fields that a
    batch shares (time, actor, action, type, request, message) around the per-row ``after``,
    ``before``, ``object_id`` and ``prev``, so only those are serialised per row.
    """

    def __init__(self) -> None:
        self._pieces: dict[tuple[Any, ...], tuple[str, str, str, str]] = {}

    def __call__(self, prev: str, row: dict[str, Any], before_text: str, after_text: str) -> str:
        key = (
            row["time"],
            row["actor"],
            row["action"],
            row["object_type"],
            row["request_id"],
            row["message"],
        )
        pieces = self._pieces.get(key)
        if pieces is None:
            dump = canonical_json
            pieces = (
                f'{{"action":{dump(row["action"])},"actor":{dump(row["actor"])},"after":',
                f',"message":{dump(row["message"])},"object_id":',
                f',"object_type":{dump(row["object_type"])},"prev":',
                f',"request_id":{dump(row["request_id"])},"time":{dump(to_jsonable(row["time"]))}}}',
            )
            self._pieces[key] = pieces
        object_id = row["object_id"]
        shown_id = str(object_id) if type(object_id) is int else canonical_json(object_id)
        text = "".join(
            (
                pieces[0],
                after_text,
                ',"before":',
                before_text,
                pieces[1],
                shown_id,
                pieces[2],
                f'"{prev}"',  # a hex digest: nothing to escape
                pieces[3],
            )
        )
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _lock_head(session: Session) -> tuple[int | None, str]:
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


def append_rows(session: Session, rows: list[dict[str, Any]], *, jsonable: bool = False) -> None:
    """Append rows to the chain inside the session's transaction (also used by bulk writers).

    ``jsonable``: the rows' ``before`` and ``after`` already hold only JSON values (``snapshot_of``);
    such rows are completed in place. Both are stored as the canonical text the hash covers,
    serialised once.
    """
    if not rows:
        return
    conn = session.connection()
    _last_id, prev = _lock_head(session)
    digest = _Hasher()
    prepared = []
    for row in rows:
        before, after = row.get("before"), row.get("after")
        if not jsonable:
            before, after = to_jsonable(before), to_jsonable(after)
            row = dict(row)
        row.setdefault("message", None)
        row.setdefault("request_id", None)
        row.setdefault("object_repr", "")
        row["before"] = before_text = canonical_json(before)
        row["after"] = after_text = canonical_json(after)
        row["prev_hash"] = prev
        row["hash"] = prev = digest(prev, row, before_text, after_text)
        prepared.append(row)
    # one executemany, in chain order
    insert_many(conn, _CHANGELOG, prepared, json_text=("before", "after"))
    last_id = conn.execute(select(ChangeLogEntry.id).where(ChangeLogEntry.hash == prev)).scalar_one()
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
        if (
            item.action is ChangeAction.UPDATE
            and item.before is not None
            and after is not None
            and same_content(item.before, after)
        ):
            continue
        object_id = item.object_id if item.object_id is not None else inspect(item.obj).dict.get("id")
        rows.append(
            entry(
                session,
                type(item.obj),
                item.action,
                object_id,
                object_repr=_repr(item.obj),
                before=item.before,
                after=after,
                time=now,
            )
        )
    append_rows(session, rows, jsonable=True)


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
