"""``taizhang migration plan|advance|show|status`` against the real database."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from inventory.choices import Hosting, SystemLifecycle, UnitKind
from inventory.models import System, Unit
from migration import service
from migration.models import PlanTransition, Wave
from taizhang.auth.principal import ALL
from taizhang.cli import app

runner = CliRunner()


def _arrange(session: Session) -> None:
    unit = Unit(code="U01", name="县教育局", kind=UnitKind.COUNTY_DEPARTMENT)
    session.add_all([unit, Wave(name="第一批", target_date=dt.date(2027, 6, 30))])
    session.flush()
    session.add(
        System(
            catalogue_number="XF-1",
            name="学籍管理系统",
            owner_unit_id=unit.id,
            lifecycle=SystemLifecycle.RUNNING,
            hosting=Hosting.LEGACY,
        )
    )
    session.commit()


def test_plan_advance_show_status(engine: Engine, session: Session) -> None:
    _arrange(session)
    r = runner.invoke(app, ["migration", "plan", "XF-1", "--wave", "第一批", "--cutover", "2027-03-31"])
    assert r.exit_code == 2 and "--owner" in r.output
    r = runner.invoke(
        app, ["migration", "plan", "XF-1", "--owner", "张伟", "--wave", "第一批", "--cutover", "2027-03-31"]
    )
    assert r.exit_code == 0, r.output
    assert "待启动" in r.output

    for _ in range(4):
        r = runner.invoke(app, ["migration", "advance", "XF-1", "--note", "按计划推进"])
        assert r.exit_code == 0, r.output
    assert "资源申请 → 迁移实施" in r.output
    r = runner.invoke(app, ["migration", "advance", "XF-1", "--to", "验证"])
    assert r.exit_code == 2
    assert "割接（cutover）" in r.output and "暂停（on_hold）" in r.output

    r = runner.invoke(app, ["migration", "show", "XF-1", "--json"])
    shown = json.loads(r.output)
    assert shown["state"] == "implementation" and shown["hosting"] == "migrating"
    assert [t["to_state"] for t in shown["transitions"]] == [
        "assessment",
        "design",
        "resources",
        "implementation",
    ]
    actors = set(session.execute(select(PlanTransition.actor)).scalars())
    assert len(actors) == 1 and next(iter(actors)).startswith("cli")

    r = runner.invoke(app, ["migration", "status", "--unit", "U01", "--json"])
    assert r.exit_code == 0, r.output
    session.expire_all()
    expected = service.summary(session, scope=ALL, today=service.local_today()).as_dict()
    assert json.loads(r.output)["total"] == expected["total"]
    assert expected["total"]["migrating"] == 1
    r = runner.invoke(app, ["migration", "status", "--wave", "第一批"])
    assert r.exit_code == 0 and "上云率" in r.output and "第一批" in r.output
    r = runner.invoke(app, ["migration", "status", "--unit", "NOPE"])
    assert r.exit_code == 2 and "NOPE" in r.output


def test_bad_input_is_a_message_not_a_traceback(engine: Engine, session: Session) -> None:
    _arrange(session)
    r = runner.invoke(app, ["migration", "plan", "XF-1", "--owner", "张伟", "--start", "2027-13-01"])
    assert r.exit_code == 2 and "--start" in r.output
    r = runner.invoke(
        app,
        ["migration", "plan", "XF-1", "--owner", "张伟", "--start", "2027-05-01", "--cutover", "2027-01-01"],
    )
    assert r.exit_code == 2 and "晚于" in r.output
    r = runner.invoke(app, ["migration", "advance", "XF-1", "--to", "飞天"])
    assert r.exit_code == 2 and "--to" in r.output
    r = runner.invoke(app, ["migration", "advance", "XF-1"])
    assert r.exit_code == 2 and "没有迁移计划" in r.output
