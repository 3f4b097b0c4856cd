"""``taizhang import FILE [--dry-run]`` and ``taizhang export --format xlsx|csv --output FILE``."""

from __future__ import annotations

from pathlib import Path

import typer

from exporters.sheets import service
from exporters.sheets.importer import ImportResult
from taizhang.cli_support import JsonOption, boundary, fail, print_json, print_table


def import_command(
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, readable=True, help="xlsx、CSV 或 CSV 压缩包"
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="只检查不写入"),
    marked_copy: Path = typer.Option(
        None, "--marked-copy", help="有问题时把标注问题单元格的文件写到此处（默认与原文件同目录）"
    ),
    as_json: bool = JsonOption,
) -> None:
    """导入台账表格：任一行有问题则整体不写入，并列出全部问题。"""
    with boundary() as session:
        result = service.run_import(session, file, display_name=file.name, dry_run=dry_run)
    copy_path = None
    if not result.ok:
        copy_path = marked_copy or file.with_name(service.marked_copy_name(file.name))
        try:
            copy_path.write_bytes(service.marked_copy_bytes(file, result, file.name))
        except OSError as exc:
            typer.echo(f"无法写出标注文件 {copy_path}：{exc}", err=True)
            copy_path = None
    if as_json:
        print_json(result.summary() | {"marked_copy": str(copy_path) if copy_path else None})
    else:
        _print_result(result, copy_path)
    if not result.ok:
        raise typer.Exit(2)


def _print_result(result: ImportResult, copy_path: Path | None) -> None:
    if result.sheets:
        rows = [
            {
                "sheet": s.sheet,
                "entity": s.entity,
                "created": s.created,
                "updated": s.updated,
                "unchanged": s.unchanged,
            }
            for s in result.sheets
        ]
        columns = [
            ("sheet", "工作表"),
            ("entity", "类别"),
            ("created", "新增"),
            ("updated", "修改"),
            ("unchanged", "未变"),
        ]
        print_table(rows, columns)
    for sheet in result.sheets:
        if sheet.ignored_columns:
            typer.echo(f"工作表“{sheet.sheet}”中未识别、已忽略的列：{'、'.join(sheet.ignored_columns)}")
    if result.skipped_sheets:
        typer.echo(f"未识别、已跳过的工作表：{'、'.join(result.skipped_sheets)}")
    if not result.ok:
        typer.echo(service.refusal_message(result), err=True)
        for problem in result.problems:
            typer.echo(f"  {problem}", err=True)
        if copy_path:
            typer.echo(f"已标注问题单元格的文件：{copy_path}", err=True)
    elif result.dry_run:
        typer.echo("检查通过（--dry-run，未写入）")
    else:
        typer.echo("导入完成")


def export_command(
    output: Path = typer.Option(..., "--output", "-o", help="输出文件"),
    fmt: str = typer.Option("xlsx", "--format", help="xlsx，或 csv（每表一个 CSV 的 zip）"),
) -> None:
    """导出台账：每类一个工作表，中文表头，枚举列带下拉选项；修改后可再导入。"""
    from exporters.sheets.export import FORMATS, export_ledger

    if fmt not in FORMATS:
        fail(f"不支持的格式“{fmt}”，可选：{'、'.join(FORMATS)}")
    try:
        with output.open("wb") as target, boundary() as session:
            export_ledger(session, target, fmt=fmt)
    except OSError as exc:
        fail(f"无法写入 {output}：{exc}")
    typer.echo(f"已导出：{output}")


def register(root: typer.Typer) -> None:
    root.command("import", help="导入台账表格（xlsx、CSV UTF-8/GBK、CSV 压缩包）")(import_command)
    root.command("export", help="导出台账（xlsx 或 CSV 压缩包）")(export_command)
