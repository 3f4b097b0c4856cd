"""``taizhang migration plan|advance|status|show``: migration plans and progress from the shell."""

from __future__ import annotations

import datetime as dt
from typing import Any

import typer
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.models import System, Unit
from migration import schemas as s
from migration import service
from migration.choices import PlanState
from migration.entities import PLANS
from migration.machine import allowed_targets
from migration.models import MigrationPlan, Wave
from taizhang import crud
from taizhang.auth.principal import ALL
from taizhang.cli_support import JsonOption, boundary, fail, print_json, print_table
from taizhang.errors import NotFound

app = typer.Typer(help="上云迁移：迁移计划、状态推进与进度", no_args_is_help=True)


def _find(session: Session, model: Any, ref: str, column: Any, label: str) -> Any:
    """An object by id or by its natural key (catalogue number, unit code, wave name)."""
    stmt = select(model).where(column == ref)
    if ref.isdigit():
        stmt = select(model).where((model.id == int(ref)) | (column == ref))
    obj = session.execute(stmt.limit(1)).scalar_one_or_none()
    if obj is None:
        raise NotFound(f"{label}“{ref}”不存在")
    return obj


def _system(session: Session, ref: str) -> System:
    system: System = _find(session, System, ref, System.catalogue_number, "信息系统")
    return system


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(f"{option} 应为日期（如 2026-12-31），收到“{value}”")


