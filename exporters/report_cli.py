"""``taizhang report --output FILE [--format xlsx|html] [--date YYYY-MM-DD]``."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import typer

from taizhang.cli_support import boundary, fail


def report_command(
    output: Path = typer.Option(..., "--output", "-o", help="输出文件"),
    fmt: str = typer.Option("xlsx", "--format", help="xlsx，或 html（可打印的网页）"),
    on: str = typer.Option(None, "--date", help="统计日期 YYYY-MM-DD（默认今天）"),
) -> None:
    """县级合规情况报表：上云率、等保定级/备案/测评、密评、应急演练、信创替代率、未整改问题。"""
    from exporters.report import county_report
    from exporters.report_web import FORMATS, report_html, report_xlsx
    from taizhang.clock import china_today

    if fmt not in FORMATS:
        fail(f"不支持的格式“{fmt}”，可选：{'、'.join(FORMATS)}")
    try:
        today = dt.date.fromisoformat(on) if on else china_today()
    except ValueError:
        fail(f"无法识别的统计日期“{on}”，请写成 2024-03-05")
    started = time.perf_counter()
    with boundary() as session:
        report = county_report(session, today=today)
    content = report_html(report).encode("utf-8") if fmt == "html" else report_xlsx(report)
    try:
        output.write_bytes(content)
    except OSError as exc:
        fail(f"无法写出 {output}：{exc}")
    elapsed = time.perf_counter() - started
    typer.echo(
        f"已生成 {output}（{len(report.units)} 个单位，统计日期 {today.isoformat()}，用时 {elapsed:.2f} 秒）"
    )


def register(app: typer.Typer) -> None:
    app.command("report")(report_command)
