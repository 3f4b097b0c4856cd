"""Signed session cookies for the web pages (HttpOnly, SameSite=Lax) with a CSRF token inside."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Any

from fastapi import Request, Response
from sqlalchemy.orm import Session

from taizhang.auth.principal import Principal
from taizhang.settings import get_settings

COOKIE_NAME = "tz_session"


def _sign(payload: bytes) -> str:
    key = get_settings().secret_key.encode()
    return base64.urlsafe_b64encode(hmac.new(key, payload, hashlib.sha256).digest()).decode().rstrip("=")


def encode_session(data: dict[str, Any]) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")
    return f"{payload}.{_sign(payload.encode())}"


def decode_session(value: str) -> dict[str, Any] | None:
    payload, _, signature = value.partition(".")
    if not payload or not hmac.compare_digest(_sign(payload.encode()), signature):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def idle_seconds() -> int:
    from taizhang.policy import get_policy

    return get_policy().minutes("auth.session.idle_timeout_minutes") * 60


def start_session(response: Response, *, user_id: int, secure: bool = False) -> str:
    csrf = secrets.token_urlsafe(24)
    data = {"uid": user_id, "seen": int(time.time()), "csrf": csrf}
    response.set_cookie(
        COOKIE_NAME, encode_session(data), httponly=True, samesite="lax", secure=secure, path="/"
    )
    return csrf


def end_session(response: Response) -> None:
    response.delete_cookie(COOKIE_NAME, path="/")


def session_data(request: Request) -> dict[str, Any] | None:
    raw = request.cookies.get(COOKIE_NAME)
    if not raw:
        return None
    data = decode_session(raw)
    if data is None or not isinstance(data.get("uid"), int):
        return None
    if int(time.time()) - int(data.get("seen", 0)) > idle_seconds():
        return None
    return data


def principal_from_cookie(request: Request, session: Session) -> Principal | None:
    from taizhang.auth.models import User
    from taizhang.auth.service import principal_of

    data = session_data(request)
    if data is None:
        return None
    user = session.get(User, data["uid"])
    if user is None or not user.is_active:
        return None
    request.state.session_data = data
    return principal_of(user)