def _validated(model: type[Any], data: dict[str, Any]) -> Any:
    try:
        return model(**data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        message = str(first.get("msg", "")).removeprefix("Value error, ")
        fail(message + (f"（字段：{where}）" if where else ""))


def _plan_row(plan: MigrationPlan) -> dict[str, Any]:
    read = s.PlanRead.model_validate(plan).model_dump(mode="json")
    read["allowed_transitions"] = [t.value for t in allowed_targets(plan.state, plan.held_from)]
    read["hosting"] = plan.system.hosting.value
    return read


def _echo_plan(plan: MigrationPlan) -> None:
    allowed = "、".join(t.label for t in allowed_targets(plan.state, plan.held_from)) or "无"
    typer.echo(f"迁移计划 {plan.id}：{plan.system.catalogue_number} {plan.system.name}")
    typer.echo(f"  当前状态：{plan.state.label}　部署位置：{plan.system.hosting.label}")
    typer.echo(
        f"  负责人：{plan.owner}　计划开始：{plan.planned_start or '—'}　计划割接：{plan.planned_cutover or '—'}"
    )
    typer.echo(f"  可转入：{allowed}")


@app.command("plan", help="为信息系统制定迁移计划，或修改已有计划（系统可用编号或目录编号）")
def plan_cmd(
    system_ref: str = typer.Argument(..., metavar="系统", help="信息系统编号或目录编号"),
    owner: str = typer.Option(None, "--owner", help="负责人（新建计划时必填）"),
    wave: str = typer.Option(None, "--wave", help="迁移批次（编号或名称）"),
    start: str = typer.Option(None, "--start", help="计划开始日期，如 2026-12-01"),
    cutover: str = typer.Option(None, "--cutover", help="计划割接日期，如 2027-03-31"),
    note: str = typer.Option(None, "--note", help="备注"),
    as_json: bool = JsonOption,
) -> None:
    with boundary() as session:
        system = _system(session, system_ref)
        data: dict[str, Any] = {
            "owner": owner,
            "wave_id": _find(session, Wave, wave, Wave.name, "迁移批次").id if wave else None,
            "planned_start": _date(start, "--start"),
            "planned_cutover": _date(cutover, "--cutover"),
            "note": note,
        }
        given = {k: v for k, v in data.items() if v is not None}
        existing = session.execute(
            select(MigrationPlan.id).where(MigrationPlan.system_id == system.id)
        ).scalar_one_or_none()
        if existing is None:
            if owner is None:
                fail("新建迁移计划须用 --owner 指定负责人")
            payload = _validated(s.PlanCreate, {"system_id": system.id, **given})
            created = crud.create(session, PLANS, payload)
            plan_id = created.id
        else:
            crud.update(session, PLANS, existing, _validated(s.PlanUpdate, given))
            plan_id = existing
        plan = service.get_plan(session, plan_id)
        row = _plan_row(plan)
        if not as_json:
            typer.echo("已新建迁移计划：" if existing is None else "已修改迁移计划：")
            _echo_plan(plan)
    if as_json:
        print_json(row)


@app.command("advance", help="推进迁移计划到下一步，或用 --to 转入指定状态（暂停、取消、回退）")
def advance_cmd(
    system_ref: str = typer.Argument(..., metavar="系统", help="信息系统编号或目录编号"),
    to: str = typer.Option(None, "--to", help="目标状态（取值或中文名，如 verification / 验证）"),
    note: str = typer.Option("", "--note", help="说明"),
    as_json: bool = JsonOption,
) -> None:
    target: PlanState | None = None
    if to is not None:
        try:
            target = PlanState.from_label(to)
        except ValueError as exc:
            fail(f"--to：{exc}")
    with boundary() as session:
        system = _system(session, system_ref)
        plan = service.plan_for_system(session, system.id)
        record = service.advance(session, plan, to=target, note=note)
        row = _plan_row(plan)
        moved = f"{record.from_state.label} → {record.to_state.label}"
        if not as_json:
            typer.echo(f"已变更：{moved}")
            _echo_plan(plan)
    if as_json:
        print_json(row)


@app.command("show", help="显示信息系统的迁移计划与状态变更记录")
def show_cmd(
    system_ref: str = typer.Argument(..., metavar="系统", help="信息系统编号或目录编号"),
    as_json: bool = JsonOption,
) -> None:
    with boundary() as session:
        plan = service.plan_for_system(session, _system(session, system_ref).id)
        row = _plan_row(plan)
        history = [
            s.TransitionRead.model_validate(t).model_dump(mode="json")
            for t in service.transitions_of(session, plan)
        ]
        if not as_json:
            _echo_plan(plan)
            typer.echo("状态变更记录：")
            labelled = [
                {
                    **h,
                    "from_state": PlanState(h["from_state"]).label,
                    "to_state": PlanState(h["to_state"]).label,
                }
                for h in history
            ]
            columns = [("at", "时间"), ("actor", "操作人"), ("from_state", "原状态"), ("to_state", "新状态")]
            print_table(labelled, [*columns, ("note", "说明")])
    if as_json:
        print_json({**row, "transitions": history})


_FIGURE_COLUMNS = [
    ("name", "名称"),
    ("in_scope", "应上云"),
    ("city_cloud", "已上云"),
    ("migrating", "迁移中"),
    ("legacy", "本地机房"),
    ("industry_cloud", "行业云"),
    ("exempt", "豁免"),
    ("overdue_cutovers", "割接逾期"),
    ("rate", "上云率"),
]


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


@app.command("status", help="上云进度：全县、分单位、分批次（可按单位、批次筛选）")
def status_cmd(
    unit: str = typer.Option(None, "--unit", help="单位（编号或单位编码）"),
    wave: str = typer.Option(None, "--wave", help="迁移批次（编号或名称）"),
    as_json: bool = JsonOption,
) -> None:
    with boundary() as session:
        unit_id = _find(session, Unit, unit, Unit.code, "单位").id if unit else None
        wave_id = _find(session, Wave, wave, Wave.name, "迁移批次").id if wave else None
        result = service.summary(
            session, scope=ALL, unit_id=unit_id, wave_id=wave_id, today=service.local_today()
        )
    data = result.as_dict()
    if as_json:
        print_json(data)
        return
    total = data["total"]
    typer.echo(f"上云进度（统计日期 {data['as_of']}）")
    typer.echo(
        f"  非涉密在用系统 {total['candidates']}，应上云 {total['in_scope']}（豁免 {total['exempt']}）；"
        f"已上市级政务云 {total['city_cloud']}，迁移中 {total['migrating']}，"
        f"本地机房 {total['legacy']}，行业云 {total['industry_cloud']}；"
        f"割接逾期 {total['overdue_cutovers']}；上云率 {_rate(total['cloud_rate'])}"
    )
    for title, groups in (("分单位", data["by_unit"]), ("分批次", data["by_wave"])):
        typer.echo(f"{title}：")
        print_table([{**g, "rate": _rate(g["cloud_rate"])} for g in groups], _FIGURE_COLUMNS)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="migration")
