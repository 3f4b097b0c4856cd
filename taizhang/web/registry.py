"""What domain packages plug into the pages: navigation entries, dashboard sections and panels.

A domain registers these at import time of its ``pages`` module (which ``taizhang.app`` imports):

    register_nav(NavEntry("migration", "上云迁移", "/migration", Permission.MIGRATION_READ, order=30))
    register_dashboard_section(DashboardSection("migration", "上云迁移进度", load_fn,
                                                "migration/dashboard.html", Permission.MIGRATION_READ, 30))
    register_panel("system", Panel("migration", "迁移计划", load_fn, "migration/system_panel.html",
                                   Permission.MIGRATION_READ, order=25))

``load`` functions are plain functions that call services and return the template's context; they
get the session, the principal and (for panels) the object the page shows. Keys are unique, so a
module imported twice registers once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from taizhang.auth.principal import Principal
from taizhang.auth.roles import Permission


@dataclass(frozen=True)
class NavEntry:
    key: str
    label: str
    path: str
    permission: Permission
    order: int = 50

    def active(self, current_path: str) -> bool:
        if self.path == "/":
            return current_path == "/"
        return current_path == self.path or current_path.startswith(self.path + "/")


SectionLoader = Callable[[Session, Principal], dict[str, Any]]
PanelLoader = Callable[[Session, Principal, Any], dict[str, Any]]


@dataclass(frozen=True)
class DashboardSection:
    """A block of the dashboard; ``load(session, principal)`` returns its template context."""

    key: str
    title: str
    load: SectionLoader
    template: str
    permission: Permission
    order: int = 50


@dataclass(frozen=True)
class Panel:
    """A section of an object's page (``page`` is "system", "host", …).

    ``load(session, principal, obj)`` returns the template context; the template receives it as
    ``panel_data`` plus ``obj``, ``principal`` and ``panel`` itself.
    """

    key: str
    title: str
    load: PanelLoader
    template: str
    permission: Permission
    order: int = 50


_nav: dict[str, NavEntry] = {}
_sections: dict[str, DashboardSection] = {}
_panels: dict[str, dict[str, Panel]] = {}


def register_nav(entry: NavEntry) -> None:
    _nav[entry.key] = entry


def register_dashboard_section(section: DashboardSection) -> None:
    _sections[section.key] = section


def register_panel(page: str, panel: Panel) -> None:
    _panels.setdefault(page, {})[panel.key] = panel


def nav_for(principal: Principal | None) -> list[NavEntry]:
    if principal is None:
        return []
    return sorted((e for e in _nav.values() if principal.can(e.permission)), key=lambda e: (e.order, e.key))


def sections_for(principal: Principal) -> list[DashboardSection]:
    visible = (s for s in _sections.values() if principal.can(s.permission))
    return sorted(visible, key=lambda s: (s.order, s.key))


def panels_for(page: str, principal: Principal) -> list[Panel]:
    visible = (p for p in _panels.get(page, {}).values() if principal.can(p.permission))
    return sorted(visible, key=lambda p: (p.order, p.key))


@dataclass(frozen=True)
class LoadedBlock:
    """A section or panel with its loaded context, ready for the template."""

    key: str
    title: str
    template: str
    data: dict[str, Any]


def load_sections(session: Session, principal: Principal) -> list[LoadedBlock]:
    return [
        LoadedBlock(s.key, s.title, s.template, s.load(session, principal)) for s in sections_for(principal)
    ]


def load_panels(page: str, session: Session, principal: Principal, obj: Any) -> list[LoadedBlock]:
    return [
        LoadedBlock(p.key, p.title, p.template, p.load(session, principal, obj))
        for p in panels_for(page, principal)
    ]
