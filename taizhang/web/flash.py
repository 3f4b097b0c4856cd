"""One-shot messages shown on the next page ("已保存"), carried in a short-lived signed cookie."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response

FLASH_COOKIE = "tz_flash"
KINDS = ("success", "info", "warning", "error")


def add(request: Request, response: Response, message: str, kind: str = "success") -> None:
    from taizhang.web_session import encode_session

    pending = [*_read(request), {"kind": kind if kind in KINDS else "info", "text": message}]
    response.set_cookie(
        FLASH_COOKIE,
        encode_session({"messages": pending[-5:]}),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        max_age=300,
        path="/",
    )


def _read(request: Request) -> list[dict[str, str]]:
    from taizhang.web_session import decode_session

    raw = request.cookies.get(FLASH_COOKIE)
    data: dict[str, Any] | None = decode_session(raw) if raw else None
    if not data or not isinstance(data.get("messages"), list):
        return []
    return [
        {"kind": str(m.get("kind", "info")), "text": str(m.get("text", ""))}
        for m in data["messages"]
        if isinstance(m, dict)
    ]


def consume(request: Request) -> list[dict[str, str]]:
    return _read(request)


def clear(response: Response) -> None:
    response.delete_cookie(FLASH_COOKIE, path="/")
