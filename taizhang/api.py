"""Request boundary: the database session, who is calling, what they may do, and error answers."""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
import weakref
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from taizhang.auth.principal import Principal
from taizhang.auth.roles import Permission
from taizhang.db import declare_write, new_session
from taizhang.errors import DomainError, Forbidden, Unauthorized
from taizhang.settings import get_settings
from taizhang.writegate import GateTimeout

log = logging.getLogger("taizhang.api")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


_WRITE_TURNS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = weakref.WeakKeyDictionary()


async def write_turn(request: Request) -> AsyncIterator[None]:
    """A write request waits for its process's turn here, in the event loop.

    A write request holds the database's write lock (SQLite's, from its session's start;
    PostgreSQL's row lock on the change log's head, from its first flush) through the thread-pool
    hops of authentication, the route and the commit. Were its peers to wait for the lock on pool
    threads, enough of them would take every thread (and, on PostgreSQL, every pooled connection,
    so that the rest of the threads wait for one), and the holder could not get a thread to commit:
    all would wait out a timeout and fail together. Seen on PostgreSQL with 50 clients on two
    workers: 25 requests failed after the pool's 30-s timeout. Waiting here (FIFO, bounded by
    ``TAIZHANG_SQLITE_BUSY_TIMEOUT_MS``, 503 past it) costs no thread and no pooled connection.
    Writers of other processes still meet at the database's lock; each process has one writer
    waiting there at most, so a holder always has a thread. Reads never wait.
    """
    if request.method in SAFE_METHODS:
        yield
        return
    loop = asyncio.get_running_loop()
    turn = _WRITE_TURNS.get(loop)
    if turn is None:
        turn = _WRITE_TURNS[loop] = asyncio.Lock()
    timeout = get_settings().sqlite_busy_timeout_ms / 1000
    try:
        async with asyncio.timeout(timeout):
            await turn.acquire()
    except TimeoutError:
        raise OperationalError("write turn", None, GateTimeout.after(timeout)) from None
    try:
        yield
    finally:
        turn.release()


def get_db(request: Request, _turn: None = Depends(write_turn, scope="function")) -> Iterator[Session]:
    """One session per request; committed when the route returns, rolled back on any error."""
    session = new_session(actor="anonymous", request_id=getattr(request.state, "request_id", None))
    if request.method not in SAFE_METHODS:
        declare_write(session)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


DB = Depends(get_db, scope="function")


def _authenticate(request: Request, session: Session) -> Principal:
    from taizhang.auth import service
    from taizhang.web_session import principal_from_cookie

    header = request.headers.get("authorization", "")
    if header:
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() not in ("bearer", "token") or not credentials.strip():
            raise Unauthorized("Authorization 头格式应为：Bearer <令牌>")
        return service.principal_for_token(session, credentials.strip())
    principal = principal_from_cookie(request, session)
    if principal is None:
        raise Unauthorized("请先登录或提供 API 令牌")
    return principal


def require(permission: Permission) -> Callable[..., Principal]:
    """A dependency that authenticates the caller and checks ``permission``."""

    def dependency(request: Request, session: Session = DB) -> Principal:
        principal = _authenticate(request, session)
        if not principal.can(permission):
            raise Forbidden(f"当前角色无权执行此操作（需要权限：{permission.label}）")
        session.info["actor"] = principal.username
        request.state.principal = principal
        return principal

    dependency.__permission__ = permission  # type: ignore[attr-defined]
    dependency.__name__ = f"require_{permission.value.replace('.', '_')}"
    return dependency


def public(reason: str) -> Callable[[], None]:
    """Marks a route that needs no login (health, docs, login); ``reason`` is for readers."""

    def dependency() -> None:
        return None

    dependency.__permission__ = f"public: {reason}"  # type: ignore[attr-defined]
    return dependency


_require_cache: dict[Permission, Any] = {}


def allow(permission: Permission) -> Any:
    """``principal: Principal = allow(Permission.X)`` in a route signature."""
    if permission not in _require_cache:
        _require_cache[permission] = Depends(require(permission))
    return _require_cache[permission]


class FieldError(BaseModel):
    loc: list[str | int]
    field: str
    msg: str
    type: str | None = None
    input: Any = None


class ErrorResponse(BaseModel):
    """Every 4xx/5xx answer of the API (one handler writes them all)."""

    code: str
    detail: str
    field: str | None = None
    errors: list[FieldError] | None = None
    current: dict[str, Any] | None = None
    request_id: str | None = None


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": description}
    for status, description in (
        (401, "未登录或令牌无效"),
        (403, "无权执行此操作"),
        (404, "对象不存在（或不在本单位范围内）"),
        (409, "冲突：重复、被引用，或已被他人修改"),
        (422, "输入数据校验失败（errors 给出字段路径）"),
        (503, "数据库暂时不可用"),
    )
}


