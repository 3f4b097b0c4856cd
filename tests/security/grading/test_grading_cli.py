"""``taizhang mlps|crypto|risk`` against both databases: records, errors, status."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from inventory.choices import UnitKind
from inventory.models import System, Unit
from taizhang.changelog import ChangeLogEntry
from taizhang.cli import app

runner = CliRunner()


def run(*args: str) -> Any:
    return runner.invoke(app, list(args))


@pytest.fixture
def system(session: Session) -> System:
    unit = Unit(code="U01", name="县教育局", kind=UnitKind.COUNTY_DEPARTMENT)
    session.add(unit)
    session.flush()
    sys = System(
        catalogue_number="XF-U01-001",
        name="学籍管理系统",
        owner_unit_id=unit.id,
        lifecycle="running",
        mlps_level=2,
    )
    sys.go_live_date = dt.date(2015, 1, 1)
    session.add(sys)
    session.commit()
    return sys


def test_add_grading_by_catalogue_number_with_chinese_labels(system: System, session: Session) -> None:
    r = run(
        "mlps", "gradings", "add", "--system", "XF-U01-001", "level=3", "graded_on=2024-03-04",
        "expert_review_on=2024-02-20", "approving_authority=县委网信办", "status=已定级",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "已登记定级记录" in r.stdout and "已定级" in r.stdout
    session.expire_all()
    assert session.get(System, system.id).mlps_level == 3  # type: ignore[union-attr]
    actors = (
        session.execute(
            select(ChangeLogEntry.actor).where(ChangeLogEntry.object_type == "security.mlpsgrading")
        )
        .scalars()
        .all()
    )
    assert actors and all(a.startswith("cli") for a in actors)


BAD_INPUT = [
    (["level=3", "graded_on=2024-03-04"], "expert_review_on"),
    (["level=三", "graded_on=2024-03-04"], "level"),
    (["level=3", "graded_on=2024-13-01"], "graded_on"),
    (["levle=3"], "未知的字段“levle”"),
    (["level"], "字段=值"),
    (["level=3", "graded_on=2024-03-04", "status=待定"], "status"),
]


def test_bad_input_exits_2_naming_the_field(system: System) -> None:
    for args, fragment in BAD_INPUT:
        r = run("mlps", "gradings", "add", "--system", str(system.id), *args)
        assert r.exit_code == 2, (args, r.output)
        assert fragment in r.stderr and "Traceback" not in r.output, (args, r.stderr)
    assert run("mlps", "gradings", "list", "--json").stdout.strip() == "[]"


def test_assessment_conclusion_refused_and_records_listed(system: System) -> None:
    base = [
        "mlps",
        "assessments",
        "add",
        "--system",
        "XF-U01-001",
        "assessed_on=2024-05-10",
        "agency=测评中心",
        "score=85",
    ]
    r = run(*base, "report_number=CP-1", "conclusion=优")
    assert r.exit_code == 2 and "conclusion" in r.stderr and "应为“良”" in r.stderr
    assert run(*base, "report_number=CP-1").exit_code == 0
    listed = json.loads(run("mlps", "assessments", "list", "--system", "XF-U01-001", "--json").stdout)
    assert [(a["report_number"], a["conclusion"], a["template_version"]) for a in listed] == [
        ("CP-1", "good", "2021")
    ]
    r = run("mlps", "assessments", "update", str(listed[0]["id"]), "score=95", "conclusion=")
    assert r.exit_code == 0 and "优" in r.stdout
    assert run("mlps", "assessments", "show", str(listed[0]["id"])).exit_code == 0
    assert run("mlps", "assessments", "delete", str(listed[0]["id"])).exit_code == 0
    assert run("mlps", "assessments", "show", str(listed[0]["id"])).exit_code == 2
    assert run("mlps", "assessments", "list", "--system", "XF-NONE").exit_code == 2


def test_status_commands(system: System) -> None:
    assert (
        run(
            "mlps",
            "gradings",
            "add",
            "--system",
            "XF-U01-001",
            "level=2",
            "graded_on=2024-03-04",
            "expert_review_on=2024-02-20",
            "approving_authority=县委网信办",
        ).exit_code
        == 0
    )
    assert (
        run(
            "crypto",
            "assessments",
            "add",
            "--system",
            "XF-U01-001",
            "assessed_on=2025-11-26",
            "agency=密评机构",
            "report_number=MP-1",
            "score=75",
            "rule_version=2023",
        ).exit_code
        == 0
    )
    assert (
        run(
            "risk", "add", "--system", "XF-U01-001", "assessed_on=2025-11-26", "scope=全系统", "method=自评估"
        ).exit_code
        == 0
    )
    out = json.loads(run("mlps", "status", "XF-U01-001", "--today", "2026-11-27", "--json").stdout)
    assert out[0]["mlps"]["filing_deadline"] == "2024-04-03" and out[0]["mlps"]["filing_overdue"]
    table = run("mlps", "status", "--today", "2026-11-27", "--problems").stdout
    assert "XF-U01-001" in table and "逾期未备案" in table
    crypto = run("crypto", "status", "--today", "2026-11-27").stdout
    assert "2026-11-26" in crypto and "密评逾期" in crypto and "缺密码应用方案" in crypto
    risk = run("risk", "status", "--today", "2026-11-26").stdout
    assert "2026-11-26" in risk and "风险评估逾期" not in risk
    assert run("risk", "status", "--today", "2026-02-30").exit_code == 2
