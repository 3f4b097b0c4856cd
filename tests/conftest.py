"""Fixtures: every database test runs on SQLite and, when TAIZHANG_TEST_POSTGRES_URL is set, PostgreSQL.

Each backend gets a fresh database migrated once per test session; tables are emptied before
each test. ``client`` is an httpx-backed TestClient; ``as_role`` gives headers for a user of any role.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from db_support import create_pg_database, empty_all_tables
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from taizhang import db as tzdb
from taizhang.settings import reset_settings_cache

PG_ENV = "TAIZHANG_TEST_POSTGRES_URL"
BACKENDS = ["sqlite", "postgres"]

# Tests that share one machine-wide resource run on one xdist worker (``--dist loadgroup``): the
# sshd test hosts listen on fixed addresses, NetBox is one server per machine, and one Chromium
# serves the browser journeys; installing Prometheus stops any running. Every other test may run on
# any worker.
SHARED_RESOURCES = {
    "sshd_hosts": "sshd",
    "netbox_server": "netbox",
    "chromium_path": "browser",
    "promtool": "prometheus",  # its first install stops any Prometheus running
}


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        for fixture, group in SHARED_RESOURCES.items():
            if fixture in fixtures:
                item.add_marker(pytest.mark.xdist_group(group))
                break


@pytest.fixture(scope="session", params=BACKENDS)
def backend_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, empty database of each backend, once per test session."""
    from taizhang.schema import upgrade

    if request.param == "postgres":
        admin_url = os.environ.get(PG_ENV)
        if not admin_url:
            pytest.skip(f"PostgreSQL variant skipped: {PG_ENV} is not set")
        url, drop = create_pg_database(admin_url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'taizhang.db'}"
        drop = None
    engine = tzdb.make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    if drop is not None:
        drop()


@pytest.fixture
def engine(backend_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Engine]:
    monkeypatch.setenv("TAIZHANG_DATABASE_URL", backend_url)
    monkeypatch.setenv("TAIZHANG_DATA_DIR", str(tmp_path / "data"))
    reset_settings_cache()
    eng = tzdb.make_engine(backend_url)
    empty_all_tables(eng)
    tzdb.set_engine(eng)
    yield eng
    tzdb.set_engine(None)
    reset_settings_cache()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session for arranging and inspecting data; commit what other sessions must see."""
    s = tzdb.new_session(actor="test")
    yield s
    s.rollback()
    s.close()


@pytest.fixture
def app(engine: Engine) -> Any:
    from taizhang.app import create_app

    return create_app()


@pytest.fixture
def anon(app: Any) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


TEST_PASSWORD = "Passw0rd!x"  # the web tests log in with it
ROLE_USERS = {"admin": "admin", "ops": "ops", "security": "security", "unit": "unit", "auditor": "auditor"}


@pytest.fixture
def make_user(engine: Engine) -> Callable[..., dict[str, str]]:
    """Create a user with a token; returns Authorization headers."""
    from taizhang.auth import service
    from taizhang.auth.roles import Role

    def make(
        username: str, role: str, unit_ids: tuple[int, ...] = (), password: str | None = TEST_PASSWORD
    ) -> dict[str, str]:
        with tzdb.session_scope(actor="test") as s:
            user = service.create_user(
                s, username=username, role=Role(role), unit_ids=list(unit_ids), password=password
            )
            _, plain = service.create_token(s, user=user)
        return {"Authorization": f"Bearer {plain}"}

    return make


@pytest.fixture
def client(anon: TestClient, make_user: Callable[..., dict[str, str]]) -> TestClient:
    """An admin client."""
    anon.headers.update(make_user("root_admin", "admin"))
    return anon
