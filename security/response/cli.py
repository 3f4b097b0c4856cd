"""``taizhang plans|drills|drill-actions|incidents …``: lists, details and computed schedules."""

from __future__ import annotations

from typing import Any

import typer

from inventory.cli import _entity_app
from security.response import service
from security.response.cli_options import parse_date, parse_moment, yes_no
from security.response.entities import DRILL_ACTIONS, DRILLS, INCIDENTS, PLANS
from taizhang.cli_support import JsonOption, boundary, print_json, print_table

AS_OF = typer.Option(None, "--as-of", help="按该日期计算（YYYY-MM-DD，默认今天）")


def _plans_app() -> typer.Typer:
    app = _entity_app(PLANS)

    @app.command("status", help="各预案的下次演练与评审期限")
    def status(
        as_of: str = AS_OF,
        overdue: bool = typer.Option(False, "--overdue", help="只列逾期"),
        as_json: bool = JsonOption,
    ) -> None:
        with boundary() as session:
            rows = service.plan_schedules(session, today=parse_date(as_of))
        rows = [r for r in rows if not overdue or r.drill_overdue or r.review_overdue]
        if as_json:
            print_json([r.as_dict() for r in rows])
            return
        table = [
            {
                **r.as_dict(),
                "drill_overdue": yes_no(r.drill_overdue),
                "review_overdue": yes_no(r.review_overdue),
            }
            for r in rows
        ]
        print_table(
            table,
            [
                ("plan_id", "预案"),
                ("name", "名称"),
                ("last_drill_on", "最近演练"),
                ("next_drill_due", "下次演练期限"),
                ("drill_overdue", "演练逾期"),
                ("review_due", "评审期限"),
                ("review_overdue", "评审逾期"),
            ],
        )

    return app


def drill_status_cmd(
    as_of: str = AS_OF,
    system_id: int = typer.Option(None, "--system-id", help="只看该系统"),
    as_json: bool = JsonOption,
) -> None:
    ids = [system_id] if system_id is not None else None
    with boundary() as session:
        rows = service.system_statuses(session, system_ids=ids, today=parse_date(as_of))
    if as_json:
        print_json([r.as_dict() for r in rows])
        return
    table: list[dict[str, Any]] = [
        {
            **r.as_dict(),
            "has_plan": yes_no(r.has_plan),
            "drill_overdue": yes_no(r.drill_overdue),
            "review_overdue": yes_no(r.review_overdue),
        }
        for r in rows
    ]
    print_table(
        table,
        [
            ("system_id", "系统"),
            ("level", "等保级别"),
            ("has_plan", "有预案"),
            ("last_drill_on", "最近演练"),
            ("next_drill_due", "下次演练期限"),
            ("drill_overdue", "演练逾期"),
            ("review_overdue", "评审逾期"),
        ],
    )


def overdue_actions_cmd(as_of: str = AS_OF, as_json: bool = JsonOption) -> None:
    with boundary() as session:
        rows = [
            DRILL_ACTIONS.read.model_validate(a).model_dump(mode="json")
            for a in service.overdue_actions(session, today=parse_date(as_of))
        ]
    if as_json:
        print_json(rows)
        return
    print_table(
        rows,
        [
            ("id", "编号"),
            ("drill_id", "演练"),
            ("action", "整改措施"),
            ("owner", "责任人"),
            ("due_on", "期限"),
        ],
    )


def _drills_app() -> typer.Typer:
    app = _entity_app(DRILLS)
    app.command("status", help="各信息系统的预案、演练与评审状态")(drill_status_cmd)
    app.command("overdue-actions", help="逾期未完成的演练整改措施")(overdue_actions_cmd)
    return app


def _incidents_app() -> typer.Typer:
    app = _entity_app(INCIDENTS)

    @app.command("deadlines", help="事件的报告与总结报告期限（可只列逾期）")
    def deadlines(
        at: str = typer.Option(None, "--at", help="按该时刻计算（带时区，默认现在）"),
        flagged: bool = typer.Option(False, "--flagged", help="只列逾期或逾期完成"),
        as_json: bool = JsonOption,
    ) -> None:
        with boundary() as session:
            rows = [
                {"title": incident.title, **d.as_dict()}
                for incident, d in service.incident_deadline_list(
                    session, now=parse_moment(at), only_flagged=flagged
                )
            ]
        if as_json:
            print_json(rows)
            return
        print_table(
            rows,
            [
                ("incident_id", "事件"),
                ("title", "名称"),
                ("report_due", "报告期限"),
                ("report_state_label", "报告"),
                ("summary_due", "总结报告期限"),
                ("summary_state_label", "总结报告"),
            ],
        )

    return app


def register(root: typer.Typer) -> None:
    root.add_typer(_plans_app(), name="plans", help="应急预案：列表、详情、演练与评审期限")
    root.add_typer(_drills_app(), name="drills", help="应急演练：列表、详情、各系统演练状态、逾期整改")
    root.add_typer(_entity_app(DRILL_ACTIONS), name="drill-actions")
    root.add_typer(_incidents_app(), name="incidents", help="网络安全事件：列表、详情、报告期限")
