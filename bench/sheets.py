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
import json
import os
import resource
import subprocess
import sys
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
    from inventory.entities import SYSTEMS as SYSTEM_ENTITY
    from inventory.entities import UNITS
    from taizhang.bulk import insert_rows
    from taizhang.db import make_engine, session_scope, set_engine
    from taizhang.schema import upgrade

    engine = make_engine(url)
    upgrade(engine)
    set_engine(engine)
    with session_scope(actor="bench") as session:
        (unit,) = insert_rows(
            session, UNITS, [{"code": "DSJ", "name": "县大数据中心", "kind": "county_department"}]
        )
        unit_id = unit["id"]
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


_CHILD = """
import json, resource, sys
from pathlib import Path

import taizhang.models  # every model and write listener, as the taizhang command loads them
from bench.sheets import timed_import
from taizhang.db import make_engine, set_engine

set_engine(make_engine(sys.argv[1]))
elapsed, _peak, counts = timed_import(Path(sys.argv[2]), trace=False)
# VmHWM: this process's own peak (ru_maxrss would report the parent's if it was the larger at spawn)
status = Path("/proc/self/status")
hwm = [line for line in status.read_text().splitlines() if line.startswith("VmHWM:")] if status.exists() else []
rss = int(hwm[0].split()[1]) / 1024 if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"elapsed": elapsed, "rss_mb": rss, "counts": counts}, ensure_ascii=False))
"""


def import_in_child(url: str, path: Path) -> tuple[float, float, str]:
    """Import ``path`` into ``url`` in a fresh Python process, as ``taizhang import`` runs it.

    Returns the seconds of the import itself (not of starting Python), the child's peak resident
    memory in MB, and the counts. Nothing watches allocations meanwhile: tracemalloc would slow
    an import of this kind down several times over.
    """
    root = Path(__file__).resolve().parents[1]
    env = {
        **os.environ,
        "TAIZHANG_DATABASE_URL": url,
        "PYTHONPATH": os.pathsep.join(p for p in (str(root), os.environ.get("PYTHONPATH", "")) if p),
    }
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, url, str(path)], capture_output=True, text=True, env=env, cwd=root
    )
    if done.returncode != 0:
        raise SystemExit(f"导入子进程失败：{done.stderr[-2000:]}")
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    return answer["elapsed"], answer["rss_mb"], answer["counts"]


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
