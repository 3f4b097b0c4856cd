"""``taizhang user …``, ``taizhang token …`` and ``taizhang audit verify``."""

from __future__ import annotations

import datetime as dt

import typer
from sqlalchemy import select

from taizhang.auth import service
from taizhang.auth.roles import Role
from taizhang.cli_support import JsonOption, boundary, fail, print_json, print_table
from taizhang.db import utcnow

user_app = typer.Typer(help="用户管理", no_args_is_help=True)
token_app = typer.Typer(help="API 令牌", no_args_is_help=True)
audit_app = typer.Typer(help="变更日志审计", no_args_is_help=True)


def _role(value: str) -> Role:
    try:
        return Role.from_label(value)
    except ValueError as exc:
        fail(str(exc))


def _unit_ids(session: object, codes: list[str]) -> list[int]:
    from inventory.models import Unit

    ids = []
    for code in codes:
        unit_id = session.execute(select(Unit.id).where(Unit.code == code)).scalar_one_or_none()  # type: ignore[attr-defined]
        if unit_id is None:
            fail(f"单位编码“{code}”不存在")
        ids.append(unit_id)
    return ids


@user_app.command("add", help="新增用户")
def user_add(
    name: str,
    role: str = typer.Option(..., "--role", help="admin / ops / security / unit / auditor"),
    unit: list[str] = typer.Option([], "--unit", help="所属单位编码（可多次给出）"),
    password: str = typer.Option(None, "--password", help="口令（不给则只能用令牌登录）"),
    full_name: str = typer.Option("", "--full-name", help="姓名"),
) -> None:
    with boundary() as session:
        user = service.create_user(
            session,
            username=name,
            role=_role(role),
            password=password,
            unit_ids=_unit_ids(session, unit),
            full_name=full_name,
        )
        typer.echo(f"已新增用户 {user.username}（{user.role.label}）")


@user_app.command("list", help="列出用户")
def user_list(as_json: bool = JsonOption) -> None:
    with boundary() as session:
        rows = [
            {
                "username": u.username,
                "role": u.role.value,
                "role_label": u.role.label,
                "active": u.is_active,
                "units": ",".join(x.code for x in u.units),
            }
            for u in service.list_users(session)
        ]
    if as_json:
        print_json(rows)
    else:
        print_table(
            rows, [("username", "用户名"), ("role_label", "角色"), ("active", "启用"), ("units", "单位")]
        )


@user_app.command("disable", help="停用用户")
def user_disable(name: str) -> None:
    with boundary() as session:
        user = service.get_user(session, name)
        service.update_user(session, user, is_active=False)
    typer.echo(f"已停用用户 {name}")


@user_app.command("set-role", help="修改用户角色")
def user_set_role(
    name: str, role: str, unit: list[str] = typer.Option(None, "--unit", help="所属单位编码")
) -> None:
    with boundary() as session:
        user = service.get_user(session, name)
        unit_ids = _unit_ids(session, unit) if unit else None
        service.update_user(session, user, role=_role(role), unit_ids=unit_ids)
        if user.role is Role.UNIT and not user.units:
            fail("委办局用户必须至少属于一个单位（--unit）")
    typer.echo(f"已将 {name} 的角色改为 {_role(role).label}")


@token_app.command("create", help="为用户创建令牌；最后一行是令牌本身，只显示这一次")
def token_create(
    user: str = typer.Option(..., "--user", help="用户名"),
    days: int = typer.Option(90, "--days", min=0, help="有效天数（0 为不过期）"),
    description: str = typer.Option("", "--description", help="用途"),
) -> None:
    with boundary() as session:
        account = service.get_user(session, user)
        expires = utcnow() + dt.timedelta(days=days) if days else None
        token, plain = service.create_token(
            session, user=account, description=description, expires_at=expires
        )
        typer.echo(f"令牌编号 {token.key}，有效期至 {expires.date() if expires else '不过期'}")
    typer.echo(plain)


@token_app.command("revoke", help="吊销令牌")
def token_revoke(key: str) -> None:
    with boundary() as session:
        service.revoke_token(session, key=key.removeprefix(service.TOKEN_PREFIX).split(".")[0])
    typer.echo(f"已吊销令牌 {key}")


@audit_app.command("verify", help="校验变更日志哈希链，报告第一条被篡改或删除的记录")
def audit_verify(as_json: bool = JsonOption) -> None:
    from taizhang.changelog import verify_chain

    with boundary() as session:
        result = verify_chain(session)
    if as_json:
        print_json(
            {
                "ok": result.ok,
                "checked": result.checked,
                "bad_entry_id": result.bad_entry_id,
                "reason": result.reason,
            }
        )
    elif result.ok:
        typer.echo(f"变更日志完整：已校验 {result.checked} 条记录")
    if not result.ok:
        if not as_json:
            typer.echo(f"变更日志校验失败：{result.reason}", err=True)
        raise typer.Exit(1)


def register(root: typer.Typer) -> None:
    root.add_typer(user_app, name="user")
    root.add_typer(token_app, name="token")
    root.add_typer(audit_app, name="audit")
