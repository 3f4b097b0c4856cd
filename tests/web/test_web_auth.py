"""Login, logout, lockout, CSRF and the security headers of the pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from web_support import PASSWORD, County, csrf_of, login


def test_anonymous_visitor_is_sent_to_login_with_the_page_to_return_to(
    anon: TestClient, county: County
) -> None:
    r = anon.get("/systems?hosting=legacy", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=/systems%3Fhosting%3Dlegacy"
    assert anon.get("/api/v1/inventory/systems").status_code == 401  # the API still answers 401


def test_login_sets_a_httponly_samesite_cookie_and_returns_to_next(anon: TestClient, make_user: Any) -> None:
    make_user("alice", "ops")
    page = anon.get("/login?next=/hosts")
    assert page.status_code == 200 and 'value="/hosts"' in page.text
    r = anon.post(
        "/login",
        data={"username": "alice", "password": PASSWORD, "csrf_token": csrf_of(page.text), "next": "/hosts"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/hosts"
    cookie = r.headers["set-cookie"].lower()
    assert "tz_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert anon.get("/hosts").status_code == 200


def test_login_refuses_an_offsite_next(anon: TestClient, make_user: Any) -> None:
    make_user("alice", "ops")
    page = anon.get("/login")
    r = anon.post(
        "/login",
        data={
            "username": "alice",
            "password": PASSWORD,
            "csrf_token": csrf_of(page.text),
            "next": "//evil.example/x",
        },
        follow_redirects=False,
    )
    assert r.headers["location"] == "/"


def test_wrong_password_then_lockout_with_policy_numbers(
    anon: TestClient, make_user: Any, session: Any
) -> None:
    from taizhang.auth.api import login_limits
    from taizhang.auth.models import User

    make_user("bob", "auditor")
    max_failures, _ = login_limits()
    for _ in range(max_failures):
        r = login(anon, "bob", "wrong-password")
        assert r.status_code == 401
        assert "用户名或口令错误" in r.text
        assert 'value="bob"' in r.text  # the username stays typed
    r = login(anon, "bob", PASSWORD)
    assert r.status_code == 401 and "账号已锁定" in r.text
    user = session.execute(select(User).where(User.username == "bob")).scalar_one()
    assert user.locked_until is not None


def test_login_without_its_csrf_token_is_refused(anon: TestClient, make_user: Any) -> None:
    make_user("carol", "ops")
    anon.get("/login")
    r = anon.post("/login", data={"username": "carol", "password": PASSWORD, "csrf_token": "forged"})
    assert r.status_code == 403 and "登录表单已过期" in r.text
    assert "tz_session" not in r.headers.get("set-cookie", "")


def test_posts_without_the_session_csrf_token_change_nothing(
    browser_as: Callable[[str], TestClient], county: County, session: Any
) -> None:
    from inventory.models import System

    ops = browser_as("ops")
    form = {
        "catalogue_number": "X-1",
        "name": "新系统",
        "owner_unit_id": str(county.edu),
        "lifecycle": "running",
        "hosting": "legacy",
        "data_sharing": "not_required",
    }
    for token in (None, "forged"):
        data = form if token is None else {**form, "csrf_token": token}
        r = ops.post("/systems/new", data=data)
        assert r.status_code == 403
        assert "CSRF" in r.text and "<html" in r.text
    assert session.execute(select(func.count()).select_from(System)).scalar_one() == 2
    r = ops.post("/logout", data={"csrf_token": "forged"})
    assert r.status_code == 403
    assert ops.get("/", follow_redirects=False).status_code == 200


def test_logout_ends_the_session(browser_as: Callable[[str], TestClient]) -> None:
    auditor = browser_as("auditor")
    token = csrf_of(auditor.get("/").text)
    r = auditor.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    auditor.cookies.clear()
    assert auditor.get("/", follow_redirects=False).status_code == 303


def test_pages_carry_a_strict_csp_and_the_api_keeps_json_errors(
    browser_as: Callable[[str], TestClient],
) -> None:
    admin = browser_as("admin")
    r = admin.get("/systems")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert r.headers["x-frame-options"] == "DENY"
    assert "<script>" not in r.text and " on" + "click=" not in r.text  # no inline script
    missing = admin.get("/api/v1/inventory/systems/99999")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    page = admin.get("/systems/99999")
    assert (
        page.status_code == 404
        and "页面不存在" in page.text
        and page.headers["content-type"].startswith("text/html")
    )


def test_static_assets_are_served_by_the_app(anon: TestClient) -> None:
    from taizhang.web.render import static_url

    for path in ("vendor/htmx-2.0.11.min.js", "vendor/echarts-5.6.0.min.js", "js/app.js", "css/app.css"):
        url = static_url(path)
        r = anon.get(url)
        assert r.status_code == 200 and len(r.content) > 1000, url
    assert anon.get("/static/../pyproject.toml").status_code == 404


def test_activity_slides_the_idle_timeout_and_an_idle_session_ends(
    browser_as: Callable[[str], TestClient],
) -> None:
    import time

    from taizhang.web_session import COOKIE_NAME, decode_session, encode_session, idle_seconds

    ops = browser_as("ops")
    data = decode_session(ops.cookies[COOKIE_NAME])
    assert data is not None
    ops.cookies.set(COOKIE_NAME, encode_session({**data, "seen": int(time.time()) - 120}))
    r = ops.get("/systems")
    assert r.status_code == 200
    refreshed = decode_session(r.cookies[COOKIE_NAME])
    assert refreshed is not None and refreshed["seen"] >= int(time.time()) - 5
    assert refreshed["csrf"] == data["csrf"] and refreshed["uid"] == data["uid"]

    ops.cookies.set(COOKIE_NAME, encode_session({**data, "seen": int(time.time()) - idle_seconds() - 1}))
    r = ops.get("/systems", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_htmx_requests_of_an_expired_session_get_a_client_redirect(anon: TestClient) -> None:
    r = anon.get("/systems?q=x", headers={"HX-Request": "true"}, follow_redirects=False)
    assert r.status_code == 204 and r.headers["hx-redirect"].startswith("/login?next=/systems")


def test_an_unexpected_error_gives_a_chinese_500_page_without_a_traceback(app: Any, anon: TestClient) -> None:
    from fastapi import Depends

    from taizhang.api import public

    def broken() -> None:
        raise RuntimeError("secret internals")

    app.add_api_route("/broken-page", broken, dependencies=[Depends(public("test only"))])
    r = anon.get("/broken-page")
    assert r.status_code == 500 and "服务器内部错误" in r.text
    assert "secret internals" not in r.text and "Traceback" not in r.text
