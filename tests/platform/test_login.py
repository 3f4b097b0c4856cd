"""Password login for tokens, with the lockout the policy file sets (GB/T 22239 身份鉴别)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from taizhang import db
from taizhang.auth import service
from taizhang.auth.roles import Role
from taizhang.policy import get_policy


def _user(password: str = "Corr3ct!horse") -> None:
    with db.session_scope() as s:
        service.create_user(s, username="zhao", role=Role.SECURITY, password=password)


def test_token_for_password(engine: Engine, anon: TestClient) -> None:
    _user()
    r = anon.post("/api/v1/auth/tokens", json={"username": "zhao", "password": "Corr3ct!horse"})
    assert r.status_code == 201, r.text
    token = r.json()["token"]
    me = anon.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me == {"username": "zhao", "role": "security", "role_label": "安全员", "unit_ids": []}


def test_lockout_after_policy_failures(engine: Engine, anon: TestClient) -> None:
    _user()
    limit = get_policy().int_value("auth.login.max_failures")
    for _ in range(limit):
        r = anon.post("/api/v1/auth/tokens", json={"username": "zhao", "password": "wrong"})
        assert r.status_code == 401 and r.json()["detail"] == "用户名或口令错误"
    locked = anon.post("/api/v1/auth/tokens", json={"username": "zhao", "password": "Corr3ct!horse"})
    assert locked.status_code == 401
    assert "锁定" in locked.json()["detail"]


def test_unknown_user_and_bad_header(engine: Engine, anon: TestClient) -> None:
    assert anon.post("/api/v1/auth/tokens", json={"username": "nobody", "password": "x"}).status_code == 401
    assert anon.get("/api/v1/me", headers={"Authorization": "Basic abc"}).status_code == 401
    assert anon.post("/api/v1/auth/tokens", json={"username": "", "password": "x"}).status_code == 422
