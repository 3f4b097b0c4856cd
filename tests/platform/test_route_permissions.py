"""Every route declares who may call it (STYLE habit 9)."""

from __future__ import annotations

from typing import Any

from taizhang.api import iter_routes
from taizhang.app import create_app


def _permissions(dependant: Any) -> list[Any]:
    found = []
    for dep in dependant.dependencies:
        marker = getattr(dep.call, "__permission__", None)
        if marker is not None:
            found.append(marker)
        found.extend(_permissions(dep))
    return found


def test_every_route_declares_a_permission() -> None:
    routes = list(iter_routes(create_app()))
    missing = [
        f"{sorted(methods)} {path}" for methods, path, dependant in routes if not _permissions(dependant)
    ]
    assert len(routes) > 40
    assert missing == [], "routes without a declared permission:\n" + "\n".join(missing)


def test_a_route_without_permission_is_caught() -> None:
    from fastapi import APIRouter, FastAPI

    app = FastAPI()
    router = APIRouter(prefix="/x")

    @router.get("/open")
    def open_route() -> dict[str, str]:
        return {}

    app.include_router(router)
    routes = list(iter_routes(app))
    assert [path for _, path, dep in routes if not _permissions(dep)] == ["/x/open"]
