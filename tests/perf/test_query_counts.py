"""No N+1 queries: the statements a list route runs do not grow with the rows it returns.

Each list route of the API is called on the demo county with a page of 5 and a page of 50 rows;
the number of SQL statements must be the same. /metrics must run the same number of statements,
group by group, on a small ledger and on one four times larger.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from perf_support import PUMP_THREAD, counting
from sqlalchemy import Engine
from typer.testing import CliRunner

from taizhang.cli import app as cli


def list_routes(client: TestClient) -> list[str]:
    spec = client.get("/api/openapi.json").json()
    paths = []
    for path, methods in spec["paths"].items():
        if "get" not in methods or "{" in path or not path.startswith("/api/v1/"):
            continue
        params = {p["name"] for p in methods["get"].get("parameters", [])}
        if {"limit", "offset"} <= params:
            paths.append(path)
    return paths


@pytest.fixture
def demo_county(engine: Engine) -> None:
    result = CliRunner().invoke(cli, ["demo"])
    assert result.exit_code == 0, result.output


def test_list_routes_run_the_same_statements_for_5_or_50_rows(
    demo_county: None, client: TestClient, engine: Engine
) -> None:
    from taizhang import db
    from taizhang.generation import clear_all

    routes = list_routes(client)
    assert len(routes) > 20
    growing = []
    for path in routes:
        counts = []
        for limit in (5, 50):
            clear_all()  # both requests cold: the count and the token are not remembered
            with counting(db.get_engine()) as statements:
                r = client.get(path, params={"limit": limit})
            assert r.status_code == 200, (path, r.text[:300])
            counts.append(len(statements))
        if counts[0] != counts[1]:
            growing.append(f"{path}: {counts[0]} statements for 5 rows, {counts[1]} for 50")
    assert growing == [], "\n".join(growing)


def test_metrics_statements_do_not_grow_with_the_ledger(engine: Engine) -> None:
    """The same statements, group by group, on a ledger of 150 systems and on one four times larger.

    Both ledgers carry 等保 / 密评 records on every system (``security_records.vary_security``),
    emergency plans with drills and incidents, findings, migration plans and check results, so that a
    query per system, host, plan or record in any metric group shows as a growing count. Each group
    runs only a few statements. The scrape goes to the standalone exporter app (``taizhang
    exporter``), which runs no findings pump to re-evaluate behind the test's back.
    """
    import random

    from db_support import empty_all_tables
    from security_records import vary_security

    from bench.dataset import Scale, generate
    from exporters.prometheus.app import app as exporter
    from exporters.prometheus.collector import metric_groups
    from security.response.demo import load_demo as load_response_demo
    from taizhang import db
    from taizhang.clock import china_now

    def selects(statements: list[str]) -> int:
        return len([s for s in statements if re.match(r"\s*SELECT", s, re.I)])

    def fill(scale: Scale) -> None:
        generate(engine, scale)
        with db.session_scope(actor="test") as s:
            vary_security(s, today=china_now().date(), rng=random.Random(scale.name))
            load_response_demo(s)

    def measure() -> tuple[int, dict[str, int]]:
        from taizhang.generation import clear_all

        clear_all()  # every group computed: none kept from an earlier scrape
        with TestClient(exporter) as client, counting(db.get_engine()) as statements:
            assert client.get("/metrics").status_code == 200
        per_group = {}
        with db.session_scope(write=False) as s:
            for name, collect in metric_groups().items():
                with counting(db.get_engine()) as group_statements:
                    list(collect(s, china_now()))
                per_group[name] = selects(group_statements)
        return selects(statements), per_group

    fill(Scale("small", 20, 150, 800, 300))
    small, small_groups = measure()
    empty_all_tables(engine)
    fill(Scale("larger", 40, 600, 3200, 600))
    larger, larger_groups = measure()
    assert larger_groups == small_groups
    assert larger == small
    assert max(small_groups.values()) <= 6, small_groups  # a few queries per group


@pytest.mark.parametrize("role", ["admin", "unit"])
def test_bulk_create_runs_the_same_statements_for_5_or_50_rows(
    anon: TestClient, client: TestClient, make_user: Callable[..., dict[str, str]], role: str
) -> None:
    """A bulk create checks, writes, links and logs its rows with a fixed number of statements."""
    from taizhang import db

    api = "/api/v1/inventory"
    unit = client.post(f"{api}/units", json={"code": "U1", "name": "县教育局", "kind": "township"}).json()
    systems = [
        client.post(
            f"{api}/systems",
            json={"catalogue_number": f"S-{i}", "name": f"系统{i}", "owner_unit_id": unit["id"]},
        ).json()["id"]
        for i in range(60)
    ]
    headers = dict(client.headers) if role == "admin" else make_user("edu", "unit", (unit["id"],))
    counts = []
    for size in (5, 50):
        hosts = [
            {
                "hostname": f"h{size}-{i}",
                "kind": "virtual",
                "ip_addresses": [f"10.0.{size}.{i}"],
                "unit_id": unit["id"],
                "system_ids": [systems[i], systems[i + 1]],
            }
            for i in range(size)
        ]
        new_systems = [
            {"catalogue_number": f"N{size}-{i}", "name": f"新系统{i}", "owner_unit_id": unit["id"]}
            for i in range(size)
        ]
        with counting(db.get_engine(), skip_thread=PUMP_THREAD) as statements:
            assert anon.post(f"{api}/hosts", json=hosts, headers=headers).status_code == 201
            assert anon.post(f"{api}/systems", json=new_systems, headers=headers).status_code == 201
        counts.append(len(statements))
    assert counts[0] == counts[1], f"{counts[0]} statements for 5 rows, {counts[1]} for 50"


def test_paged_pages_run_the_same_statements_on_a_larger_ledger(
    engine: Engine, app: Any, make_user: Callable[..., dict[str, str]]
) -> None:
    """/security and /migration (one page of 50, with figures over every system): the statements they
    run are the same on a ledger of 150 systems and on one four times larger, for the first and the
    second page, for everyone and for a unit user."""
    import random

    from db_support import empty_all_tables
    from security_records import vary_security
    from sqlalchemy import func, select

    from bench.dataset import Scale, generate
    from inventory.models import System
    from taizhang import db
    from taizhang.clock import china_now

    def fill(scale: Scale) -> None:
        generate(engine, scale)
        with db.session_scope(actor="test") as s:
            vary_security(s, today=china_now().date(), rng=random.Random(scale.name))

    def browser(username: str, role: str, units: tuple[int, ...] = ()) -> TestClient:
        make_user(username, role, units)
        client = TestClient(app, raise_server_exceptions=False)
        page = client.get("/login").text
        marker = 'name="csrf_token" value="'
        token = page[page.index(marker) + len(marker) :].split('"', 1)[0]
        form = {"username": username, "password": "Passw0rd!x", "csrf_token": token, "next": "/"}
        assert client.post("/login", data=form, follow_redirects=False).status_code == 303
        return client

    def measure(tag: str) -> dict[str, int]:
        with db.session_scope(write=False) as s:
            busiest = (
                s.execute(
                    select(System.owner_unit_id).group_by(System.owner_unit_id).order_by(func.count().desc())
                )
                .scalars()
                .first()
            )
        clients = {
            "admin": browser(f"admin_{tag}", "admin"),
            "unit": browser(f"unit_{tag}", "unit", (busiest,)),
        }
        counts = {}
        for who, client in clients.items():
            for path in ("/security", "/security?page=2", "/migration", "/migration?page=2"):
                with counting(db.get_engine()) as statements:
                    r = client.get(path)
                assert r.status_code == 200, (path, r.text[:300])
                counts[f"{who} {path}"] = len(statements)
        return counts

    fill(Scale("small", 20, 150, 800, 300))
    small = measure("s")
    empty_all_tables(engine)
    fill(Scale("larger", 40, 600, 3200, 600))
    larger = measure("l")
    assert larger == small
