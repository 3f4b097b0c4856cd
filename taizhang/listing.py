"""Listing service for pages: an entity's rows filtered, searched, sorted and cut into a page.

The same ``taizhang.crud`` query the API uses (so unit scoping and filters are identical), plus a
whitelisted sort and page-number paging.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session
from sqlalchemy.orm.interfaces import ORMOption

from taizhang import crud
from taizhang.auth.principal import ALL, Scope
from taizhang.pagination import count_of


@dataclass(frozen=True)
class Listing:
    rows: Sequence[Any]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def list_rows(
    session: Session,
    entity: crud.Entity,
    *,
    scope: Scope = ALL,
    filters: Mapping[str, Any] | None = None,
    q: str | None = None,
    sort_columns: Mapping[str, Any] | None = None,
    sort: str | None = None,
    page: int = 1,
    per_page: int = 25,
    where: Sequence[ColumnElement[bool]] = (),
    options: Sequence[ORMOption] = (),
) -> Listing:
    """``sort`` is a key of ``sort_columns``, ``-key`` for descending; unknown keys keep the default.

    ``where``: further conditions (a search the entity's own columns cannot answer); ``options``:
    loader options for the page's rows besides the entity's own.
    """
    stmt = crud.list_query(entity, scope=scope, filters=dict(filters or {}), q=q).where(*where)
    if sort and sort_columns:
        column = sort_columns.get(sort.removeprefix("-"))
        if column is not None:
            ordered = column.desc() if sort.startswith("-") else column.asc()
            stmt = stmt.order_by(None).order_by(ordered, entity.model.id)
    total = count_of(session, stmt)
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    rows = crud.page_objects(
        session,
        entity.model,
        stmt,
        options=[*entity.load_options, *options],
        limit=per_page,
        offset=(page - 1) * per_page,
    )
    return Listing(rows=rows, total=total, page=page, per_page=per_page)


def all_rows(
    session: Session,
    entity: crud.Entity,
    *,
    scope: Scope = ALL,
    filters: Mapping[str, Any] | None = None,
    limit: int = 1000,
) -> Sequence[Any]:
    stmt = crud.list_query(entity, scope=scope, filters=dict(filters or {}))
    return session.execute(stmt.options(*entity.load_options).limit(limit)).scalars().all()
