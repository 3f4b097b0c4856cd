"""Database helpers shared by the fixtures and by tests that rebuild the ledger mid-test."""

from __future__ import annotations

from sqlalchemy import Engine, text


def empty_all_tables(engine: Engine) -> None:
    from taizhang.models import metadata

    tables = [t.name for t in metadata.sorted_tables]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(
                text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
            )
        else:
            conn.execute(text("PRAGMA defer_foreign_keys=ON"))  # self-references (units.parent_id)
            for table in reversed(tables):
                conn.execute(text(f'DELETE FROM "{table}"'))
            if conn.execute(text("SELECT name FROM sqlite_master WHERE name='sqlite_sequence'")).first():
                conn.execute(text("DELETE FROM sqlite_sequence"))
