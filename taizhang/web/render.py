"""The Jinja2 environment and ``render()``: one place that builds every HTML answer.

Templates live in ``taizhang/templates`` (layout, macros, error pages) and in each domain package's
``templates`` folder, namespaced by the package (``inventory/templates/inventory/…``); a domain adds
its folder with ``add_template_package("migration")``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import time
from enum import Enum
from functools import lru_cache
from importlib import resources
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined, select_autoescape

from taizhang import __version__
from taizhang.web import flash
from taizhang.web.registry import nav_for

_packages: list[str] = ["taizhang"]
_env: Environment | None = None
_SESSION_REFRESH_SECONDS = 60


def add_template_package(package: str) -> None:
    global _env
    if package not in _packages:
        _packages.append(package)
        _env = None


def label(value: Any) -> str:
    if value is None or value == "":
        return "—"
    return str(getattr(value, "label", value))


def fmt_date(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        return value.astimezone(_local_zone()).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _local_zone() -> dt.tzinfo:
    return dt.timezone(dt.timedelta(hours=8), "CST")


def fmt_money(value: Any) -> str:
    if value is None:
        return "—"
    return f"{decimal.Decimal(str(value)):,.2f}"


def fmt_percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def yes_no(value: Any) -> str:
    return "是" if value else "否"


@lru_cache(maxsize=64)
def static_url(path: str) -> str:
    """``/static/<path>?v=<content hash>``: browsers cache hard and still see new files at once."""
    data = resources.files("taizhang").joinpath("static", path).read_bytes()
    return f"/static/{path}?v={hashlib.sha256(data).hexdigest()[:10]}"


def environment() -> Environment:
    global _env
    if _env is None:
        loader = ChoiceLoader([PackageLoader(p, "templates") for p in _packages])
        env = Environment(
            loader=loader,
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.filters.update(label=label, date=fmt_date, money=fmt_money, percent=fmt_percent, yesno=yes_no)
        env.globals.update(
            static_url=static_url, app_version=__version__, enum_choices=enum_choices, url_with=url_with
        )
        _env = env
    return _env


def url_with(request: Request, **changes: Any) -> str:
    """The current page's address with some query parameters replaced (``None`` removes one)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in changes]
    params += [(k, str(v)) for k, v in changes.items() if v is not None and v != ""]
    query = urlencode(params)
    return request.url.path + (f"?{query}" if query else "")


def enum_choices(enum_cls: type[Enum]) -> list[tuple[str, str]]:
    return [(str(m.value), str(getattr(m, "label", m.value))) for m in enum_cls]


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    principal = getattr(request.state, "principal", None)
    session_data = getattr(request.state, "session_data", None) or {}
    messages = flash.consume(request)
    full: dict[str, Any] = {
        "request": request,
        "principal": principal,
        "nav": nav_for(principal),
        "current_path": request.url.path,
        "csrf_token": session_data.get("csrf", ""),
        "messages": messages,
    }
    full.update(context or {})
    html = environment().get_template(template).render(full)
    response = HTMLResponse(html, status_code=status_code)
    if messages:
        flash.clear(response)
    _refresh_session(request, response, session_data)
    return response


def _refresh_session(request: Request, response: HTMLResponse, data: dict[str, Any]) -> None:
    """Slide the idle timeout: a user who keeps working stays logged in."""
    from taizhang.web_session import COOKIE_NAME, encode_session

    if not data or int(time.time()) - int(data.get("seen", 0)) < _SESSION_REFRESH_SECONDS:
        return
    fresh = {**data, "seen": int(time.time())}
    response.set_cookie(
        COOKIE_NAME,
        encode_session(fresh),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
