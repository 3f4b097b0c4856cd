"""NetBox-style pages: ``{count, next, previous, results}`` with ``limit``/``offset``."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from fastapi import Query, Request, Response
from pydantic import BaseModel, TypeAdapter
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


async def page_params(
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="每页条数"),
    offset: int = Query(0, ge=0, description="起始位置"),
    brief: bool = Query(False, description="只返回简要字段"),
) -> PageParams:
    """``PageParams`` as an async dependency: no I/O, so no trip through the thread pool."""
    return PageParams(limit=limit, offset=offset, brief=brief)


def count_of(session: Session, stmt: Select[Any]) -> int:
    subquery = stmt.order_by(None).with_only_columns(*stmt.selected_columns[:1]).subquery()
    return int(session.execute(select(func.count()).select_from(subquery)).scalar_one())


def fetch_page(session: Session, stmt: Select[Any], params: PageParams) -> tuple[int, Sequence[Any]]:
    total = count_of(session, stmt)
    rows = session.execute(stmt.limit(params.limit).offset(params.offset)).scalars().all()
    return total, rows


@functools.cache
def _list_adapter(model: type[BaseModel]) -> TypeAdapter[list[Any]]:
    return TypeAdapter(list[model])  # type: ignore[valid-type]


def page_links(request: Request, total: int, params: PageParams) -> tuple[str | None, str | None]:
    def link(offset: int) -> str:
        return str(request.url.include_query_params(limit=params.limit, offset=offset))

    nxt = link(params.offset + params.limit) if params.offset + params.limit < total else None
    prev = link(max(params.offset - params.limit, 0)) if params.offset > 0 else None
    return nxt, prev


def page_response(
    request: Request, total: int, rows: Sequence[Any], params: PageParams, model: type[BaseModel]
) -> Response:
    """The page as JSON, validated and serialized in one pass of pydantic-core.

    Same body as ``build_page`` under the route's ``response_model``; returning a ``Response``
    skips FastAPI's second validation of every item against that model (the list routes are the
    hot path at province scale).
    """
    adapter = _list_adapter(model)
    results = adapter.dump_json(adapter.validate_python(rows, from_attributes=True))
    nxt, prev = page_links(request, total, params)
    body = b'{"count":%d,"next":%s,"previous":%s,"results":%s}' % (
        total,
        json.dumps(nxt).encode(),
        json.dumps(prev).encode(),
        results,
    )
    return Response(body, media_type="application/json")


def build_page(
    request: Request, total: int, rows: Sequence[Any], params: PageParams, serialize: Callable[[Any], Any]
) -> dict[str, Any]:
    nxt, prev = page_links(request, total, params)
    return {"count": total, "next": nxt, "previous": prev, "results": [serialize(r) for r in rows]}
