"""The API documentation page ``/api/docs``: Swagger UI from ``taizhang/static/vendor/``, never a CDN.

County networks are often cut off from the internet, so the page is FastAPI's ``get_swagger_ui_html``
pointed at the vendored swagger-ui-dist files (see ``taizhang/static/vendor/README.md``). Its one
inline script (the ``SwaggerUIBundle({...})`` call) carries a fresh nonce, and the page gets a
Content-Security-Policy of its own: the pages' policy plus that nonce, no ``'unsafe-inline'``.
"""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Depends, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from taizhang.api import public
from taizhang.web.security import CONTENT_SECURITY_POLICY

SWAGGER_UI_VERSION = "5.35.0"
VENDOR = "/static/vendor"
SWAGGER_JS = f"{VENDOR}/swagger-ui-bundle-{SWAGGER_UI_VERSION}.js"
SWAGGER_CSS = f"{VENDOR}/swagger-ui-{SWAGGER_UI_VERSION}.css"
SWAGGER_FAVICON = f"{VENDOR}/swagger-ui-favicon-32x32.png"
DOCS_PATH = "/api/docs"
OPENAPI_PATH = "/api/openapi.json"
# The online validator badge would send the schema's URL to validator.swagger.io: off.
SWAGGER_PARAMETERS = {"validatorUrl": None, "docExpansion": "none", "defaultModelsExpandDepth": 0}
_INLINE_SCRIPT = "<script>"

router = APIRouter(include_in_schema=False)


def docs_policy(nonce: str) -> str:
    return CONTENT_SECURITY_POLICY.replace("script-src 'self'", f"script-src 'self' 'nonce-{nonce}'")


@router.get(DOCS_PATH, dependencies=[Depends(public("API 文档，与 /api/openapi.json 一样公开"))])
def swagger_ui(request: Request) -> HTMLResponse:
    nonce = secrets.token_urlsafe(18)
    page = get_swagger_ui_html(
        openapi_url=OPENAPI_PATH,
        title=f"{request.app.title} API 文档",
        swagger_js_url=SWAGGER_JS,
        swagger_css_url=SWAGGER_CSS,
        swagger_favicon_url=SWAGGER_FAVICON,
        swagger_ui_parameters=SWAGGER_PARAMETERS,
    )
    html = bytes(page.body).decode()
    if html.count(_INLINE_SCRIPT) != 1:  # FastAPI changed its template: fail loudly, not silently
        raise RuntimeError("get_swagger_ui_html no longer has exactly one inline <script>")
    html = html.replace(_INLINE_SCRIPT, f'<script nonce="{nonce}">').replace("<html>", '<html lang="zh-CN">')
    headers = {
        "Content-Security-Policy": docs_policy(nonce),
        "X-Frame-Options": "DENY",
        "Cache-Control": "no-store",
    }
    return HTMLResponse(html, headers=headers)
