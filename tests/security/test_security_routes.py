"""Every security route declares who may call it: reads need security.read, writes security.write."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute

import security.evidence.api
import security.response.api
import security.supply.api
from taizhang.auth.roles import Permission


def _routes(router: APIRouter) -> Iterator[APIRoute]:
    """Routes of a router and the routers included in it (FastAPI may keep those nested)."""
    for route in router.routes:
        nested = getattr(route, "original_router", None)
        if nested is not None:
            yield from _routes(nested)
        elif isinstance(route, APIRoute):
            yield route


def _permissions(route: APIRoute) -> set[Any]:
    found = set()
    stack = list(route.dependant.dependencies)
    while stack:
        dependant = stack.pop()
        marker = getattr(dependant.call, "__permission__", None)
        if marker is not None:
            found.add(marker)
        stack.extend(dependant.dependencies)
    return found


def test_security_routes_declare_their_permission() -> None:
    routers = [security.response.api.router, security.supply.api.router, security.evidence.api.router]
    routes = [route for router in routers for route in _routes(router)]
    assert len(routes) > 30
    for route in routes:
        expected = Permission.SECURITY_READ if route.methods == {"GET"} else Permission.SECURITY_WRITE
        assert _permissions(route) == {expected}, f"{sorted(route.methods)} {route.path}"
