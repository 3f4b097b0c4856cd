"""Every API route × every role, derived from the permission each route declares.

Anonymous → 401 (public routes excepted); a role without the route's permission → 403; a role
with it → neither 401 nor 403 (the answer is then 2xx, 404 for an id that does not exist, or 422
for an empty body). Unit users may also meet 403 where a service confines them to their units.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from taizhang import db
from taizhang.api import iter_routes
from taizhang.auth import service
from taizhang.auth.roles import Permission, Role, role_allows

BODY_METHODS = {"POST", "PUT", "PATCH"}


def _permission(dependant: Any) -> Any:
    for dep in dependant.dependencies:
        marker = getattr(dep.call, "__permission__", None)
        if marker is not None:
            return marker
        found = _permission(dep)
        if found is not None:
            return found
    return None


def _api_routes(app: Any) -> list[tuple[str, str, Any]]:
    routes = []
    for methods, path, dependant in iter_routes(app):
        if not path.startswith("/api/v1/"):
            continue
        for method in sorted(methods - {"HEAD", "OPTIONS"}):
            routes.append((method, re.sub(r"\{[^}]+\}", "999999", path), _permission(dependant)))
    return routes


def _call(client: TestClient, method: str, url: str, headers: dict[str, str]) -> int:
    kwargs: dict[str, Any] = {"headers": headers}
    if method in BODY_METHODS:
        kwargs["json"] = {}
    return client.request(method, url, **kwargs).status_code


def test_every_route_for_every_role(engine: Engine, app: Any, anon: TestClient) -> None:
    from inventory.models import Unit

    headers: dict[Role, dict[str, str]] = {}
    with db.session_scope(actor="test") as s:
        unit = Unit(code="R1", name="角色测试局", kind="township")
        s.add(unit)
        s.flush()
        for role in Role:
            user = service.create_user(
                s, username=f"route_{role.value}", role=role, unit_ids=[unit.id] if role is Role.UNIT else []
            )
            _, plain = service.create_token(s, user=user)
            headers[role] = {"Authorization": f"Bearer {plain}"}

    routes = _api_routes(app)
    assert len(routes) > 100
    wrong: list[str] = []
    for method, url, permission in routes:
        assert permission is not None, f"{method} {url} declares no permission"
        public = isinstance(permission, str) and permission.startswith("public")
        status = _call(anon, method, url, {})
        if (status == 401) == public:
            wrong.append(f"anonymous {method} {url}: {status}")
        if public:
            continue
        for role, role_headers in headers.items():
            status = _call(anon, method, url, role_headers)
            allowed = isinstance(permission, Permission) and role_allows(role, permission)
            if not allowed and status != 403:
                wrong.append(f"{role.value} {method} {url}: {status}, expected 403")
            if allowed and (status == 401 or (status == 403 and role is not Role.UNIT) or status >= 500):
                wrong.append(f"{role.value} {method} {url}: {status}, expected access")
    assert wrong == [], "\n".join(wrong[:40])
