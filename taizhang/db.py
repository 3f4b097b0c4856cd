"""Database engine, declarative base and sessions.

SQLite is the embedded default (WAL, foreign keys on, busy timeout); PostgreSQL through psycopg 3.
The boundary that opens a session (request, CLI command, job) commits or rolls back; services only
flush.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

from sqlalchemy import (
    Connection,
    DateTime,
    Engine,
    Integer,
    MetaData,
    Table,
    create_engine,
    event,
    func,
    insert,
)
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, declared_attr, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from taizhang.settings import get_settings
from taizhang.writegate import WriteGate, gate_for

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive, in UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: UTCDateTime()}  # noqa: RUF012


class IdMixin:
    id: Mapped[int] = mapped_column(Integer, primary_key=True)


class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, server_default=func.now()
    )


class VersionedMixin:
    """Optimistic concurrency: a stale UPDATE raises StaleDataError, answered as 409."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


class Tracked:
    """Rows of classes with this marker land in the change log on every write."""

    __changelog_exclude__: frozenset[str] = frozenset()


_INSERTS: dict[tuple[Any, Any, tuple[str, ...]], tuple[str, list[str], list[str], list[Any], bool]] = {}


def insert_many(
    conn: Connection, table: Table, rows: list[dict[str, Any]], *, json_text: Collection[str] = ()
) -> None:
    """INSERT ``rows`` (dicts with the same keys) with one executemany of the driver.

    Each column's bind processing (enums, JSON, UTC datetimes) is applied as SQLAlchemy would,
    once per distinct value where a batch repeats one; what is skipped is SQLAlchemy's per-row
    parameter handling, which costs more than SQLite's own work for a batch of plain rows. The
    statement still passes the engine's cursor events. Columns missing from the rows get their
    SQL default, as with ``conn.execute(insert(table), rows)``. ``json_text`` names JSON columns
    whose values are already serialised.
    """
    if rows:
        insert_columns(conn, table, {key: [row[key] for row in rows] for key in rows[0]}, json_text=json_text)


def insert_columns(
    conn: Connection, table: Table, columns: dict[str, list[Any]], *, json_text: Collection[str] = ()
) -> None:
    """``insert_many`` for rows given column by column (``{"host_id": [...], "system_id": [...]}``)."""
    keys = tuple(columns)
    if not keys or not columns[keys[0]]:
        return
    dialect = conn.dialect
    plan = _INSERTS.get((table, dialect, keys))
    if plan is None:
        compiled = insert(table).compile(dialect=dialect, column_keys=list(keys))
        names = list(compiled.positiontup or ()) if compiled.positional else list(compiled.binds)
        binds = [compiled.binds[name] for name in names]
        processors = [bind.type.dialect_impl(dialect).bind_processor(dialect) for bind in binds]
        plan = (compiled.string, names, [bind.key for bind in binds], processors, compiled.positional)
        if len(_INSERTS) > 512:
            _INSERTS.clear()
        _INSERTS[(table, dialect, keys)] = plan
    sql, names, fields, processors, positional = plan
    if not set(fields) <= set(keys):  # a Python-side default to compute: SQLAlchemy's path
        if json_text:
            raise ValueError(f"{table.name}: serialised JSON needs every column of the insert")
        rows = [dict(zip(keys, values, strict=True)) for values in zip(*columns.values(), strict=True)]
        conn.execute(insert(table), rows)
        return
    ordered = []
    for name, processor in zip(fields, processors, strict=True):
        values = columns[name]
        ordered.append(values if processor is None or name in json_text else _processed(processor, values))
    params: list[Any] = list(zip(*ordered, strict=True))
    if not positional:
        params = [dict(zip(names, values, strict=True)) for values in params]
    conn.exec_driver_sql(sql, params)


def _processed(processor: Callable[[Any], Any], values: list[Any]) -> list[Any]:
    """``processor`` over ``values``, called once per distinct value when a column repeats a few."""
    if len(values) > 8:
        try:
            distinct = set(values)
        except TypeError:  # lists, dicts
            distinct = None
        if (
            distinct is not None
            and len(distinct) * 4 <= len(values)
            and len({type(v) for v in distinct}) == 1
        ):
            memo = {value: processor(value) for value in distinct}
            return [memo[value] for value in values]
    return list(map(processor, values))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    settings = get_settings()
    cursor.execute(f"PRAGMA busy_timeout={int(settings.sqlite_busy_timeout_ms)}")
    # A page cache that holds the hot indexes of a province ledger (SQLite's default is 2 MB): a
    # transaction writing a million check results no longer spills and re-reads pages. The cache
    # grows only as pages are read, per connection.
    cursor.execute(f"PRAGMA cache_size=-{int(settings.sqlite_cache_mb) * 1024}")
    cursor.close()


