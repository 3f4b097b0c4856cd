"""The ``taizhang`` command: the root that joins every domain's command group."""

from __future__ import annotations

from pathlib import Path

import typer

from taizhang import __version__
from taizhang.cli_support import JsonOption, boundary, fail, print_json, print_table

app = typer.Typer(
    help="taizhang 台账：县级政务信息系统台账与合规管理",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root(
    database: str = typer.Option(
        None, "--database", envvar="TAIZHANG_DATABASE_URL", help="数据库地址（默认 sqlite:///taizhang.db）"
    ),
) -> None:
    from taizhang.settings import SettingsError, get_settings, reset_settings_cache

    try:
        settings = get_settings()
    except SettingsError as exc:  # a bad TAIZHANG_* variable: its message, not a traceback
        fail(str(exc))
    if database and database != settings.database_url:
        import os

        from taizhang.db import set_engine

        os.environ["TAIZHANG_DATABASE_URL"] = database
        reset_settings_cache()
        set_engine(None)


@app.command(help="创建或升级数据库结构")
def init() -> None:
    from taizhang.schema import current_revision, upgrade
    from taizhang.settings import get_settings

    try:
        upgrade()
    except Exception as exc:  # a CLI never shows a traceback for a bad URL or an unreachable server
        fail(f"数据库初始化失败：{exc}", code=3)
    url = get_settings().database_url
    shown = url.split("@")[-1] if "@" in url else url
    typer.echo(f"数据库已就绪：{shown}（结构版本 {current_revision()}）")


@app.command(help="启动 Web 与 API 服务")
def serve(
    host: str = typer.Option("127.0.0.1", help="监听地址"),
    port: int = typer.Option(8000, help="端口"),
    workers: int = typer.Option(1, min=1, max=64, help="进程数"),
) -> None:
    import uvicorn

    uvicorn.run("taizhang.asgi:app", host=host, port=port, workers=workers, log_level="info")


@app.command(help="单独运行 Prometheus 指标服务（只提供 /metrics）")
def exporter(
    host: str = typer.Option("127.0.0.1", help="监听地址"),
    port: int = typer.Option(9464, help="端口"),
) -> None:
    import uvicorn

    uvicorn.run("exporters.prometheus.app:app", host=host, port=port, log_level="warning")


@app.command(help="载入示例县（襄汾县）的数据；可重复执行")
def demo(as_json: bool = JsonOption) -> None:
    from inventory.demo import load_demo
    from migration.demo import load_demo as load_migration_demo
    from security.evidence import demo as evidence_demo
    from security.findings.demo import load_demo as load_findings_demo
    from security.grading.demo import load_demo as load_security_grading_demo
    from security.response import demo as response_demo
    from security.supply import demo as supply_demo

    with boundary(actor="demo") as session:
        report = load_demo(session)
        report["counts"].update(load_migration_demo(session))
        report["counts"].update(load_security_grading_demo(session))
        for load_part in (response_demo.load_demo, supply_demo.load_demo, evidence_demo.load_demo):
            report["counts"].update(load_part(session))
        report["counts"].update(load_findings_demo(session))
    if as_json:
        print_json(report)
        return
    typer.echo("示例数据已载入：")
    for key, value in report["counts"].items():
        typer.echo(f"  {key}：{value}")
    if report.get("users"):
        typer.echo("示例用户（用户名 / 口令 / 角色）：")
        for user in report["users"]:
            typer.echo(f"  {user['username']} / {user['password']} / {user['role']}")
    typer.echo("浏览器打开 http://127.0.0.1:8000/ 登录；API 文档见 http://127.0.0.1:8000/api/docs")


@app.command(help="备份数据库（SQLite 在线备份；PostgreSQL 使用 pg_dump）")
def backup(output: Path = typer.Option(..., "--output", help="备份文件路径")) -> None:
    from taizhang import backup as backups
    from taizhang.errors import DomainError
    from taizhang.settings import get_settings

    try:
        path = backups.backup(get_settings().database_url, output)
    except DomainError as exc:
        fail(exc.message)
    typer.echo(f"已备份到 {path}（{path.stat().st_size} 字节）")


@app.command(help="从备份恢复数据库（会覆盖当前数据，请先停止服务）")
def restore(
    source: Path = typer.Argument(..., help="备份文件"),
    yes: bool = typer.Option(False, "--yes", help="确认覆盖当前数据库"),
) -> None:
    from taizhang import backup as backups
    from taizhang.db import set_engine
    from taizhang.errors import DomainError
    from taizhang.settings import get_settings

    if not yes:
        fail("恢复会覆盖当前数据库中的全部数据；确认无误后加 --yes 重新执行")
    set_engine(None)  # release pooled connections before the file is replaced
    try:
        backups.restore(get_settings().database_url, source)
    except DomainError as exc:
        fail(exc.message)
    typer.echo(f"已从 {source} 恢复")


@app.command(help="显示版本")
def version() -> None:
    typer.echo(__version__)


def _register() -> None:
    import exporters.report_cli
    import exporters.sheets.cli
    import inventory.cli
    import migration.cli
    import security.evidence.cli
    import security.findings.cli
    import security.grading.cli
    import security.response.cli
    import security.supply.cli
    import security.verification.cli
    from taizhang import cli_policy
    from taizhang.auth import cli as auth_cli

    inventory.cli.register(app)
    migration.cli.register(app)
    security.grading.cli.register(app)
    security.response.cli.register(app)
    security.supply.cli.register(app)
    security.evidence.cli.register(app)
    from inventory.netbox.cli import app as netbox_app

    app.add_typer(netbox_app, name="netbox")
    auth_cli.register(app)
    security.findings.cli.register(app)
    security.verification.cli.register(app)
    exporters.sheets.cli.register(app)
    exporters.report_cli.register(app)
    app.add_typer(cli_policy.policy_app, name="policy")
    app.add_typer(cli_policy.workdays_app, name="workdays")


_register()


def main() -> None:
    app()


__all__ = ["app", "main", "print_table"]


if __name__ == "__main__":
    main()
