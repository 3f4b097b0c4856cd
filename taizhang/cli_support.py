"""Shared pieces of the command line: the unit-of-work boundary, errors, JSON output."""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from taizhang.db import session_scope
from taizhang.errors import DomainError

JsonOption = typer.Option(False, "--json", help="以 JSON 输出")


def cli_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"错误：{message}", err=True)
    raise typer.Exit(code)


@contextmanager
def boundary(actor: str | None = None) -> Iterator[Session]:
    """A CLI command's transaction; domain and database errors become a message and exit code 2."""
    try:
        with session_scope(actor=actor or cli_actor()) as session:
            yield session
    except DomainError as exc:
        where = f"（字段：{exc.field}）" if exc.field else ""
        fail(f"{exc.message}{where}")
    except IntegrityError:
        fail("数据完整性冲突：记录重复，或被其他记录引用")
    except OperationalError as exc:
        fail(f"数据库不可用：{exc.orig}", code=3)


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


def print_table(rows: list[dict[str, Any]], columns: list[tuple[str, str]]) -> None:
    """Columns are (key, Chinese header); widths count CJK characters as two cells."""

    def width(text: str) -> int:
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)

    def pad(text: str, size: int) -> str:
        return text + " " * (size - width(text))

    cells = [[("" if r.get(k) is None else str(r.get(k))) for k, _ in columns] for r in rows]
    sizes = [max([width(h)] + [width(c[i]) for c in cells]) for i, (_, h) in enumerate(columns)]
    typer.echo("  ".join(pad(h, sizes[i]) for i, (_, h) in enumerate(columns)).rstrip())
    for c in cells:
        typer.echo("  ".join(pad(v, sizes[i]) for i, v in enumerate(c)).rstrip())
