"""``GET /api/v1/exports/report`` (xlsx or printable HTML) and the ``/report`` page."""

from __future__ import annotations

import io
from importlib.resources import files
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from exporters.report import RATES, CountyReport, county_report
from exporters.report_output import SUMMARY_HEADERS, percent, summary_row, write_report_xlsx
from exporters.sheets.service import XLSX_TYPE
from taizhang.api import DB, allow
from taizhang.auth.principal import Principal
from taizhang.auth.roles import Permission
from taizhang.clock import china_today
from taizhang.web.registry import NavEntry, register_nav
from taizhang.web.render import add_template_package, environment, render
from taizhang.web.security import page_allow

router = APIRouter(tags=["导入导出"])
pages = APIRouter(include_in_schema=False)
add_template_package("exporters")
register_nav(NavEntry("report", "合规报表", "/report", Permission.SECURITY_READ, order=85))

FORMATS = ("xlsx", "html")


def page_context(report: CountyReport, *, everything: bool) -> dict[str, Any]:
    """What the report templates show: every share as a printed percentage."""
    rates = range(3, 3 + len(RATES))
    rows = []
    for row in [*report.units, report.total]:
        cells = summary_row(row)
        rows.append([percent(c) if i in rates else c for i, c in enumerate(cells)])
    return {"report": report, "headers": SUMMARY_HEADERS, "rows": rows, "everything": everything}


def report_html(report: CountyReport, *, everything: bool = True) -> str:
    """A standalone printable page (the CLI's ``--format html``): the page's table with its print CSS."""
    css = (files("taizhang") / "static" / "css" / "report.css").read_text(encoding="utf-8")
    template = environment().get_template("exporters/report_print.html")
    return template.render(css=css, **page_context(report, everything=everything))


def report_xlsx(report: CountyReport) -> bytes:
    buffer = io.BytesIO()
    write_report_xlsx(report, buffer)
    return buffer.getvalue()


def filename(report: CountyReport, fmt: str) -> str:
    return f"合规情况报表-{report.today.isoformat()}.{fmt}"


@router.get("/exports/report", summary="县级合规情况报表（xlsx 或可打印的 HTML）；委办局用户只含本单位")
def export_report(
    fmt: str = Query("xlsx", alias="format", pattern="^(xlsx|html)$", description="xlsx 或 html"),
    principal: Principal = allow(Permission.SECURITY_READ),
    session: Session = DB,
) -> Response:
    report = county_report(session, scope=principal.scope, today=china_today())
    if fmt == "html":
        return HTMLResponse(report_html(report, everything=principal.scope.everything))
    disposition = f"attachment; filename=\"report.xlsx\"; filename*=UTF-8''{quote(filename(report, fmt))}"
    return Response(report_xlsx(report), media_type=XLSX_TYPE, headers={"Content-Disposition": disposition})


@pages.get("/report")
def report_page(
    request: Request,
    principal: Principal = page_allow(Permission.SECURITY_READ),
    session: Session = DB,
) -> Response:
    report = county_report(session, scope=principal.scope, today=china_today())
    context = page_context(report, everything=principal.scope.everything)
    return render(request, "exporters/report.html", {**context, "page_title": "合规情况报表"})
