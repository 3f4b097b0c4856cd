"""Error answers for pages: the API keeps its JSON errors, a browser gets a page in Chinese."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException

from taizhang.errors import DomainError
from taizhang.web.security import LoginRequired, login_url

log = logging.getLogger("taizhang.web")

TITLES = {
    400: "请求有误",
    401: "请先登录",
    403: "无权访问",
    404: "页面不存在",
    405: "不支持的操作",
    409: "数据冲突",
    422: "输入有误",
    500: "服务器内部错误",
    503: "服务暂时不可用",
}

Handler = Callable[[Request, Any], Awaitable[Response] | Response]


def is_page_request(request: Request) -> bool:
    path = request.url.path
    return not (path.startswith("/api/") or path == "/api" or path.startswith("/metrics"))


def error_page(request: Request, status: int, detail: str) -> Response:
    from taizhang.web.render import render

    title = TITLES.get(status, "出错了")
    try:
        return render(
            request,
            "errors/error.html",
            {"status": status, "title": title, "detail": detail},
            status_code=status,
        )
    except Exception:  # the error page must never fail: fall back to plain text
        log.exception("error page failed to render")
        return Response(
            f"{status} {title}：{detail}", status_code=status, media_type="text/plain; charset=utf-8"
        )


def _detail(exc: Exception, status: int) -> str:
    if isinstance(exc, DomainError):
        return exc.message
    if isinstance(exc, HTTPException):
        return {404: "您访问的页面不存在，或者已被删除。", 405: "该地址不支持此操作。"}.get(
            exc.status_code, str(exc.detail)
        )
    if isinstance(exc, RequestValidationError):
        return "地址中的参数有误，请检查后重试。"
    if isinstance(exc, IntegrityError | StaleDataError):
        return "记录已被他人修改或与已有记录冲突，请刷新后重试。"
    if isinstance(exc, OperationalError):
        return "数据库暂时不可用，请稍后重试。"
    return "服务器处理请求时出错，已记录。请稍后重试或联系管理员。"


def _status_of(exc: Exception) -> int:
    if isinstance(exc, DomainError):
        return exc.status_code
    if isinstance(exc, HTTPException):
        return exc.status_code
    if isinstance(exc, RequestValidationError):
        return 422
    if isinstance(exc, IntegrityError | StaleDataError):
        return 409
    if isinstance(exc, OperationalError):
        return 503
    return 500


def _wrap(api_handler: Handler | None) -> Handler:
    async def handler(request: Request, exc: Any) -> Response:
        if not is_page_request(request):
            if api_handler is None:
                return JSONResponse({"code": "error", "detail": "服务器内部错误"}, status_code=500)
            result = api_handler(request, exc)
            return await result if isinstance(result, Awaitable) else result
        status = _status_of(exc)
        if status >= 500:
            log.error("page error on %s", request.url.path, exc_info=exc)
        return error_page(request, status, _detail(exc, status))

    return handler


async def _login_required(request: Request, exc: LoginRequired) -> Response:
    target = login_url(exc.next_path)
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def install_page_error_handlers(app: FastAPI) -> None:
    """Call after ``install_error_handlers``: wraps each API handler so pages get HTML."""
    from fastapi.exception_handlers import http_exception_handler

    app.add_exception_handler(LoginRequired, _login_required)  # type: ignore[arg-type]
    existing = dict(app.exception_handlers)
    existing.setdefault(HTTPException, http_exception_handler)
    for exc_class in (
        DomainError,
        RequestValidationError,
        IntegrityError,
        StaleDataError,
        OperationalError,
        HTTPException,
    ):
        app.add_exception_handler(exc_class, _wrap(existing.get(exc_class)))
    app.add_exception_handler(Exception, _wrap(None))
