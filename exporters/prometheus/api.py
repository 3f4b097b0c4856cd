"""``/metrics``: a plain route (200, no redirect) that negotiates the exposition format."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Depends, Request, Response
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import CollectorRegistry

from exporters.prometheus.collector import build_registry
from taizhang.api import public
from taizhang.errors import Unauthorized
from taizhang.settings import get_settings

router = APIRouter(tags=["监控"])
_registry: CollectorRegistry | None = None


def registry() -> CollectorRegistry:
    global _registry
    if _registry is None:
        _registry = build_registry()
    return _registry


def check_metrics_token(request: Request) -> None:
    expected = get_settings().metrics_token
    if not expected:
        return
    header = request.headers.get("authorization", "")
    scheme, _, supplied = header.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(supplied.strip().encode(), expected.encode()):
        raise Unauthorized("访问 /metrics 需要监控令牌（Authorization: Bearer …）")


@router.get(
    "/metrics",
    summary="Prometheus 指标",
    dependencies=[
        Depends(public("Prometheus scrape; protected by TAIZHANG_METRICS_TOKEN when set")),
        Depends(check_metrics_token),
    ],
    response_class=Response,
)
def metrics(request: Request) -> Response:
    encoder, content_type = choose_encoder(request.headers.get("accept", ""))
    return Response(content=encoder(registry()), media_type=content_type)
