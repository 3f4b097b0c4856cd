"""``taizhang mlps …``, ``taizhang crypto …``, ``taizhang risk …``: the records and their due dates.

Every record type has ``list``, ``show``, ``add``, ``update`` and ``delete``; fields are given as
``KEY=VALUE`` (enum fields accept the value or the Chinese label, ``KEY=`` clears a field), and
``--system`` takes a system id or catalogue number. ``status`` prints the computed due dates.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from typing import Any

import typer
from pydantic import BaseModel, ValidationError
from sqlalchemy import select

from inventory.models import System
from security.grading import entities as e
from security.grading import service
from security.grading.status import SecurityStatus, problem_labels
from taizhang import crud
from taizhang.cli_support import JsonOption, boundary, fail, print_json, print_table
from taizhang.crud import Entity
from taizhang.enums import LabeledEnum

SystemOption = typer.Option(None, "--system", help="信息系统（编号或目录编号）")
TodayOption = typer.Option(None, "--today", help="计算基准日 YYYY-MM-DD（默认为北京时间今天）")


def _resolve_system(session: Any, ref: str) -> int:
    stmt = select(System.id).where(System.catalogue_number == ref)
    if ref.isdigit():
        stmt = select(System.id).where((System.id == int(ref)) | (System.catalogue_number == ref))
    found = session.execute(stmt).scalars().first()
    if found is None:
        fail(f"信息系统“{ref}”不存在（--system 可填编号或目录编号）")
    return found


def _enum_of(annotation: Any) -> type[LabeledEnum] | None:
    candidates = typing.get_args(annotation) if isinstance(annotation, types.UnionType) else (annotation,)
    for candidate in candidates:
        if isinstance(candidate, type) and issubclass(candidate, LabeledEnum):
            return candidate
    return None


def parse_fields(schema: type[BaseModel], pairs: list[str]) -> dict[str, Any]:
    """``["level=3", "status=已定级"]`` → ``{"level": "3", "status": GradingStatus.FINAL}``."""
    data: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            fail(f"参数“{pair}”应为 字段=值 的形式")
        info = schema.model_fields.get(key)
        if info is None:
            fail(f"未知的字段“{key}”，可用字段：{'、'.join(schema.model_fields)}")
        if value == "":
            data[key] = None
            continue
        enum_cls = _enum_of(info.annotation)
        if enum_cls is not None:
            try:
                data[key] = enum_cls.from_label(value)
            except ValueError as exc:
                fail(f"字段 {key}：{exc}")
        else:
            data[key] = value
    return data


def _validated(schema: type[BaseModel], data: dict[str, Any]) -> BaseModel:
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        fail(f"字段 {where}：{first['msg']}（收到 {first.get('input')!r}）")


def _labelled(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.label if isinstance(v, LabeledEnum) else v) for k, v in row.items()}


def _entity_app(entity: Entity, columns: list[tuple[str, str]]) -> typer.Typer:
    app = typer.Typer(help=f"{entity.label}：列表、详情、登记、修改、删除", no_args_is_help=True)
    register_entity_commands(app, entity, columns)
    return app


def register_entity_commands(app: typer.Typer, entity: Entity, columns: list[tuple[str, str]]) -> None:
    @app.command("list", help=f"列出{entity.label}")
    def list_cmd(
        system: str = SystemOption,
        limit: int = typer.Option(100, min=1, max=100000, help="最多条数"),
        as_json: bool = JsonOption,
    ) -> None:
        with boundary() as session:
            filters = {"system_id": _resolve_system(session, system)} if system else {}
            stmt = crud.list_query(entity, filters=filters).limit(limit)
            rows = [entity.read.model_validate(o) for o in session.execute(stmt).scalars()]
        if as_json:
            print_json([r.model_dump(mode="json") for r in rows])
        else:
            print_table([_labelled(r.model_dump()) for r in rows], columns)

    @app.command("show", help=f"显示一条{entity.label}")
    def show_cmd(object_id: int, as_json: bool = JsonOption) -> None:
        with boundary() as session:
            read = entity.read.model_validate(crud.get(session, entity, object_id))
        _print_one(entity, read, as_json)

    @app.command("add", help=f"登记{entity.label}：字段=值 …")
    def add_cmd(
        fields: list[str] = typer.Argument(None, help="字段=值"),
        system: str = SystemOption,
        as_json: bool = JsonOption,
    ) -> None:
        with boundary() as session:
            data = parse_fields(entity.create, fields or [])
            if system:
                data["system_id"] = _resolve_system(session, system)
            obj = crud.create(session, entity, _validated(entity.create, data))
            read = entity.read.model_validate(obj)
        _print_one(entity, read, as_json, title=f"已登记{entity.label} {read.id}")  # type: ignore[attr-defined]

    @app.command("update", help=f"修改{entity.label}：编号 字段=值 …")
    def update_cmd(
        object_id: int, fields: list[str] = typer.Argument(None, help="字段=值"), as_json: bool = JsonOption
    ) -> None:
        with boundary() as session:
            payload = _validated(entity.update, parse_fields(entity.update, fields or []))
            read = entity.read.model_validate(crud.update(session, entity, object_id, payload))
        _print_one(entity, read, as_json, title=f"已修改{entity.label} {object_id}")

    @app.command("delete", help=f"删除{entity.label}")
    def delete_cmd(object_id: int) -> None:
        with boundary() as session:
            crud.delete(session, entity, object_id)
        typer.echo(f"已删除{entity.label} {object_id}")


def _print_one(entity: Entity, read: BaseModel, as_json: bool, title: str | None = None) -> None:
    if as_json:
        print_json(read.model_dump(mode="json"))
        return
    if title:
        typer.echo(title)
    for key, value in _labelled(read.model_dump()).items():
        typer.echo(f"{entity.label_of(key)}：{'' if value is None else value}")


# --- status ----------------------------------------------------------------------------------


def _mlps_row(row: SecurityStatus) -> dict[str, Any]:
    m = row.mlps
    return {
        "level": m.level,
        "filing": f"已备案 {m.filed_on}" if m.filed_on else m.filing_deadline,
        "valid_until": m.certificate_valid_until,
        "next_assessment": m.next_assessment_due,
        "conclusion": m.last_conclusion.label if m.last_conclusion else "",
        "next_self_check": m.next_self_check_due,
    }


def _crypto_row(row: SecurityStatus) -> dict[str, Any]:
    c = row.crypto
    return {
        "level": c.level,
        "in_scope": "是" if c.in_scope else "否",
        "last": c.last_assessment_on,
        "conclusion": c.last_conclusion.label if c.last_conclusion else "",
        "next": c.next_assessment_due,
        "filing": f"已备案 {c.result_filed_on}" if c.result_filed_on else c.result_filing_deadline,
    }


def _risk_row(row: SecurityStatus) -> dict[str, Any]:
    r = row.risk
    counts = "" if r.never_assessed else f"{r.high_count}/{r.medium_count}/{r.low_count}"
    return {"last": r.last_assessment_on, "counts": counts, "next": r.next_assessment_due}


_HEAD = [("catalogue_number", "目录编号"), ("name", "系统名称")]
_VIEWS: dict[str, tuple[Any, list[tuple[str, str]]]] = {
    "mlps": (
        _mlps_row,
        [
            ("level", "等级"),
            ("filing", "备案（期限）"),
            ("valid_until", "证明有效期至"),
            ("next_assessment", "下次测评"),
            ("conclusion", "最近结论"),
            ("next_self_check", "下次自查"),
        ],
    ),
    "crypto": (
        _crypto_row,
        [
            ("level", "等级"),
            ("in_scope", "须密评"),
            ("last", "最近密评"),
            ("conclusion", "结论"),
            ("next", "下次密评"),
            ("filing", "结果备案（期限）"),
        ],
    ),
    "risk": (_risk_row, [("last", "最近评估"), ("counts", "高/中/低"), ("next", "下次评估")]),
}


def status_command(app: typer.Typer, part: str, help_text: str) -> None:
    to_row, columns = _VIEWS[part]

    @app.command("status", help=help_text)
    def status_cmd(
        system: str = typer.Argument(None, help="信息系统（编号或目录编号）；不填为全部"),
        today: str = TodayOption,
        problems_only: bool = typer.Option(False, "--problems", help="只列出有逾期或到期问题的系统"),
        as_json: bool = JsonOption,
    ) -> None:
        day = _parse_day(today)
        with boundary() as session:
            ids = [_resolve_system(session, system)] if system else None
            rows = service.security_statuses(session, today=day, system_ids=ids)
        if problems_only:
            rows = [r for r in rows if problem_labels(r, (part,))]
        if as_json:
            print_json(
                [
                    {
                        **r.model_dump(
                            mode="json", include={"system_id", "catalogue_number", "name", "today"}
                        ),
                        part: getattr(r, part).model_dump(mode="json"),
                    }
                    for r in rows
                ]
            )
            return
        table = [
            {
                "catalogue_number": r.catalogue_number,
                "name": r.name,
                **to_row(r),
                "problems": "、".join(problem_labels(r, (part,))),
            }
            for r in rows
        ]
        print_table(table, [*_HEAD, *columns, ("problems", "问题")])


def _parse_day(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(f"--today：“{text}”不是有效日期（应为 YYYY-MM-DD）")


# --- groups ----------------------------------------------------------------------------------

_COMMON = [("id", "编号"), ("system_id", "系统")]

mlps_app = typer.Typer(help="等级保护：定级、备案、等级测评、自查、整改与期限", no_args_is_help=True)
crypto_app = typer.Typer(help="商用密码应用安全性评估：密码应用方案、密评与期限", no_args_is_help=True)
risk_app = typer.Typer(help="网络与信息安全风险评估与期限", no_args_is_help=True)

mlps_app.add_typer(
    _entity_app(
        e.MLPS_GRADINGS, [*_COMMON, ("level", "等级"), ("graded_on", "定级日期"), ("status", "状态")]
    ),
    name="gradings",
)
mlps_app.add_typer(
    _entity_app(
        e.MLPS_FILINGS,
        [
            *_COMMON,
            ("submitted_on", "提交备案"),
            ("certificate_number", "证明编号"),
            ("issued_on", "发放日期"),
        ],
    ),
    name="filings",
)
mlps_app.add_typer(
    _entity_app(
        e.MLPS_ASSESSMENTS,
        [
            *_COMMON,
            ("assessed_on", "报告日期"),
            ("agency", "测评机构"),
            ("template_version", "模板"),
            ("conclusion", "结论"),
        ],
    ),
    name="assessments",
)
mlps_app.add_typer(
    _entity_app(e.MLPS_SELF_CHECKS, [*_COMMON, ("checked_on", "自查日期"), ("issues_found", "问题数")]),
    name="self-checks",
)
mlps_app.add_typer(
    _entity_app(
        e.MLPS_RECTIFICATIONS,
        [*_COMMON, ("owner", "责任人"), ("due_on", "期限"), ("status", "状态"), ("description", "问题")],
    ),
    name="rectifications",
)
crypto_app.add_typer(
    _entity_app(
        e.CRYPTO_PLANS,
        [*_COMMON, ("drafted_on", "编制日期"), ("evaluated_on", "评估日期"), ("conclusion", "结论")],
    ),
    name="plans",
)
crypto_app.add_typer(
    _entity_app(
        e.CRYPTO_ASSESSMENTS,
        [
            *_COMMON,
            ("assessed_on", "报告日期"),
            ("score", "得分"),
            ("conclusion", "结论"),
            ("filed_on", "备案日期"),
        ],
    ),
    name="assessments",
)
register_entity_commands(
    risk_app,
    e.RISK_ASSESSMENTS,
    [
        *_COMMON,
        ("assessed_on", "评估日期"),
        ("method", "方式"),
        ("high_count", "高"),
        ("medium_count", "中"),
        ("low_count", "低"),
    ],
)
status_command(mlps_app, "mlps", "各系统的备案期限、证明有效期、下次测评与自查，以及逾期问题")
status_command(crypto_app, "crypto", "各系统的密码应用方案、下次密评与结果备案期限，以及逾期问题")
status_command(risk_app, "risk", "各系统的下次风险评估期限与逾期问题")


def register(root: typer.Typer) -> None:
    root.add_typer(mlps_app, name="mlps")
    root.add_typer(crypto_app, name="crypto")
    root.add_typer(risk_app, name="risk")
