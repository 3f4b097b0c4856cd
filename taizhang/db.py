"""Database engine, declarative base and sessions.

SQLite is the embedded default (WAL, foreign keys on, busy timeout); PostgreSQL through psycopg 3.
The boundary that opens a session (request, CLI command, job) commits or rolls back; services only
flush.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import DateTime, Engine, Integer, MetaData, create_engine, event, func
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, declared_attr, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from taizhang.settings import get_settings

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


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={int(get_settings().sqlite_busy_timeout_ms)}")
    cursor.close()


WRITE_INTENT = "taizhang_write_intent"


def _sqlite_begin(conn: Any) -> None:
    """A unit of work that will write takes SQLite's write lock at BEGIN (``BEGIN IMMEDIATE``).

    A deferred transaction that reads first and writes later cannot upgrade its WAL snapshot once
    another connection has committed (SQLITE_BUSY_SNAPSHOT, which no busy timeout cures); taking the
    lock up front makes concurrent writers wait their turn instead of failing.
    """
    if conn.get_execution_options().get(WRITE_INTENT, False):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    # otherwise the driver begins by itself before the first write, as it always has


def declare_write(session: Session) -> None:
    """Call before the first query of a unit of work that will write."""
    session.connection(execution_options={WRITE_INTENT: True})


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
        event.listen(engine, "begin", _sqlite_begin)
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
