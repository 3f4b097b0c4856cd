"""Database helpers shared by the fixtures and by tests that rebuild the ledger mid-test."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url


def empty_all_tables(engine: Engine) -> None:
    from taizhang.models import metadata

    tables = [t.name for t in metadata.sorted_tables]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # TRUNCATE of every table took ~0.5 s per test; most tests leave a few tables filled.
            # DELETE those (children first), then restart every sequence, as RESTART IDENTITY did.
            probe = " UNION ALL ".join(f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in tables)
            filled = set(conn.execute(text(probe)).scalars())
            for table in reversed(tables):
                if table in filled:
                    conn.execute(text(f'DELETE FROM "{table}"'))
            conn.execute(text("SELECT setval(c.oid, 1, false) FROM pg_class c WHERE c.relkind = 'S'"))
        else:
            conn.execute(text("PRAGMA defer_foreign_keys=ON"))  # self-references (units.parent_id)
            for table in reversed(tables):
                conn.execute(text(f'DELETE FROM "{table}"'))
            if conn.execute(text("SELECT name FROM sqlite_master WHERE name='sqlite_sequence'")).first():
                conn.execute(text("DELETE FROM sqlite_sequence"))


def create_pg_database(admin_url: str) -> tuple[str, Callable[[], None]]:
    """A new, empty PostgreSQL database beside ``admin_url``'s; returns its URL and how to drop it."""
    name = f"taizhang_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop
