"""Working-day calendar: counting rules, override tables, refusal of unknown years, CLI."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from taizhang.cli_policy import workdays_app
from taizhang.settings import reset_settings_cache
from taizhang.workdays import (
    UnknownYearError,
    WorkdayCalendar,
    WorkdayTableError,
    add_months,
    get_calendar,
    load_overrides,
    reset_calendar_cache,
)

CAL = WorkdayCalendar()

# A synthetic 2027 table (the real one is the county's to publish): New Year 01-01 (Fri) off,
# Spring Festival 02-08..02-12 off with make-up Saturday 02-06 and Sunday 02-21.
TABLE_2027 = """
version = "test-2027"
[years.2027]
complete = true
holidays = ["2027-01-01", 2027-02-08, "2027-02-09", "2027-02-10", "2027-02-11", "2027-02-12"]
workdays = ["2027-02-06", "2027-02-21"]
"""


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    def apply(**env: object) -> None:
        for name, value in env.items():
            monkeypatch.setenv(f"TAIZHANG_{name.upper()}", str(value))
        reset_settings_cache()
        reset_calendar_cache()

    monkeypatch.delenv("TAIZHANG_WORKDAY_OVERRIDES_FILE", raising=False)
    apply()
    yield apply
    reset_settings_cache()
    reset_calendar_cache()


def write(tmp_path: Path, text: str, name: str = "workdays.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- counting -------------------------------------------------------------------------------


def test_contract_signed_on_national_day_is_due_on_the_13th() -> None:
    # 10-08, 10-09, 10-10 (make-up Saturday), 10-12, 10-13; find_workday would say 10-14.
    assert CAL.add_workdays(date(2026, 10, 1), 5) == date(2026, 10, 13)


def test_start_day_is_not_counted() -> None:
    assert CAL.add_workdays(date(2026, 9, 28), 1) == date(2026, 9, 29)
    assert CAL.add_workdays(date(2026, 9, 28), 0) == date(2026, 9, 28)


def test_negative_count_is_refused() -> None:
    with pytest.raises(ValueError, match="负数"):
        CAL.add_workdays(date(2026, 9, 28), -1)


def test_across_new_year_2026() -> None:
    # 12-31, then 01-01..01-03 off, Sunday 01-04 is a make-up working day, then 01-05.
    assert CAL.add_workdays(date(2025, 12, 30), 3) == date(2026, 1, 5)
    assert CAL.workdays_between(date(2025, 12, 30), date(2026, 1, 5)) == 3


def test_spring_festival_2026_make_up_weekends() -> None:
    assert CAL.is_workday(date(2026, 2, 14))  # Saturday, 调休
    assert CAL.is_workday(date(2026, 2, 28))  # Saturday, 调休
    assert not CAL.is_workday(date(2026, 2, 16))  # Monday, holiday
    assert CAL.add_workdays(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert CAL.add_workdays(date(2026, 2, 14), 1) == date(2026, 2, 24)
    assert CAL.add_workdays(date(2026, 2, 27), 1) == date(2026, 2, 28)
    assert CAL.workdays_between(date(2026, 2, 13), date(2026, 3, 2)) == 7


def test_workdays_between_zero_and_negative() -> None:
    assert CAL.workdays_between(date(2026, 10, 13), date(2026, 10, 13)) == 0
    assert CAL.workdays_between(date(2026, 10, 13), date(2026, 10, 1)) == -5
    assert CAL.workdays_between(date(2026, 10, 1), date(2026, 10, 7)) == 0


def test_calendar_days_roll_onto_next_workday() -> None:
    assert CAL.add_calendar_days(date(2026, 9, 24), 7) == date(2026, 10, 8)
    assert CAL.add_calendar_days(date(2026, 9, 24), 7, roll_to_workday=False) == date(2026, 10, 1)
    assert CAL.add_calendar_days(date(2026, 10, 1), 9) == date(2026, 10, 10)  # make-up Saturday stays
    assert CAL.add_calendar_days(date(2026, 9, 24), 30) == date(2026, 10, 26)  # Saturday 10-24 -> Monday


def test_next_workday_and_roll() -> None:
    assert CAL.next_workday(date(2026, 9, 30)) == date(2026, 10, 8)
    assert CAL.next_workday(date(2026, 10, 8)) == date(2026, 10, 9)
    assert CAL.roll_to_workday(date(2026, 10, 8)) == date(2026, 10, 8)
    assert CAL.roll_to_workday(date(2026, 10, 3)) == date(2026, 10, 8)


def test_add_months_clamps_to_month_end() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert add_months(date(2026, 11, 15), 3) == date(2027, 2, 15)


@given(start=st.dates(min_value=date(2020, 1, 1), max_value=date(2026, 10, 31)), n=st.integers(0, 30))
def test_add_then_count_round_trips(start: date, n: int) -> None:
    end = CAL.add_workdays(start, n)
    assert CAL.workdays_between(start, end) == n
    assert CAL.workdays_between(end, start) == -n
    if n:
        assert end > start
        assert CAL.is_workday(end)
        # ``end`` is the first day on which the count reaches n.
        assert CAL.workdays_between(start, end - timedelta(days=1)) == n - 1


# --- unknown years and override tables -----------------------------------------------------


def test_unknown_year_is_refused_not_guessed() -> None:
    with pytest.raises(UnknownYearError, match="2027 年的工作日安排未知") as excinfo:
        CAL.is_workday(date(2027, 1, 4))
    assert excinfo.value.year == 2027
    with pytest.raises(UnknownYearError):
        CAL.add_workdays(date(2026, 12, 30), 5)
    with pytest.raises(UnknownYearError, match="2003"):
        CAL.is_workday(date(2003, 6, 2))
    assert not CAL.is_known_year(2027)
    assert CAL.is_known_year(2026)


def test_answers_asked_again_are_the_same() -> None:
    """The calendar keeps chinesecalendar's answers and unknown years: asking again changes nothing."""
    cal = WorkdayCalendar()
    days = [date(2026, 9, 26) + timedelta(days=i) for i in range(20)]  # National Day and make-up days
    first = [cal.is_workday(d) for d in days]
    assert [cal.is_workday(d) for d in days] == first == [WorkdayCalendar().is_workday(d) for d in days]
    assert first.count(False) > 6
    for _ in range(2):
        with pytest.raises(UnknownYearError):
            cal.is_workday(date(2027, 1, 4))


