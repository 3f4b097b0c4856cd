"""Progress figures equal hand-counted ones; an expired exemption puts a system back in scope."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from migration_helpers import API
from sqlalchemy.orm import Session

from inventory.choices import Classification, Hosting, SystemLifecycle, UnitKind
from inventory.models import System, Unit
from migration import service
from migration.choices import PlanState
from migration.models import Exemption, MigrationPlan, Wave
from taizhang.auth.principal import ALL, Scope

TODAY = dt.date(2026, 11, 26)
D = dt.date


def _system(session: Session, unit: Unit, number: str, hosting: Hosting, **extra: Any) -> System:
    system = System(
        catalogue_number=number,
        name=number,
        owner_unit_id=unit.id,
        lifecycle=extra.pop("lifecycle", SystemLifecycle.RUNNING),
        hosting=hosting,
        **extra,
    )
    session.add(system)
    session.flush()
    return system


def _plan(session: Session, system: System, wave: Wave, cutover: dt.date, state: PlanState) -> None:
    session.add(
        MigrationPlan(
            system_id=system.id,
            wave_id=wave.id,
            owner="张伟",
            planned_cutover=cutover,
            state=state,
            held_from=PlanState.DESIGN if state is PlanState.ON_HOLD else None,
            original_hosting=Hosting.LEGACY,
        )
    )


def _exempt(session: Session, system: System, approved: dt.date, expires: dt.date) -> None:
    session.add(
        Exemption(
            system_id=system.id,
            reason="依赖专用设备",
            approver="县政务信息管理局",
            approval_reference="襄政信批〔2026〕1号",
            approved_on=approved,
            expires_on=expires,
        )
    )


def build_county(session: Session) -> dict[str, int]:
    """Two units, two waves, fourteen systems; the expected figures are counted by hand below."""
    a = Unit(code="U01", name="甲局", kind=UnitKind.COUNTY_DEPARTMENT)
    b = Unit(code="U02", name="乙局", kind=UnitKind.COUNTY_DEPARTMENT)
    w1, w2 = Wave(name="第一批", target_date=D(2026, 6, 30)), Wave(name="第二批", target_date=D(2027, 6, 30))
    session.add_all([a, b, w1, w2])
    session.flush()
    L, M, C, I = Hosting.LEGACY, Hosting.MIGRATING, Hosting.CITY_CLOUD, Hosting.INDUSTRY_CLOUD  # noqa: E741
    _system(session, a, "A1", L)  # in scope, legacy, no plan
    _system(session, a, "A2", C)  # on the city cloud
    _plan(session, _system(session, a, "A3", L), w1, D(2026, 10, 1), PlanState.DESIGN)  # overdue
    _plan(session, _system(session, a, "A4", M), w1, D(2026, 10, 1), PlanState.VERIFICATION)  # cut over
    _exempt(session, _system(session, a, "A5", L), D(2026, 1, 1), D(2026, 12, 31))  # exempt until 12-31
    _exempt(session, _system(session, a, "A6", I), D(2025, 1, 1), D(2025, 12, 31))  # expired: in scope
    _system(session, a, "A7", L, lifecycle=SystemLifecycle.RETIRED)  # out of scope
    _system(session, b, "B1", L, classification=Classification.CLASSIFIED)  # out of scope
    _plan(session, _system(session, b, "B2", C), w2, D(2026, 9, 1), PlanState.DONE)
    _plan(session, _system(session, b, "B3", M), w2, D(2026, 11, 25), PlanState.CUTOVER)  # overdue
    _plan(session, _system(session, b, "B4", M), w2, TODAY, PlanState.IMPLEMENTATION)  # due today
    _plan(session, _system(session, b, "B5", L), w1, D(2026, 1, 1), PlanState.CANCELLED)  # not overdue
    b6 = _system(session, b, "B6", L)
    _plan(session, b6, w2, D(2026, 3, 1), PlanState.ON_HOLD)  # late, but exempt
    _exempt(session, b6, D(2026, 2, 1), D(2027, 1, 31))
    _exempt(session, _system(session, b, "B7", L), D(2026, 12, 1), D(2027, 6, 1))  # not yet approved
    session.flush()
    return {"a": a.id, "b": b.id, "w1": w1.id, "w2": w2.id}


def figures(**counts: Any) -> dict[str, Any]:
    keys = ["candidates", "exempt", "in_scope", "city_cloud", "migrating", "legacy", "industry_cloud"]
    out = dict(zip(keys, counts.pop("c"), strict=True))
    out["overdue_cutovers"] = counts.pop("overdue")
    out["cloud_rate"] = out["city_cloud"] / out["in_scope"] if out["in_scope"] else None
    return out


def strip(group: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in group.items() if k not in ("id", "name")}


#                 candidates exempt in_scope city migrating legacy industry
TOTAL = figures(c=(12, 2, 10, 2, 3, 4, 1), overdue=2)
UNIT_A = figures(c=(6, 1, 5, 1, 1, 2, 1), overdue=1)
UNIT_B = figures(c=(6, 1, 5, 1, 2, 2, 0), overdue=1)
WAVE_1 = figures(c=(3, 0, 3, 0, 1, 2, 0), overdue=1)
WAVE_2 = figures(c=(4, 1, 3, 1, 2, 0, 0), overdue=1)
NO_WAVE = figures(c=(5, 1, 4, 1, 0, 2, 1), overdue=0)


def test_summary_equals_hand_counted_figures(session: Session) -> None:
    ids = build_county(session)
    result = service.summary(session, scope=ALL, today=TODAY).as_dict()
    assert result["total"] == TOTAL
    assert result["total"]["cloud_rate"] == 0.2
    assert [(g["name"], strip(g)) for g in result["by_unit"]] == [("甲局", UNIT_A), ("乙局", UNIT_B)]
    assert [(g["id"], strip(g)) for g in result["by_wave"]] == [
        (ids["w1"], WAVE_1),
        (ids["w2"], WAVE_2),
        (None, NO_WAVE),
    ]
    assert service.summary(session, scope=ALL, unit_id=ids["b"], today=TODAY).as_dict()["total"] == UNIT_B
    by_wave = service.summary(session, scope=ALL, wave_id=ids["w2"], today=TODAY).as_dict()
    assert by_wave["total"] == WAVE_2 and [g["id"] for g in by_wave["by_wave"]] == [ids["w2"]]
    late = {
        r["catalogue_number"]: r["cutover_overdue"]
        for r in service.wave_systems(session, ids["w2"], today=TODAY)
    }
    assert late == {"B2": False, "B3": True, "B4": False, "B6": True}
    own = service.summary(session, scope=Scope(frozenset({ids["a"]})), today=TODAY).as_dict()
    assert own["total"] == UNIT_A and [g["name"] for g in own["by_unit"]] == ["甲局"]


def test_expired_exemption_counts_the_system_in_scope_again(session: Session) -> None:
    build_county(session)
    last_day = service.summary(session, scope=ALL, today=D(2026, 12, 31)).total
    next_day = service.summary(session, scope=ALL, today=D(2027, 1, 1)).total
    # 12-31: A5 and B6 exempt, B7 (approved 12-01) too; 01-01: A5's exemption has expired.
    assert (last_day.exempt, last_day.in_scope) == (3, 9)
    assert (next_day.exempt, next_day.in_scope) == (2, 10)
    assert next_day.legacy == last_day.legacy + 1
    assert service.active_exemption(session, _id(session, "A5"), today=D(2026, 12, 31)) is not None
    assert service.active_exemption(session, _id(session, "A5"), today=D(2027, 1, 1)) is None


def _id(session: Session, number: str) -> int:
    from sqlalchemy import select

    return session.execute(select(System.id).where(System.catalogue_number == number)).scalar_one()


def test_summary_route_and_scope(
    session: Session, client: TestClient, anon: TestClient, make_user: Callable[..., dict[str, str]]
) -> None:
    ids = build_county(session)
    session.commit()
    expected = service.summary(session, scope=ALL, today=service.local_today()).as_dict()
    r = client.get(f"{API}/summary")
    assert r.status_code == 200, r.text
    assert r.json()["total"] == expected["total"]
    assert r.json()["as_of"] == expected["as_of"]
    assert client.get(f"{API}/summary", params={"wave_id": 999}).status_code == 404

    unit_headers = make_user("jia", "unit", (ids["a"],))
    own = anon.get(f"{API}/summary", headers=unit_headers).json()
    assert [g["id"] for g in own["by_unit"]] == [ids["a"]]
    assert own["total"]["candidates"] == 6
    r = anon.get(f"{API}/summary", headers=unit_headers, params={"unit_id": ids["b"]})
    assert r.status_code == 404
    listed = client.get(f"{API}/waves/{ids['w1']}/systems").json()
    assert [r["catalogue_number"] for r in listed] == ["B5", "A3", "A4"]
    own_rows = anon.get(f"{API}/waves/{ids['w1']}/systems", headers=unit_headers).json()
    assert [r["catalogue_number"] for r in own_rows] == ["A3", "A4"]
