"""Counts and token principals are remembered per ledger generation, and never outlive a write.

"Another process" is a second engine on the same database: its commits never touch this process's
memory, only the change log's head, which is what the caches key on.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, select

from taizhang import db


@pytest.fixture
def other_process(engine: Engine, backend_url: str) -> Iterator[Engine]:
    other = db.make_engine(backend_url)
    yield other
    other.dispose()


def _write_elsewhere(other: Engine, work: Callable[[Any], None]) -> None:
    from sqlalchemy.orm import Session

    session = Session(other)
    session.info["actor"] = "other-process"
    try:
        work(session)
        session.commit()
    finally:
        session.close()


def _statements(engine: Engine, call: Callable[[], Any]) -> list[str]:
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def _add_host(name: str) -> Callable[[Any], None]:
    from inventory.choices import HostKind
    from inventory.models import Host

    def work(session: Any) -> None:
        session.add(Host(hostname=name, kind=HostKind.VIRTUAL))

    return work


def test_list_count_is_remembered_until_another_process_writes(
    client: TestClient, engine: Engine, other_process: Engine
) -> None:
    _write_elsewhere(other_process, _add_host("a.example"))
    url = "/api/v1/inventory/hosts"
    assert client.get(url, params={"kind": "virtual"}).json()["count"] == 1

    again = _statements(db.get_engine(), lambda: client.get(url, params={"kind": "virtual", "limit": 5}))
    assert not [s for s in again if "count(" in s.lower()], "the unchanged count was computed again"

    _write_elsewhere(other_process, _add_host("b.example"))
    body = client.get(url, params={"kind": "virtual"}).json()
    assert body["count"] == 2
    assert sorted(h["hostname"] for h in body["results"]) == ["a.example", "b.example"]
    # Another filter is another count.
    assert client.get(url, params={"kind": "physical"}).json()["count"] == 0


def test_a_count_cached_for_one_unit_is_not_served_to_another(
    anon: TestClient, make_user: Callable[..., dict[str, str]], other_process: Engine
) -> None:
    from inventory.choices import HostKind, UnitKind
    from inventory.models import Host, Unit

    def seed(session: Any) -> None:
        one = Unit(code="U1", name="一局", kind=UnitKind.COUNTY_DEPARTMENT)
        two = Unit(code="U2", name="二局", kind=UnitKind.COUNTY_DEPARTMENT)
        session.add_all([one, two])
        session.flush()
        session.add_all(
            [Host(hostname=f"h{i}", kind=HostKind.VIRTUAL, unit_id=one.id if i < 3 else two.id) for i in range(4)]
        )

    _write_elsewhere(other_process, seed)
    with db.session_scope(write=False) as s:
        ids = {code: id_ for code, id_ in s.execute(select(Unit.code, Unit.id))}
    first = make_user("u1", "unit", (ids["U1"],))
    second = make_user("u2", "unit", (ids["U2"],))
    url = "/api/v1/inventory/hosts"
    assert anon.get(url, headers=first).json()["count"] == 3
    assert anon.get(url, headers=second).json()["count"] == 1
    assert anon.get(url, headers=first).json()["count"] == 3


def test_token_revoked_or_user_changed_elsewhere_takes_effect_at_once(
    anon: TestClient, make_user: Callable[..., dict[str, str]], other_process: Engine
) -> None:
    from taizhang.auth.models import ApiToken, User
    from taizhang.auth.roles import Role

    headers = make_user("officer", "security")
    assert anon.get("/api/v1/me", headers=headers).json()["role"] == "security"

    def demote(session: Any) -> None:
        user = session.execute(select(User).where(User.username == "officer")).scalar_one()
        user.role = Role.AUDITOR

    _write_elsewhere(other_process, demote)
    assert anon.get("/api/v1/me", headers=headers).json()["role"] == "auditor"

    key = headers["Authorization"].split("tz_", 1)[1].split(".", 1)[0]

    def revoke(session: Any) -> None:
        token = session.execute(select(ApiToken).where(ApiToken.key == key)).scalar_one()
        token.revoked_at = db.utcnow()

    _write_elsewhere(other_process, revoke)
    assert anon.get("/api/v1/me", headers=headers).status_code == 401


def test_token_expiry_is_checked_on_every_use_without_any_write(anon: TestClient, engine: Engine) -> None:
    from taizhang.auth import service
    from taizhang.auth.roles import Role

    with db.session_scope(actor="test") as s:
        user = service.create_user(s, username="brief", role=Role.AUDITOR, password=None)
        _, plain = service.create_token(s, user=user, expires_at=db.utcnow() + dt.timedelta(seconds=2))
    headers = {"Authorization": f"Bearer {plain}"}
    assert anon.get("/api/v1/me", headers=headers).status_code == 200
    assert anon.get("/api/v1/me", headers=headers).status_code == 200  # from the cache
    time.sleep(2.2)
    assert anon.get("/api/v1/me", headers=headers).status_code == 401
