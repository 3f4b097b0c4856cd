"""The migration plan state machine, as data.

The steps of 第三十五条's move to the city government cloud run in order:
评估 → 方案 → 资源申请 → 迁移实施 → 割接 → 验证 → 原环境下线 → 已完成.

A plan in a step is working on it; moving to the next state completes that step. Besides the
forward moves, ``TRANSITIONS`` allows a step to go back only where the work really is redone:

- 方案 → 评估: the design found the assessment incomplete (e.g. an unknown dependency);
- 资源申请 → 方案: the city cloud refused or cut the resource request, so the design changes;
- 割接 → 迁移实施: the cutover was aborted and rolled back to the old environment;
- 验证 → 迁移实施: verification on the city cloud failed, the migration work is redone.

Two side states:

- 暂停 (``on_hold``) from any state before 割接: a plan waiting on budget, a vendor or a
  dependency keeps its place and resumes exactly where it stopped (``held_from``). Once the cutover
  has started a plan cannot pause; it either completes or rolls back to 迁移实施.
- 已取消 (``cancelled``) from any state before 割接 (the system is retired, merged into another, or
  exempted instead); the hosting returns to what it was before the plan. A cancelled plan may be
  reopened, starting again from 待启动.

已完成 is final. Hosting follows the plan: entering 迁移实施 sets the system ``migrating``,
completing 原环境下线 sets it ``city_cloud``, cancelling restores the hosting it had before.
"""

from __future__ import annotations

from inventory.choices import Hosting
from migration.choices import PlanState as S

STEPS: tuple[S, ...] = (
    S.ASSESSMENT,
    S.DESIGN,
    S.RESOURCES,
    S.IMPLEMENTATION,
    S.CUTOVER,
    S.VERIFICATION,
    S.DECOMMISSION,
)

#: states a plan may pause or be cancelled from (everything before the cutover starts).
PAUSABLE: frozenset[S] = frozenset({S.PLANNED, S.ASSESSMENT, S.DESIGN, S.RESOURCES, S.IMPLEMENTATION})

#: state -> states it may move to. ``on_hold`` lists every state it could resume to; the one
#: allowed for a given plan is its ``held_from`` (see ``allowed_targets``).
TRANSITIONS: dict[S, frozenset[S]] = {
    S.PLANNED: frozenset({S.ASSESSMENT, S.ON_HOLD, S.CANCELLED}),
    S.ASSESSMENT: frozenset({S.DESIGN, S.ON_HOLD, S.CANCELLED}),
    S.DESIGN: frozenset({S.RESOURCES, S.ASSESSMENT, S.ON_HOLD, S.CANCELLED}),
    S.RESOURCES: frozenset({S.IMPLEMENTATION, S.DESIGN, S.ON_HOLD, S.CANCELLED}),
    S.IMPLEMENTATION: frozenset({S.CUTOVER, S.ON_HOLD, S.CANCELLED}),
    S.CUTOVER: frozenset({S.VERIFICATION, S.IMPLEMENTATION}),
    S.VERIFICATION: frozenset({S.DECOMMISSION, S.IMPLEMENTATION}),
    S.DECOMMISSION: frozenset({S.DONE}),
    S.DONE: frozenset(),
    S.ON_HOLD: PAUSABLE | {S.CANCELLED},
    S.CANCELLED: frozenset({S.PLANNED}),
}

#: 割接 is done once a plan has reached any of these (an overdue cutover is one not yet here).
CUTOVER_DONE: frozenset[S] = frozenset({S.VERIFICATION, S.DECOMMISSION, S.DONE})

#: states in which the system runs (at least partly) in migration.
MIGRATING: frozenset[S] = frozenset({S.IMPLEMENTATION, S.CUTOVER, S.VERIFICATION, S.DECOMMISSION})

#: plans no longer under way.
CLOSED: frozenset[S] = frozenset({S.DONE, S.CANCELLED})

# Display order of states (the forward path, then the side states).
ORDER: tuple[S, ...] = (S.PLANNED, *STEPS, S.DONE, S.ON_HOLD, S.CANCELLED)


def allowed_targets(state: S, held_from: S | None = None) -> list[S]:
    """The states a plan in ``state`` (paused from ``held_from``) may move to, in display order."""
    targets = TRANSITIONS[state]
    if state is S.ON_HOLD:
        resume = held_from if held_from in PAUSABLE else S.PLANNED
        targets = frozenset({resume, S.CANCELLED})
    return [s for s in ORDER if s in targets]


def next_step(state: S, held_from: S | None = None) -> S | None:
    """The forward move ``advance`` takes by default: the next step, or resuming a paused plan."""
    if state is S.ON_HOLD:
        return held_from if held_from in PAUSABLE else S.PLANNED
    if state is S.CANCELLED:
        return S.PLANNED
    forward = (S.PLANNED, *STEPS, S.DONE)
    if state not in forward or state is S.DONE:
        return None
    return forward[forward.index(state) + 1]


def hosting_after(target: S, *, current: Hosting, original: Hosting) -> Hosting:
    """The system's hosting once its plan has entered ``target``."""
    if target is S.DONE:
        return Hosting.CITY_CLOUD
    if target in MIGRATING:
        return Hosting.MIGRATING
    if target in (S.CANCELLED, S.PLANNED) and current is Hosting.MIGRATING:
        return original
    return current


def cutover_done(state: S) -> bool:
    return state in CUTOVER_DONE
