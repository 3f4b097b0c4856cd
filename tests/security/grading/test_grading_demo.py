"""The demo records: a mix of fine, overdue and expiring systems; deterministic and idempotent."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy.orm import Session

from inventory.demo import load_inventory
from security.grading.demo import load_demo
from security.grading.service import security_statuses
from security.grading.status import problem_labels

TODAY = dt.date(2026, 11, 26)


def test_demo_shows_a_mix_and_loads_once(session: Session) -> None:
    load_inventory(session)
    counts = load_demo(session, today=TODAY)
    assert counts["定级记录"] > 100 and counts["风险评估"] == 147
    assert load_demo(session, today=TODAY) == counts
    assert load_demo(session, today=TODAY + dt.timedelta(days=30)) == counts
    session.commit()

    rows = security_statuses(session, today=TODAY)
    flags = Counter(label for row in rows for label in problem_labels(row))
    for label in ("逾期未备案", "备案证明即将到期", "等级测评逾期", "密评逾期", "风险评估逾期"):
        assert flags[label] >= 3, (label, flags)
    assert any(label.startswith("整改逾期") for label in flags)
    fine = [row for row in rows if row.mlps.level and row.mlps.level >= 2 and not problem_labels(row)]
    assert len(fine) >= 20
    due_soon = [
        r
        for r in rows
        if r.mlps.days_until_assessment is not None and 0 <= r.mlps.days_until_assessment <= 30
    ]
    assert len(due_soon) >= 5
    assert [r.model_dump() for r in security_statuses(session, today=TODAY)] == [r.model_dump() for r in rows]
