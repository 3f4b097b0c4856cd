"""The web pages' foundation: rendering, sessions and CSRF, error pages, and what domains plug in.

``install_web(app)`` mounts the static files, the security headers and the HTML error pages, and
adds the platform pages (login, dashboard, change log). A domain's ``pages`` module has its own
``router`` (included in ``taizhang.app``) and registers nav entries, dashboard sections, panels and
change-log object types with ``taizhang.web.registry`` / ``taizhang.web.objects``.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles


def install_web(app: FastAPI) -> None:
    from taizhang.web import pages
    from taizhang.web.errors import install_page_error_handlers
    from taizhang.web.security import SecurityHeadersMiddleware

    install_page_error_handlers(app)
    app.add_middleware(SecurityHeadersMiddleware)
    app.mount("/static", StaticFiles(packages=[("taizhang", "static")]), name="static")
    app.include_router(pages.router)
