"""``taizhang netbox sync|push``: infrastructure in from NetBox, the compliance view back out."""

from __future__ import annotations

from typing import Any

import typer

from inventory.choices import UnitKind
from inventory.netbox import sync as sync_service
from inventory.netbox.client import NetboxClient, NetboxError
from inventory.netbox.push import push as push_service
from taizhang.cli_support import JsonOption, boundary, fail, print_json
from taizhang.settings import get_settings

app = typer.Typer(help="NetBox：同步机柜、设备与虚拟机，回写合规状态", no_args_is_help=True)

UrlOption = typer.Option(None, "--url", help="NetBox 地址（默认取 TAIZHANG_NETBOX_URL）")
TokenOption = typer.Option(
    None,
    "--token",
    help="NetBox API 令牌，v1 或 v2（nbt_…）（默认取 TAIZHANG_NETBOX_TOKEN）",
    show_default=False,
)


def make_client(url: str | None, token: str | None) -> NetboxClient:
    settings = get_settings()
    setting = "--url" if url else "TAIZHANG_NETBOX_URL"
    url = url or settings.netbox_url
    if not url:
        fail("未配置 NetBox 地址：请设置 TAIZHANG_NETBOX_URL 或使用 --url")
    secret = token or (settings.netbox_token.get_secret_value() if settings.netbox_token else None)
    if not secret:
        fail("未配置 NetBox 令牌：请设置 TAIZHANG_NETBOX_TOKEN 或使用 --token")
    try:
        return NetboxClient(
            url,
            secret,
            page_size=settings.netbox_page_size,
            timeout=settings.netbox_timeout,
            retries=settings.netbox_retries,
            setting=setting,
        )
    except NetboxError as exc:
        fail(exc.message)


def sync_options() -> sync_service.SyncOptions:
    settings = get_settings()
    if settings.netbox_unit_source not in ("tenant", "tenant_group"):
        fail(
            f"TAIZHANG_NETBOX_UNIT_SOURCE 只能是 tenant 或 tenant_group，当前为 {settings.netbox_unit_source}"
        )
    try:
        unit_kind = UnitKind(settings.netbox_unit_kind)
    except ValueError:
        fail(
            f"TAIZHANG_NETBOX_UNIT_KIND 无效：{settings.netbox_unit_kind}（可选 {', '.join(k.value for k in UnitKind)}）"
        )
    return sync_service.SyncOptions(
        unit_source=settings.netbox_unit_source,
        unit_kind=unit_kind,
        tag_prefix=settings.netbox_system_tag_prefix,
        system_field=settings.netbox_system_field,
        retired_statuses=tuple(settings.netbox_retired_statuses),
    )


def _show(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "（空）"
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return str(value)


def print_sync(result: sync_service.SyncResult) -> None:
    marks = {"new": "+", "changed": "~", "retired": "-"}
    for change in result.changes:
        kind = sync_service.KIND_LABELS[change.object_kind]
        typer.echo(
            f"{marks[change.action]} {sync_service.ACTION_LABELS[change.action]}{kind} {change.key}（NetBox #{change.netbox_id}）"
        )
        for name, pair in change.as_dict()["fields"].items():
            old, new = pair["old"], pair["new"]
            typer.echo(f"    {name}：{_show(old)} → {_show(new)}")
    for warning in result.warnings:
        typer.echo(f"! {warning}")
    counts = result.counts()
    mode = "增量" if any(result.incremental.values()) else "全量"
    head = "预览（未写入）" if result.dry_run else "已同步"
    seen = "，".join(f"{sync_service.KIND_LABELS[k]} {n}" for k, n in result.seen.items())
    typer.echo(
        f"{head}（{mode}；NetBox 中 {seen}）：新增 {counts['new']}，变更 {counts['changed']}，下线 {counts['retired']}，警告 {len(result.warnings)}"
    )


@app.command("sync", help="从 NetBox 同步单位与主机；--dry-run 只显示差异")
def sync_cmd(
    dry_run: bool = typer.Option(False, "--dry-run", help="只显示新增、变更、下线，不写入"),
    full: bool = typer.Option(False, "--full", help="全量同步（默认在首次之后只取变更）"),
    then_push: bool = typer.Option(False, "--push", help="同步后回写合规状态到 NetBox 自定义字段"),
    url: str = UrlOption,
    token: str = TokenOption,
    as_json: bool = JsonOption,
) -> None:
    client = make_client(url, token)
    options = sync_options()
    with boundary() as session:
        result = sync_service.sync(session, client, options, dry_run=dry_run, full=full)
        if dry_run:
            session.rollback()
    if as_json:
        print_json(result.as_dict())
    else:
        print_sync(result)
    if then_push and not dry_run:
        push_cmd(dry_run=False, url=url, token=token, as_json=as_json)


@app.command("push", help="把部署位置、等保级别等写入 NetBox 自定义字段（按需创建字段）")
def push_cmd(
    dry_run: bool = typer.Option(False, "--dry-run", help="只显示将写入的值"),
    url: str = UrlOption,
    token: str = TokenOption,
    as_json: bool = JsonOption,
) -> None:
    from security.findings.compliance import host_compliance  # open findings and last verification

    client = make_client(url, token)
    with boundary() as session:
        result = push_service(session, client, provider=host_compliance, dry_run=dry_run)
    if as_json:
        print_json(result.as_dict())
        return
    for change in result.changes:
        typer.echo(f"~ {change['hostname']}（NetBox #{change['netbox_id']}）：{change['fields']}")
    if result.created_fields:
        typer.echo(f"{'将创建' if dry_run else '已创建'}自定义字段：{'、'.join(result.created_fields)}")
    for hostname in result.missing:
        typer.echo(f"! {hostname}：NetBox 中已不存在，未回写（下次同步会标记为已下线）")
    updated = sum(result.updated.values())
    typer.echo(
        f"{'预览（未写入）' if dry_run else '已回写'}：更新 {updated} 台，无变化 {result.unchanged} 台"
    )
