"""Helpers for the browser tests (the fixtures are in conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[3]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1366, "height": 768}
TABLET = {"width": 768, "height": 1024}
DEMO_PASSWORD = "Demo@2026!"
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


@dataclass
class Server:
    base_url: str
    database_url: str


@dataclass
class Watch:
    """Everything the browser asked for, and every console error (CSP violations show up there)."""

    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def outside(self) -> list[str]:
        out = []
        for url in self.requests:
            parts = urlsplit(url)
            if parts.scheme in ("data", "blob", "about"):
                continue
            if parts.hostname not in LOOPBACK_HOSTS:
                out.append(url)
        return out


def new_page(browser: Any, server: Server, watch: Watch, viewport: dict[str, int] = DESKTOP) -> Any:
    context = browser.new_context(viewport=viewport, base_url=server.base_url, locale="zh-CN")
    context.set_default_timeout(15000)
    page = context.new_page()
    page.on("request", lambda request: watch.requests.append(request.url))
    page.on(
        "console",
        lambda msg: (
            watch.errors.append(msg.text) if msg.type == "error" and not _expected(msg.text) else None
        ),
    )
    page.on("pageerror", lambda exc: watch.errors.append(str(exc)))
    return page


def _expected(text: str) -> bool:
    # Chromium logs every 4xx document as a console error; the tests check those statuses themselves.
    return (
        "the server responded with a status of 404" in text
        or "status of 403" in text
        or "status of 409" in text
        or "status of 422" in text
    )


def login(page: Any, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("口令").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/login" not in url)


def shot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
