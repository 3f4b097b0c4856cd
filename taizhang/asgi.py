"""ASGI entry point for uvicorn workers."""

from taizhang.app import create_app

app = create_app()
