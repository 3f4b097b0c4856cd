"""Benchmark: import N hosts from CSV or xlsx, then the same file again; print time and peak memory.

    python -m bench.sheets --rows 50000 --format csv
    python -m bench.sheets --rows 50000 --format xlsx --database postgresql+psycopg://postgres@127.0.0.1/bench

Without ``--database`` a fresh SQLite file in a temporary directory is used; a ``--database``
must be an empty database (the benchmark creates the schema, one unit and 100 systems). The peak is the
process's maximum resident set size (``getrusage``); ``--tracemalloc`` also reports the peak of
Python allocations during the import (it slows the import down about twofold).
"""

from __future__ import annotations

import argparse
import csv
import resource
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

from openpyxl import Workbook

HEADERS = [
    "主机名",
    "主机类型",
    "IP 地址",
    "操作系统",
    "操作系统版本",
    "CPU 架构",
    "所属单位",
    "承载的信息系统",
]
SYSTEMS = 100


def host_rows(count: int) -> Iterator[list[str]]:
    kinds = ["虚拟机", "物理机", "云主机"]
    arches = ["鲲鹏", "x86_64", "龙芯"]
    for i in range(count):
        yield [
            f"host-{i:06d}",
            kinds[i % 3],
            f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}",
            "银河麒麟",
            "V10 SP3",
            arches[i % 3],
            "县大数据中心",
            f"BENCH-{i % SYSTEMS:03d}、BENCH-{(i + 1) % SYSTEMS:03d}",
        ]


def write_file(folder: Path, count: int, fmt: str) -> Path:
    if fmt == "csv":
        path = folder / "主机.csv"
        with path.open("w", encoding="gb18030", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(HEADERS)
            writer.writerows(host_rows(count))
        return path
    path = folder / "hosts.xlsx"
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("主机")
    sheet.append(["襄汾县服务器台账（基准测试）"])
    sheet.append(HEADERS)
    for row in host_rows(count):
        sheet.append(row)
    workbook.save(path)
    return path


def prepare_database(url: str) -> None:
    from exporters.sheets.bulk import insert_rows
    from inventory.entities import SYSTEMS as SYSTEM_ENTITY
    from inventory.entities import UNITS
    from taizhang.db import make_engine, session_scope, set_engine
    from taizhang.schema import upgrade

    engine = make_engine(url)
    upgrade(engine)
    set_engine(engine)
    with session_scope(actor="bench") as session:
        (unit_id,) = insert_rows(
            session, UNITS, [{"code": "DSJ", "name": "县大数据中心", "kind": "county_department"}]
        )
        systems = [
            {
                "catalogue_number": f"BENCH-{i:03d}",
                "name": f"基准系统{i}",
                "owner_unit_id": unit_id,
                "lifecycle": "running",
            }
            for i in range(SYSTEMS)
        ]
        insert_rows(session, SYSTEM_ENTITY, systems)


def timed_import(path: Path, *, trace: bool) -> tuple[float, int | None, str]:
    from exporters.sheets.service import run_import
    from taizhang.db import session_scope

    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    with session_scope(actor="cli:bench") as session:
        result = run_import(session, path, display_name=path.name)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if trace else None
    if trace:
        tracemalloc.stop()
    if not result.ok:
        raise SystemExit(f"导入被拒绝：{result.problems[:3]}")
    sheet = result.sheets[0]
    return elapsed, peak, f"新增 {sheet.created}，修改 {sheet.updated}，未变 {sheet.unchanged}"


def main() -> None:
    parser = argparse.ArgumentParser(description="台账导入基准测试")
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    parser.add_argument("--database", help="数据库地址（默认临时 SQLite 文件）")
    parser.add_argument("--tracemalloc", action="store_true", help="同时统计 Python 内存分配峰值（较慢）")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="taizhang-bench-") as folder:
        url = args.database or f"sqlite:///{folder}/bench.db"
        prepare_database(url)
        path = write_file(Path(folder), args.rows, args.format)
        size = path.stat().st_size / 1e6
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"文件：{path.name}，{args.rows} 行，{size:.1f} MB；数据库：{url.split('@')[-1]}")
        for label in ("首次导入", "再次导入同一文件"):
            elapsed, peak, counts = timed_import(path, trace=args.tracemalloc)
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            traced = f"，Python 分配峰值 {peak / 1e6:.0f} MB" if peak is not None else ""
            print(
                f"{label}：{elapsed:.1f} 秒（{args.rows / elapsed:,.0f} 行/秒），{counts}；"
                f"进程内存峰值 {rss:.0f} MB（导入前 {rss_before:.0f} MB）{traced}"
            )


if __name__ == "__main__":
    main()
