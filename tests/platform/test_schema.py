"""The Alembic revisions build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from sqlalchemy import Engine

from taizhang.schema import current_revision, drift, head_revision


def test_migrated_database_matches_models(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    assert drift(engine) == []
