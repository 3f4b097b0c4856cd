"""Importing messy county spreadsheets: exactly, or refused with every problem and nothing written."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import load_workbook
from sheet_builders import UNITS_SHEET, count, county_csv, county_xlsx, import_path
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from inventory.choices import Hosting, HostKind
from inventory.models import Host, System, Unit
from taizhang.changelog import ChangeLogEntry, verify_chain

SYSTEM_HEADERS = [
    "序号",
    " 信息系统名称 ",
    "目录编号",
    "责任单位",
    "安全保护等级",
    "上线时间",
    "部署方式",
    "是否关键信息基础设施",
    "备注",
]


def messy_systems() -> list[list[object]]:
    return [
        list(SYSTEM_HEADERS),
        [
            1,
            "学籍管理系统 ",
            "ＸＦ－００１",
            "县教育局",
            "第三级",
            "2024年3月5日",
            "市级政务云",
            "是",
            "重点系统",
        ],
        [None] * 9,
        [2, "低保救助系统", "XF-002", "MZ01", "二级", 45356, "本地机房", "否", None],
        [3, "校园安全系统", "XF-003 ", "县教育局", "３", "2024/3/5", "行业云", "否", None],
        [4, "开发区门户", "XF-004", "襄汾经济技术开发区", 3, "2024.3.5", "政务云", "", None],
        [5, "教育资源平台", "XF-005", "县教育局", "S2A2G2", "2024-03-05", "迁移中", "否", None],
        [None] * 9,
        ["填表人：张三", None, None, "审核人：李四", None, None, "填报日期：2024年3月8日"],
    ]


def test_messy_county_workbook_imports_exactly(engine: object, session: Session, tmp_path: Path) -> None:
    # Systems come first in the file and name units that the second sheet defines.
    path = county_xlsx(
        tmp_path / "台账.xlsx",
        {"Sheet1": messy_systems(), "单位列表": UNITS_SHEET},
        title="襄汾县政务信息系统台账（2024年）",
    )
    result = import_path(path)
    assert result.ok, [str(p) for p in result.problems]
    by_entity = {s.entity: s for s in result.sheets}
    assert (by_entity["单位"].created, by_entity["信息系统"].created) == (3, 5)
    assert by_entity["信息系统"].ignored_columns == ["备注"]

    systems = {s.catalogue_number: s for s in session.execute(select(System)).scalars()}
    units = {u.code: u.id for u in session.execute(select(Unit)).scalars()}
    assert sorted(systems) == ["XF-001", "XF-002", "XF-003", "XF-004", "XF-005"]
    first = systems["XF-001"]
    assert (first.name, first.mlps_level, first.hosting, first.critical_infrastructure) == (
        "学籍管理系统",
        3,
        Hosting.CITY_CLOUD,
        True,
    )
    assert {s.go_live_date for s in systems.values()} == {dt.date(2024, 3, 5)}
    assert [systems[n].mlps_level for n in ("XF-002", "XF-003", "XF-004", "XF-005")] == [2, 3, 3, 2]
    assert systems["XF-002"].owner_unit_id == units["MZ01"]
    assert systems["XF-004"].owner_unit_id == units["KFQ"]
    assert systems["XF-004"].hosting is Hosting.CITY_CLOUD
    assert systems["XF-004"].critical_infrastructure is False

    entries = session.execute(select(ChangeLogEntry)).scalars().all()
    assert len(entries) == 8 and {e.actor for e in entries} == {"cli:tester"}
    assert verify_chain(session).ok


def test_bad_rows_refuse_the_whole_file_and_list_every_problem(
    engine: object, session: Session, tmp_path: Path
) -> None:
    systems = [
        ["目录编号", "系统名称", "主管单位", "等保级别", "上线日期", "部署位置"],
        ["XF-001", "学籍管理系统", "县教育局", "第三级", "2024-03-05", "市级政务云"],
        ["XF-002", "低保救助系统", "县民政局", "高级", "2024-13-01", "阿里云"],
        ["XF-001", "学籍管理系统", "县教育局", "第三级", "2024-03-05", "市级政务云"],
        ["XF-003", "不动产登记系统", "县自然资源局", "3", "", "本地机房"],
        ["XF-004", "", "县教育局", "第六级", "", ""],
    ]
    hosts = [
        ["主机名", "主机类型", "IP 地址", "承载的信息系统"],
        ["web01", "虚拟机", "10.0.0.1", "XF-001"],
        ["db01", "物理机", "10.0.0.300", "XF-002、XF-001"],
        ["app01", "小型机", "10.0.0.3", "XF-009"],
    ]
    path = county_xlsx(tmp_path / "bad.xlsx", {"单位": UNITS_SHEET, "信息系统": systems, "主机": hosts})
    result = import_path(path)

    problems = {(p.sheet, p.row, p.column, p.value): p.reason for p in result.problems}
    assert set(problems) == {
        ("信息系统", 3, "等保级别", "高级"),
        ("信息系统", 3, "上线日期", "2024-13-01"),
        ("信息系统", 3, "部署位置", "阿里云"),
        ("信息系统", 4, "目录编号", "XF-001"),
        ("信息系统", 5, "主管单位", "县自然资源局"),
        ("信息系统", 6, "系统名称", None),
        ("信息系统", 6, "等保级别", "第六级"),
        ("主机", 3, "IP 地址", "10.0.0.300"),
        ("主机", 3, "承载的信息系统", "XF-002、XF-001"),
        ("主机", 4, "主机类型", "小型机"),
        ("主机", 4, "承载的信息系统", "XF-009"),
    }
    assert "无法识别的等保级别" in problems[("信息系统", 3, "等保级别", "高级")]
    assert "日期“2024-13-01”不存在" in problems[("信息系统", 3, "上线日期", "2024-13-01")]
    assert "可选" in problems[("信息系统", 3, "部署位置", "阿里云")]
    assert "与第 2 行重复" in problems[("信息系统", 4, "目录编号", "XF-001")]
    assert problems[("信息系统", 5, "主管单位", "县自然资源局")] == "单位“县自然资源局”不存在"
    assert "超出范围" in problems[("信息系统", 6, "等保级别", "第六级")]
    assert problems[("信息系统", 6, "系统名称", None)] == "必填，不能为空"
    assert "10.0.0.300" in problems[("主机", 3, "IP 地址", "10.0.0.300")]
    assert problems[("主机", 4, "承载的信息系统", "XF-009")] == "信息系统“XF-009”不存在"

    # All or nothing: the valid units, system XF-001 and host web01 were not written either.
    assert (count(session, Unit), count(session, System), count(session, Host)) == (0, 0, 0)
    assert count(session, ChangeLogEntry) == 0


def test_marked_copy_highlights_bad_cells_with_reasons(engine: object, tmp_path: Path) -> None:
    from exporters.sheets.service import marked_copy_bytes

    systems = [
        ["目录编号", "系统名称", "主管单位", "等保级别"],
        ["XF-001", "学籍管理系统", "县教育局", "高级"],
    ]
    path = county_xlsx(tmp_path / "bad.xlsx", {"单位": UNITS_SHEET, "信息系统": systems}, title="台账")
    result = import_path(path)
    assert not result.ok
    copy = tmp_path / "copy.xlsx"
    copy.write_bytes(marked_copy_bytes(path, result, path.name))
    workbook = load_workbook(copy)
    assert workbook.sheetnames == ["问题清单", "单位", "信息系统"]
    listing = list(workbook["问题清单"].iter_rows(values_only=True))
    assert listing[1][:4] == ("信息系统", 4, "等保级别", "高级")
    bad = workbook["信息系统"]["D4"]
    assert bad.value == "高级"
    assert bad.fill.fgColor.rgb.endswith("FFC7CE")
    assert "等保级别" in bad.comment.text
    assert workbook["信息系统"]["C4"].comment is None


def test_gbk_csv_imports_hosts_with_full_width_digits(
    engine: object, session: Session, tmp_path: Path
) -> None:
    assert import_path(county_xlsx(tmp_path / "base.xlsx", {"单位": UNITS_SHEET})).ok
    systems = [
        ["目录编号", "系统名称", "主管单位"],
        ["XF-001", "学籍管理系统", "县教育局"],
        ["XF-002", "资助系统", "县教育局"],
    ]
    assert import_path(county_xlsx(tmp_path / "systems.xlsx", {"系统": systems})).ok
    rows = [
        ["主机名称", "类型", "IP地址", "操作系统", "CPU", "承载系统", "计划替代日期"],
        [
            "web01 ",
            "虚拟机",
            "１０.０.０.１；10.0.0.2",
            "银河麒麟",
            "鲲鹏",
            "XF-001；XF-002",
            "２０２５年１２月３１日",
        ],
        ["db01", "物理机", "10.0.0.9", "统信UOS", "x86_64(海光/兆芯/Intel/AMD)", "XF-002", ""],
    ]
    path = county_csv(tmp_path / "主机台账.csv", rows, encoding="gbk")
    result = import_path(path)
    assert result.ok, [str(p) for p in result.problems]
    hosts = {
        h.hostname: h for h in session.execute(select(Host).options(selectinload(Host.systems))).scalars()
    }
    web = hosts["web01"]
    assert web.ip_addresses == ["10.0.0.1", "10.0.0.2"]
    assert web.kind is HostKind.VIRTUAL and web.cpu_arch == "aarch64"
    assert sorted(s.catalogue_number for s in web.systems) == ["XF-001", "XF-002"]
    assert web.replacement_date == dt.date(2025, 12, 31)
    assert hosts["db01"].cpu_arch == "x86_64"

    utf8 = county_csv(tmp_path / "hosts-utf8.csv", rows, encoding="utf-8-sig")
    again = import_path(utf8)
    assert again.ok and again.sheets[0].unchanged == 2


def test_same_file_twice_changes_nothing_and_an_edit_is_an_update(
    engine: object, session: Session, tmp_path: Path
) -> None:
    path = county_xlsx(tmp_path / "t.xlsx", {"Sheet1": messy_systems(), "单位": UNITS_SHEET}, title="台账")
    assert import_path(path).ok
    logged = count(session, ChangeLogEntry)
    second = import_path(path)
    assert second.ok
    assert [(s.created, s.updated) for s in second.sheets] == [(0, 0), (0, 0)]
    assert sum(s.unchanged for s in second.sheets) == 8
    assert count(session, ChangeLogEntry) == logged

    edited = messy_systems()
    edited[1][4] = "第二级"
    # A sheet without the 上线时间 column leaves go_live_date alone.
    for row in edited:
        del row[5]
    path2 = county_xlsx(tmp_path / "t2.xlsx", {"信息系统": edited})
    third = import_path(path2, actor="cli:editor")
    assert third.ok, [str(p) for p in third.problems]
    assert (third.sheets[0].updated, third.sheets[0].unchanged) == (1, 4)
    system = session.execute(select(System).where(System.catalogue_number == "XF-001")).scalar_one()
    assert system.mlps_level == 2 and system.go_live_date == dt.date(2024, 3, 5)
    entry = session.execute(select(ChangeLogEntry).order_by(ChangeLogEntry.id.desc()).limit(1)).scalar_one()
    assert (entry.actor, entry.action, entry.object_id) == ("cli:editor", "update", system.id)
    assert (entry.before["mlps_level"], entry.after["mlps_level"]) == (3, 2)
    assert verify_chain(session).ok  # bulk-created rows and ORM updates share one intact chain


def test_dry_run_checks_everything_and_writes_nothing(
    engine: object, session: Session, tmp_path: Path
) -> None:
    path = county_xlsx(tmp_path / "t.xlsx", {"Sheet1": messy_systems(), "单位": UNITS_SHEET})
    result = import_path(path, dry_run=True)
    assert result.ok and result.summary()["written"] is False
    assert [s.created for s in result.sheets] == [3, 5]
    assert count(session, System) == 0 and count(session, ChangeLogEntry) == 0


def test_unrecognised_file_and_old_xls_are_refused(engine: object, tmp_path: Path) -> None:
    from taizhang.errors import Invalid

    path = county_xlsx(tmp_path / "x.xlsx", {"说明": [["本表说明"], ["请按模板填写"]]})
    result = import_path(path)
    assert not result.ok and "没有可识别的台账工作表" in result.problems[0].reason
    assert result.skipped_sheets == ["说明"]

    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    try:
        import_path(old)
    except Invalid as exc:
        assert ".xlsx" in exc.message
    else:
        raise AssertionError("an .xls file must be refused")


def test_updates_replace_links_bump_versions_and_keep_unique_keys(
    engine: object, session: Session, tmp_path: Path
) -> None:
    systems = [
        ["目录编号", "系统名称", "主管单位"],
        ["XF-001", "甲系统", "县教育局"],
        ["XF-002", "乙系统", "县教育局"],
    ]
    hosts = [["主机名", "主机类型", "承载的信息系统"], ["web01", "虚拟机", "XF-001、XF-002"]]
    first = county_xlsx(tmp_path / "a.xlsx", {"单位": UNITS_SHEET, "信息系统": systems, "主机": hosts})
    assert import_path(first).ok
    hosts[1][2] = "XF-002"
    renamed = [row[:] for row in UNITS_SHEET]
    renamed[2][2] = "县教育局"  # MZ01 would take JY01's name
    second = county_xlsx(tmp_path / "b.xlsx", {"单位": renamed, "主机": hosts})
    refused = import_path(second)
    assert [(p.sheet, p.row, p.column, p.reason) for p in refused.problems] == [
        ("单位", 3, "单位名称", "单位单位名称“县教育局”已存在")
    ]
    third = county_xlsx(tmp_path / "c.xlsx", {"主机": hosts})
    assert import_path(third, actor="cli:ops").sheets[0].updated == 1
    session.expire_all()
    host = session.execute(select(Host).options(selectinload(Host.systems))).scalar_one()
    assert [s.catalogue_number for s in host.systems] == ["XF-002"] and host.version == 2
    entry = session.execute(select(ChangeLogEntry).order_by(ChangeLogEntry.id.desc()).limit(1)).scalar_one()
    ids = sorted(s.id for s in session.execute(select(System)).scalars())
    assert (entry.action, entry.actor, entry.before["systems"], entry.after["systems"]) == (
        "update",
        "cli:ops",
        ids,
        ids[1:],
    )
    assert verify_chain(session).ok
