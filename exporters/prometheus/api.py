"""``/metrics``: a plain route (200, no redirect) that negotiates the exposition format."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Depends, Request, Response
from prometheus_client.exposition import choose_encoder

from exporters.prometheus.collector import LedgerCollector, import_groups
from taizhang.api import public
from taizhang.errors import Unauthorized
from taizhang.settings import get_settings

router = APIRouter(tags=["监控"])
_collector: LedgerCollector | None = None


def collector() -> LedgerCollector:
    """This process's collector (it keeps metric groups between scrapes)."""
    global _collector
    if _collector is None:
        import_groups()
        _collector = LedgerCollector()
    return _collector


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
    return Response(content=collector().render(encoder), media_type=content_type)
