"""At 23:30 UTC the county is already on the next day: every default "today" must say so.

The clock is frozen through ``taizhang.clock.utc_now``, the one time source of China's date. The
frozen day lies well before the real one, so a call that reverts to ``dt.date.today()`` (the
server's date, whatever its timezone) reads a different date and these tests fail.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient

from inventory.choices import DataSharing
from taizhang import clock

API = "/api/v1/security"
FROZEN = dt.datetime.combine(
    dt.datetime.now(dt.UTC).date() - dt.timedelta(days=10), dt.time(23, 30), tzinfo=dt.UTC
)
CHINA_DAY = FROZEN.date() + dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "utc_now", lambda: FROZEN)


def test_the_china_date_is_the_next_day() -> None:
    assert clock.china_now() == FROZEN
    assert clock.china_now().hour == 7 and clock.china_today() == CHINA_DAY


def test_the_findings_engine_counts_from_chinas_date(ledger: Any, session: Any) -> None:
    from security.findings.engine import evaluate

    ledger.system(ledger.unit(), data_sharing=DataSharing.NOT_SHARING)
    assert evaluate(session).today == CHINA_DAY


def test_waivers_and_the_export_use_chinas_date(client: TestClient, ledger: Any, session: Any) -> None:
    unit = ledger.unit()
    system = ledger.system(unit, data_sharing=DataSharing.NOT_SHARING)
    session.commit()
    body = {
        "rule_id": "art11.data_not_shared",
        "subject_type": "system",
        "subject_id": system.id,
        "reason": "数据共享接口改造中",
        "approver": "县政务信息管理局",
    }
    # The UTC date is already yesterday in China: a waiver ending on it has expired.
    late = client.post(f"{API}/waivers", json={**body, "expires_on": FROZEN.date().isoformat()})
    assert late.status_code == 422 and late.json()["field"] == "expires_on", late.text
    ok = client.post(f"{API}/waivers", json={**body, "expires_on": CHINA_DAY.isoformat()})
    assert ok.status_code == 201, ok.text

    export = client.get(f"{API}/findings/export")
    assert export.status_code == 200
    assert f"findings-{CHINA_DAY.isoformat()}.csv" in export.headers["content-disposition"]


def test_the_other_today_helpers_follow_the_same_clock() -> None:
    from inventory import page_blocks
    from migration import service as migration
    from security.findings import cli
    from security.grading.dates import shanghai_today
    from security.response.dates import local_now

    assert cli._parse_date(None) == CHINA_DAY  # the CLI's --on default
    assert migration.local_today() == CHINA_DAY
    assert shanghai_today() == CHINA_DAY
    assert local_now().date() == CHINA_DAY
    assert page_blocks.today() == CHINA_DAY
