"""Backups: SQLite through its online backup API, PostgreSQL through pg_dump / pg_restore."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from taizhang.errors import Invalid, Unavailable

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


def _sqlite_path(url: URL) -> Path:
    if not url.database:
        raise Invalid("SQLite 数据库地址缺少文件路径")
    return Path(url.database)


def _pg_env(url: URL) -> tuple[list[str], dict[str, str]]:
    args = []
    if url.host:
        args += ["-h", url.host]
    if url.port:
        args += ["-p", str(url.port)]
    if url.username:
        args += ["-U", url.username]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return args, env


def _run(command: list[str], env: dict[str, str] | None = None) -> None:
    tool = command[0]
    if shutil.which(tool) is None:
        raise Unavailable(f"找不到 {tool}：请安装与服务器版本一致的 PostgreSQL 客户端（postgresql-client）")
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=3600)
    if result.returncode != 0:
        raise Unavailable(f"{tool} 执行失败：{result.stderr.strip()[:500]}")


def backup(database_url: str, output: Path) -> Path:
    """Write a consistent copy of the database to ``output`` while it may be in use."""
    url = make_url(database_url)
    output.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        source_path = _sqlite_path(url)
        if not source_path.exists():
            raise Invalid(f"数据库文件不存在：{source_path}")
        tmp = output.with_suffix(output.suffix + ".partial")
        tmp.unlink(missing_ok=True)
        with sqlite3.connect(source_path) as source, sqlite3.connect(tmp) as target:
            source.backup(target)
        tmp.replace(output)
        return output
    if url.get_backend_name() == "postgresql":
        args, env = _pg_env(url)
        _run(["pg_dump", "-Fc", "--no-owner", "-f", str(output), *args, url.database or ""], env)
        return output
    raise Invalid(f"不支持的数据库类型：{url.get_backend_name()}")


def restore(database_url: str, source: Path) -> None:
    """Replace the database's contents with a backup made by :func:`backup` (stop the service first)."""
    if not source.is_file():
        raise Invalid(f"备份文件不存在：{source}")
    head = source.read_bytes()[:16]
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if not head.startswith(SQLITE_MAGIC):
            raise Invalid(f"{source} 不是 SQLite 备份文件")
        target_path = _sqlite_path(url)
        with sqlite3.connect(source) as backup_db, sqlite3.connect(target_path) as target:
            backup_db.backup(target)
        return
    if url.get_backend_name() == "postgresql":
        if not head.startswith(PGDUMP_MAGIC):
            raise Invalid(f"{source} 不是 pg_dump 自定义格式的备份文件")
        args, env = _pg_env(url)
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "-d",
                url.database or "",
                *args,
                str(source),
            ],
            env,
        )
        return
    raise Invalid(f"不支持的数据库类型：{url.get_backend_name()}")
