"""The FastAPI application factory: the only place that joins every domain's routes."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI

from taizhang import __version__
from taizhang.api import ERROR_RESPONSES, RequestIdMiddleware, install_error_handlers
from taizhang.web import install_web

API_PREFIX = "/api/v1"
_heap_settled = False


def _settle_heap() -> None:
    """Leave what start-up built (modules, schemas, routes) out of the garbage collector's walks.

    Those objects live as long as the process, yet every full collection walks them all: with a
    large request allocating enough to trigger one, that was a pause of up to a few hundred
    milliseconds on a busy two-core host. Once per process, at the first application's start-up.
    """
    global _heap_settled
    if not _heap_settled:
        _heap_settled = True
        gc.collect()
        gc.freeze()


def _settle_heap_at_startup(app: FastAPI) -> None:
    previous: Callable[[Any], AbstractAsyncContextManager[Any]] = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[Any]:
        _settle_heap()
        async with previous(application) as state:
            yield state

    app.router.lifespan_context = lifespan


def create_app() -> FastAPI:
    import exporters.prometheus.api
    import exporters.report_web
    import exporters.sheets.api
    import exporters.sheets.pages
    import inventory.api
    import inventory.pages
    import migration.api
    import migration.pages
    import security.evidence.api
    import security.findings.api
    import security.findings.background
    import security.findings.pages
    import security.grading.api
    import security.grading.pages
    import security.response.api
    import security.response.pages
    import security.supply.api
    import security.verification.api
    import security.verification.pages
    import taizhang.api_docs
    import taizhang.auth.api
    import taizhang.core_api
    import taizhang.models
    from taizhang.settings import get_settings

    get_settings()  # an invalid TAIZHANG_* variable stops the server at start, with its message
    app = FastAPI(
        title="taizhang 台账",
        version=__version__,
        description="县级政务信息系统台账：部署与上云、网络、供应链安全可控、等保、密评、应急演练、事件与项目。",
        docs_url=None,  # taizhang.api_docs serves /api/docs from the vendored Swagger UI
        redoc_url=None,
        openapi_url=taizhang.api_docs.OPENAPI_PATH,
    )
    install_error_handlers(app)
    app.add_middleware(RequestIdMiddleware)

    api = APIRouter(prefix=API_PREFIX, responses=ERROR_RESPONSES)
    api.include_router(taizhang.core_api.router)
    api.include_router(taizhang.auth.api.router)
    api.include_router(inventory.api.router)
    api.include_router(migration.api.router)
    api.include_router(security.grading.api.router)
    api.include_router(security.response.api.router)
    api.include_router(security.supply.api.router)
    api.include_router(security.evidence.api.router)
    api.include_router(security.findings.api.router)
    api.include_router(security.verification.api.router)
    api.include_router(exporters.sheets.api.router)
    api.include_router(exporters.report_web.router)
    app.include_router(api)
    app.include_router(taizhang.api_docs.router)
    app.include_router(exporters.prometheus.api.router)
    security.findings.background.install(app)
    install_web(app)
    app.include_router(inventory.pages.router)
    app.include_router(migration.pages.router)
    app.include_router(security.findings.pages.router)
    app.include_router(exporters.report_web.pages)
    app.include_router(security.grading.pages.router)
    app.include_router(security.response.pages.router)
    app.include_router(security.verification.pages.router)
    app.include_router(exporters.sheets.pages.router)
    _settle_heap_at_startup(app)
    return app
