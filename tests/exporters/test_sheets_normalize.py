"""Cells as people type them: dates, levels, labels, full-width digits, lists (no database)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from exporters.sheets import normalize as n
from exporters.sheets.spec import sheet_named
from inventory.choices import CpuArch, Hosting

MARCH_5 = dt.date(2024, 3, 5)


@pytest.mark.parametrize(
    "cell",
    [
        "2024年3月5日",
        "2024 年 3 月 5 日",
        "２０２４年３月５日",
        "2024/3/5",
        "2024.3.5",
        "2024-03-05",
        "2024-03-05 00:00:00",
        "20240305",
        45356,
        45356.0,
        "45356",
        dt.datetime(2024, 3, 5, 0, 0),
        MARCH_5,
    ],
)
def test_dates(cell: object) -> None:
    assert n.parse_date(cell) == MARCH_5


@pytest.mark.parametrize("cell", ["2024-02-30", "明年", "2024年13月1日", "3/5/2024", 0])
def test_bad_dates_say_why(cell: object) -> None:
    with pytest.raises(n.CellError) as info:
        n.parse_date(cell)
    assert str(cell) in str(info.value) or "日期" in str(info.value)


@pytest.mark.parametrize(
    ("cell", "level"),
    [
        ("第三级", 3),
        ("三级", 3),
        ("3", 3),
        (3, 3),
        (3.0, 3),
        ("３", 3),
        ("第3级", 3),
        ("二", 2),
        ("S3A3G3", 3),
        ("第一级", 1),
    ],
)
def test_levels(cell: object, level: int) -> None:
    assert n.parse_level(cell) == level


@pytest.mark.parametrize(
    ("cell", "reason"), [("第六级", "超出范围"), (0, "超出范围"), ("高", "无法识别"), ("S3A2G3", "无法识别")]
)
def test_bad_levels(cell: object, reason: str) -> None:
    with pytest.raises(n.CellError, match=reason):
        n.parse_level(cell)


def test_level_labels_round_trip() -> None:
    assert [n.parse_level(n.level_label(i)) for i in range(1, 6)] == [1, 2, 3, 4, 5]


def test_enum_labels_values_aliases_and_full_width() -> None:
    hosting = n.enum_parser(Hosting, {"政务云": "city_cloud"})
    assert hosting("市级政务云 ") is Hosting.CITY_CLOUD
    assert hosting("city_cloud") is Hosting.CITY_CLOUD
    assert hosting("政务云") is Hosting.CITY_CLOUD
    arch = n.enum_parser(CpuArch)
    assert arch("x86_64(海光/兆芯/Intel/AMD)") is CpuArch.X86_64
    assert arch("ＡＲＭ６４（鲲鹏/飞腾）") is CpuArch.AARCH64
    with pytest.raises(n.CellError, match="可选：本地机房、行业云、迁移中、市级政务云"):
        hosting("阿里云")


def test_numbers_booleans_lists_and_year_maps() -> None:
    assert n.parse_int("１２") == 12 and n.parse_int(12.0) == 12
    with pytest.raises(n.CellError):
        n.parse_int("1.5")
    assert n.parse_decimal("1,234,567.89元") == Decimal("1234567.89")
    assert n.parse_decimal(0.1) == Decimal("0.1")
    assert [n.parse_bool(v) for v in ("是", "否", "√", "Y", 1, "false")] == [
        True,
        False,
        True,
        True,
        True,
        False,
    ]
    with pytest.raises(n.CellError, match="是”或“否"):
        n.parse_bool("也许")
    codes = n.list_parser(n.parse_code)
    assert codes("XF-001、XF-002；XF-003,\nXF-004") == ["XF-001", "XF-002", "XF-003", "XF-004"]
    years = n.year_map_parser(n.parse_decimal)
    assert years("2025年：60万；2026:40".replace("万", "")) == {2025: Decimal("60"), 2026: Decimal("40")}
    with pytest.raises(n.CellError, match="重复"):
        years("2025:1；2025:2")


def test_free_text_keeps_full_width_brackets_but_codes_fold() -> None:
    assert n.parse_text(" 县人民政府办公室（县外事办）\u3000") == "县人民政府办公室（县外事办）"
    assert n.parse_code("ＸＦ－００１ ") == "XF-001"
    assert n.parse_text(13800000000.0) == "13800000000"


def test_headers_match_synonyms_spaces_marks_and_notes() -> None:
    from exporters.sheets.reader import match_header

    systems = sheet_named("信息系统")
    assert match_header(systems, " 信息系统名称 ").key == "name"
    assert match_header(systems, "*目录编号").key == "catalogue_number"
    assert match_header(systems, "安全保护\n等级").key == "mlps_level"
    assert match_header(systems, "责任单位（全称）").key == "owner_unit"
    assert match_header(systems, "备注") is None
    projects = sheet_named("项目")
    assert match_header(projects, "总预算(元)").key == "total_budget"
    assert match_header(projects, "总预算（元）").key == "total_budget"
