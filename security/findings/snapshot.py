"""The read-only view of the ledger that rules evaluate: one bulk query per table, loaded lazily.

Rows are SQLAlchemy ``Row`` objects (attribute access, enums already decoded), not ORM instances:
loading a province (100,000 hosts) as rows is several times faster and nothing can be written
through them by accident.

Scope: ``LedgerSnapshot(session, system_ids=None)`` sees the whole ledger. With ``system_ids`` it
sees those systems, every project linked to one of them, and every system of those projects (a
project's rules need all its systems), plus the hosts, attachments, usages and resources of that
widened set. ``covered()`` tells the engine which subjects were seen in full, so a partial
evaluation only reconciles findings about those subjects.

Data a rule needs that is not loaded here yet (a new domain's table): call
``snapshot.rows_by_system(Model)`` for a table with a ``system_id`` column, or
``snapshot.rows(Model)`` for any other table. Both run one query per table, are cached for the
snapshot's lifetime and respect the scope (``rows`` is never narrowed: use it for small reference
tables such as a service catalogue).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from functools import cached_property
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from inventory.models import (
    Host,
    NetworkAttachment,
    Product,
    ProductUsage,
    Project,
    Resource,
    System,
    Unit,
    host_systems,
    project_systems,
)
from security.findings.choices import SubjectType
from taizhang.policy import Policy, get_policy
from taizhang.workdays import WorkdayCalendar, get_calendar

_CHUNK = 900  # stays under SQLite's bound-parameter limit
#: Columns no rule reads; skipping them (and their per-row decoding) halves load time at scale.
_SKIPPED = frozenset({"created_at", "updated_at", "version", "ip_addresses"})


def _columns(model: Any) -> list[Any]:
    return [c for c in model.__table__.c if c.name not in _SKIPPED]


class _MemoCalendar(WorkdayCalendar):
    """The county calendar with ``is_workday`` memoised: thousands of deadlines share their days."""

    def __init__(self, inner: WorkdayCalendar) -> None:
        super().__init__(source=inner.source)
        self._inner = inner
        self._memo: dict[dt.date, bool] = {}

    @property
    def complete_years(self) -> frozenset[int]:
        return self._inner.complete_years

    def is_workday(self, d: dt.date) -> bool:
        known = self._memo.get(d)
        if known is None:
            known = self._memo[d] = self._inner.is_workday(d)
        return known

    def is_known_year(self, year: int) -> bool:
        return self._inner.is_known_year(year)


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield list(ids[start : start + _CHUNK])


class LedgerSnapshot:
    def __init__(
        self,
        session: Session,
        *,
        today: dt.date,
        system_ids: Iterable[int] | None = None,
        policy: Policy | None = None,
        calendar: WorkdayCalendar | None = None,
    ) -> None:
        self.session = session
        self.today = today
        self.policy = policy or get_policy()
        self.calendar: WorkdayCalendar = _MemoCalendar(calendar or get_calendar())
        self.requested_system_ids = None if system_ids is None else frozenset(system_ids)
        self._tables: dict[Any, Any] = {}

    @property
    def partial(self) -> bool:
        return self.requested_system_ids is not None

    # --- generic loaders ------------------------------------------------------------------

    def _select_in(self, stmt: Any, column: Any, ids: Iterable[int]) -> list[Row[Any]]:
        if not self.partial:
            return list(self.session.execute(stmt))
        out: list[Row[Any]] = []
        for chunk in _chunks(sorted(ids)):
            out.extend(self.session.execute(stmt.where(column.in_(chunk))))
        return out

    def rows(self, model: Any) -> list[Row[Any]]:
        """Every row of ``model``'s table (unscoped), loaded once."""
        key = ("rows", model)
        if key not in self._tables:
            self._tables[key] = list(self.session.execute(select(*model.__table__.c)))
        return self._tables[key]

    def rows_by_system(self, model: Any) -> dict[int, list[Row[Any]]]:
        """Rows of a table with a ``system_id`` column, grouped by system, within the scope."""
        key = ("by_system", model)
        if key not in self._tables:
            table = model.__table__
            rows = self._select_in(select(*_columns(model)), table.c.system_id, self.system_ids)
            grouped: dict[int, list[Row[Any]]] = defaultdict(list)
            for row in rows:
                grouped[row.system_id].append(row)
            self._tables[key] = dict(grouped)
        return self._tables[key]

    # --- scope ------------------------------------------------------------------------------

    @cached_property
    def _scope_projects(self) -> dict[int, list[int]]:
        """project id -> its system ids, for the projects in scope."""
        links: dict[int, list[int]] = defaultdict(list)
        if not self.partial:
            for project_id, system_id in self.session.execute(select(project_systems)):
                links[project_id].append(system_id)
            return dict(links)
        assert self.requested_system_ids is not None
        touched = self._select_in(
            select(project_systems.c.project_id), project_systems.c.system_id, self.requested_system_ids
        )
        project_ids = {row.project_id for row in touched}
        for row in self._select_in(select(project_systems), project_systems.c.project_id, project_ids):
            links[row.project_id].append(row.system_id)
        return {pid: links.get(pid, []) for pid in project_ids}

    @cached_property
    def system_ids(self) -> frozenset[int]:
        """Systems in scope (the requested ones widened by their projects' systems)."""
        if not self.partial:
            return frozenset(self.systems)
        assert self.requested_system_ids is not None
        widened = set(self.requested_system_ids)
        for ids in self._scope_projects.values():
            widened.update(ids)
        return frozenset(widened)

    # --- inventory tables ---------------------------------------------------------------

    @cached_property
    def units(self) -> dict[int, Any]:
        return {row.id: row for row in self.session.execute(select(Unit.id, Unit.code, Unit.name))}

    @cached_property
    def systems(self) -> dict[int, Row[Any]]:
        stmt = select(*_columns(System))
        if not self.partial:
            return {row.id: row for row in self.session.execute(stmt)}
        return {row.id: row for row in self._select_in(stmt, System.id, self.system_ids)}

    @cached_property
    def host_system_links(self) -> dict[int, list[int]]:
        """host id -> every system it serves (complete for each host in scope)."""
        links: dict[int, list[int]] = defaultdict(list)
        if not self.partial:
            for row in self.session.execute(select(host_systems)):
                links[row.host_id].append(row.system_id)
            return dict(links)
        hosts = self._select_in(select(host_systems.c.host_id), host_systems.c.system_id, self.system_ids)
        host_ids = {row.host_id for row in hosts}
        for row in self._select_in(select(host_systems), host_systems.c.host_id, host_ids):
            links[row.host_id].append(row.system_id)
        return dict(links)

    @cached_property
    def hosts(self) -> dict[int, Row[Any]]:
        stmt = select(*_columns(Host))
        if not self.partial:
            return {row.id: row for row in self.session.execute(stmt)}
        return {row.id: row for row in self._select_in(stmt, Host.id, self.host_system_links)}

    @cached_property
    def projects(self) -> dict[int, Row[Any]]:
        stmt = select(*_columns(Project))
        if not self.partial:
            return {row.id: row for row in self.session.execute(stmt)}
        return {row.id: row for row in self._select_in(stmt, Project.id, self._scope_projects)}

    def project_system_ids(self, project_id: int) -> list[int]:
        return sorted(self._scope_projects.get(project_id, []))

    @cached_property
    def network_attachments(self) -> dict[int, list[Row[Any]]]:
        return self.rows_by_system(NetworkAttachment)

    @cached_property
    def product_usages(self) -> dict[int, list[Row[Any]]]:
        return self.rows_by_system(ProductUsage)

    @cached_property
    def resources(self) -> dict[int, list[Row[Any]]]:
        return self.rows_by_system(Resource)

    @cached_property
    def products(self) -> dict[int, Row[Any]]:
        stmt = select(*_columns(Product))
        if not self.partial:
            return {row.id: row for row in self.session.execute(stmt)}
        used = {u.product_id for usages in self.product_usages.values() for u in usages}
        return {row.id: row for row in self._select_in(stmt, Product.id, used)}

    # --- helpers for rules ----------------------------------------------------------------

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per snapshot: for bulk status functions several rules share."""
        memo = self._tables.setdefault("memo", {})
        if key not in memo:
            memo[key] = compute()
        return memo[key]

    def scoped_ids(self) -> list[int] | None:
        """The systems in scope as a list for bulk functions (None on a whole-ledger snapshot)."""
        return sorted(self.system_ids) if self.partial else None

    def deadline(self, key: str, start: dt.date) -> dt.date:
        """``policy.deadline(key, start)`` on the snapshot's calendar, memoised per (key, start)."""
        memo = self._tables.setdefault("deadlines", {})
        found = memo.get((key, start))
        if found is None:
            found = memo[(key, start)] = self.policy.deadline(key, start, calendar=self.calendar)
        return found

    def unit_name(self, unit_id: int | None) -> str:
        row = self.units.get(unit_id) if unit_id is not None else None
        return row.name if row is not None else ""

    def system_label(self, system_id: int) -> str:
        row = self.systems.get(system_id)
        return f"{row.name}（{row.catalogue_number}）" if row is not None else f"信息系统 {system_id}"

    def host_unit(self, host: Row[Any]) -> int | None:
        if host.unit_id is not None:
            return host.unit_id
        for system_id in self.host_system_links.get(host.id, []):
            system = self.systems.get(system_id)
            if system is not None:
                return system.owner_unit_id
        return None

    def covered(self) -> dict[SubjectType, frozenset[int]] | None:
        """Subjects seen in full, by type; None for a whole-ledger snapshot (everything covered)."""
        if not self.partial:
            return None

        def ids(groups: dict[int, list[Row[Any]]]) -> frozenset[int]:
            return frozenset(row.id for rows in groups.values() for row in rows)

        return {
            SubjectType.SYSTEM: self.system_ids,
            SubjectType.HOST: frozenset(self.hosts),
            SubjectType.PROJECT: frozenset(self.projects),
            SubjectType.NETWORK_ATTACHMENT: ids(self.network_attachments),
            SubjectType.PRODUCT_USAGE: ids(self.product_usages),
            SubjectType.RESOURCE: ids(self.resources),
        }
