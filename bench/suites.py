"""The benchmarks of issue 12, in the order they are printed."""

from __future__ import annotations

import time

from bench.runner import Context, Result, admin_client, benchmark, median_ms


@benchmark("api_bulk_create_hosts")
def api_bulk_create_hosts(context: Context) -> list[Result]:
    batch, batches = 1000, 5
    rates = []
    with admin_client(context) as client:
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
    return [Result("API 批量新增主机（每批 1000 台，中位数）", rates[len(rates) // 2], "台/秒", 5000, True)]


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
    from prometheus_client.parser import text_string_to_metric_families

    with admin_client(context) as client:
        first = client.get("/metrics").text
        ms = median_ms(lambda: client.get("/metrics"), 5)
    # A failing metric group would make the scrape look fast: every group must have computed.
    failed = [
        s.labels["group"]
        for family in text_string_to_metric_families(first)
        for s in family.samples
        if s.name == "taizhang_exporter_collector_up" and s.value != 1
    ]
    if failed or "taizhang_findings_open" not in first:
        raise RuntimeError(f"/metrics 指标组计算失败：{failed}")
    seconds = {
        s.labels["group"]: s.value
        for family in text_string_to_metric_families(first)
        for s in family.samples
        if s.name == "taizhang_exporter_collector_duration_seconds"
    }
    slowest = sorted(seconds.items(), key=lambda item: -item[1])[:3]
    detail = "，".join(f"{group} {value * 1000:.0f} ms" for group, value in slowest)
    return [Result(f"/metrics 抓取（全部指标组，中位数；最慢：{detail}）", ms, "ms", 300)]
