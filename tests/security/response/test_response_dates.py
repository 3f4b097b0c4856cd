"""Next drill, plan review and incident deadlines at their edges: holidays, make-up days, time zones."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from security.response.choices import IncidentCategory, IncidentGrade
from security.response.dates import DeadlineState, incident_deadlines, next_drill_due, plan_review_due
from security.response.models import Incident
from taizhang.policy import Policy, load_policy
from taizhang.workdays import WorkdayCalendar

CAL = WorkdayCalendar()
POLICY = load_policy()
CST = ZoneInfo("Asia/Shanghai")


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def county(tmp_path: Path, text: str) -> Policy:
    path = tmp_path / "county.toml"
    path.write_text(text, encoding="utf-8")
    return load_policy(path)


@pytest.mark.parametrize(
    ("last", "due"),
    [
        ("2025-06-10", "2026-06-10"),  # a plain Wednesday
        ("2025-10-01", "2026-10-08"),  # National Day holiday: next working day
        ("2025-10-10", "2026-10-10"),  # Saturday, but a make-up working day (调休)
        ("2025-09-20", "2026-09-20"),  # Sunday make-up working day
        ("2025-02-15", "2026-02-24"),  # Spring Festival 2026-02-15..23 off
        ("2025-04-04", "2026-04-07"),  # Saturday, then the Qingming Monday off
    ],
)
def test_next_drill_rolls_onto_the_next_working_day(last: str, due: str) -> None:
    result = next_drill_due(
        approved_on=dt.date(2020, 1, 1),
        last_drill_on=dt.date.fromisoformat(last),
        policy=POLICY,
        calendar=CAL,
    )
    assert result.on == dt.date.fromisoformat(due)
    assert not result.provisional


def test_next_drill_counts_from_approval_when_never_drilled_and_clamps_month_end() -> None:
    result = next_drill_due(approved_on=dt.date(2024, 2, 29), last_drill_on=None, policy=POLICY, calendar=CAL)
    assert result.on == dt.date(2025, 2, 28)  # a Friday


def test_overdue_starts_the_day_after_the_due_date() -> None:
    due = next_drill_due(approved_on=dt.date(2025, 6, 10), last_drill_on=None, policy=POLICY, calendar=CAL)
    assert not due.overdue(dt.date(2026, 6, 10))
    assert due.overdue(dt.date(2026, 6, 11))
    assert due.days_left(dt.date(2026, 6, 1)) == 9


def test_due_in_a_year_the_calendar_does_not_know_is_provisional_not_guessed() -> None:
    due = next_drill_due(
        approved_on=dt.date(2020, 1, 1), last_drill_on=dt.date(2026, 10, 1), policy=POLICY, calendar=CAL
    )
    assert due.on == dt.date(2027, 10, 1) and due.provisional
    known = WorkdayCalendar({dt.date(2027, 10, 1): False}, complete_years=[2027])
    rolled = next_drill_due(
        approved_on=dt.date(2020, 1, 1), last_drill_on=dt.date(2026, 10, 1), policy=POLICY, calendar=known
    )
    assert rolled.on == dt.date(2027, 10, 4) and not rolled.provisional  # Fri off, weekend, Monday


def test_policy_file_changes_the_drill_cadence(tmp_path: Path) -> None:
    policy = county(tmp_path, 'version = "t"\n[emergency.drill]\nmonths = 6\n')
    due = next_drill_due(
        approved_on=dt.date(2020, 1, 1), last_drill_on=dt.date(2026, 3, 10), policy=policy, calendar=CAL
    )
    assert due.on == dt.date(2026, 9, 10)


def test_plan_review_only_from_the_policy_level_and_from_the_last_review(tmp_path: Path) -> None:
    kwargs = {"approved_on": dt.date(2025, 3, 2), "policy": POLICY, "calendar": CAL}
    assert plan_review_due(last_reviewed_on=None, level=2, **kwargs) is None
    assert plan_review_due(last_reviewed_on=None, level=None, **kwargs) is None
    due = plan_review_due(last_reviewed_on=None, level=3, **kwargs)
    assert due is not None and due.on == dt.date(2026, 3, 2)  # Monday
    reviewed = plan_review_due(last_reviewed_on=dt.date(2025, 9, 25), level=4, **kwargs)
    assert reviewed is not None and reviewed.on == dt.date(2026, 9, 28)  # 09-25..27 are off in 2026
    lowered = county(tmp_path, "[emergency.plan_review]\nmin_level = 2\n")
    assert plan_review_due(
        last_reviewed_on=None, level=2, approved_on=dt.date(2025, 3, 2), policy=lowered, calendar=CAL
    )


def make_incident(**values: object) -> Incident:
    base: dict[str, object] = {
        "id": 1,
        "title": "门户网站被篡改",
        "unit_id": 1,
        "category": IncidentCategory.ATTACK,
        "grade": IncidentGrade.LARGER,
        "critical_infrastructure": False,
        "occurred_at": at("2026-10-01T07:30:00+08:00"),
        "detected_at": at("2026-10-01T08:00:00+08:00"),
        "handling_ended_at": None,
        "reported_at": None,
        "summary_reported_at": None,
    }
    base.update(values)
    return Incident(**base)


def deadlines(incident: Incident, now: str, policy: Policy = POLICY):  # type: ignore[no-untyped-def]
    return incident_deadlines(incident, policy, now=at(now), calendar=CAL)


def test_report_deadline_is_wall_clock_hours_even_on_a_holiday() -> None:
    incident = make_incident()
    result = deadlines(incident, "2026-10-01T11:59:59+08:00")
    assert result.must_report and result.report_hours == 4
    assert result.report_due == at("2026-10-01T12:00:00+08:00")
    assert result.report_state is DeadlineState.PENDING
    assert deadlines(incident, "2026-10-01T12:00:00+08:00").report_state is DeadlineState.PENDING
    assert deadlines(incident, "2026-10-01T04:00:01+00:00").report_state is DeadlineState.OVERDUE
    assert result.summary_state is DeadlineState.WAITING


def test_report_met_exactly_at_the_deadline_and_late_a_second_after() -> None:
    met = make_incident(reported_at=at("2026-10-01T04:00:00+00:00"), report_recipient="省委网信办")
    assert deadlines(met, "2026-10-02T00:00:00+08:00").report_state is DeadlineState.MET
    late = make_incident(reported_at=at("2026-10-01T12:00:01+08:00"))
    result = deadlines(late, "2026-10-02T00:00:00+08:00")
    assert result.report_state is DeadlineState.LATE and result.flagged


def test_critical_infrastructure_operator_has_the_shorter_deadline() -> None:
    result = deadlines(make_incident(critical_infrastructure=True), "2026-10-01T09:00:01+08:00")
    assert result.report_hours == 1 and result.operator_kind == "critical_infrastructure"
    assert result.report_due == at("2026-10-01T09:00:00+08:00")
    assert result.report_state is DeadlineState.OVERDUE


def test_an_affected_critical_infrastructure_system_shortens_the_deadline() -> None:
    from inventory.models import System

    incident = make_incident(systems=[System(critical_infrastructure=True)])
    assert deadlines(incident, "2026-10-01T08:30:00+08:00").report_hours == 1
    plain = make_incident(systems=[System(critical_infrastructure=False)])
    assert deadlines(plain, "2026-10-01T08:30:00+08:00").report_hours == 4


def test_general_incidents_need_no_report_unless_the_policy_says_so(tmp_path: Path) -> None:
    general = make_incident(grade=IncidentGrade.GENERAL)
    result = deadlines(general, "2027-01-01T00:00:00+08:00")
    assert not result.must_report and result.report_state is DeadlineState.NOT_REQUIRED
    assert result.summary_state is DeadlineState.NOT_REQUIRED and not result.flagged
    for grade in (IncidentGrade.MAJOR, IncidentGrade.ESPECIALLY_MAJOR):
        assert deadlines(make_incident(grade=grade), "2026-10-01T09:00:00+08:00").must_report
    strict = county(tmp_path, '[incident.report]\nmin_grade = "一般"\n[incident.report_hours]\ndefault = 2\n')
    changed = deadlines(general, "2026-10-01T09:00:00+08:00", strict)
    assert changed.must_report and changed.report_due == at("2026-10-01T10:00:00+08:00")


def test_summary_due_30_days_after_handling_ends_in_local_time_rolled_past_national_day() -> None:
    # 2026-08-31 17:00 UTC is already 09-01 in Shanghai; 09-01 + 30 days = 10-01, a holiday -> 10-08
    ended = make_incident(
        detected_at=at("2026-08-31T10:00:00+00:00"),
        occurred_at=at("2026-08-31T09:00:00+00:00"),
        handling_ended_at=at("2026-08-31T17:00:00+00:00"),
    )
    result = deadlines(ended, "2026-10-08T23:59:59+08:00")
    assert result.summary_due == dt.date(2026, 10, 8)
    assert result.summary_state is DeadlineState.PENDING
    assert deadlines(ended, "2026-10-09T00:00:00+08:00").summary_state is DeadlineState.OVERDUE
    on_time = make_incident(
        detected_at=ended.detected_at,
        occurred_at=ended.occurred_at,
        handling_ended_at=ended.handling_ended_at,
        summary_reported_at=at("2026-10-08T15:59:59+00:00"),  # 23:59:59 in Shanghai
    )
    assert deadlines(on_time, "2026-11-01T00:00:00+08:00").summary_state is DeadlineState.MET
    late = make_incident(
        detected_at=ended.detected_at,
        occurred_at=ended.occurred_at,
        handling_ended_at=ended.handling_ended_at,
        summary_reported_at=at("2026-10-08T16:00:00+00:00"),  # 10-09 00:00 in Shanghai
    )
    assert deadlines(late, "2026-11-01T00:00:00+08:00").summary_state is DeadlineState.LATE


def test_summary_due_on_a_make_up_saturday_stays_and_policy_days_apply(tmp_path: Path) -> None:
    ended = make_incident(handling_ended_at=at("2026-09-10T18:00:00+08:00"))
    assert deadlines(ended, "2026-09-11T00:00:00+08:00").summary_due == dt.date(2026, 10, 10)
    shorter = county(tmp_path, "[incident.summary_report]\ndays = 15\n")
    assert deadlines(ended, "2026-09-11T00:00:00+08:00", shorter).summary_due == dt.date(2026, 9, 28)


def test_summary_due_in_an_unknown_year_is_provisional() -> None:
    ended = make_incident(
        detected_at=at("2026-12-10T08:00:00+08:00"), handling_ended_at=at("2026-12-20T08:00:00+08:00")
    )
    result = deadlines(ended, "2026-12-21T00:00:00+08:00")
    assert result.summary_due == dt.date(2027, 1, 19) and result.summary_provisional


def test_now_must_carry_a_time_zone() -> None:
    with pytest.raises(ValueError):
        incident_deadlines(make_incident(), POLICY, now=dt.datetime(2026, 10, 1, 9), calendar=CAL)
