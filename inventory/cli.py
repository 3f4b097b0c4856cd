"""``taizhang units|systems|hosts|… list|show`` for operators' scripts."""

from __future__ import annotations

from typing import Any

import typer

from inventory.entities import ALL_ENTITIES
from taizhang import crud
from taizhang.cli_support import JsonOption, boundary, print_json, print_table
from taizhang.crud import Entity
from taizhang.enums import LabeledEnum

_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "units": [("id", "编号"), ("code", "单位编码"), ("name", "单位名称"), ("kind", "类型")],
    "systems": [
        ("id", "编号"),
        ("catalogue_number", "目录编号"),
        ("name", "系统名称"),
        ("lifecycle", "生命周期"),
        ("mlps_level", "等保级别"),
        ("hosting", "部署位置"),
    ],
    "hosts": [
        ("id", "编号"),
        ("hostname", "主机名"),
        ("kind", "类型"),
        ("os_name", "操作系统"),
        ("os_version", "版本"),
        ("lifecycle", "状态"),
    ],
    "products": [
        ("id", "编号"),
        ("product_class", "类别"),
        ("vendor", "厂商"),
        ("model", "型号"),
        ("controllability", "安全可控"),
    ],
    "projects": [("id", "编号"), ("name", "项目名称"), ("kind", "建设性质"), ("total_budget", "总预算")],
}


def _labelled(row: dict[str, Any]) -> dict[str, Any]:
    def show(value: Any) -> Any:
        if isinstance(value, LabeledEnum):
            return value.label
        if isinstance(value, list):
            return "、".join(str(show(v)) for v in value)
        return value

    return {key: show(value) for key, value in row.items()}


def _entity_app(entity: Entity) -> typer.Typer:
    app = typer.Typer(help=f"{entity.label}：列表与详情", no_args_is_help=True)
    columns = _COLUMNS.get(
        entity.path,
        [("id", "编号")] + [(name, entity.label_of(name)) for name in list(entity.create.model_fields)[:4]],
    )

    @app.command("list", help=f"列出{entity.label}")
    def list_cmd(
        q: str = typer.Option(None, "--q", help="搜索"),
        limit: int = typer.Option(100, min=1, max=100000, help="最多条数"),
        as_json: bool = JsonOption,
    ) -> None:
        with boundary() as session:
            stmt = crud.list_query(entity, q=q).options(*entity.load_options).limit(limit)
            objs = [entity.read.model_validate(o) for o in session.execute(stmt).scalars()]
        if as_json:
            print_json([o.model_dump(mode="json") for o in objs])
        else:
            print_table([_labelled(o.model_dump()) for o in objs], columns)

    @app.command("show", help=f"显示一个{entity.label}")
    def show_cmd(object_id: int, as_json: bool = JsonOption) -> None:
        with boundary() as session:
            read = entity.read.model_validate(crud.get(session, entity, object_id))
        if as_json:
            print_json(read.model_dump(mode="json"))
        else:
            for key, value in _labelled(read.model_dump()).items():
                typer.echo(f"{entity.label_of(key)}：{value}")

    return app


def register(root: typer.Typer) -> None:
    for entity in ALL_ENTITIES:
        root.add_typer(_entity_app(entity), name=entity.path)