WRITE_INTENT = "taizhang_write_intent"


def _sqlite_begin(gate: WriteGate | None, timeout: float, conn: Any) -> None:
    """A unit of work that will write takes SQLite's write lock at BEGIN (``BEGIN IMMEDIATE``).

    A deferred transaction that reads first and writes later cannot upgrade its WAL snapshot once
    another connection has committed (SQLITE_BUSY_SNAPSHOT, which no busy timeout cures); taking the
    lock up front makes concurrent writers wait their turn instead of failing. The turn comes from
    the write gate (``taizhang.writegate``), which queues writers fairly where SQLite would poll.
    """
    if not conn.get_execution_options().get(WRITE_INTENT, False):
        return  # the driver begins by itself before the first write, as it always has
    owner = conn.connection.dbapi_connection
    if gate is not None:
        try:
            gate.acquire(owner, timeout)
        except (sqlite3.Error, OSError) as exc:  # no turn in time, or no lock file: as SQLite says
            raise OperationalError("BEGIN IMMEDIATE", None, exc) from None
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        if gate is not None:
            gate.release(owner)
        raise


def _install_gate(engine: Engine, database: str) -> WriteGate:
    """Queue the engine's declared writers at ``database``'s write gate; the turn ends with the
    DBAPI commit or rollback (after it, so the next writer never meets a lock still held)."""
    gate = gate_for(database)
    dialect = engine.dialect
    do_commit, do_rollback = dialect.do_commit, dialect.do_rollback

    def ended(connection: Any) -> None:
        gate.release(getattr(connection, "dbapi_connection", connection))

    def commit(connection: Any) -> None:
        try:
            do_commit(connection)
        finally:
            ended(connection)

    def rollback(connection: Any) -> None:
        try:
            do_rollback(connection)
        finally:
            ended(connection)

    # the dialect is this engine's own instance; its pool resets connections through it too
    dialect.do_commit = commit  # type: ignore[method-assign,assignment]
    dialect.do_rollback = rollback  # type: ignore[method-assign,assignment]
    for name in ("close", "invalidate", "close_detached"):
        event.listen(engine.pool, name, lambda dbapi_connection, *_: gate.release(dbapi_connection))
    return gate


def declare_write(session: Session) -> None:
    """Call before the first query of a unit of work that will write."""
    session.connection(execution_options={WRITE_INTENT: True})


@contextmanager
def statements_run(
    target: Engine | Connection, *, include: Callable[[], bool] | None = None
) -> Iterator[list[str]]:
    """The SQL text of every statement ``target`` runs inside the block (``include()``: which)."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if include is None or include():
            statements.append(statement)

    event.listen(target, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(target, "before_cursor_execute", record)


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    url = url or get_settings().database_url
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        kwargs.setdefault("connect_args", {"check_same_thread": False})
        if parsed.database in (None, "", ":memory:"):
            raise ValueError("内存数据库无法在多个连接间共享，请使用 sqlite:///文件路径")
        kwargs.setdefault("pool_size", 8)
        kwargs.setdefault("max_overflow", 16)
        engine = create_engine(url, echo=get_settings().log_sql, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        gate = _install_gate(engine, parsed.database) if get_settings().sqlite_write_gate else None
        timeout = get_settings().sqlite_busy_timeout_ms / 1000
        event.listen(engine, "begin", partial(_sqlite_begin, gate, timeout))
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, echo=get_settings().log_sql, **kwargs)


_engine: Engine | None = None
_session_factory: sessionmaker[Session] | None = None


def get_engine() -> Engine:
    global _engine, _session_factory
    if _engine is None:
        _engine = make_engine()
        _session_factory = sessionmaker(bind=_engine, expire_on_commit=False)
    return _engine


def set_engine(engine: Engine | None) -> None:
    """Replace the process engine (tests, or a CLI --database option)."""
    global _engine, _session_factory
    if _engine is not None and _engine is not engine:
        _engine.dispose()
    _engine = engine
    _session_factory = sessionmaker(bind=engine, expire_on_commit=False) if engine is not None else None


def new_session(*, actor: str = "system", request_id: str | None = None) -> Session:
    import taizhang.changelog  # noqa: F401  (its flush listeners log every write of every session)

    get_engine()
    assert _session_factory is not None
    session = _session_factory()
    session.info["actor"] = actor
    session.info["request_id"] = request_id
    return session


@contextmanager
def session_scope(
    *, actor: str = "system", request_id: str | None = None, write: bool = True
) -> Iterator[Session]:
    """A unit of work for CLI commands and jobs: commit on success, roll back on error."""
    session = new_session(actor=actor, request_id=request_id)
    if write:
        declare_write(session)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
