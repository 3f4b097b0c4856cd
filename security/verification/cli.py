"""``taizhang verify``, ``taizhang checks list``, ``taizhang worker``, ``taizhang ansible-inventory``."""

from __future__ import annotations

import json
import time
from typing import Any

import typer
from sqlalchemy import select

from security.verification import service
from security.verification.catalogue import catalogue
from security.verification.inventory import Selection, inventory_for
from security.verification.models import CheckResult
from taizhang.cli_support import JsonOption, boundary, cli_actor, fail, print_json, print_table

checks_app = typer.Typer(help="主机核验检查项", no_args_is_help=True)


@checks_app.command("list", help="列出检查项目录")
def checks_list(as_json: bool = JsonOption) -> None:
    rows = [c.as_dict() for c in catalogue().values()]
    if as_json:
        print_json(rows)
        return
    print_table(
        [{**r, "severity": r["severity_label"], "os_families": "、".join(r["os_families"])} for r in rows],
        [
            ("id", "编号"),
            ("title", "检查项"),
            ("severity", "严重程度"),
            ("os_families", "适用系统"),
            ("requirement", "依据"),
        ],
    )


def verify(
    host: list[int] = typer.Option([], "--host", help="主机编号（可多次）"),
    system: list[int] = typer.Option([], "--system", help="系统编号（可多次）"),
    unit: list[int] = typer.Option([], "--unit", help="单位编号（可多次）"),
    check: list[str] = typer.Option([], "--check", help="检查项编号（可多次，默认全部）"),
    queue: bool = typer.Option(False, "--queue", help="只排队，由 taizhang worker 执行"),
    as_json: bool = JsonOption,
) -> None:
    """核验主机：按台账生成清单，运行只读剧本，记录每台主机每个检查项的结果。"""
    selection = Selection(host_ids=host, system_ids=system, unit_ids=unit, check_ids=check)
    with boundary() as session:
        run = service.enqueue_run(session, selection=selection, requested_by=cli_actor())
        run_id = run.id
    if queue:
        typer.echo(f"核验任务 {run_id} 已排队")
        return
    if service.run_next(worker=f"cli:{run_id}", run_id=run_id) is None:
        fail(f"核验任务 {run_id} 已被其他核验进程领取")
    with boundary() as session:
        run = service.get_run(session, run_id)
        results = list(
            session.execute(
                select(CheckResult)
                .where(CheckResult.run_id == run_id)
                .order_by(CheckResult.host_id, CheckResult.check_id)
            ).scalars()
        )
        rows: list[dict[str, Any]] = [
            {"host_id": r.host_id, "check_id": r.check_id, "outcome": r.outcome, "evidence": r.evidence}
            for r in results
        ]
        status, summary, message = run.status, run.summary, run.message
    if as_json:
        print_json({"run_id": run_id, "status": status.value, "summary": summary, "results": rows})
    else:
        print_table(
            [{**r, "outcome": r["outcome"].label} for r in rows],
            [("host_id", "主机"), ("check_id", "检查项"), ("outcome", "结果"), ("evidence", "证据")],
        )
        typer.echo(f"核验任务 {run_id}：{status.label} {message}".rstrip())
    if status.value not in ("succeeded",):
        raise typer.Exit(1)


def worker(
    once: bool = typer.Option(False, "--once", help="只处理队列中的一个任务"),
    poll_seconds: float = typer.Option(5.0, "--poll-seconds", min=0.2, help="队列为空时的轮询间隔"),
) -> None:
    """核验进程：领取排队的核验任务并执行（可在多台机器上运行多个）。"""
    name = service.default_worker_name()
    typer.echo(f"核验进程 {name} 已启动")
    while True:
        run_id = service.run_next(worker=name)
        if run_id is not None:
            typer.echo(f"核验任务 {run_id} 已执行完毕")
        if once:
            return
        if run_id is None:
            time.sleep(poll_seconds)


def ansible_inventory(
    list_: bool = typer.Option(False, "--list", help="输出全部清单（JSON）"),
    host: str = typer.Option(None, "--host", help="单台主机的变量（已包含在 --list 的 _meta 中）"),
) -> None:
    """Ansible 动态清单：按单位、系统、等保级别、部署位置分组。"""
    if not list_ and host is None:
        fail("请指定 --list 或 --host 主机名")
    with boundary() as session:
        data = inventory_for(session, Selection())
    if host is not None:
        typer.echo(json.dumps(data["_meta"]["hostvars"].get(host, {}), ensure_ascii=False, indent=2))
        return
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def register(root: typer.Typer) -> None:
    root.add_typer(checks_app, name="checks")
    root.command("verify")(verify)
    root.command("worker")(worker)
    root.command("ansible-inventory")(ansible_inventory)
