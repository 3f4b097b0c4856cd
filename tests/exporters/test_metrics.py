"""/metrics against the demo county: values, availability, protection, promtool."""

from __future__ import annotations

import subprocess
from collections import Counter
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, func, select

from exporters.prometheus.collector import registered_groups
from inventory.choices import HostLifecycle
from inventory.demo import load_inventory
from inventory.models import Host, System, Unit
from taizhang import db
from taizhang.policy import get_policy

ROOT = Path(__file__).resolve().parents[2]


def samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    out = []
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                out.append((dict(sample.labels), sample.value))
    return out


@pytest.fixture
def demo(engine: Engine) -> None:
    with db.session_scope(actor="test") as s:
        load_inventory(s)


def test_values_match_the_demo_county(demo: None, anon: TestClient) -> None:
    r = anon.get("/metrics")
    assert r.status_code == 200
    text = r.text
    assert samples(text, "taizhang_up") == [({}, 1.0)]
    with db.session_scope() as s:
        codes = dict(s.execute(select(Unit.id, Unit.code)).all())
        per_unit = Counter(
            {
                codes[u]: n
                for u, n in s.execute(
                    select(System.owner_unit_id, func.count()).group_by(System.owner_unit_id)
                )
            }
        )
        hosts = list(
            s.execute(
                select(Host.unit_id, Host.os_name, Host.os_version, Host.lifecycle, Host.replacement_plan)
            )
        )
    systems = samples(text, "taizhang_systems")
    assert sum(v for _, v in systems) == 147
    by_unit: Counter[str] = Counter()
    for labels, value in systems:
        by_unit[labels["unit"]] += int(value)
    assert by_unit == per_unit

    policy = get_policy()
    from taizhang.clock import china_today  # the same "today" the collector uses

    expected: Counter[tuple[str, str]] = Counter()
    for unit_id, os_name, os_version, lifecycle, plan in hosts:
        entry = policy.eos_for(os_name, os_version)
        if lifecycle is HostLifecycle.ACTIVE and entry and entry.end_of_support < china_today():
            expected[(codes[unit_id], "true" if plan else "false")] += 1
    got = {
        (lab["unit"], lab["replacement_planned"]): int(v)
        for lab, v in samples(text, "taizhang_hosts_past_end_of_support")
    }
    assert got == dict(expected) and sum(expected.values()) > 100

    ratios = samples(text, "taizhang_controllable_products_ratio")
    assert ratios and all(0.0 <= v <= 1.0 for _, v in ratios)
    groups = {lab["group"]: v for lab, v in samples(text, "taizhang_exporter_collector_up")}
    assert set(groups) == set(registered_groups()) and all(v == 1.0 for v in groups.values())


def test_database_down_still_answers(
    monkeypatch: pytest.MonkeyPatch, engine: Engine, anon: TestClient
) -> None:
    db.set_engine(db.make_engine("sqlite:////nonexistent-dir/taizhang.db"))
    r = anon.get("/metrics")
    assert r.status_code == 200
    assert samples(r.text, "taizhang_up") == [({}, 0.0)]
    assert samples(r.text, "taizhang_systems") == []


def test_no_redirect_and_openmetrics(engine: Engine, anon: TestClient) -> None:
    assert anon.get("/metrics", follow_redirects=False).status_code == 200
    om = anon.get("/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    assert om.headers["content-type"].startswith("application/openmetrics-text")
    assert om.text.rstrip().endswith("# EOF")


def test_metrics_token(monkeypatch: pytest.MonkeyPatch, engine: Engine, anon: TestClient) -> None:
    from taizhang.settings import reset_settings_cache

    monkeypatch.setenv("TAIZHANG_METRICS_TOKEN", "s3cret-scrape")
    reset_settings_cache()
    assert anon.get("/metrics").status_code == 401
    assert anon.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert anon.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape"}).status_code == 200


@pytest.fixture(scope="session")
def promtool() -> str:
    subprocess.run([str(ROOT / "scripts" / "prometheus.sh")], check=True, timeout=600)
    return "promtool"


def test_promtool_accepts_the_exposition(demo: None, anon: TestClient, promtool: str) -> None:
    text = anon.get("/metrics").text
    result = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
