"""The security command groups and the demo data, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from security.evidence import demo as evidence_demo
from security.evidence.models import EvidenceFile
from security.response import demo as response_demo
from security.response import service
from security.response.dates import DeadlineState, local_today
from security.response.models import Drill, Incident
from security.supply import demo as supply_demo
from security.supply.eos import hosts_past_eos
from taizhang.changelog import ChangeLogEntry
from taizhang.cli import app

TODAY = local_today()
runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes else "")


def check_demo(session: Session, counts: dict[str, int]) -> None:
    """Loaded once by the CLI: loading again changes nothing; items are overdue, due soon and fine."""
    again: dict[str, int] = {}
    for part in (response_demo, supply_demo):
        again.update(part.load_demo(session))
    again.update(evidence_demo.load_demo(session))
    session.commit()
    assert {k: counts[k] for k in again} == again
    assert session.execute(select(func.count()).select_from(Drill)).scalar_one() == counts["应急演练"]
    assert session.execute(select(func.count()).select_from(Incident)).scalar_one() == 7
    assert (
        session.execute(select(func.count()).select_from(EvidenceFile)).scalar_one() == counts["佐证材料"] > 0
    )

    schedules = service.plan_schedules(session, today=TODAY)
    overdue = [s for s in schedules if s.drill_overdue]
    soon = [s for s in schedules if not s.drill_overdue and (s.next_drill_due - TODAY).days <= 30]
    fine = [s for s in schedules if (s.next_drill_due - TODAY).days > 30]
    assert overdue and soon and fine
    assert any(s.review_overdue for s in schedules)
    assert any(s.review_required and not s.review_overdue for s in schedules)
    states = [d for _, d in service.incident_deadline_list(session)]
    assert {DeadlineState.OVERDUE, DeadlineState.LATE, DeadlineState.MET} <= {d.report_state for d in states}
    assert {DeadlineState.OVERDUE, DeadlineState.PENDING, DeadlineState.MET} <= {
        d.summary_state for d in states
    }
    hosts = hosts_past_eos(session, today=TODAY)
    assert any(h.has_plan for h in hosts) and any(not h.has_plan for h in hosts)
    assert service.overdue_actions(session, today=TODAY)


def test_demo_then_cli_commands(session: Session, tmp_path: Path) -> None:
    code, out = run("demo", "--json")
    assert code == 0, out
    counts = json.loads(out)["counts"]
    check_demo(session, counts)

    code, out = run("drills", "status", "--as-of", TODAY.isoformat(), "--json")
    assert code == 0 and json.loads(out)[0]["system_id"] > 0
    code, out = run("plans", "status", "--overdue")
    assert code == 0 and "下次演练期限" in out
    code, out = run("incidents", "deadlines", "--flagged", "--at", "2099-01-01T00:00:00+08:00", "--json")
    assert code == 0 and all(row["flagged"] for row in json.loads(out))
    code, out = run("supply", "summary", "--group-by", "unit", "--json")
    assert code == 0 and json.loads(out)[-1]["label"] == "合计"
    code, out = run("supply", "eos-hosts", "--without-plan")
    assert code == 0 and "停止支持" in out
    code, out = run("supply", "summary", "--group-by", "vendor")
    assert code == 2 and "分组方式" in out
    code, out = run("incidents", "deadlines", "--at", "2026-10-01T08:00")
    assert code == 2 and "须带时区" in out

    drill_id = session.execute(select(Drill.id).order_by(Drill.id)).scalars().first()
    minutes = tmp_path / "纪要.txt"
    minutes.write_text("演练纪要：恢复用时 42 分钟\n", encoding="utf-8")
    code, out = run(
        "evidence", "add", "security.drill", str(drill_id), str(minutes), "--kind", "演练记录", "--json"
    )
    assert code == 0, out
    added = json.loads(out)
    assert added["kind"] == "drill_minutes" and added["media_type"].startswith("text/plain")
    actor = session.execute(
        select(ChangeLogEntry.actor).where(
            ChangeLogEntry.object_type == "security.evidencefile", ChangeLogEntry.object_id == added["id"]
        )
    ).scalar_one()
    assert actor.startswith("cli")
    target = tmp_path / "copy.txt"
    code, out = run("evidence", "get", str(added["id"]), "-o", str(target))
    assert code == 0 and target.read_bytes() == minutes.read_bytes()
    code, out = run("evidence", "get", str(added["id"]), "-o", str(target))
    assert code == 2 and "--force" in out
    page = tmp_path / "x.html"
    page.write_text("<html><script>alert(1)</script></html>", encoding="utf-8")
    code, out = run("evidence", "add", "security.drill", str(drill_id), str(page))
    assert code == 2 and "HTML" in out
    code, out = run("evidence", "add", "nosuch.thing", "1", str(minutes))
    assert code == 2 and "object_type" in out
