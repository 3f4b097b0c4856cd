"""A real server for browser tests: ``taizhang init`` + ``taizhang demo`` into a temporary SQLite
database, ``uvicorn`` on a free loopback port, and Debian's Chromium driven by Playwright.

Chromium comes from ``scripts/browser.sh`` (apt, idempotent); Playwright never downloads a browser.
Every request the browser makes is recorded: a page that asks for anything outside the app (a CDN
script, a web font) fails its test, and so does a Content-Security-Policy violation or a script error.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from e2e_support import CHROMIUM_FLAGS, ROOT, Server, Watch, new_page
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_ENV = "TAIZHANG_TEST_POSTGRES_URL"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "-c", "from taizhang.cli import main; main()", *args],
        env=env,
        check=True,
        timeout=300,
        capture_output=True,
    )


@pytest.fixture(scope="session")
def chromium_path() -> str:
    out = subprocess.run(
        ["bash", str(ROOT / "scripts" / "browser.sh")],
        check=True,
        timeout=900,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1]


@contextmanager
def _database(backend: str, workdir: Path) -> Iterator[str]:
    """An empty database of the backend: a SQLite file, or a fresh PostgreSQL database."""
    if backend == "sqlite":
        yield f"sqlite:///{workdir / 'taizhang.db'}"
        return
    admin_url = os.environ.get(PG_ENV)
    if not admin_url:
        pytest.skip(f"PostgreSQL variant skipped: {PG_ENV} is not set")
    name = f"taizhang_e2e_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("e2e")
    with _database(request.param, workdir) as database_url:
        yield from _serve(workdir, database_url)


def _serve(workdir: Path, database_url: str) -> Iterator[Server]:
    env = {
        **os.environ,
        "TAIZHANG_DATABASE_URL": database_url,
        "TAIZHANG_DATA_DIR": str(workdir / "data"),
        "TAIZHANG_SECRET_KEY": secrets.token_hex(16),
    }
    _cli(env, "init")
    _cli(env, "demo")
    port = _free_port()
    log = (workdir / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "taizhang.asgi:app", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/api/v1/status", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start: {(workdir / 'server.log').read_text()}")
            time.sleep(0.2)
        yield Server(base, database_url)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS, timeout=60000)
        yield b
        b.close()


@pytest.fixture
def watch() -> Watch:
    return Watch()


@pytest.fixture
def page(browser: Any, server: Server, watch: Watch) -> Iterator[Any]:
    p = new_page(browser, server, watch)
    yield p
    p.context.close()
    assert watch.outside() == [], f"pages asked for assets outside the app: {watch.outside()}"
    assert watch.errors == [], f"browser errors: {watch.errors}"
