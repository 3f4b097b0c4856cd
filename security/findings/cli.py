"""``taizhang check``, ``taizhang rules list`` and ``taizhang findings list|export|worker``."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.models import System, Unit
from security.findings import service, triggers  # noqa: F401  (triggers: queue re-evaluations on writes)
from security.findings.choices import FindingState
from security.findings.models import Finding
from security.findings.rules import all_rules
from taizhang.cli_support import JsonOption, boundary, fail, print_json, print_table
from taizhang.clock import china_now, china_today
from taizhang.errors import Invalid

rules_app = typer.Typer(help="合规规则", no_args_is_help=True)
findings_app = typer.Typer(help="合规问题：列表、导出、后台检查", no_args_is_help=True)

_FINDING_COLUMNS = [
    ("id", "编号"),
    ("severity", "严重程度"),
    ("state", "状态"),
    ("citation", "依据"),
    ("unit_name", "单位"),
    ("subject_name", "对象"),
    ("message", "问题描述"),
    ("due_date", "整改期限"),
]


def _parse_date(value: str | None) -> dt.date:
    if not value:
        return china_today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(f"日期格式应为 YYYY-MM-DD：{value}")


def _unit_id(session: Session, unit: str | None) -> int | None:
    if unit is None:
        return None
    column = Unit.id if unit.isdigit() else Unit.code
    value: Any = int(unit) if unit.isdigit() else unit
    found = session.execute(select(Unit.id).where(column == value)).scalar_one_or_none()
    if found is None:
        raise Invalid(f"单位“{unit}”不存在（可填单位编号或单位编码）", field="--unit")
    return found


def _rows(
    session: Session, *, unit_id: int | None, system_id: int | None, state: FindingState | None
) -> list[dict[str, Any]]:
    stmt = service.finding_query(unit_id=unit_id, system_id=system_id, state=state)
    if state is None:
        stmt = stmt.where(Finding.state.in_(service.LIVE_STATES))
    return service.export_rows(session, session.execute(stmt).scalars())


def check(
    unit: str = typer.Option(None, "--unit", help="只显示该单位（编号或编码）的问题"),
    system: int = typer.Option(None, "--system", help="只检查并显示该信息系统"),
    on: str = typer.Option(None, "--date", help="按该日期判定（默认今天，YYYY-MM-DD）"),
    as_json: bool = JsonOption,
) -> None:
    """检查台账是否符合管理办法，登记并显示未整改与已豁免的问题。"""
    from security.findings.engine import evaluate
    from security.findings.triggers import claim_pending

    today = _parse_date(on)
    with boundary() as session:
        unit_id = _unit_id(session, unit)
        if system is not None and session.get(System, system) is None:
            raise Invalid(f"信息系统 {system} 不存在", field="--system")
        if system is None:
            claim_pending(session)  # a whole-ledger run answers every queued request
        report = evaluate(session, today=today, system_ids=None if system is None else [system])
        rows = _rows(session, unit_id=unit_id, system_id=system, state=None)
    if as_json:
        print_json({"report": report.as_dict(), "findings": rows})
        if report.errors:
            raise typer.Exit(1)
        return
    print_table(rows, _FINDING_COLUMNS)
    typer.echo(
        f"检查完成（{report.today}，{report.rules} 条规则，用时 {report.seconds:.2f} 秒）："
        f"新发现 {report.created}，重新出现 {report.reopened}，已解决 {report.resolved}，"
        f"显示 {len(rows)} 项"
    )
    for rule_id, error in report.errors.items():
        typer.echo(f"规则 {rule_id} 未能执行（其已有问题保持不变）：{error}", err=True)
    if report.errors:
        raise typer.Exit(1)


@rules_app.command("list", help="列出全部合规规则及其依据")
def list_rules(as_json: bool = JsonOption) -> None:
    rules = [r.as_dict() for r in all_rules()]
    if as_json:
        print_json(rules)
        return
    shown = [{**r, "severity": r["severity_label"]} for r in rules]
    print_table(shown, [("id", "规则"), ("severity", "严重程度"), ("citation", "依据"), ("title", "名称")])


@findings_app.command("list", help="列出合规问题（默认：未整改与已豁免）")
def list_findings(
    unit: str = typer.Option(None, "--unit", help="单位编号或编码"),
    system: int = typer.Option(None, "--system", help="信息系统编号"),
    state: FindingState = typer.Option(None, "--state", help="状态：open / waived / resolved"),
    as_json: bool = JsonOption,
) -> None:
    with boundary() as session:
        rows = _rows(session, unit_id=_unit_id(session, unit), system_id=system, state=state)
    if as_json:
        print_json(rows)
    else:
        print_table(rows, _FINDING_COLUMNS)


@findings_app.command("export", help="导出合规问题为 CSV（Excel 可直接打开）")
def export_findings(
    output: Path = typer.Option(..., "--output", "-o", help="输出文件"),
    unit: str = typer.Option(None, "--unit", help="单位编号或编码"),
    state: FindingState = typer.Option(None, "--state", help="状态"),
) -> None:
    with boundary() as session:
        stmt = service.finding_query(unit_id=_unit_id(session, unit), state=state)
        rows = service.export_rows(session, session.execute(stmt).scalars())
    try:
        output.write_text(service.to_csv(rows), encoding="utf-8")
    except OSError as exc:
        fail(f"无法写入 {output}：{exc}")
    typer.echo(f"已导出 {len(rows)} 项到 {output}")


@findings_app.command("worker", help="处理检查队列，并每天检查一次全部台账")
def worker(
    once: bool = typer.Option(False, "--once", help="处理一次后退出"),
    interval: float = typer.Option(30.0, "--interval", min=1.0, help="轮询间隔（秒）"),
) -> None:
    from security.findings.background import EvaluationPump

    pump = EvaluationPump()
    while True:
        result = pump.run_once()
        if result is not None:
            typer.echo(
                f"{china_now().isoformat(timespec='seconds')} 检查完成：请求 {result['requests']} 个，"
                f"新发现 {result['created']}，已解决 {result['resolved']}，用时 {result['seconds']} 秒"
            )
        if once:
            return
        time.sleep(interval)


def register(root: typer.Typer) -> None:
    root.command("check", help="按管理办法及国家规定逐条检查台账，登记并显示问题")(check)
    root.add_typer(rules_app, name="rules")
    root.add_typer(findings_app, name="findings")
