"""NetBox-style pages: ``{count, next, previous, results}`` with ``limit``/``offset``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from fastapi import Query, Request
from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

ItemT = TypeVar("ItemT")

DEFAULT_LIMIT = 50
MAX_LIMIT = 1000


class Page(BaseModel, Generic[ItemT]):
    count: int
    next: str | None
    previous: str | None
    results: list[ItemT]


class PageParams:
    def __init__(
        self,
        limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="每页条数"),
        offset: int = Query(0, ge=0, description="起始位置"),
        brief: bool = Query(False, description="只返回简要字段"),
    ):
        self.limit = limit
        self.offset = offset
        self.brief = brief


def count_of(session: Session, stmt: Select[Any]) -> int:
    subquery = stmt.order_by(None).with_only_columns(*stmt.selected_columns[:1]).subquery()
    return int(session.execute(select(func.count()).select_from(subquery)).scalar_one())


def fetch_page(session: Session, stmt: Select[Any], params: PageParams) -> tuple[int, Sequence[Any]]:
    total = count_of(session, stmt)
    rows = session.execute(stmt.limit(params.limit).offset(params.offset)).scalars().all()
    return total, rows


def build_page(
    request: Request, total: int, rows: Sequence[Any], params: PageParams, serialize: Callable[[Any], Any]
) -> dict[str, Any]:
    def link(offset: int) -> str:
        return str(request.url.include_query_params(limit=params.limit, offset=offset))

    nxt = link(params.offset + params.limit) if params.offset + params.limit < total else None
    prev = link(max(params.offset - params.limit, 0)) if params.offset > 0 else None
    return {"count": total, "next": nxt, "previous": prev, "results": [serialize(r) for r in rows]}
