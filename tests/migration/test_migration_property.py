"""Random sequences of transitions through the API never reach a state the machine forbids."""

from __future__ import annotations

import itertools

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from migration_helpers import API, hosting_of, make_plan, make_system, make_unit, move

from migration.choices import PlanState as S
from migration.machine import allowed_targets

# Independent of the machine module: the system runs in migration from 迁移实施 until 原环境下线 is done.
MIGRATING = {S.IMPLEMENTATION, S.CUTOVER, S.VERIFICATION, S.DECOMMISSION}

# Moves that must never happen, stated independently of the transition table.
ONLY_FROM = {
    S.DONE: {S.DECOMMISSION},
    S.DECOMMISSION: {S.VERIFICATION},
    S.VERIFICATION: {S.CUTOVER},
    S.CUTOVER: {S.IMPLEMENTATION},
    S.ASSESSMENT: {S.PLANNED, S.DESIGN, S.ON_HOLD},
}


def _expected_hosting(state: S, held_from: S | None, original: str) -> str:
    if state is S.DONE:
        return "city_cloud"
    if state in MIGRATING or (state is S.ON_HOLD and held_from is S.IMPLEMENTATION):
        return "migrating"
    return original


def test_random_transition_sequences_stay_within_the_machine(client: TestClient) -> None:
    unit = make_unit(client)
    numbers = itertools.count(1)

    @settings(
        max_examples=12,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(data=st.data(), original=st.sampled_from(["legacy", "industry_cloud"]))
    def run(data: st.DataObject, original: str) -> None:
        system = make_system(client, unit["id"], f"P-{next(numbers)}", hosting=original)
        plan = make_plan(client, system["id"])
        state, held_from, moves = S.PLANNED, None, 0
        for _ in range(data.draw(st.integers(min_value=1, max_value=18), label="length")):
            allowed = allowed_targets(state, held_from)
            choices = st.sampled_from(list(S))
            if allowed:
                choices = st.one_of(st.sampled_from(allowed), choices)
            target = data.draw(choices, label="to")
            r = move(client, plan["id"], target.value)
            if target in allowed:
                assert r.status_code == 200, r.text
                assert target not in ONLY_FROM or state in ONLY_FROM[target], (state, target)
                held_from = state if target is S.ON_HOLD else None
                state, moves = target, moves + 1
            else:
                assert r.status_code == 409, r.text
                assert r.json()["allowed"] == [s.value for s in allowed]
            now = client.get(f"{API}/plans/{plan['id']}/state").json()
            assert (now["state"], now["held_from"]) == (state.value, held_from.value if held_from else None)
            assert now["hosting"] == _expected_hosting(state, held_from, original)
        history = client.get(f"{API}/plans/{plan['id']}/transitions").json()
        assert len(history) == moves
        chain = [S.PLANNED.value] + [h["to_state"] for h in history]
        assert [h["from_state"] for h in history] == chain[:-1]
        assert chain[-1] == state.value
        assert hosting_of(client, system["id"]) == _expected_hosting(state, held_from, original)

    run()
