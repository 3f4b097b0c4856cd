"""Who may see a page, CSRF on every form, and the security headers of every page.

``page_allow(Permission.X)`` is the page counterpart of ``taizhang.api.allow``: the same permission
check, but an anonymous visitor is sent to ``/login`` instead of getting a 401, and it reads only the
session cookie. ``CsrfForm`` is the dependency of every POST: the hidden ``csrf_token`` field must
equal the token inside the signed session cookie (double submit), so another site cannot post a
form in the user's name.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, MutableHeaders
from starlette.types import Scope as AsgiScope

from taizhang.api import DB, HeaderMiddleware
from taizhang.auth.principal import Principal, Scope
from taizhang.auth.roles import Permission
from taizhang.errors import DomainError, Forbidden

LOGIN_CSRF_COOKIE = "tz_login_csrf"

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class LoginRequired(Exception):
    """Raised by page dependencies for an anonymous visitor; answered with a redirect to /login."""

    def __init__(self, next_path: str):
        super().__init__(next_path)
        self.next_path = next_path


class CsrfFailed(DomainError):
    status_code = 403
    code = "csrf"


def _requested_path(request: Request) -> str:
    path = request.url.path
    if request.url.query:
        path += "?" + request.url.query
    return path


def login_url(next_path: str) -> str:
    return "/login?next=" + quote(next_path, safe="/")


def page_require(permission: Permission) -> Callable[..., Principal]:
    def dependency(request: Request, session: Session = DB) -> Principal:
        from taizhang.web_session import principal_from_cookie

        principal = principal_from_cookie(request, session)
        if principal is None:
            raise LoginRequired(_requested_path(request) if request.method == "GET" else "/")
        request.state.principal = principal
        session.info["actor"] = principal.username
        if not principal.can(permission):
            raise Forbidden(f"当前角色无权访问此页面（需要权限：{permission.label}）")
        return principal

    dependency.__permission__ = permission  # type: ignore[attr-defined]
    dependency.__name__ = f"page_require_{permission.value.replace('.', '_')}"
    return dependency


@dataclass(frozen=True)
class Permit:
    """A signed-in user whose permission is checked after the page has found its object.

    Pages about one existing object (an edit form) look the object up in ``scope`` first, then call
    ``check()``: another unit's object is a 404 whatever the role, so a page never tells a user
    that a record they may not see exists; a visible object the role may not change is a 403.
    """

    principal: Principal
    permission: Permission

    @property
    def scope(self) -> Scope:
        return self.principal.scope

    def check(self) -> Principal:
        if not self.principal.can(self.permission):
            raise Forbidden(f"当前角色无权访问此页面（需要权限：{self.permission.label}）")
        return self.principal


def page_permit_require(permission: Permission) -> Callable[..., Permit]:
    def dependency(request: Request, session: Session = DB) -> Permit:
        from taizhang.web_session import principal_from_cookie

        principal = principal_from_cookie(request, session)
        if principal is None:
            raise LoginRequired(_requested_path(request) if request.method == "GET" else "/")
        request.state.principal = principal
        session.info["actor"] = principal.username
        return Permit(principal, permission)

    dependency.__permission__ = permission  # type: ignore[attr-defined]
    dependency.__name__ = f"page_permit_{permission.value.replace('.', '_')}"
    return dependency


_page_cache: dict[Permission, Any] = {}
_permit_cache: dict[Permission, Any] = {}


def page_permit(permission: Permission) -> Any:
    """``permit: Permit = page_permit(Permission.X)``: look the object up with ``permit.scope``,
    then ``principal = permit.check()`` before showing or changing it."""
    if permission not in _permit_cache:
        _permit_cache[permission] = Depends(page_permit_require(permission))
    return _permit_cache[permission]


def page_allow(permission: Permission) -> Any:
    """``principal: Principal = page_allow(Permission.X)`` in a page route's signature."""
    if permission not in _page_cache:
        _page_cache[permission] = Depends(page_require(permission))
    return _page_cache[permission]


def tokens_match(sent: str | None, expected: str | None) -> bool:
    return bool(sent) and bool(expected) and hmac.compare_digest(str(sent), str(expected))


async def csrf_form(request: Request) -> FormData:
    """The posted form, after checking its ``csrf_token`` against the session cookie's token."""
    from taizhang.web_session import session_data

    form = await request.form()
    data = session_data(request) or {}
    sent = form.get("csrf_token")
    if not tokens_match(sent if isinstance(sent, str) else None, data.get("csrf")):
        raise CsrfFailed("表单已过期或来源不可信（CSRF 校验失败），请返回上一页刷新后重新提交")
    return form


CsrfForm = Depends(csrf_form)


async def login_csrf_form(request: Request) -> FormData:
    """The login form has no session yet: its token is checked against a pre-login cookie."""
    form = await request.form()
    sent = form.get("csrf_token")
    if not tokens_match(sent if isinstance(sent, str) else None, request.cookies.get(LOGIN_CSRF_COOKIE)):
        raise CsrfFailed("登录表单已过期，请刷新页面后重新登录")
    return form


def new_login_token() -> str:
    return secrets.token_urlsafe(24)


def safe_next(value: str | None) -> str:
    """Only same-site paths: ``/systems?x=1`` yes, ``//evil.example`` or ``https://…`` no."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


class SecurityHeadersMiddleware(HeaderMiddleware):
    """CSP and the usual headers on every answer."""

    def edit(self, scope: AsgiScope, headers: MutableHeaders) -> None:
        if not scope["path"].startswith("/api/"):
            headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
            headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        if headers.get("content-type", "").startswith("text/html"):
            headers.setdefault("Cache-Control", "no-store")
