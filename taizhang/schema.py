"""Create or upgrade the database schema through the Alembic revisions in ``taizhang/alembic``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from taizhang.db import get_engine

SCRIPT_DIR = Path(__file__).parent / "alembic"


def alembic_config(connection: Any | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_DIR))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(SCRIPT_DIR / "versions"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine | None = None, revision: str = "head") -> None:
    engine = engine or get_engine()
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)


def current_revision(engine: Engine | None = None) -> str | None:
    engine = engine or get_engine()
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def drift(engine: Engine | None = None) -> list[Any]:
    """Differences between the models and the migrated database (empty when in step)."""
    from taizhang.models import metadata

    engine = engine or get_engine()
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def autogenerate(message: str, engine: Engine) -> None:
    """Developer tool: write a new revision from the difference between models and ``engine``."""
    with engine.begin() as connection:
        command.revision(alembic_config(connection), message=message, autogenerate=True)