def test_override_table_makes_2027_known(tmp_path: Path) -> None:
    cal = load_overrides(write(tmp_path, TABLE_2027))
    assert cal.is_known_year(2027)
    assert cal.complete_years == {2027}
    assert not cal.is_workday(date(2027, 1, 1))  # listed holiday
    assert cal.is_workday(date(2027, 1, 4))  # ordinary Monday
    assert not cal.is_workday(date(2027, 1, 9))  # ordinary Saturday
    assert cal.is_workday(date(2027, 2, 6))  # make-up Saturday
    # 2026-12-31 (Thursday) from the package, 2027-01-01 off, then 01-04 and 01-05.
    assert cal.add_workdays(date(2026, 12, 30), 3) == date(2027, 1, 5)
    assert cal.add_workdays(date(2027, 2, 5), 2) == date(2027, 2, 15)


def test_override_entries_win_over_the_package(tmp_path: Path) -> None:
    cal = load_overrides(
        write(tmp_path, '[years.2026]\nholidays = ["2026-10-09"]\nworkdays = ["2026-10-11"]\n')
    )
    assert not cal.is_workday(date(2026, 10, 9))
    assert cal.is_workday(date(2026, 10, 11))
    assert cal.is_workday(date(2026, 10, 12))  # untouched dates still come from chinesecalendar


