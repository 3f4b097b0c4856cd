"""``taizhang supply …``: 替代率 figures, evidence gaps and end of support."""

from __future__ import annotations

import typer

from security.response.cli_options import parse_date, yes_no
from security.supply import eos, service
from taizhang.cli_support import JsonOption, boundary, print_json, print_table

app = typer.Typer(help="供应链安全可控：替代率、佐证缺失与到期、停止支持", no_args_is_help=True)
AS_OF = typer.Option(None, "--as-of", help="按该日期计算（YYYY-MM-DD，默认今天）")
WITHIN = typer.Option(None, "--within-days", min=0, max=3650, help="提前提示天数（默认取策略值）")


@app.command("summary", help="替代率 = 自主可控数量 ÷ 全部数量（按使用数量加权）")
def summary(
    group_by: str = typer.Option("unit", "--group-by", help="system / unit / product_class"),
    hardware: bool = typer.Option(False, "--hardware", help="同时统计硬件"),
    as_of: str = AS_OF,
    within_days: int = WITHIN,
    as_json: bool = JsonOption,
) -> None:
    with boundary() as session:
        figures = service.supply_chain_summary(
            session,
            group_by=group_by,
            today=parse_date(as_of),
            within_days=within_days,
            include_hardware=hardware,
        )
    rows = [f.as_dict() for f in [*figures, service.county_total(figures)]]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        rate = row["replacement_rate"]
        row["replacement_rate"] = "—" if rate is None else f"{rate * 100:.1f}%"
    print_table(
        rows,
        [
            ("label", "分组"),
            ("items", "数量"),
            ("controllable", "自主可控"),
            ("partial", "部分可控"),
            ("replacement_rate", "替代率"),
            ("without_evidence", "缺佐证"),
            ("evidence_expired", "佐证过期"),
            ("evidence_expiring", "即将到期"),
        ],
    )


@app.command("evidence-gaps", help="缺少佐证、佐证已过期或即将到期的在用产品")
def evidence_gaps(as_of: str = AS_OF, within_days: int = WITHIN, as_json: bool = JsonOption) -> None:
    with boundary() as session:
        rows = [
            g.as_dict()
            for g in service.evidence_gaps(session, today=parse_date(as_of), within_days=within_days)
        ]
    if as_json:
        print_json(rows)
        return
    labels = {"missing": "缺少佐证", "expired": "已过期", "expiring": "即将到期"}
    for row in rows:
        row["state"] = labels[row["state"]]
    print_table(
        rows,
        [
            ("product_id", "产品"),
            ("vendor", "厂商"),
            ("model", "型号"),
            ("state", "状态"),
            ("evidence_expiry", "到期日"),
            ("items", "数量"),
            ("systems", "系统数"),
        ],
    )


@app.command("eos-hosts", help="操作系统已停止或即将停止支持的主机")
def eos_hosts(
    as_of: str = AS_OF,
    within_days: int = WITHIN,
    without_plan: bool = typer.Option(False, "--without-plan", help="只列没有替代计划的主机"),
    as_json: bool = JsonOption,
) -> None:
    with boundary() as session:
        rows = eos.hosts_past_eos(session, today=parse_date(as_of), within_days=within_days)
    data = [r.as_dict() for r in rows if not without_plan or not r.has_plan]
    if as_json:
        print_json(data)
        return
    for row in data:
        row["has_plan"] = yes_no(row["has_plan"])
    print_table(
        data,
        [
            ("hostname", "主机"),
            ("product", "操作系统"),
            ("end_of_support", "停止支持"),
            ("state_label", "状态"),
            ("has_plan", "有替代计划"),
            ("replacement_plan", "替代计划"),
            ("replacement_date", "计划日期"),
        ],
    )


@app.command("eos-products", help="已停止或即将停止支持的在用产品")
def eos_products(as_of: str = AS_OF, within_days: int = WITHIN, as_json: bool = JsonOption) -> None:
    with boundary() as session:
        data = [
            r.as_dict()
            for r in eos.products_past_eos(session, today=parse_date(as_of), within_days=within_days)
        ]
    if as_json:
        print_json(data)
        return
    print_table(
        data,
        [
            ("product_id", "产品"),
            ("vendor", "厂商"),
            ("model", "型号"),
            ("end_of_support", "停止支持"),
            ("state_label", "状态"),
            ("items", "数量"),
            ("replacement_plan", "替代计划"),
        ],
    )


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="supply")
