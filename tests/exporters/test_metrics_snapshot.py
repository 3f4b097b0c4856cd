"""Every /metrics value on a fixed, varied ledger, against a pinned snapshot and the status services.

``metrics_snapshot.json`` holds every sample (but the scrape's own timings and the version) of a
scrape of ``ledger_snapshot.load_ledger`` as of ``ledger_snapshot.NOW``; it was written by the
per-system implementation, before issue 12's set-based rewrite, and pins that rewrite to the same
values. Regenerate it only for a deliberate change of a metric::

    TAIZHANG_WRITE_METRICS_SNAPSHOT=1 .venv/bin/python -m pytest tests/exporters/test_metrics_snapshot.py

The grading gauges are also compared, on other seeds and dates, with what the per-system status
service the pages use (``security_statuses``) says of each system.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
from collections import Counter
from pathlib import Path

import pytest
from ledger_snapshot import load_ledger, pinned_samples, scrape
from security_records import vary_security
from sqlalchemy import Engine, select

from exporters.prometheus.labels import end_of_day_timestamp
from exporters.prometheus.security import certificate_window, crypto_state, filing_state
from inventory.demo import load_inventory
from inventory.models import Unit
from security.grading.demo import load_demo as load_grading_demo
from security.grading.service import security_statuses
from taizhang import db
from taizhang.clock import CHINA

SNAPSHOT = Path(__file__).with_name("metrics_snapshot.json")
WRITE = "TAIZHANG_WRITE_METRICS_SNAPSHOT"


def test_every_value_matches_the_snapshot(engine: Engine) -> None:
    with db.session_scope(actor="test") as s:
        load_ledger(s)
    got = pinned_samples(scrape())
    if os.environ.get(WRITE) and engine.dialect.name == "sqlite":
        SNAPSHOT.write_text(json.dumps(got, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    expected = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert len(expected) > 1000
    missing = sorted(expected.keys() - got.keys())
    extra = sorted(got.keys() - expected.keys())
    assert (missing, extra) == ([], []), f"{len(missing)} samples missing, {len(extra)} unexpected"
    changed = {key: (expected[key], got[key]) for key in expected if got[key] != expected[key]}
    assert changed == {}


def test_the_snapshot_covers_every_state() -> None:
    """The pinned ledger exercises every label value the grading gauges can take."""
    expected = json.loads(SNAPSHOT.read_text(encoding="utf-8"))

    def states(name: str, label: str) -> set[str]:
        prefix = name + "{"
        return {
            part.split('="')[1].rstrip('"')
            for key in expected
            if key.startswith(prefix)
            for part in key[len(prefix) : -1].split(",")
            if part.startswith(label + "=")
        }

    assert states("taizhang_systems_by_filing_state", "state") == {
        "not_required",
        "filed",
        "pending",
        "overdue",
    }
    assert states("taizhang_crypto_assessment_systems", "state") == {
        "not_required",
        "overdue",
        "failing",
        "never_assessed",
        "passing",
    }
    assert states("taizhang_mlps_certificates", "window") == {"expired", "within_30d", "within_90d", "later"}
    assert any(k.startswith("taizhang_mlps_assessments_overdue") and v > 0 for k, v in expected.items())


@pytest.mark.parametrize(
    ("seed", "now"),
    [
        ("status-a", dt.datetime(2025, 12, 30, 16, 0, tzinfo=CHINA)),
        ("status-b", dt.datetime(2027, 3, 1, 8, 0, tzinfo=CHINA)),
    ],
)
def test_grading_gauges_equal_the_status_service(engine: Engine, seed: str, now: dt.datetime) -> None:
    today = now.date()
    with db.session_scope(actor="test") as s:
        load_inventory(s)
        load_grading_demo(s, today=today)
        vary_security(s, today=today, rng=random.Random(seed))
    got = pinned_samples(scrape(now))
    with db.session_scope(write=False) as s:
        statuses = security_statuses(s, today=today)
        codes = dict(s.execute(select(Unit.id, Unit.code)).all())
    filing: Counter[str] = Counter()
    overdue: Counter[str] = Counter()
    crypto: Counter[str] = Counter()
    windows: Counter[str] = Counter()
    earliest: dict[str, dt.date] = {}
    for row in statuses:
        unit = codes[row.owner_unit_id]
        level = str(row.mlps.level) if row.mlps.level else "none"
        filing[f'level="{level}",state="{filing_state(row.mlps)}",unit="{unit}"'] += 1
        overdue[f'level="{level}",unit="{unit}"'] += int(row.mlps.assessment_overdue)
        crypto[f'state="{crypto_state(row.crypto)}",unit="{unit}"'] += 1
        until, left = row.mlps.certificate_valid_until, row.mlps.certificate_days_left
        if until is not None and left is not None:
            windows[f'unit="{unit}",window="{certificate_window(left)}"'] += 1
            earliest[unit] = min(until, earliest.get(unit, until))
    expected = {
        **{f"taizhang_systems_by_filing_state{{{k}}}": float(v) for k, v in filing.items()},
        **{f"taizhang_mlps_assessments_overdue{{{k}}}": float(v) for k, v in overdue.items()},
        **{f"taizhang_crypto_assessment_systems{{{k}}}": float(v) for k, v in crypto.items()},
        **{f"taizhang_mlps_certificates{{{k}}}": float(v) for k, v in windows.items()},
        **{
            f'taizhang_mlps_certificate_earliest_expiry_timestamp_seconds{{unit="{u}"}}': end_of_day_timestamp(
                d
            )
            for u, d in earliest.items()
        },
    }
    families = {key.split("{")[0] for key in expected}
    assert len(families) == 5 and sum(overdue.values()) > 0
    assert {k: v for k, v in got.items() if k.split("{")[0] in families} == expected
    assert got['taizhang_exporter_collector_up{group="grading"}'] == 1.0