def test_incomplete_override_year_still_refuses_unlisted_dates(tmp_path: Path) -> None:
    cal = load_overrides(write(tmp_path, '[years.2027]\ncomplete = false\nholidays = ["2027-10-01"]\n'))
    assert not cal.is_workday(date(2027, 10, 1))
    with pytest.raises(UnknownYearError):
        cal.is_workday(date(2027, 10, 8))


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('[years.2027]\nholidays = ["2027-01-01", "2027-13-01"]\n', "years.2027.holidays[1]"),
        ('[years.2027]\nholidays = ["2026-12-31"]\n', "years.2027.holidays[0]"),
        ("[years.2027]\nworkdays = [20270206]\n", "years.2027.workdays[0]"),
        ('[years.2027]\nholiday = ["2027-01-01"]\n', "years.2027.holiday"),
        ('[years.2027]\ncomplete = "yes"\n', "years.2027.complete"),
        ('[years.2027]\nholidays = "2027-01-01"\n', "years.2027.holidays"),
        ("[years.27]\ncomplete = true\n", "years.27"),
        ('[years.2027]\nholidays = ["2027-02-06"]\nworkdays = ["2027-02-06"]\n', "2027-02-06"),
        ("[yaers.2027]\ncomplete = true\n", "yaers"),
        ("[years.2027\n", "TOML"),
    ],
)
def test_malformed_table_names_file_and_key(tmp_path: Path, text: str, fragment: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(WorkdayTableError) as excinfo:
        load_overrides(path)
    assert str(path) in str(excinfo.value)
    assert fragment in str(excinfo.value)


def test_missing_table_file(tmp_path: Path) -> None:
    with pytest.raises(WorkdayTableError, match="不存在"):
        load_overrides(tmp_path / "nope.toml")


def test_get_calendar_reads_settings(tmp_path: Path, settings_env: Callable[..., None]) -> None:
    assert get_calendar().complete_years == frozenset()
    settings_env(workday_overrides_file=write(tmp_path, TABLE_2027))
    assert get_calendar().is_workday(date(2027, 1, 4))
    assert get_calendar() is get_calendar()


# --- CLI ------------------------------------------------------------------------------------

runner = CliRunner()


def test_cli_add_prints_iso_date_alone(settings_env: Callable[..., None]) -> None:
    result = runner.invoke(workdays_app, ["add", "2026-10-01", "5"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "2026-10-13\n"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["add", "2026-10-32", "5"], "日期格式无效"),
        (["add", "2026-10-01", "five"], "工作日数无效"),
        (["add", "2026-10-01", "-1"], "不能为负数"),
        (["add", "2026-12-30", "5"], "2027 年的工作日安排未知"),
        (["check", "yesterday"], "日期格式无效"),
        (["check", "2027-01-04"], "2027 年"),
    ],
)
def test_cli_bad_input_exits_2_with_chinese_message(
    settings_env: Callable[..., None], args: list[str], fragment: str
) -> None:
    result = runner.invoke(workdays_app, args)
    assert result.exit_code == 2
    assert fragment in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.output


def test_cli_bad_override_table_exits_2(tmp_path: Path, settings_env: Callable[..., None]) -> None:
    settings_env(workday_overrides_file=write(tmp_path, "[years.2027]\ncomplete = 1\n"))
    result = runner.invoke(workdays_app, ["add", "2026-10-01", "5"])
    assert result.exit_code == 2
    assert "years.2027.complete" in result.stderr


def test_cli_check(settings_env: Callable[..., None], tmp_path: Path) -> None:
    assert runner.invoke(workdays_app, ["check", "2026-10-10"]).stdout == "2026-10-10 工作日\n"
    assert runner.invoke(workdays_app, ["check", "2026-10-01"]).stdout == "2026-10-01 休息日\n"
    settings_env(workday_overrides_file=write(tmp_path, TABLE_2027))
    assert runner.invoke(workdays_app, ["check", "2027-02-06"]).stdout == "2027-02-06 工作日\n"
