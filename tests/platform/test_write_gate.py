"""SQLite writers take fair turns (``taizhang.writegate``): a writer in one process is never
starved by a busy writer in another, a killed holder frees its turn, and a writer that gets no turn
within the busy timeout fails as "database is locked" (503 through the API), never hangs or 500s.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from taizhang import db
from taizhang.settings import reset_settings_cache

BUSY_MS = 1000

# a process of writers that commit back to back, each holding the lock a moment: the pattern in
# which a polling waiter (SQLite's busy handler) loses every race to a writer already awake
HAMMER = textwrap.dedent(
    """
    import sys, threading, time
    from sqlalchemy import text
    from taizhang import db

    engine = db.make_engine(sys.argv[1])
    stop = time.monotonic() + float(sys.argv[2])
    def hammer(n):
        while time.monotonic() < stop:
            with engine.connect().execution_options(**{db.WRITE_INTENT: True}) as conn:
                with conn.begin():
                    conn.execute(text("INSERT INTO t (who) VALUES (:who)"), {"who": f"hammer-{n}"})
                    time.sleep(0.002)
    threads = [threading.Thread(target=hammer, args=(n,)) for n in range(4)]
    print("ready", flush=True)
    for t in threads: t.start()
    for t in threads: t.join()
    """
)

HOLDER = textwrap.dedent(
    """
    import sys, time
    from sqlalchemy import text
    from taizhang import db

    engine = db.make_engine(sys.argv[1])
    conn = engine.connect().execution_options(**{db.WRITE_INTENT: True})
    conn.begin()
    conn.execute(text("INSERT INTO t (who) VALUES ('holder')"))
    print("holding", flush=True)
    time.sleep(120)
    """
)


@pytest.fixture
def sqlite_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("TAIZHANG_SQLITE_BUSY_TIMEOUT_MS", str(BUSY_MS))
    reset_settings_cache()
    url = f"sqlite:///{tmp_path / 'gate.db'}"
    engine = db.make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, who TEXT NOT NULL)"))
    engine.dispose()
    yield url
    reset_settings_cache()


def _spawn(script: str, *args: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", script, *args], stdout=subprocess.PIPE, text=True, env=os.environ.copy()
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    assert line in ("ready", "holding"), f"helper process failed to start: {line!r}"
    return proc


def _write(engine: Engine, who: str) -> None:
    with engine.connect().execution_options(**{db.WRITE_INTENT: True}) as conn, conn.begin():
        conn.execute(text("INSERT INTO t (who) VALUES (:who)"), {"who": who})


def test_a_writer_is_not_starved_by_another_process_writing_back_to_back(sqlite_url: str) -> None:
    proc = _spawn(HAMMER, sqlite_url, "8")
    engine = db.make_engine(sqlite_url)
    waits: list[float] = []
    try:
        time.sleep(0.5)  # the hammer is at full speed
        for i in range(40):
            start = time.monotonic()
            _write(engine, f"main-{i}")  # raises "database is locked" after BUSY_MS if starved
            waits.append(time.monotonic() - start)
    finally:
        still_hammering = proc.poll() is None
        proc.wait(timeout=30)
    assert still_hammering, "the other process stopped before the writes were measured"
    with engine.connect() as conn:
        counts = dict(conn.execute(text("SELECT who LIKE 'main-%', count(*) FROM t GROUP BY 1")).all())
    engine.dispose()
    assert counts[1] == 40 and counts[0] > 100, counts  # both sides wrote, all main writes landed
    print(f"\nlongest wait {max(waits) * 1000:.0f} ms, median {sorted(waits)[20] * 1000:.1f} ms")
    assert max(waits) < BUSY_MS / 1000


def test_a_killed_holder_frees_its_turn(sqlite_url: str) -> None:
    proc = _spawn(HOLDER, sqlite_url)
    engine = db.make_engine(sqlite_url)
    try:
        with pytest.raises(OperationalError, match="database is locked"):
            _write(engine, "while held")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        start = time.monotonic()
        _write(engine, "after the kill")
        assert time.monotonic() - start < 0.5
        with engine.connect() as conn:
            assert conn.execute(text("SELECT who FROM t")).scalars().all() == ["after the kill"]
    finally:
        if proc.poll() is None:
            proc.kill()
        engine.dispose()


def test_threads_of_one_process_take_turns_and_time_out_cleanly(sqlite_url: str) -> None:
    engine = db.make_engine(sqlite_url)
    held = threading.Event()
    done = threading.Event()

    def holder() -> None:
        with engine.connect().execution_options(**{db.WRITE_INTENT: True}) as conn, conn.begin():
            conn.execute(text("INSERT INTO t (who) VALUES ('holder')"))
            held.set()
            done.wait(10)

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert held.wait(10)
        start = time.monotonic()
        with pytest.raises(OperationalError, match="database is locked"):
            _write(engine, "late")
        assert BUSY_MS / 1000 - 0.05 <= time.monotonic() - start < BUSY_MS / 1000 + 1
    finally:
        done.set()
        thread.join()
    _write(engine, "next")  # the timed-out writer left nothing held behind
    with engine.connect() as conn:
        assert conn.execute(text("SELECT who FROM t ORDER BY id")).scalars().all() == ["holder", "next"]
    engine.dispose()


def test_no_turn_in_time_is_a_503_through_the_api(
    client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    monkeypatch.setenv("TAIZHANG_SQLITE_BUSY_TIMEOUT_MS", "300")
    reset_settings_cache()
    short = db.make_engine(engine.url.render_as_string(hide_password=False))
    db.set_engine(short)
    holder = db.make_engine(engine.url.render_as_string(hide_password=False))
    try:
        with holder.connect().execution_options(**{db.WRITE_INTENT: True}) as conn, conn.begin():
            conn.execute(text("SELECT 1"))
            r = client.post(
                "/api/v1/inventory/units", json={"code": "G1", "name": "排队单位", "kind": "township"}
            )
            assert r.status_code == 503, r.text
            assert "数据库" in r.json()["detail"]
        r = client.post(
            "/api/v1/inventory/units", json={"code": "G1", "name": "排队单位", "kind": "township"}
        )
        assert r.status_code == 201, r.text
    finally:
        monkeypatch.delenv("TAIZHANG_SQLITE_BUSY_TIMEOUT_MS")
        reset_settings_cache()
        db.set_engine(engine)
        holder.dispose()


def test_waiting_writers_do_not_take_the_threads_the_lock_holder_needs(
    client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write request keeps SQLite's lock across several thread-pool hops (authentication, route,
    commit). Writers that waited for the lock on pool threads could take every thread, leaving the
    holder none to finish with: all waited out the busy timeout and failed together (the load
    test's collapse). Here four threads serve twelve concurrent writers."""
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    import anyio.to_thread

    monkeypatch.setenv("TAIZHANG_SQLITE_BUSY_TIMEOUT_MS", "3000")
    reset_settings_cache()
    db.set_engine(db.make_engine(engine.url.render_as_string(hide_password=False)))
    portal = client.portal  # type: ignore[attr-defined]
    limiter = portal.call(anyio.to_thread.current_default_thread_limiter)
    tokens = limiter.total_tokens
    portal.call(setattr, limiter, "total_tokens", 4)
    statuses: list[int] = []

    def create(n: int) -> None:
        for i in range(3):
            body = {"code": f"W{n}-{i}", "name": f"并发单位{n}-{i}", "kind": "township"}
            statuses.append(client.post("/api/v1/inventory/units", json=body).status_code)

    try:
        threads = [threading.Thread(target=create, args=(n,)) for n in range(12)]
        start = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        elapsed = time.monotonic() - start
    finally:
        portal.call(setattr, limiter, "total_tokens", tokens)
        monkeypatch.delenv("TAIZHANG_SQLITE_BUSY_TIMEOUT_MS")
        reset_settings_cache()
        db.set_engine(engine)
    assert statuses == [201] * 36, sorted(statuses)
    assert elapsed < 3, f"36 writes took {elapsed:.1f} s: writers waited out the busy timeout"
    assert client.get("/api/v1/inventory/units", params={"limit": 1}).json()["count"] == 36
