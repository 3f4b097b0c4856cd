"""A database that goes away gives 503 (never a 500) and the service recovers when it returns."""

from __future__ import annotations

import os

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from taizhang import db


def test_unreachable_database_is_503_then_recovers(client: TestClient, engine: Engine) -> None:
    assert client.get("/api/v1/inventory/units").status_code == 200
    if engine.dialect.name == "postgresql":
        dead = engine.url.set(port=1).render_as_string(hide_password=False)
    else:
        dead = "sqlite:////nonexistent-dir/taizhang.db"
    db.set_engine(db.make_engine(dead))
    r = client.get("/api/v1/inventory/units")
    assert r.status_code == 503 and "数据库" in r.json()["detail"]
    status = client.get("/api/v1/status").json()
    assert status["database"]["ok"] is False
    db.set_engine(engine)
    assert client.get("/api/v1/inventory/units").status_code == 200


@pytest.mark.skipif(not os.environ.get("TAIZHANG_TEST_POSTGRES_URL"), reason="needs PostgreSQL")
def test_killed_postgres_connections_are_replaced(client: TestClient, engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    assert client.get("/api/v1/inventory/units").status_code == 200
    admin = db.make_engine(engine.url.render_as_string(hide_password=False))
    with admin.connect() as conn:
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
        conn.commit()
    admin.dispose()
    assert client.get("/api/v1/inventory/units").status_code == 200
