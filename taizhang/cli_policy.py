"""CLI groups ``taizhang policy`` (the policy in force) and ``taizhang workdays`` (working-day arithmetic).

Mounted on the root CLI with ``add_typer``. Errors go to stderr in Chinese with exit code 2, never as a
traceback.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from datetime import date
from typing import Annotated, NoReturn

import typer

from taizhang.policy import PolicyError, get_policy
from taizhang.workdays import UnknownYearError, WorkdayTableError, get_calendar

__all__ = ["policy_app", "workdays_app"]

policy_app = typer.Typer(help="现行策略：各项期限、周期、阈值及其依据。", no_args_is_help=True)
workdays_app = typer.Typer(help="按中国工作日（含法定节假日与调休）计算期限。", no_args_is_help=True)

_EXIT_BAD_INPUT = 2
_SOURCE_LABELS = {"default": "默认", "county": "县级覆盖"}


def _fail(message: str) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(code=_EXIT_BAD_INPUT)


@policy_app.callback()
def _policy_group() -> None:
    """现行策略：各项期限、周期、阈值及其依据。"""


@policy_app.command("show")
def show_policy(
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False,
) -> None:
    """列出现行的全部策略项：取值、说明、依据，以及是否被县级策略文件覆盖。"""
    try:
        policy = get_policy()
    except PolicyError as exc:
        _fail(f"策略文件有误：{exc}")
    entries = policy.entries()
    if as_json:
        payload = {"version": policy.version, "entries": [entry.as_dict() for entry in entries]}
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    typer.echo(f"策略版本：{policy.version}")
    rows = [
        (entry.key, entry.display_value(), _SOURCE_LABELS[entry.source], entry.description, entry.citation)
        for entry in entries
    ]
    typer.echo(_table(("键", "取值", "来源", "说明", "依据"), rows))


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded by display width (CJK characters count two); the last column is not padded."""
    widths = [max(_width(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
    lines = []
    for row in [header, *rows]:
        cells = [cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(row[:-1])]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)


@workdays_app.callback()
def _workdays_group() -> None:
    """按中国工作日（含法定节假日与调休）计算期限。"""


def _parse_date(raw: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        _fail(f"日期格式无效：{raw!r}，应为 YYYY-MM-DD（如 2026-10-01）")


def _parse_count(raw: str) -> int:
    try:
        n = int(raw.strip())
    except ValueError:
        _fail(f"工作日数无效：{raw!r}，应为非负整数")
    if n < 0:
        _fail(f"工作日数不能为负数：{n}")
    return n


@workdays_app.command("add", context_settings={"ignore_unknown_options": True})
def add_workdays(
    start: Annotated[str, typer.Argument(metavar="DATE", help="起算日（不计入），YYYY-MM-DD")],
    n: Annotated[str, typer.Argument(metavar="N", help="工作日数")],
) -> None:
    """输出起算日之后第 N 个工作日（起算日不计入，民法典 第二百零一条）。"""
    start_date, count = _parse_date(start), _parse_count(n)
    try:
        result = get_calendar().add_workdays(start_date, count)
    except (UnknownYearError, WorkdayTableError) as exc:
        _fail(str(exc))
    typer.echo(result.isoformat())


@workdays_app.command("check")
def check_workday(
    day: Annotated[str, typer.Argument(metavar="DATE", help="日期，YYYY-MM-DD")],
) -> None:
    """判断某日是工作日还是休息日。"""
    target = _parse_date(day)
    try:
        is_workday = get_calendar().is_workday(target)
    except (UnknownYearError, WorkdayTableError) as exc:
        _fail(str(exc))
    typer.echo(f"{target.isoformat()} {'工作日' if is_workday else '休息日'}")
