"""A standalone ASGI app serving only ``/metrics`` (``taizhang exporter``)."""

from fastapi import FastAPI

from exporters.prometheus.api import router
from taizhang.api import install_error_handlers

app = FastAPI(title="taizhang exporter", docs_url=None, redoc_url=None, openapi_url=None)
install_error_handlers(app)
app.include_router(router)
