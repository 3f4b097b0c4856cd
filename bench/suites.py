"""The benchmarks of issue 12, in the order they are printed."""

from __future__ import annotations

import statistics
import time
from typing import Any

from bench.runner import Context, Result, admin_client, benchmark, median_ms


@benchmark("api_bulk_create_hosts")
def api_bulk_create_hosts(context: Context) -> list[Result]:
    batch, batches = 1000, 5
    rates = []
    with admin_client(context) as client:
        from security.findings import background

        # The request path is measured; the evaluations it queues are the rules benchmarks' subject
        # (the pump's first pass over a province ledger holds the write lock long enough for a
        # request to give up waiting).
        if background._pump is not None:
            background._pump.stop()
        for b in range(batches):
            body = [
                {
                    "hostname": f"bulk-{b}-{i}.bench",
                    "kind": "virtual",
                    "ip_addresses": [f"172.16.{b}.{i % 250}"],
                    "os_name": "openEuler",
                    "os_version": "22.03",
                    "unit_id": 1,
                    "system_ids": [1 + i % 50],
                }
                for i in range(batch)
            ]
            started = time.perf_counter()
            r = client.post("/api/v1/inventory/hosts", json=body)
            elapsed = time.perf_counter() - started
            if r.status_code != 201:
                raise RuntimeError(f"bulk create failed: {r.status_code} {r.text[:300]}")
            rates.append(batch / elapsed)
    rates.sort()
    return [
        Result(
            "API 批量新增主机（每批 1000 台，中位数）",
            rates[len(rates) // 2],
            "台/秒",
            5000,
            True,
            note="后台规则检查暂停，其请求照常入队",
        )
    ]


@benchmark("list_hosts")
def list_hosts(context: Context) -> list[Result]:
    with admin_client(context) as client:
        client.get("/api/v1/inventory/hosts", params={"kind": "virtual", "limit": 50})
        offsets = iter(range(0, 10**9, 50 * 37))

        def one() -> None:
            r = client.get(
                "/api/v1/inventory/hosts",
                params={"kind": "virtual", "limit": 50, "offset": next(offsets) % 30000},
            )
            assert r.status_code == 200

        ms = median_ms(one, 200)
    return [
        Result(
            f"主机列表（一个筛选条件，每页 50，共 {context.counts['hosts']} 台，进程内中位数）", ms, "ms", 10
        )
    ]


@benchmark("metrics_scrape")
def metrics_scrape(context: Context) -> list[Result]:
    """Three scrapes: every group computed; after one host changed; with nothing changed.

    Prometheus scrapes every 15–60 s and between two scrapes a few tables change, so the usual
    scrape computes only the groups that read them (``exporters.prometheus.cache``).
    """
    from prometheus_client.parser import text_string_to_metric_families
    from sqlalchemy import select

    from inventory.choices import HostLifecycle
    from inventory.models import Host
    from taizhang import db
    from taizhang.generation import clear_all

    def cold() -> None:
        clear_all()
        client.get("/metrics")

    hosts = iter(range(1, 10**9, 7919))

    def edit_one_host() -> None:
        with db.session_scope(actor="bench") as session:
            host = session.execute(
                select(Host).where(Host.id >= next(hosts) % context.counts["hosts"]).limit(1)
            ).scalar_one()
            host.lifecycle = (
                HostLifecycle.RETIRED if host.lifecycle is HostLifecycle.ACTIVE else HostLifecycle.ACTIVE
            )

    def after_edit() -> float:
        edit_one_host()
        started = time.perf_counter()
        client.get("/metrics")
        return (time.perf_counter() - started) * 1000

    with admin_client(context) as client:
        first = client.get("/metrics").text
        cold_ms = median_ms(cold, 5)
        edit_one_host()  # the change log has a head from here on: groups can be kept
        client.get("/metrics")
        edited_ms = statistics.median(after_edit() for _ in range(5))
        unchanged_ms = median_ms(lambda: client.get("/metrics"), 5)
        last = client.get("/metrics").text
    # A failing metric group would make the scrape look fast: every group must have computed.
    failed = [
        s.labels["group"]
        for family in text_string_to_metric_families(first)
        for s in family.samples
        if s.name == "taizhang_exporter_collector_up" and s.value != 1
    ]
    if failed or "taizhang_findings_open" not in first:
        raise RuntimeError(f"/metrics 指标组计算失败：{failed}")

    def gauge(text: str, name: str) -> dict[str, float]:
        return {
            s.labels["group"]: s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
            if s.name == name
        }

    seconds = gauge(first, "taizhang_exporter_collector_duration_seconds")
    slowest = sorted(seconds.items(), key=lambda item: -item[1])[:3]
    detail = "，".join(f"{group} {value * 1000:.0f} ms" for group, value in slowest)
    recomputed = sorted(
        group for group, value in gauge(last, "taizhang_exporter_collector_cached").items() if not value
    )
    return [
        Result(f"/metrics 抓取，全部指标组重新计算（中位数；最慢：{detail}）", cold_ms, "ms", 300),
        Result("/metrics 抓取，上次抓取后改了一台主机（中位数）", edited_ms, "ms", 300),
        Result(
            "/metrics 抓取，上次抓取后无变更（中位数）",
            unchanged_ms,
            "ms",
            300,
            note=f"每次都重新计算的指标组：{'、'.join(recomputed)}",
        ),
    ]


@benchmark("import_hosts_csv")
def import_hosts_csv(context: Context) -> list[Result]:
    """Import the scale's host count from a GB18030 CSV into a fresh ledger (own database file).

    The import runs in its own process, as ``taizhang import`` does: its time is the import's
    alone and its memory the process's peak resident set (tracemalloc, used before, slowed the
    import down about fivefold and counted only Python's allocations).
    """
    from bench.sheets import import_in_child, prepare_database, write_file
    from taizhang import db

    main_engine = db.get_engine()
    folder = context.scratch / "import"
    folder.mkdir(exist_ok=True)
    url = f"sqlite:///{folder / 'import.db'}" if context.url.startswith("sqlite") else context.url + "_import"
    if not url.startswith("sqlite"):
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        admin = create_engine(context.url, isolation_level="AUTOCOMMIT")
        name = make_url(url).database
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    rows = context.counts["hosts"]
    try:
        prepare_database(url)
        path = write_file(folder, rows, "csv")
        db.set_engine(None)  # the child process writes; this one only prepared the file
        elapsed, peak, _counts = import_in_child(url, path)
    finally:
        db.set_engine(main_engine)
    return [
        Result(f"CSV 导入 {rows} 台主机（首次，全部新增）", elapsed, "s", 5.0, note="独立进程"),
        Result("CSV 导入进程的内存峰值", peak, "MB", 500.0, note="常驻内存峰值（getrusage）"),
    ]


@benchmark("rules")
def rules(context: Context) -> list[Result]:
    from sqlalchemy import select

    from inventory.models import System
    from security.findings.engine import evaluate
    from taizhang import db

    with db.session_scope(actor="bench") as session:
        first = evaluate(session)
    with db.session_scope(actor="bench") as session:
        started = time.perf_counter()
        again = evaluate(session)
        repeat = time.perf_counter() - started
    with db.session_scope(actor="bench", write=False) as session:
        ids = list(session.execute(select(System.id).order_by(System.id).limit(20)).scalars())
    timings = []
    for system_id in ids:
        with db.session_scope(actor="bench") as session:
            started = time.perf_counter()
            evaluate(session, system_ids=[system_id])
            timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return [
        Result(f"全部规则检查（本次新登记 {first.created} 个问题）", first.seconds, "s", None),
        Result(f"全部规则再次检查（{again.unchanged} 个问题不变）", repeat, "s", 10.0),
        Result("检查单个系统（20 个系统的中位数）", timings[len(timings) // 2], "ms", 50.0),
    ]


@benchmark("report_xlsx")
def report_xlsx(context: Context) -> list[Result]:
    """The county report (every unit's figures) computed and written as xlsx, as `taizhang report` does."""
    from exporters.report import county_report
    from exporters.report_web import report_xlsx as write_xlsx
    from taizhang import db
    from taizhang.clock import china_today

    timings = []
    size = 0
    for _ in range(3):
        started = time.perf_counter()
        with db.session_scope(actor="bench", write=False) as session:
            report = county_report(session, today=china_today())
        size = len(write_xlsx(report))
        timings.append(time.perf_counter() - started)
    timings.sort()
    return [
        Result(
            f"县级报表导出 xlsx（{len(report.units)} 个单位，中位数）",
            timings[1],
            "s",
            20.0,
            note=f"{size // 1024} KB",
        )
    ]


@benchmark("ingest_check_results")
def ingest_check_results(context: Context) -> list[Result]:
    import datetime as dt

    from sqlalchemy import select

    from inventory.models import Host
    from security.verification.choices import CheckOutcome
    from security.verification.service import ingest_results
    from taizhang import db

    checks = [f"TZ-B-{i:03d}" for i in range(10)]
    outcomes = [CheckOutcome.PASS, CheckOutcome.FAIL, CheckOutcome.PASS, CheckOutcome.NOT_APPLICABLE]
    with db.session_scope(write=False) as session:
        host_ids = list(session.execute(select(Host.id).order_by(Host.id)).scalars())
    now = dt.datetime.now(dt.UTC)
    rows: list[dict[str, Any]] = [
        {
            "host_id": host_id,
            "check_id": check,
            "outcome": outcomes[(host_id + n) % 4],
            "evidence": "PermitRootLogin no",
            "observed": {},
            "checked_at": now,
            "run_id": None,
        }
        for host_id in host_ids
        for n, check in enumerate(checks)
    ]
    with db.session_scope(actor="bench") as session:
        started = time.perf_counter()
        ingest_results(session, rows)
        elapsed = time.perf_counter() - started
    per_million = elapsed * 1_000_000 / len(rows)
    return [
        Result(
            f"写入 {len(rows)} 条主机核验结果（折算每百万条）",
            per_million,
            "s",
            30.0,
            note=f"实测 {elapsed:.1f} s",
        )
    ]


@benchmark("list_hosts_loopback")
def list_hosts_loopback(context: Context) -> list[Result]:
    """Requests/s of the filtered host list through two uvicorn workers, measured with wrk."""
    import os
    import re
    import shutil
    import socket
    import subprocess
    import sys

    import httpx

    with admin_client(context):
        pass  # makes sure the bench token exists
    wrk = shutil.which("wrk")
    if wrk is None:
        return [
            Result(
                "主机列表经回环地址（2 个工作进程）",
                0.0,
                "次/秒",
                500,
                True,
                note="未测：需要 wrk（apt-get install wrk）",
            )
        ]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "TAIZHANG_DATABASE_URL": context.url}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "taizhang.asgi:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        env=env,
    )
    try:
        url = f"http://127.0.0.1:{port}/api/v1/inventory/hosts?kind=virtual&limit=50"
        headers = {"Authorization": f"Bearer {context.cache['token']}"}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(url, headers=headers, timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        out = subprocess.run(
            [wrk, "-t2", "-c16", "-d10s", "-H", f"Authorization: {headers['Authorization']}", url],
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return [
        Result(
            "主机列表经回环地址（2 个工作进程，wrk 16 连接 10 秒）",
            float(match.group(1)) if match else 0.0,
            "次/秒",
            500,
            True,
            note=f"非 2xx 响应 {errors.group(1)}" if errors else "",
        )
    ]
