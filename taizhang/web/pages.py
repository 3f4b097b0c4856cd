"""Platform pages: login and logout, the dashboard frame, the change log."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from taizhang import changelog_query
from taizhang.api import DB, public
from taizhang.auth.principal import Principal
from taizhang.auth.roles import Permission, Role
from taizhang.changelog import ChangeAction
from taizhang.errors import Unauthorized
from taizhang.web import flash
from taizhang.web.objects import ObjectType, describe_entry, object_type_choices, register_object_type
from taizhang.web.registry import NavEntry, load_sections, register_nav
from taizhang.web.render import render
from taizhang.web.security import (
    LOGIN_CSRF_COOKIE,
    CsrfForm,
    login_csrf_form,
    new_login_token,
    page_allow,
    safe_next,
)

router = APIRouter(include_in_schema=False)

register_nav(NavEntry("home", "首页", "/", Permission.AUTHENTICATED, order=0))
register_nav(NavEntry("changelog", "变更日志", "/changelog", Permission.CHANGELOG_READ, order=90))


def _login_page(
    request: Request, *, next_path: str, username: str = "", error: str = "", status: int = 200
) -> Response:
    token = new_login_token()
    response = render(
        request,
        "pages/login.html",
        {"login_csrf": token, "next": next_path, "username": username, "error": error},
        status_code=status,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/login",
    )
    return response


@router.get("/login", dependencies=[Depends(public("the login page"))])
def login_form(request: Request, next: str = Query("/", max_length=2000), session: Session = DB) -> Response:
    from taizhang.web_session import principal_from_cookie

    if principal_from_cookie(request, session) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, next_path=safe_next(next))


@router.post("/login", dependencies=[Depends(public("the login form"))])
def login(request: Request, form: FormData = Depends(login_csrf_form), session: Session = DB) -> Response:
    from taizhang.auth import service
    from taizhang.auth.api import login_limits
    from taizhang.web_session import start_session

    username = str(form.get("username") or "").strip()[:150]
    password = str(form.get("password") or "")[:200]
    next_path = safe_next(str(form.get("next") or "/"))
    if not username or not password:
        return _login_page(
            request, next_path=next_path, username=username, error="请输入用户名和口令", status=400
        )
    max_failures, lockout = login_limits()
    try:
        user = service.authenticate(
            session, username=username, password=password, max_failures=max_failures, lockout=lockout
        )
    except Unauthorized as exc:
        # The failure count is kept: this answer is a normal return, so the boundary commits it.
        return _login_page(request, next_path=next_path, username=username, error=exc.message, status=401)
    session.info["actor"] = user.username
    response = RedirectResponse(next_path, status_code=303)
    start_session(response, user_id=user.id, secure=request.url.scheme == "https")
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(
    request: Request, form: FormData = CsrfForm, principal: Principal = page_allow(Permission.AUTHENTICATED)
) -> Response:
    from taizhang.web_session import end_session

    response = RedirectResponse("/login", status_code=303)
    end_session(response)
    flash.add(request, response, "已安全退出", "info")
    return response


@router.get("/")
def dashboard(
    request: Request, principal: Principal = page_allow(Permission.AUTHENTICATED), session: Session = DB
) -> Response:
    unit_view = principal.role is Role.UNIT
    return render(
        request,
        "pages/dashboard.html",
        {"sections": load_sections(session, principal), "unit_view": unit_view, "page_title": "首页"},
    )


@router.get("/changelog")
def changelog(
    request: Request,
    object_type: str | None = Query(None, max_length=64),
    actor: str | None = Query(None, max_length=150),
    action: str | None = Query(None, max_length=16),
    object_id: str | None = Query(None, max_length=12),
    page: int = Query(1, ge=1, le=100000),
    principal: Principal = page_allow(Permission.CHANGELOG_READ),
    session: Session = DB,
) -> Response:
    chosen_action = action if action in {a.value for a in ChangeAction} else None
    chosen_id = int(object_id) if object_id and object_id.isdigit() else None
    listing = changelog_query.list_entries(
        session,
        object_type=object_type or None,
        object_id=chosen_id,
        actor=(actor or "").strip() or None,
        action=chosen_action,
        page=page,
    )
    context: dict[str, Any] = {
        "page_title": "变更日志",
        "listing": listing,
        "entries": [describe_entry(e) for e in listing.rows],
        "object_type_choices": object_type_choices(changelog_query.object_types(session)),
        "filters": {
            "object_type": object_type or "",
            "actor": actor or "",
            "action": chosen_action or "",
            "object_id": object_id or "",
        },
        "actions": [(a.value, a.label) for a in ChangeAction],
    }
    return render(request, "pages/changelog.html", context)


register_object_type(ObjectType("taizhang.user", "用户"))
register_object_type(ObjectType("taizhang.apitoken", "API 令牌"))
