"""``taizhang check``, ``rules list``, ``findings list|export|worker`` and the demo county."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import select
from typer.testing import CliRunner

from inventory.choices import DataSharing
from security.findings.models import Finding, FindingEvaluationRequest
from taizhang import db as tzdb
from taizhang.cli import app

runner = CliRunner()


def test_check_rules_and_export(ledger: Any, session: Any, tmp_path: Path) -> None:
    unit = ledger.unit(code="EDU")
    system = ledger.system(unit, data_sharing=DataSharing.NOT_SHARING)
    other = ledger.system(ledger.unit(), data_sharing=DataSharing.NOT_SHARING)
    session.commit()

    listed = runner.invoke(app, ["rules", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    assert any(r["citation"].endswith("第十八条") for r in json.loads(listed.output))

    checked = runner.invoke(app, ["check", "--unit", "EDU", "--json"])
    assert checked.exit_code == 0, checked.output
    data = json.loads(checked.output)
    assert data["report"]["created"] == 2 and not data["report"]["partial"]
    assert [f["subject_name"] for f in data["findings"]] == [system.name]
    assert session.execute(select(FindingEvaluationRequest)).first() is None  # the queue is answered

    again = runner.invoke(app, ["check", "--system", str(other.id)])
    assert again.exit_code == 0 and "新发现 0" in again.output and other.name in again.output

    assert "不存在" in runner.invoke(app, ["check", "--unit", "NOPE"]).output
    assert runner.invoke(app, ["check", "--date", "2026-13-01"]).exit_code == 2

    ledger.project(unit, [], contract_signed_on=dt.date(2031, 3, 3))  # a year the calendar lacks
    session.commit()
    refused = runner.invoke(app, ["check", "--date", "2031-06-01"])
    assert (
        refused.exit_code == 1 and "2031" in refused.output and "art18.contract_filing_late" in refused.output
    )

    out = tmp_path / "findings.csv"
    exported = runner.invoke(app, ["findings", "export", "-o", str(out)])
    assert exported.exit_code == 0, exported.output
    assert len(out.read_text(encoding="utf-8").splitlines()) == 3


def test_worker_once_consumes_the_queue(ledger: Any, session: Any) -> None:
    ledger.system(ledger.unit(), data_sharing=DataSharing.NOT_SHARING)
    session.commit()
    result = runner.invoke(app, ["findings", "worker", "--once"])
    assert result.exit_code == 0, result.output
    with tzdb.session_scope() as check:
        assert check.execute(select(Finding.rule_id)).scalars().all() == ["art11.data_not_shared"]
        assert check.execute(select(FindingEvaluationRequest)).first() is None


def test_demo_county_fires_most_rules_and_reloading_changes_nothing(session: Any) -> None:
    from inventory.demo import load_inventory
    from migration.demo import load_demo as load_migration
    from security.findings.demo import load_demo
    from security.findings.rules import all_rules
    from security.grading.demo import load_demo as load_grading
    from security.response.demo import load_demo as load_response

    today = dt.date(2026, 11, 20)
    load_inventory(session)
    load_migration(session)
    load_grading(session, today=today)
    load_response(session, today=today)
    counts = load_demo(session, today=today)
    session.commit()
    assert counts["豁免"] == 1 and counts["整改通知"] == 1 and counts["规则执行错误"] == 0
    findings = list(session.execute(select(Finding).order_by(Finding.id)).scalars())
    fired = Counter(f.rule_id for f in findings)
    # the demo county has no ungraded level-2+ system, no expired certificate, no running system
    # without an emergency plan and every system catalogued: those rules stay quiet
    assert len(fired) >= len(all_rules()) - 4, sorted(fired)
    assert all("第" in f.citation and "条" in f.citation and f.unit_id for f in findings)
    assert any(f.state.value == "waived" for f in findings)

    before = [(f.id, f.state, f.message, f.version) for f in findings]
    assert load_demo(session, today=today) == counts
    session.commit()
    session.expire_all()
    after = [
        (f.id, f.state, f.message, f.version)
        for f in session.execute(select(Finding).order_by(Finding.id)).scalars()
    ]
    assert after == before
