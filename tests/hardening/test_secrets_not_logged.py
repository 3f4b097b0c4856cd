"""No password, API token, session cookie or NetBox token ever reaches a log record or the change log.

Real operations with every logger at DEBUG (SQLAlchemy's statements and parameters, httpx, the
app's own loggers): a web login, a failed login, a token issued for a password and used in the
Authorization header, a write with it, its revocation. Then the same over HTTP against a real
uvicorn at its most verbose level with its access log. (The NetBox token: tests/inventory/netbox/
test_netbox_secrets.py, next to the NetBox fixtures.)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from log_capture import all_logs_at_debug, assert_no_secret, changelog_text
from server_support import uvicorn_server
from sqlalchemy import Engine

from taizhang import db

PASSWORD = "Leak-Check-Passw0rd!7"
WRONG = "Wrong-Guess-Passw0rd!9"


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def _secret_part(token: str) -> str:
    return token.rsplit(".", 1)[1]


def test_logins_and_tokens_leave_no_secret_in_logs_or_change_log(
    anon: TestClient, make_user: Callable[..., dict[str, str]], engine: Engine
) -> None:
    admin_headers = make_user("leak_admin", "admin", password=PASSWORD)
    fixture_token = admin_headers["Authorization"].removeprefix("Bearer ")
    with all_logs_at_debug() as logs:
        page = anon.get("/login")
        failed = anon.post(
            "/login",
            data={"username": "leak_admin", "password": WRONG, "csrf_token": _csrf(page.text), "next": "/"},
            follow_redirects=False,
        )
        assert failed.status_code == 401
        refused = anon.post("/api/v1/auth/tokens", json={"username": "leak_admin", "password": WRONG})
        assert refused.status_code == 401
        too_long = anon.post("/api/v1/auth/tokens", json={"username": "leak_admin", "password": WRONG * 20})
        assert too_long.status_code == 422

        page = anon.get("/login")
        ok = anon.post(
            "/login",
            data={
                "username": "leak_admin",
                "password": PASSWORD,
                "csrf_token": _csrf(page.text),
                "next": "/",
            },
            follow_redirects=False,
        )
        assert ok.status_code == 303
        cookie = anon.cookies.get("tz_session")
        assert cookie and len(cookie) > 20
        assert anon.get("/").status_code == 200
        anon.cookies.clear()

        issued = anon.post(
            "/api/v1/auth/tokens",
            json={"username": "leak_admin", "password": PASSWORD, "description": "脚本"},
        )
        assert issued.status_code == 201
        token = issued.json()["token"]
        bearer = {"Authorization": f"Bearer {token}"}
        assert anon.get("/api/v1/me", headers=bearer).json()["username"] == "leak_admin"
        unit = anon.post(
            "/api/v1/inventory/units",
            headers=bearer,
            json={"code": "LK", "name": "日志检查局", "kind": "township"},
        )
        assert unit.status_code == 201
        assert (
            anon.get(
                "/api/v1/inventory/units", headers={"Authorization": f"Bearer {fixture_token}"}
            ).status_code
            == 200
        )
        key = issued.json()["key"]
        assert anon.delete(f"/api/v1/auth/tokens/{key}", headers=bearer).status_code == 204
        assert anon.get("/api/v1/me", headers=bearer).status_code == 401
        assert anon.get("/api/v1/me", headers={"Authorization": f"Bearer {token}x"}).status_code == 401

    secrets = {
        "password": PASSWORD,
        "wrong password": WRONG,
        "API token secret": _secret_part(token),
        "fixture token secret": _secret_part(fixture_token),
        "session cookie": cookie,
    }
    # The capture saw the operations at DEBUG (SQL with parameters, each HTTP request): it can fail.
    assert any("INSERT INTO units" in t for t in logs.texts), "SQLAlchemy statements were not captured"
    assert any("/api/v1/me" in t for t in logs.texts), "HTTP requests were not captured"
    assert any(key in t for t in logs.texts), "the token's public key is expected in the captured SQL"
    assert_no_secret(logs.texts, secrets, "log records")
    with db.session_scope(write=False) as s:
        log_rows = changelog_text(s)
    assert "leak_admin" in log_rows and "日志检查局" in log_rows
    assert_no_secret([log_rows], secrets, "the change log")


def test_a_real_server_at_trace_level_logs_no_secret(
    make_user: Callable[..., dict[str, str]], engine: Engine, tmp_path: Path
) -> None:
    admin_headers = make_user("leak_http", "admin", password=PASSWORD)
    log_file = tmp_path / "uvicorn.log"
    with uvicorn_server(log_level="trace", log_file=log_file) as address:
        base = f"http://{address}"
        with httpx.Client(base_url=base, follow_redirects=False, timeout=30) as web:
            form = {"username": "leak_http", "csrf_token": _csrf(web.get("/login").text), "next": "/?tab=x"}
            assert web.post("/login", data={**form, "password": WRONG}).status_code == 401
            form["csrf_token"] = _csrf(web.get("/login").text)
            assert web.post("/login", data={**form, "password": PASSWORD}).status_code == 303
            cookie = web.cookies.get("tz_session")
            assert cookie and web.get("/systems").status_code == 200
        with httpx.Client(base_url=base, timeout=30) as api:
            issued = api.post("/api/v1/auth/tokens", json={"username": "leak_http", "password": PASSWORD})
            token = issued.json()["token"]
            assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
            assert api.get("/api/v1/inventory/units", headers=admin_headers).status_code == 200
            assert (
                api.post("/api/v1/auth/tokens", json={"username": "leak_http", "password": WRONG}).status_code
                == 401
            )
    output = log_file.read_text()
    assert '"POST /login HTTP/1.1" 303' in output, "the access log was not captured"
    assert "ASGI [" in output, "uvicorn's trace log was not captured"
    secrets = {
        "password": PASSWORD,
        "wrong password": WRONG,
        "API token secret": _secret_part(token),
        "fixture token secret": _secret_part(admin_headers["Authorization"]),
        "session cookie": cookie,
    }
    assert_no_secret(output.splitlines(), secrets, "the server's log")
