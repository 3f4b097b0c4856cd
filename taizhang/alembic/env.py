"""Alembic environment: runs on the connection ``taizhang.schema`` hands it."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context

from taizhang.db import UTCDateTime
from taizhang.models import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - always invoked through taizhang.schema
    raise RuntimeError("run migrations through `taizhang init`, not the alembic command")


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Render our UTC type as the plain SQL type it stores, so revisions import nothing of ours."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


context.configure(
    connection=connection,
    render_item=render_item,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
