"""Run the benchmarks and print each target with its measured value.

    python -m bench --scale province|county [--json] [--database URL] [--only NAME ...]

Without ``--database`` a fresh SQLite file in a temporary directory is used; pass a PostgreSQL URL
(a database this may fill and empty) to measure the same on PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from bench.dataset import SCALES, generate, reset_database
from bench.runner import BENCHMARKS, Context, Result


def _machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} 核, Python {platform.python_version()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", choices=sorted(SCALES), default="county")
    parser.add_argument("--json", action="store_true", help="print results as JSON")
    parser.add_argument("--database", help="SQLAlchemy URL (default: a temporary SQLite file)")
    parser.add_argument("--only", nargs="*", help="run only these benchmarks")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="taizhang-bench-") as scratch:
        url = args.database or f"sqlite:///{Path(scratch) / 'bench.db'}"
        os.environ["TAIZHANG_DATABASE_URL"] = url
        os.environ["TAIZHANG_DATA_DIR"] = str(Path(scratch) / "data")
        from taizhang import db
        from taizhang.schema import upgrade
        from taizhang.settings import reset_settings_cache

        reset_settings_cache()
        engine = db.make_engine(url)
        if engine.dialect.name == "postgresql":
            reset_database(engine)
        upgrade(engine)
        db.set_engine(engine)
        started = time.perf_counter()
        counts = generate(engine, SCALES[args.scale])
        generated = time.perf_counter() - started
        if engine.dialect.name == "postgresql":
            # What autovacuum does to a ledger in use: planner statistics and the visibility map
            # (index-only scans). Without them the planner guesses row counts of the fresh tables.
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        context = Context(scale=SCALES[args.scale], url=url, scratch=Path(scratch), counts=counts)
        results: list[Result] = []
        for bench in BENCHMARKS:
            if args.only and bench.name not in args.only:
                continue
            if not args.json:
                print(f"… {bench.name}", file=sys.stderr, flush=True)
            results.extend(bench.run(context))
        db.set_engine(None)

    if args.json:
        print(
            json.dumps(
                {
                    "scale": args.scale,
                    "backend": url.split(":")[0],
                    "machine": _machine(),
                    "dataset": counts,
                    "generate_seconds": round(generated, 2),
                    "results": [r.as_dict() for r in results],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        print(
            f"规模 {args.scale}（{counts}），数据库 {url.split(':')[0]}，机器 {_machine()}；生成数据 {generated:.1f} s"
        )
        for r in results:
            status = "达标" if r.met else ("未达标" if r.met is False else "—")
            print(
                f"{r.name:<42} {r.value:>12.2f} {r.unit:<10} 目标 {r.target_text:<14} {status}"
                + (f"  ({r.note})" if r.note else "")
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