def _error(status: int, body: dict[str, Any], request: Request) -> JSONResponse:
    body.setdefault("request_id", getattr(request.state, "request_id", None))
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(status_code=status, content=jsonable_encoder(body), headers=headers)


def _integrity_message(exc: IntegrityError) -> str:
    text = str(exc.orig).lower()
    if "unique" in text or "duplicate" in text:
        return "与已有记录重复（唯一性冲突）"
    if "foreign key" in text:
        return "该记录被其他记录引用，或引用的记录不存在"
    if "not null" in text:
        return "缺少必填字段"
    return "数据完整性冲突"


_UNION_BRANCH = re.compile(r"^(list\[[A-Z]\w*\]|[A-Z]\w*)$")


def field_path(parts: Sequence[Any]) -> str:
    """``("body", 1, "name")`` → ``[1].name``: the same paths domain errors use."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def validation_errors(raw: Sequence[Any], body: Any) -> list[dict[str, Any]]:
    """Clean pydantic errors: drop the union branch the body did not take (one or many)."""
    errors = []
    for error in raw:
        loc = list(error.get("loc", ()))
        if len(loc) > 1 and loc[0] == "body" and isinstance(loc[1], str) and _UNION_BRANCH.match(loc[1]):
            is_list_branch = loc[1].startswith("list[")
            if is_list_branch != isinstance(body, list):
                continue
            loc = [loc[0], *loc[2:]]
        message = str(error.get("msg", ""))
        errors.append(
            {
                "loc": loc,
                "field": field_path(loc[1:]),
                "msg": message,
                "type": error.get("type"),
                "input": error.get("input"),
            }
        )
    return errors


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        return _error(exc.status_code, exc.as_dict(), request)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = validation_errors(exc.errors(), getattr(exc, "body", None))
        return _error(422, {"code": "invalid", "detail": "输入数据校验失败", "errors": errors}, request)

    @app.exception_handler(IntegrityError)
    async def integrity_error(request: Request, exc: IntegrityError) -> JSONResponse:
        return _error(409, {"code": "conflict", "detail": _integrity_message(exc)}, request)

    @app.exception_handler(StaleDataError)
    async def stale(request: Request, exc: StaleDataError) -> JSONResponse:
        return _error(409, {"code": "conflict", "detail": "记录已被他人修改，请刷新后重试"}, request)

    @app.exception_handler(OperationalError)
    async def db_down(request: Request, exc: OperationalError) -> JSONResponse:
        log.warning("database unavailable: %s", exc.orig)
        return _error(503, {"code": "unavailable", "detail": "数据库暂时不可用，请稍后重试"}, request)


class HeaderMiddleware:
    """A pure ASGI middleware that edits the response headers of every HTTP request.

    Starlette's ``BaseHTTPMiddleware`` (``app.middleware("http")``) costs a task and a stream per
    request; this costs one wrapped ``send``. Subclasses implement ``edit``.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def edit(self, scope: Scope, headers: MutableHeaders) -> None:
        raise NotImplementedError

    def prepare(self, scope: Scope) -> None:
        """Runs before the app sees the request."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.prepare(scope)

        async def send_edited(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(raw=list(message.get("headers", [])))
                self.edit(scope, headers)
                message["headers"] = headers.raw
            await send(message)

        await self.app(scope, receive, send_edited)


class RequestIdMiddleware(HeaderMiddleware):
    """Gives every request an id (the caller's ``X-Request-ID`` or a new one) and answers with it."""

    def prepare(self, scope: Scope) -> None:
        incoming = Headers(scope=scope).get("x-request-id", "")
        request_id = incoming[:64] if incoming.isascii() and incoming else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

    def edit(self, scope: Scope, headers: MutableHeaders) -> None:
        headers["X-Request-ID"] = scope["state"]["request_id"]


def iter_routes(app: FastAPI) -> Iterator[tuple[set[str], str, Any]]:
    """Every (methods, full path, dependant) of the app, through included routers.

    FastAPI ≥ 0.16x includes routers lazily (``_IncludedRouter``); older ones copy ``APIRoute``s.
    """
    from fastapi.routing import APIRoute

    for route in app.routes:
        if isinstance(route, APIRoute):
            yield set(route.methods or ()), route.path, route.dependant
        elif hasattr(route, "effective_route_contexts"):
            for context in route.effective_route_contexts():
                if context.dependant is not None:
                    yield set(context.methods or ()), context.path, context.dependant
