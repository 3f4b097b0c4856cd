"""REST routes built from an ``Entity``: list, get, create (one or many), patch, delete."""

# No "from __future__ import annotations": route signatures use local schema classes.

import inspect as pyinspect
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Request, Response
from sqlalchemy.orm import Session

from taizhang import crud
from taizhang.api import DB, allow
from taizhang.auth.principal import Principal
from taizhang.auth.roles import Permission
from taizhang.db import Tracked
from taizhang.errors import Invalid
from taizhang.generation import GenerationCache
from taizhang.pagination import Page, PageParams, count_of, page_params, page_response


def parse_if_match(value: str | None) -> int | None:
    if not value:
        return None
    cleaned = value.strip().removeprefix("W/").strip('"')
    try:
        return int(cleaned)
    except ValueError:
        raise Invalid(f'If-Match 头应为版本号（如 "3"），收到“{value}”', field="If-Match") from None


def crud_router(entity: crud.Entity, *, read: Permission, write: Permission) -> APIRouter:
    router = APIRouter(prefix=f"/{entity.path}")
    read_model = entity.read
    brief_model = entity.brief
    create_model = entity.create
    update_model = entity.update

    def serialize(brief: bool) -> Any:
        model = brief_model if brief else read_model
        return lambda obj: model.model_validate(obj).model_dump(mode="json")

    # Counts of tracked tables are remembered per ledger generation (taizhang.generation).
    counts = GenerationCache() if issubclass(entity.model, Tracked) else None

    def list_objects(
        request: Request,
        principal: Principal,
        session: Session,
        page: PageParams,
        q: str | None,
        **filters: Any,
    ) -> Response:
        stmt = crud.list_query(entity, scope=principal.scope, filters=filters, q=q)
        schema = brief_model if page.brief else read_model
        if counts is None:
            total = count_of(session, stmt)
        else:
            key = (principal.scope.unit_ids, tuple((k, v) for k, v in filters.items() if v is not None), q)
            total = counts.get_or_compute(session, key, lambda: count_of(session, stmt))
        rows = crud.fetch_list(session, entity, stmt, schema, limit=page.limit, offset=page.offset)
        return page_response(request, total, rows, page, schema)

    parameters = [
        pyinspect.Parameter("request", pyinspect.Parameter.KEYWORD_ONLY, annotation=Request),
        pyinspect.Parameter(
            "principal", pyinspect.Parameter.KEYWORD_ONLY, annotation=Principal, default=allow(read)
        ),
        pyinspect.Parameter("session", pyinspect.Parameter.KEYWORD_ONLY, annotation=Session, default=DB),
        pyinspect.Parameter(
            "page",
            pyinspect.Parameter.KEYWORD_ONLY,
            annotation=Annotated[PageParams, pyinspect.Parameter.empty],
            default=_page_dep(),
        ),
        pyinspect.Parameter(
            "q",
            pyinspect.Parameter.KEYWORD_ONLY,
            annotation=str | None,
            default=Query(None, max_length=200, description="按名称等中文字段搜索"),
        ),
    ]
    for name, flt in entity.filters.items():
        parameters.append(
            pyinspect.Parameter(
                name,
                pyinspect.Parameter.KEYWORD_ONLY,
                annotation=flt.type | None,
                default=Query(None, description=flt.description),
            )
        )

    def list_endpoint(**kwargs: Any) -> Response:
        return list_objects(
            kwargs.pop("request"),
            kwargs.pop("principal"),
            kwargs.pop("session"),
            kwargs.pop("page"),
            kwargs.pop("q"),
            **kwargs,
        )

    list_endpoint.__signature__ = pyinspect.Signature(parameters)  # type: ignore[attr-defined]
    list_endpoint.__name__ = f"list_{entity.path.replace('-', '_')}"
    router.add_api_route(
        "",
        list_endpoint,
        methods=["GET"],
        response_model=Page[read_model | brief_model],  # type: ignore[valid-type]
        summary=f"{entity.label}列表",
    )

    @router.get(
        "/{object_id}", response_model=read_model, summary=f"{entity.label}详情", name=f"get_{entity.path}"
    )
    def get_one(
        object_id: int, response: Response, principal: Principal = allow(read), session: Session = DB
    ) -> Any:
        obj = crud.get(session, entity, object_id, scope=principal.scope)
        response.headers["ETag"] = f'"{obj.version}"'
        return read_model.model_validate(obj)

    @router.post(
        "",
        status_code=201,
        summary=f"新增{entity.label}（可批量：请求体为数组）",
        response_model=read_model | list[read_model],  # type: ignore[valid-type]
        name=f"create_{entity.path}",
    )
    def create_objects(
        payload: Annotated[create_model | list[create_model], Body()],  # type: ignore[valid-type]
        principal: Principal = allow(write),
        session: Session = DB,
    ) -> Any:
        if isinstance(payload, list):
            objs = crud.create_many(session, entity, payload, scope=principal.scope)
            return [read_model.model_validate(o) for o in objs]
        obj = crud.create(session, entity, payload, scope=principal.scope)
        return read_model.model_validate(obj)

    @router.patch(
        "/{object_id}", response_model=read_model, summary=f"修改{entity.label}", name=f"update_{entity.path}"
    )
    def update_object(
        object_id: int,
        payload: update_model,  # type: ignore[valid-type]
        response: Response,
        if_match: str | None = Header(None, description="期望的版本号（并发修改检测）"),
        principal: Principal = allow(write),
        session: Session = DB,
    ) -> Any:
        obj = crud.update(
            session,
            entity,
            object_id,
            payload,
            scope=principal.scope,
            expected_version=parse_if_match(if_match),
        )
        response.headers["ETag"] = f'"{obj.version}"'
        return read_model.model_validate(obj)

    @router.delete(
        "/{object_id}", status_code=204, summary=f"删除{entity.label}", name=f"delete_{entity.path}"
    )
    def delete_object(object_id: int, principal: Principal = allow(write), session: Session = DB) -> Response:
        crud.delete(session, entity, object_id, scope=principal.scope)
        return Response(status_code=204)

    return router


def _page_dep() -> Any:
    from fastapi import Depends

    return Depends(page_params)
