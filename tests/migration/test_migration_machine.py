"""The state machine table itself: complete, reachable, and consistent with its helpers."""

from __future__ import annotations

from inventory.choices import Hosting
from migration.choices import PlanState as S
from migration.machine import (
    CUTOVER_DONE,
    MIGRATING,
    ORDER,
    PAUSABLE,
    STEPS,
    TRANSITIONS,
    allowed_targets,
    hosting_after,
    next_step,
)


def test_every_state_has_a_row_and_order_lists_each_once() -> None:
    assert set(TRANSITIONS) == set(S)
    assert sorted(ORDER) == sorted(S)
    for state, targets in TRANSITIONS.items():
        assert state not in targets, f"{state} may not move to itself"


def test_forward_path_walks_the_seven_steps_in_order() -> None:
    state, path = S.PLANNED, []
    while (nxt := next_step(state)) is not None:
        assert nxt in allowed_targets(state)
        path.append(nxt)
        state = nxt
    assert path == [*STEPS, S.DONE]
    assert [s.label for s in STEPS] == ["评估", "方案", "资源申请", "迁移实施", "割接", "验证", "原环境下线"]


def test_every_state_is_reachable_from_planned() -> None:
    seen, frontier = {S.PLANNED}, [S.PLANNED]
    while frontier:
        for target in TRANSITIONS[frontier.pop()]:
            if target not in seen:
                seen.add(target)
                frontier.append(target)
    assert seen == set(S)


def test_done_is_final_and_reverts_only_where_documented() -> None:
    assert allowed_targets(S.DONE) == []
    backwards = {
        (a, b)
        for a, targets in TRANSITIONS.items()
        for b in targets
        if a in STEPS and b in STEPS and STEPS.index(b) < STEPS.index(a)
    }
    assert backwards == {
        (S.DESIGN, S.ASSESSMENT),
        (S.RESOURCES, S.DESIGN),
        (S.CUTOVER, S.IMPLEMENTATION),
        (S.VERIFICATION, S.IMPLEMENTATION),
    }


def test_pause_resumes_only_where_it_stopped() -> None:
    for origin in PAUSABLE:
        assert S.ON_HOLD in allowed_targets(origin)
        assert allowed_targets(S.ON_HOLD, origin) == [origin, S.CANCELLED]
        assert next_step(S.ON_HOLD, origin) is origin
    for late in (S.CUTOVER, S.VERIFICATION, S.DECOMMISSION, S.DONE):
        assert S.ON_HOLD not in allowed_targets(late)
        assert S.CANCELLED not in allowed_targets(late)


def test_hosting_follows_the_plan() -> None:
    for state in MIGRATING:
        assert hosting_after(state, current=Hosting.LEGACY, original=Hosting.LEGACY) is Hosting.MIGRATING
    assert hosting_after(S.DONE, current=Hosting.MIGRATING, original=Hosting.LEGACY) is Hosting.CITY_CLOUD
    assert (
        hosting_after(S.CANCELLED, current=Hosting.MIGRATING, original=Hosting.INDUSTRY_CLOUD)
        is Hosting.INDUSTRY_CLOUD
    )
    assert hosting_after(S.ON_HOLD, current=Hosting.MIGRATING, original=Hosting.LEGACY) is Hosting.MIGRATING
    assert hosting_after(S.DESIGN, current=Hosting.LEGACY, original=Hosting.LEGACY) is Hosting.LEGACY
    assert {S.VERIFICATION, S.DECOMMISSION, S.DONE} == CUTOVER_DONE
