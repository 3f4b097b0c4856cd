"""Every write lands in the hash-chained change log with its actor; tampering is detected."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text, update
from typer.testing import CliRunner

from taizhang import db
from taizhang.changelog import ChangeLogEntry, verify_chain
from taizhang.cli import app as cli

runner = CliRunner()


def _entries(**where: object) -> list[ChangeLogEntry]:
    with db.session_scope() as s:
        stmt = select(ChangeLogEntry).order_by(ChangeLogEntry.id)
        for key, value in where.items():
            stmt = stmt.where(getattr(ChangeLogEntry, key) == value)
        rows = list(s.execute(stmt).scalars())
        s.expunge_all()
        return rows


def test_api_write_is_logged_with_actor_and_before_after(
    anon: TestClient, make_user: Callable[..., dict[str, str]]
) -> None:
    headers = make_user("ops_wang", "ops")
    unit = anon.post(
        "/api/v1/inventory/units",
        json={"code": "U1", "name": "县水利局", "kind": "county_department"},
        headers=headers,
    ).json()
    r = anon.patch(
        f"/api/v1/inventory/units/{unit['id']}",
        json={"contact_person": "王工"},
        headers={**headers, "X-Request-ID": "req-42"},
    )
    assert r.status_code == 200
    rows = _entries(object_type="inventory.unit", object_id=unit["id"])
    assert [(e.action, e.actor) for e in rows] == [("create", "ops_wang"), ("update", "ops_wang")]
    assert rows[0].before is None and rows[0].after["name"] == "县水利局"
    assert rows[1].before["contact_person"] == "" and rows[1].after["contact_person"] == "王工"
    assert rows[1].request_id == "req-42"

    anon.delete(f"/api/v1/inventory/units/{unit['id']}", headers=headers)
    deleted = _entries(object_type="inventory.unit", action="delete")
    assert deleted[0].before["code"] == "U1" and deleted[0].after is None

    listed = anon.get("/api/v1/changelog", params={"actor": "ops_wang"}, headers=headers).json()
    assert listed["count"] == 3


def test_cli_write_is_logged_with_cli_actor(engine: Engine) -> None:
    result = runner.invoke(cli, ["user", "add", "li", "--role", "auditor"])
    assert result.exit_code == 0, result.output
    rows = _entries(object_type="taizhang.user")
    assert len(rows) == 1 and rows[0].actor.startswith("cli:")
    assert "password_hash" not in rows[0].after


def test_changelog_is_read_only_over_the_api(client: TestClient) -> None:
    assert client.post("/api/v1/changelog", json={}).status_code == 405
    assert client.delete("/api/v1/changelog").status_code == 405


def test_unit_users_cannot_read_changelog(
    anon: TestClient, make_user: Callable[..., dict[str, str]], client: TestClient
) -> None:
    unit = client.post(
        "/api/v1/inventory/units", json={"code": "U9", "name": "某局", "kind": "township"}
    ).json()
    headers = make_user("u", "unit", (unit["id"],))
    assert anon.get("/api/v1/changelog", headers=headers).status_code == 403


def _seed(client: TestClient) -> None:
    for i in range(5):
        r = client.post(
            "/api/v1/inventory/units", json={"code": f"C{i}", "name": f"单位{i}", "kind": "township"}
        )
        assert r.status_code == 201


def test_audit_verify_passes_then_names_the_altered_row(client: TestClient, engine: Engine) -> None:
    _seed(client)
    ok = runner.invoke(cli, ["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "已校验" in ok.output

    target = _entries(object_type="inventory.unit")[2]
    with engine.begin() as conn:
        conn.execute(update(ChangeLogEntry).where(ChangeLogEntry.id == target.id).values(actor="mallory"))
    bad = runner.invoke(cli, ["audit", "verify", "--json"])
    assert bad.exit_code == 1
    assert f'"bad_entry_id": {target.id}' in bad.output


def test_audit_verify_detects_a_removed_row(client: TestClient, engine: Engine) -> None:
    _seed(client)
    rows = _entries()
    middle, last = rows[len(rows) // 2], rows[-1]
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM changelog WHERE id = :id"), {"id": middle.id})
    with db.session_scope() as s:
        result = verify_chain(s)
    assert not result.ok and result.bad_entry_id == middle.id + 1

    with engine.begin() as conn:
        conn.execute(text("UPDATE changelog_head SET last_entry_id = NULL"))
        conn.execute(text("DELETE FROM changelog WHERE id >= :id"), {"id": middle.id})
    with db.session_scope() as s:
        tail = verify_chain(s)
    assert not tail.ok, "removing the newest rows must break the head pointer"
    assert last.id > middle.id
