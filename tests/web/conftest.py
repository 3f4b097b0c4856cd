"""Fixtures for server-side page tests: a small county and browsers logged in by role."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from web_support import County, login


@pytest.fixture
def county(engine: Any) -> County:
    from inventory import schemas as s
    from inventory.entities import HOSTS, PROJECTS, SYSTEMS, UNITS
    from taizhang import crud
    from taizhang.db import session_scope

    with session_scope(actor="test") as db:
        edu = crud.create(db, UNITS, s.UnitCreate(code="U01", name="县教育局", kind="county_department"))
        civil = crud.create(db, UNITS, s.UnitCreate(code="U02", name="县民政局", kind="county_department"))
        edu_sys = crud.create(
            db,
            SYSTEMS,
            s.SystemCreate(
                catalogue_number="JY-001", name="学籍管理系统", owner_unit_id=edu.id, mlps_level=3
            ),
        )
        civil_sys = crud.create(
            db,
            SYSTEMS,
            s.SystemCreate(
                catalogue_number="MZ-001",
                name="低保救助管理系统",
                owner_unit_id=civil.id,
                hosting="city_cloud",
            ),
        )
        edu_host = crud.create(
            db,
            HOSTS,
            s.HostCreate(
                hostname="jy-app-01",
                kind="virtual",
                os_name="CentOS Linux",
                os_version="7.9.2009",
                system_ids=[edu_sys.id],
            ),
        )
        civil_host = crud.create(
            db, HOSTS, s.HostCreate(hostname="mz-app-01", kind="virtual", unit_id=civil.id)
        )
        edu_project = crud.create(
            db,
            PROJECTS,
            s.ProjectCreate(
                name="智慧教育一期", implementing_unit_id=edu.id, kind="new", system_ids=[edu_sys.id]
            ),
        )
        civil_project = crud.create(
            db, PROJECTS, s.ProjectCreate(name="民政救助平台", implementing_unit_id=civil.id, kind="new")
        )
        return County(
            edu.id,
            civil.id,
            edu_sys.id,
            civil_sys.id,
            civil_sys.name,
            edu_host.id,
            civil_host.id,
            edu_project.id,
            civil_project.id,
        )


@pytest.fixture
def browser_as(
    app: Any, make_user: Callable[..., dict[str, str]], county: County
) -> Callable[[str], TestClient]:
    """A logged-in page client for a role; the unit user belongs to 县教育局 only."""
    clients: list[TestClient] = []

    def make(role: str) -> TestClient:
        username = f"web_{role}"
        make_user(username, role, (county.edu,) if role == "unit" else ())
        client = TestClient(app, raise_server_exceptions=False)
        clients.append(client)
        response = login(client, username)
        assert response.status_code == 303, response.text
        return client

    return make
