"""Alert/recording rules (promtool) and the Grafana dashboard: every expression names real metrics."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import yaml
from metrics_helpers import metric_names

ROOT = Path(__file__).resolve().parents[2]
PROM = ROOT / "exporters" / "prometheus"
DASHBOARD = ROOT / "exporters" / "grafana" / "taizhang.json"
RULE_FILES = (PROM / "rules.yml", PROM / "alerts.yml")
#: Series Prometheus itself makes for every target.
PROMETHEUS_OWN = {"up"}
_KEYWORDS = {
    "sum", "min", "max", "avg", "count", "by", "without", "on", "ignoring", "group_left", "group_right",
    "bool", "and", "or", "unless", "offset", "time", "vector", "label_values", "topk", "bottomk", "abs",
    "clamp_min", "clamp_max", "rate", "increase", "absent", "inf", "nan",
}  # fmt: skip


def expression_metrics(expr: str) -> set[str]:
    """Metric names in a PromQL expression (strings, label matchers, grouping lists and ranges removed)."""
    stripped = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)
    stripped = re.sub(r"\{[^}]*\}", "", stripped)
    stripped = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", stripped)
    stripped = re.sub(r"\[[^\]]*\]", "", stripped)
    names = set()
    for match in re.finditer(r"(?<![\w$.])([A-Za-z_:][\w:]*)(\s*\()?", stripped):
        name, call = match.group(1), match.group(2)
        if not call and name not in _KEYWORDS:
            names.add(name)
    return names


def test_expression_metrics_extracts_names() -> None:
    expr = 'sum by (unit) (taizhang_a{state="x"}) / on(unit) max(rate(taizhang_b[5m])) or vector(0) > bool 3'
    assert expression_metrics(expr) == {"taizhang_a", "taizhang_b"}
    assert expression_metrics('taizhang:x:ratio{unit=~"$unit"} - time()') == {"taizhang:x:ratio"}


def rules() -> list[dict[str, str]]:
    return [
        rule
        for path in RULE_FILES
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
    ]


def dashboard_expressions() -> list[str]:
    board = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for panel in board["panels"] for t in panel.get("targets", [])]
    for var in board["templating"]["list"]:
        if var["type"] == "query":
            exprs.append(re.sub(r"^label_values\(([^,)]+).*$", r"\1", var["definition"]))
    return exprs


def test_promtool_checks_and_unit_tests_the_rules(promtool: str) -> None:
    check = subprocess.run(
        [promtool, "check", "rules", *map(str, RULE_FILES)], capture_output=True, text=True, timeout=60
    )
    assert check.returncode == 0, check.stdout + check.stderr
    config = subprocess.run(
        [promtool, "check", "config", str(PROM / "prometheus.example.yml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert config.returncode == 0, config.stdout + config.stderr
    tests = sorted((PROM / "tests").glob("*.yml"))
    assert tests
    result = subprocess.run(
        [promtool, "test", "rules", *map(str, tests)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


def check_expressions(text: str, promtool: str) -> None:
    """Called on the demo county's exposition (every group populated) by test_metrics_domains."""
    exported = metric_names(text)
    recorded = {rule["record"] for rule in rules() if "record" in rule}
    known = exported | recorded | PROMETHEUS_OWN
    board = dashboard_expressions()
    assert len(board) > 25
    missing = {}
    for expr in [rule["expr"] for rule in rules()] + board:
        names = expression_metrics(expr)
        assert names, expr
        if names - known:
            missing[expr] = sorted(names - known)
    assert not missing
    # The exposition with every group populated passes promtool's naming and HELP checks.
    result = subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dashboard_has_the_four_sections_and_unit_variable() -> None:
    board = json.loads(DASHBOARD.read_text())
    rows = [p["title"] for p in board["panels"] if p["type"] == "row"]
    assert rows[:4] == ["县级总览", "按单位", "安全", "迁移"]
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["unit"]["definition"] == "label_values(taizhang_unit_info, unit)"
    assert len({p["id"] for p in board["panels"]}) == len(board["panels"])
