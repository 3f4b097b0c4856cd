"""The command line on both databases: init, demo, list/show, users and tokens, errors."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from taizhang import db
from taizhang.changelog import ChangeLogEntry
from taizhang.cli import app as cli
from taizhang.schema import head_revision

runner = CliRunner()


def _changelog_count() -> int:
    with db.session_scope() as s:
        return int(s.execute(select(func.count()).select_from(ChangeLogEntry)).scalar_one())


def test_init_is_idempotent(engine: Engine) -> None:
    first = runner.invoke(cli, ["init"])
    assert first.exit_code == 0, first.output
    assert f"结构版本 {head_revision()}" in first.output
    assert runner.invoke(cli, ["init"]).exit_code == 0


def test_demo_loads_the_county_and_is_safe_to_run_twice(engine: Engine, anon: TestClient) -> None:
    first = runner.invoke(cli, ["demo", "--json"])
    assert first.exit_code == 0, first.output
    report = json.loads(first.output)
    counts = report["counts"]
    assert counts["单位"] == 21 and counts["信息系统"] == 147 and counts["主机"] == 800
    assert counts["项目"] == 40 and counts["产品"] >= 290
    logged = _changelog_count()
    second = runner.invoke(cli, ["demo", "--json"])
    assert second.exit_code == 0
    assert json.loads(second.output)["counts"] == counts
    assert _changelog_count() == logged, "a second demo run must change nothing"

    token = runner.invoke(cli, ["token", "create", "--user", "unit_edu"])
    assert token.exit_code == 0, token.output
    headers = {"Authorization": f"Bearer {token.output.strip().splitlines()[-1]}"}
    systems = anon.get("/api/v1/inventory/systems", headers=headers, params={"limit": 1000}).json()
    assert 0 < systems["count"] < 147
    assert {s["catalogue_number"][:6] for s in systems["results"]} == {"XF-004"}


def test_list_and_show_with_json(engine: Engine) -> None:
    runner.invoke(cli, ["demo"])
    listed = runner.invoke(cli, ["systems", "list", "--q", "教育", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.output)
    assert rows and all("教育" in r["name"] for r in rows)
    shown = runner.invoke(cli, ["systems", "show", str(rows[0]["id"])])
    assert "目录编号：" in shown.output and "生命周期：" in shown.output
    table = runner.invoke(cli, ["hosts", "list", "--limit", "3"])
    assert table.output.splitlines()[0].startswith("编号")
    assert len(table.output.splitlines()) == 4


def test_errors_are_messages_not_tracebacks(engine: Engine) -> None:
    missing = runner.invoke(cli, ["systems", "show", "99999"])
    assert missing.exit_code == 2
    assert "信息系统 99999 不存在" in missing.output
    bad_role = runner.invoke(cli, ["user", "add", "x", "--role", "king"])
    assert bad_role.exit_code == 2 and "未知取值" in bad_role.output
    weak = runner.invoke(cli, ["user", "add", "y", "--role", "ops", "--password", "123"])
    assert weak.exit_code == 2 and "口令" in weak.output
    unit_without_units = runner.invoke(cli, ["user", "add", "z", "--role", "unit"])
    assert unit_without_units.exit_code == 2 and "至少属于一个单位" in unit_without_units.output
    assert "Traceback" not in missing.output + bad_role.output + weak.output


def test_user_lifecycle_and_token_revocation(engine: Engine, anon: TestClient) -> None:
    assert (
        runner.invoke(cli, ["user", "add", "wang", "--role", "ops", "--password", "Str0ng!pass"]).exit_code
        == 0
    )
    created = runner.invoke(cli, ["token", "create", "--user", "wang", "--days", "1"])
    plain = created.output.strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {plain}"}
    assert anon.get("/api/v1/me", headers=headers).json()["role"] == "ops"
    assert runner.invoke(cli, ["user", "set-role", "wang", "auditor"]).exit_code == 0
    assert anon.get("/api/v1/me", headers=headers).json()["role"] == "auditor"
    assert runner.invoke(cli, ["token", "revoke", plain]).exit_code == 0
    assert anon.get("/api/v1/me", headers=headers).status_code == 401
    listed = json.loads(runner.invoke(cli, ["user", "list", "--json"]).output)
    assert [u["username"] for u in listed] == ["wang"]
    assert runner.invoke(cli, ["user", "disable", "wang"]).exit_code == 0
